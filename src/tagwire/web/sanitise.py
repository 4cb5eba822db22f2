"""What third parties wrote, made safe to show: HTML through an nh3 allowlist, outbound
links only to http(s), secrets taken out of feed URLs before they are shown.

Every stored field is plain text today (feeds' HTML becomes text when parsed), and
templates escape text. HTML from outside reaches a reader only through ``clean_html``
(the ``sanitised_html`` template filter); templates never mark stored content ``|safe``.
"""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import nh3

from tagwire.store.alerts import AlertView, DeliveryView
from tagwire.store.feeds import FeedRow

ALLOWED_TAGS = frozenset(
    {"p", "br", "h2", "h3", "h4", "ul", "ol", "li", "blockquote", "em", "strong", "b", "i", "a"}
)
ALLOWED_ATTRIBUTES = {"a": {"href"}}
LINK_REL = "noopener noreferrer nofollow"
URL_SCHEMES = frozenset({"http", "https"})
SECRET_NAMES = re.compile(r"key|token|secret|pass|auth|sig|session|credential", re.IGNORECASE)
URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


def clean_html(html: str) -> str:
    """Third-party HTML reduced to text structure and http(s) links; the rest is dropped
    (scripts and styles with their content)."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        clean_content_tags={"script", "style"},
        strip_comments=True,
    )


def outbound_url(url: str | None) -> str | None:
    """``url`` when a browser may follow it to another site (http or https with a host)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in URL_SCHEMES or not parts.hostname:
        return None
    return url.strip()


def redact_url(url: str) -> str:
    """``url`` without a user name or password and with secret-looking query values masked
    (private feeds carry their key in the URL)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    secret = any(SECRET_NAMES.search(name) for name, _ in pairs)
    if "@" not in parts.netloc and not secret:
        return url
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port else "")
    query = parts.query
    if secret:
        masked = [(name, "***" if SECRET_NAMES.search(name) else value) for name, value in pairs]
        query = urlencode(masked, safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str) -> str:
    """Every URL in ``text`` (an error message) redacted."""
    return URL_IN_TEXT.sub(lambda match: redact_url(match.group(0)), text)


def redacted_feed(feed: FeedRow) -> FeedRow:
    """A feed as shown to readers: no password or key from its URL, there or in its error."""
    error = redact_text(feed.last_error) if feed.last_error else feed.last_error
    return dataclasses.replace(feed, url=redact_url(feed.url), last_error=error)


def redacted_alert(alert: AlertView) -> AlertView:
    """An alert as listed: no password or key from its webhook URL."""
    return dataclasses.replace(alert, url=redact_url(alert.url))


def redacted_delivery(delivery: DeliveryView) -> DeliveryView:
    error = redact_text(delivery.last_error) if delivery.last_error else delivery.last_error
    return dataclasses.replace(delivery, last_error=error)
