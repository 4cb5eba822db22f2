"""Subscriber discovery: the hub and topic (``rel="hub"``, ``rel="self"``) of a fetched
feed, from the HTTP Link header first and the feed's own links after (WebSub 4)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from tagwire.errors import InvalidInput
from tagwire.fetch.guard import check_url
from tagwire.models import FetchResult, ParsedFeed

LINK_VALUE = re.compile(r"<([^>]*)>([^<]*)")
REL_PARAM = re.compile(r"""(?:^|;)\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))""", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class HubLinks:
    hub: str
    topic: str


def find_hub(result: FetchResult, parsed: ParsedFeed) -> HubLinks | None:
    """The hub and topic to subscribe to, or None; a topic the feed does not state is the
    URL it was fetched from. Hub URLs are hostile input: only http(s) URLs are kept."""
    header = header_links(result.link_header or "", result.url)
    hub = header.get("hub") or _absolute(parsed.hub_url, result.url)
    topic = header.get("self") or _absolute(parsed.self_url, result.url) or result.url
    if not hub or not topic:
        return None
    return HubLinks(hub=hub, topic=topic)


def header_links(header: str, base: str) -> dict[str, str]:
    """The first URL of each relation in an HTTP Link header (RFC 8288), made absolute."""
    found: dict[str, str] = {}
    for match in LINK_VALUE.finditer(header):
        rel = REL_PARAM.search(match.group(2))
        url = _absolute(match.group(1), base)
        if rel is None or url is None:
            continue
        for name in (rel.group(1) or rel.group(2) or "").lower().split():
            found.setdefault(name, url)
    return found


def _absolute(url: str | None, base: str) -> str | None:
    if not url:
        return None
    try:
        return check_url(urljoin(base, url.strip()))
    except InvalidInput:
        return None
