"""Turn a fetched body into a ``ParsedFeed``: feedparser for XML feeds, our own reader for
JSON Feed, lxml for sitemaps; then the limits of ``feeds.limits``. feedparser never raises;
its verdicts become ``FeedError`` here."""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import io
import time
import xml.sax
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from typing import Any

import feedparser

from tagwire.errors import FeedError, NotAFeed
from tagwire.feeds.jsonfeed import looks_like_json_feed, parse_json_feed
from tagwire.feeds.limits import check_entity_expansion, newest, within_limits
from tagwire.feeds.sitemap import looks_like_sitemap, parse_sitemap
from tagwire.feeds.text import html_to_text, normalise_space, web_link
from tagwire.models import FeedEntry, FetchResult, ParsedFeed

# Matched by prefix in this order: the RDF versions must come before plain "rss".
_KINDS = {"rss10": "rdf", "rss090": "rdf", "rss": "rss", "atom": "atom", "cdf": "rss"}


def parse_feed(body: bytes, *, url: str, content_type: str = "") -> ParsedFeed:
    """Parse any supported feed format; raise ``NotAFeed`` for HTML, ``FeedError`` for junk."""
    if looks_like_json_feed(body, content_type):
        parsed = parse_json_feed(body, url=url)
    elif looks_like_sitemap(body):
        parsed = parse_sitemap(body, url=url)
    else:
        parsed = parse_xml_feed(body, url=url, content_type=content_type)
    return within_limits(parsed, url)


# Parsing threads of their own: on the event loop's default executor, slow parses would
# hold up every connection's DNS look-up, which runs there too.
PARSERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tagwire-parse")


async def parse_fetched_feed(result: FetchResult) -> ParsedFeed:
    """``parse_feed`` on a fetched body in a parsing thread: a feed that takes seconds to
    parse (100,000 entries, 5 MB on one line) does not hold up the other fetches."""
    parse = partial(parse_feed, result.body, url=result.url, content_type=result.content_type)
    return await asyncio.get_running_loop().run_in_executor(PARSERS, parse)


def parse_xml_feed(body: bytes, *, url: str, content_type: str = "") -> ParsedFeed:
    """RSS, Atom, RDF or CDF through feedparser."""
    check_entity_expansion(body, content_type)
    parsed = feedparser.parse(
        # A file object: given bytes, feedparser first tries them as a local file name.
        io.BytesIO(body),
        response_headers={
            "content-type": content_type or "application/xml",
            "content-location": url,
        },
        sanitize_html=True,
        resolve_relative_uris=True,
    )
    # feedparser leaves out "version" altogether for an empty body.
    version = str(parsed.get("version") or "")
    if not parsed.entries and (not version or _is_broken(parsed)):
        raise _not_a_feed(body, content_type, parsed.get("bozo_exception"))
    kind = next((k for prefix, k in _KINDS.items() if version.startswith(prefix)), "rss")
    feed = parsed.feed
    raws = newest(parsed.entries, _entry_date, url)  # before the costly conversion
    entries = tuple(e for e in (_entry(raw) for raw in raws) if e is not None)
    return ParsedFeed(
        kind=kind,
        title=_plain_title(feed) or url,
        site_url=feed.get("link") or None,
        language=feed.get("language") or None,
        entries=entries,
        ttl_minutes=feed_ttl_minutes(feed),
        hub_url=feed_link(feed, "hub"),
        self_url=feed_link(feed, "self"),
    )


def feed_link(feed: Any, rel: str) -> str | None:
    """The first ``<link rel=...>`` (Atom, or atom:link in RSS) with that relation."""
    for link in feed.get("links") or ():
        if link.get("rel") == rel and link.get("href"):
            return str(link["href"]).strip()
    return None


_PERIOD_MINUTES = {"hourly": 60, "daily": 1440, "weekly": 10080, "monthly": 43200, "yearly": 525600}


def feed_ttl_minutes(feed: Any) -> float | None:
    """How long the feed asks readers to wait: RSS ``<ttl>``, or the syndication module's
    ``<sy:updatePeriod>`` divided by ``<sy:updateFrequency>``."""
    ttl = str(feed.get("ttl", "")).strip()
    if ttl.isdigit() and int(ttl) > 0:
        return float(ttl)
    period = _PERIOD_MINUTES.get(str(feed.get("sy_updateperiod", "")).strip().lower())
    if period is None:
        return None
    frequency = str(feed.get("sy_updatefrequency", "1")).strip()
    return period / int(frequency) if frequency.isdigit() and int(frequency) > 0 else period


def _is_broken(parsed: Any) -> bool:
    """An XML error, as opposed to feedparser's harmless notes (charset or content type)."""
    problem = parsed.get("bozo_exception")
    return problem is not None and not isinstance(problem, feedparser.ThingsNobodyCaresAboutButMe)


def _not_a_feed(body: bytes, content_type: str, problem: object) -> FeedError:
    head = body[:512].lstrip().lower()
    if "html" in content_type.lower() or head.startswith((b"<!doctype html", b"<html")):
        return NotAFeed("the URL returned an HTML page, not a feed")
    if not body.strip():
        return FeedError("the URL returned an empty body")
    return FeedError(f"not a readable feed{_describe(problem)}")


def _describe(problem: object) -> str:
    """feedparser's complaint, with the line and column the XML parser stopped at."""
    if isinstance(problem, xml.sax.SAXParseException):
        line, column = problem.getLineNumber(), problem.getColumnNumber()
        return f": {problem.getMessage()} at line {line}, column {column}"
    return f": {problem}" if problem else ": no RSS, Atom or RDF document in it"


def _entry(raw: Any) -> FeedEntry | None:
    link = web_link(raw.get("link") or "")
    guid = raw.get("id") or link
    title = _plain_title(raw)
    if not guid:
        if not title:
            return None
        guid = "sha1:" + hashlib.sha1(title.encode()).hexdigest()
    content = raw.get("content") or []
    html = content[0].get("value", "") if content else raw.get("summary", "")
    return FeedEntry(
        guid=guid,
        url=link or web_link(guid),
        title=title,
        summary=html_to_text(html or raw.get("summary", "")),
        published_at=_entry_date(raw),
        author=raw.get("author") or None,
        categories=tuple(t["term"] for t in raw.get("tags", []) if t.get("term")),
        source=normalise_space((raw.get("source") or {}).get("title", "")) or None,
    )


def _plain_title(node: Any) -> str:
    """Atom and some RSS titles are HTML (``type="html"``); we keep titles as plain text."""
    title = node.get("title", "")
    if "html" in (node.get("title_detail") or {}).get("type", ""):
        return " ".join(html_to_text(title).split())
    return normalise_space(title)


def _entry_date(raw: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value: time.struct_time | None = raw.get(key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None
