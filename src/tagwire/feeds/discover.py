"""Find the feeds a web page advertises with ``<link rel="alternate" type=...>``."""

from __future__ import annotations

from urllib.parse import urljoin

import lxml.html
from lxml.etree import ParserError

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
)


def find_feed_links(html: bytes, base_url: str) -> list[str]:
    """Absolute URLs of advertised feeds, in page order, best types first."""
    try:
        root = lxml.html.document_fromstring(html)
    except (ParserError, ValueError):
        return []
    found: list[tuple[int, int, str]] = []
    for position, link in enumerate(root.iter("link")):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        href = (link.get("href") or "").strip()
        if "alternate" in rel and kind in FEED_TYPES and href:
            found.append((FEED_TYPES.index(kind), position, urljoin(base_url, href)))
    urls: list[str] = []
    for _, _, url in sorted(found):
        if url not in urls:
            urls.append(url)
    return urls
