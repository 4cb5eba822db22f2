"""OPML subscription lists: read the feed URLs out of one, write one from our feeds."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from lxml import etree

from tagwire.errors import FeedError, InvalidInput
from tagwire.feeds.limits import MAX_TITLE_CHARS, clip, parse_xml
from tagwire.feeds.text import strip_control

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


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    """A subscription as written out: its outline sits under its ``group`` (the outlet)."""

    url: str
    title: str | None = None
    site_url: str | None = None
    group: str | None = None


def write_opml(
    feeds: Iterable[OpmlFeed], title: str = "tagwire", created: datetime | None = None
) -> str:
    """OPML 2.0: one ``type="rss"`` outline per feed, under an outline per group in the
    order groups first appear, ungrouped feeds at the top level."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = strip_control(title)
    if created is not None:
        etree.SubElement(head, "dateCreated").text = format_datetime(created)
    body = etree.SubElement(root, "body")
    groups: dict[str, etree._Element] = {}
    for feed in feeds:
        parent = body
        if feed.group:
            name = strip_control(feed.group)
            if name not in groups:
                groups[name] = etree.SubElement(body, "outline", text=name, title=name)
            parent = groups[name]
        name = strip_control(feed.title or feed.url)
        outline = etree.SubElement(parent, "outline", type="rss", text=name, title=name)
        outline.set("xmlUrl", strip_control(feed.url))
        if feed.site_url:
            outline.set("htmlUrl", strip_control(feed.site_url))
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return xml.decode()
