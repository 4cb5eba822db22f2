"""Sitemaps as a source for outlets without a usable feed: ``<urlset>`` (with Google News
``<news:news>`` when present) and ``<sitemapindex>``.

Only recent URLs matter to a news reader: entries dated within ``RECENT`` are kept (all of
them up to ``MAX_ENTRIES`` when the sitemap gives no dates), and an index hands on its most
recently modified children, which the pipeline then reads.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lxml import etree

from tagwire.errors import FeedError
from tagwire.feeds.limits import parse_xml
from tagwire.feeds.text import normalise_space, web_link
from tagwire.models import FeedEntry, ParsedFeed
from tagwire.timestamps import parse_timestamp

RECENT = timedelta(days=7)
MAX_ENTRIES = 500
MAX_CHILDREN = 5
_SNIFF = (b"<urlset", b"<sitemapindex", b":urlset", b":sitemapindex")


def looks_like_sitemap(body: bytes) -> bool:
    head = body[:2048]
    return any(marker in head for marker in _SNIFF)


def parse_sitemap(body: bytes, *, url: str, now: datetime | None = None) -> ParsedFeed:
    try:
        root = parse_xml(body)
    except FeedError as exc:
        raise FeedError(f"malformed sitemap: {exc}") from None
    now = now or datetime.now(UTC)
    if etree.QName(root).localname == "sitemapindex":
        return ParsedFeed("sitemapindex", url, None, None, (), children=recent_children(root))
    entries = [e for e in (_entry(node) for node in root.iter("{*}url")) if e is not None]
    dated = [e for e in entries if e.published_at and now - RECENT <= e.published_at <= now]
    chosen = dated if any(e.published_at for e in entries) else entries
    return ParsedFeed("sitemap", url, None, None, tuple(chosen[:MAX_ENTRIES]))


def recent_children(root: etree._Element) -> tuple[str, ...]:
    children = []
    for node in root.iter("{*}sitemap"):
        link = web_link(_text(node, "loc"))
        if link:
            children.append((parse_timestamp(_text(node, "lastmod")), link))
    children.sort(key=lambda c: c[0] or datetime.min.replace(tzinfo=UTC), reverse=True)
    return tuple(link for _, link in children[:MAX_CHILDREN])


def _entry(node: etree._Element) -> FeedEntry | None:
    link = web_link(_text(node, "loc"))
    if not link:
        return None
    news = node.find("{*}news")
    title = normalise_space(_text(news, "title")) if news is not None else ""
    stamp = _text(news, "publication_date") if news is not None else ""
    return FeedEntry(
        guid=link,
        url=link,
        title=title,
        published_at=parse_timestamp(stamp or _text(node, "lastmod")),
    )


def _text(node: etree._Element | None, name: str) -> str:
    if node is None:
        return ""
    found = node.find(f"{{*}}{name}")
    return (found.text or "").strip() if found is not None else ""
