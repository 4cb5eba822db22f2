"""OPML subscription lists: read the feed URLs out of one, write one from our feeds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from lxml import etree

from tagwire.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class OpmlOutline:
    url: str
    title: str | None


def read_opml(data: bytes, *, source: str = "OPML") -> list[OpmlOutline]:
    """Every outline with an ``xmlUrl``, nested groups included. Raise on unreadable OPML."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise InvalidInput(f"{source} is not well-formed XML: {exc}") from None
    if root is None or etree.QName(root).localname.lower() != "opml":
        raise InvalidInput(f"{source} is not an OPML document")
    outlines: list[OpmlOutline] = []
    seen: set[str] = set()  # the first outline of a URL wins, in document order
    for node in root.iter("{*}outline", "outline"):
        url = (node.get("xmlUrl") or node.get("xmlurl") or "").strip()
        if url and url not in seen:
            seen.add(url)
            outlines.append(OpmlOutline(url, node.get("title") or node.get("text")))
    return outlines


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
