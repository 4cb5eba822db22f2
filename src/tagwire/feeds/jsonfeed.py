"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1): plain JSON, read by hand."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urljoin

from tagwire.errors import FeedError
from tagwire.feeds.text import html_to_text, normalise_space, web_link
from tagwire.models import FeedEntry, ParsedFeed
from tagwire.timestamps import parse_timestamp

JSON_FEED_VERSION_PREFIX = "https://jsonfeed.org/version/"


def looks_like_json_feed(body: bytes, content_type: str) -> bool:
    ct = content_type.lower()
    if "feed+json" in ct:
        return True
    head = body[:1024].lstrip()
    return head.startswith(b"{") and b"jsonfeed.org/version" in body[:4096]


def parse_json_feed(body: bytes, *, url: str) -> ParsedFeed:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeedError(f"malformed JSON Feed: {exc}") from None
    except RecursionError:
        raise FeedError("malformed JSON Feed: nested too deeply") from None
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(
        JSON_FEED_VERSION_PREFIX
    ):
        raise FeedError("JSON document is not a JSON Feed (no jsonfeed.org version)")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError("JSON Feed has no items list")
    base = _text(data.get("feed_url")) or url
    entries = tuple(e for e in (_item(item, base) for item in items) if e is not None)
    return ParsedFeed(
        kind="json",
        title=normalise_space(_text(data.get("title"))) or url,
        site_url=_text(data.get("home_page_url")) or None,
        language=_text(data.get("language")) or None,
        entries=entries,
        hub_url=_websub_hub(data.get("hubs")),
        self_url=_text(data.get("feed_url")) or None,
    )


def _websub_hub(hubs: Any) -> str | None:
    """The first hub of type WebSub in the feed's ``hubs`` list."""
    for hub in hubs if isinstance(hubs, list) else ():
        if isinstance(hub, dict) and _text(hub.get("type")).lower() == "websub":
            return _text(hub.get("url")) or None
    return None


def _item(item: Any, base: str) -> FeedEntry | None:
    if not isinstance(item, dict):
        return None
    url = _text(item.get("url"))
    link = web_link(urljoin(base, url)) if url else ""
    guid = _item_id(item.get("id")) or link
    if not guid:
        return None
    content = _text(item.get("content_html")) or _text(item.get("content_text"))
    summary = html_to_text(content) or normalise_space(_text(item.get("summary")))
    tags = item.get("tags")
    if not isinstance(tags, list):
        tags = []
    return FeedEntry(
        guid=guid,
        url=link,
        title=normalise_space(_text(item.get("title"))),
        summary=summary,
        published_at=parse_timestamp(
            _text(item.get("date_published") or item.get("date_modified"))
        ),
        author=_author(item),
        categories=tuple(t for t in tags if isinstance(t, str) and t.strip()),
    )


def _author(item: dict[str, Any]) -> str | None:
    authors = item.get("authors")
    if not isinstance(authors, list) or not authors:
        authors = [item.get("author")]  # JSON Feed 1.0 had a single "author" object
    names = [_text(a.get("name")) for a in authors if isinstance(a, dict)]
    return ", ".join(name for name in names if name) or None


def _item_id(value: Any) -> str:
    # The spec asks readers to coerce an id given as a number to a string.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return _text(value)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
