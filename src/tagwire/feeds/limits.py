"""What one untrusted document may cost the feeds stage, and what one feed may hand on.

XML from strangers: sitemaps and OPML are read by lxml with entities left unexpanded, no
DTD loaded, no network and libxml2's default limits on depth, text size (``huge_tree``
off) and entity amplification.
Feeds are read by feedparser, which drops external and nested entity declarations but
expands the plain ones it keeps, and expat lets those grow a document a hundredfold (the
quadratic blowup): ``check_entity_expansion`` counts what feedparser would expand first.

What a feed hands on: its newest ``MAX_ENTRIES`` entries, titles of at most
``MAX_TITLE_CHARS``, texts of at most ``MAX_TEXT_CHARS``, ids and links of at most
``MAX_ID_BYTES`` (the database indexes them).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from feedparser.encodings import convert_to_utf8
from feedparser.sanitizer import replace_doctype
from lxml import etree

from tagwire.errors import FeedError
from tagwire.models import FeedEntry, ParsedFeed

log = logging.getLogger("tagwire.feeds")
T = TypeVar("T")

MAX_ENTRIES = 1_000
MAX_ENTITY_EXPANSION = 1_000_000  # characters a feed's own entities may add to it
MAX_TITLE_CHARS = 1_000
MAX_TEXT_CHARS = 100_000  # a long read is 60,000; tagging time grows with the text
MAX_ID_BYTES = 2_000  # well under the ~2,700 bytes a PostgreSQL index entry may hold
# A declaration with a literal value, up to its opening quote: external ones (SYSTEM,
# PUBLIC) are never fetched and do not match.
_DECLARATION = re.compile(rb"""<!ENTITY\s+(%\s+)?([^\s%"'<>]+)\s+(["'])""")
# A reference as the loose parser (sgmllib) reads one: the ";" may be left out.
_LOOSE_REFERENCE = re.compile(rb"&([A-Za-z][-.A-Za-z0-9]*)")


def parse_xml(body: bytes) -> etree._Element:
    """The root of a sitemap or OPML document, its entities left as references;
    ``FeedError`` when it is not well-formed or libxml2's limits stop it."""
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=False,
    )
    try:
        return etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        if "amplification" in str(exc):
            raise FeedError(f"refused: its XML entities expand too far ({exc})") from None
        raise FeedError(f"not well-formed XML: {exc}") from None


def check_entity_expansion(body: bytes, content_type: str) -> None:
    """Refuse a feed whose own entities could grow it: parameter entities, entities that
    refer to others (billion laughs), or more than ``MAX_ENTITY_EXPANSION`` characters of
    entity text in all (quadratic blowup). Read from the bytes feedparser hands its XML
    parser: decoded as it decodes them (UTF-16 or UTF-7 hide declarations from a byte
    search) and after its own pruning of the DOCTYPE, which a same-line DOCTYPE escapes."""
    data = convert_to_utf8({"content-type": content_type or "application/xml"}, body, {})
    _, data, loose = replace_doctype(data)
    if b"<!ENTITY" not in data and not loose:
        return
    # What either of feedparser's parsers expands: the strict one the declarations left in
    # the document, the loose one (its fallback) ``loose``, references without ";" too.
    declared = dict(_declared_entities(data))
    declared.update((name.encode(), value.encode()) for name, value in loose.items())
    nested = (name for value in declared.values() for name in _LOOSE_REFERENCE.findall(value))
    if any(name in declared for name in nested):
        raise FeedError("refused: the feed's XML entities refer to other entities")
    references = Counter(_LOOSE_REFERENCE.findall(data))
    added = sum(len(value) * references[name] for name, value in declared.items())
    if added > MAX_ENTITY_EXPANSION:
        raise FeedError(
            f"refused: the feed's XML entities would add {added:,} characters"
            f" (at most {MAX_ENTITY_EXPANSION:,})"
        )


def _declared_entities(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(name, value) of each entity declared with a literal value, in one pass (a later
    search starts past the value before it, so no byte is read twice)."""
    position = 0
    while (start := data.find(b"<!ENTITY", position)) >= 0:
        head = _DECLARATION.match(data, start)
        if head is None:
            position = start + len(b"<!ENTITY")
            continue
        end = data.find(head.group(3), head.end())
        if end < 0:
            return  # an unterminated literal: the XML parser stops there as well
        if head.group(1):
            raise FeedError("refused: the feed declares XML parameter entities")
        yield head.group(2), data[head.end() : end]
        position = end + 1


def within_limits(feed: ParsedFeed, url: str) -> ParsedFeed:
    """The feed with its newest ``MAX_ENTRIES`` entries, each cut to the field limits."""
    entries = newest(feed.entries, lambda e: e.published_at, url)
    return replace(
        feed,
        title=clip(feed.title, MAX_TITLE_CHARS),
        entries=tuple(_bounded(e) for e in entries),
    )


def newest(items: Sequence[T], published: Callable[[T], datetime | None], url: str) -> list[T]:
    """The ``MAX_ENTRIES`` newest items in feed order: dated ones by date, then undated ones
    in the order listed (feeds list their newest first). Logs how many were skipped."""
    if len(items) <= MAX_ENTRIES:
        return list(items)
    log.warning(
        "url=%s entries=%d skipped=%d: only the newest %d entries are read",
        url,
        len(items),
        len(items) - MAX_ENTRIES,
        MAX_ENTRIES,
    )
    stamps = [published(item) for item in items]

    def rank(i: int) -> tuple[bool, float, int]:
        stamp = stamps[i]
        return (stamp is None, -stamp.timestamp() if stamp else 0.0, i)

    kept = sorted(sorted(range(len(items)), key=rank)[:MAX_ENTRIES])
    return [items[i] for i in kept]


def _bounded(entry: FeedEntry) -> FeedEntry:
    url = entry.url if len(entry.url.encode()) <= MAX_ID_BYTES else ""
    guid = entry.guid
    if len(guid.encode()) > MAX_ID_BYTES:
        guid = "sha1:" + hashlib.sha1(guid.encode()).hexdigest()
    return replace(
        entry,
        guid=guid,
        url=url,
        title=clip(entry.title, MAX_TITLE_CHARS),
        summary=clip(entry.summary, MAX_TEXT_CHARS),
    )


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, at a space when one is near the end."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit * 0.8 else cut).rstrip() + "…"
