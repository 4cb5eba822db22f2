"""OPML subscription lists: read the feed URLs out of one, write one from our feeds."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from lxml import etree

from tagwire.errors import FeedError, InvalidInput
from tagwire.feeds.limits import MAX_TITLE_CHARS, clip, parse_xml

_BARE_AMPERSAND = re.compile(rb"&(?!#?[\w.:-]+;)")


@dataclass(frozen=True, slots=True)
class OpmlOutline:
    url: str
    title: str | None


def read_opml(data: bytes, *, source: str = "OPML") -> list[OpmlOutline]:
    """Every outline with an ``xmlUrl``, nested groups included. Raise on unreadable OPML."""
    root = parse_opml(data, source)
    if etree.QName(root).localname.lower() != "opml":
        raise InvalidInput(f"{source} is not an OPML document")
    outlines: list[OpmlOutline] = []
    seen: set[str] = set()  # the first outline of a URL wins, in document order
    for node in root.iter("{*}outline", "outline"):
        url = (node.get("xmlUrl") or node.get("xmlurl") or "").strip()
        if url and url not in seen:
            seen.add(url)
            title = node.get("title") or node.get("text")
            outlines.append(OpmlOutline(url, clip(title, MAX_TITLE_CHARS) if title else None))
    return outlines


def parse_opml(data: bytes, source: str) -> etree._Element:
    """The list as XML. Exported lists often carry bare ``&`` in titles and URLs: a list
    that fails is read once more with those escaped, else refused for what remains."""
    try:
        return parse_xml(data)
    except FeedError as exc:
        fault = exc
    escaped = _BARE_AMPERSAND.sub(b"&amp;", data)
    if escaped != data:
        try:
            return parse_xml(escaped)
        except FeedError as exc:
            fault = exc  # the fault that remains
    raise InvalidInput(f"{source}: {fault}") from None


def write_opml(feeds: Iterable[tuple[str, str | None, str | None]], title: str = "tagwire") -> str:
    """OPML 2.0 of ``(feed_url, title, site_url)`` triples."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{_escape(title)}</title></head>",
        "  <body>",
    ]
    for url, name, site in feeds:
        attrs = f'type="rss" text={quoteattr(name or url)} xmlUrl={quoteattr(url)}'
        if site:
            attrs += f" htmlUrl={quoteattr(site)}"
        lines.append(f"    <outline {attrs}/>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
