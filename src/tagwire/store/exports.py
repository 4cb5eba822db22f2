"""What leaves tagwire whole: the subscriptions (for OPML) and every article of a tag, with
what the pipeline found about each (for analysts).

A tag's archive is read a batch at a time through the ``(published_at, id)`` cursor and
each batch's connection is closed before its articles are handed on, so a slow reader
holds neither memory nor a database connection for the whole archive.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, Engine, Select, and_, or_, select

from tagwire.store.reads import Cursor, TagLink, tag_links
from tagwire.store.schema import article_tags, articles, feeds, outlets
from tagwire.store.search import start_of

BATCH = 500
ARCHIVED_COLUMNS = (
    "id",
    "url",
    "language",
    "published_at",
    "category",
    "category_source",
    "category_confidence",
    "title",
    "author",
    "text",
    "story_id",
    "duplicate_of",
)


@dataclass(frozen=True, slots=True)
class SubscribedFeed:
    url: str
    title: str | None
    site_url: str | None
    outlet: str


@dataclass(frozen=True, slots=True)
class ArchivedArticle:
    """One article of a tag's archive, duplicates included (``duplicate_of`` names the
    article whose text it repeats)."""

    id: int
    url: str
    outlet: str
    outlet_slug: str
    language: str | None
    published_at: datetime
    category: str | None
    category_source: str | None
    category_confidence: float | None
    title: str
    author: str | None
    text: str
    tags: tuple[TagLink, ...]
    story_id: int | None
    duplicate_of: int | None


def subscribed_feeds(engine: Engine) -> list[SubscribedFeed]:
    """Every feed, stopped ones too (a subscription all the same), by outlet then feed."""
    query = (
        select(feeds.c.url, feeds.c.title, feeds.c.site_url, outlets.c.name.label("outlet"))
        .join(outlets, outlets.c.id == feeds.c.outlet_id)
        .order_by(outlets.c.name, outlets.c.id, feeds.c.id)
    )
    with engine.connect() as conn:
        return [SubscribedFeed(r.url, r.title, r.site_url, r.outlet) for r in conn.execute(query)]


def tag_archive(
    engine: Engine,
    tag_id: int,
    since: date | None = None,
    until: date | None = None,
    batch: int = BATCH,
) -> Iterator[list[ArchivedArticle]]:
    """Every article carrying the tag, newest first, published from ``since`` to
    ``until`` (whole days, UTC, both included), in lists of up to ``batch``."""
    cursor: Cursor | None = None
    while True:
        with engine.connect() as conn:
            rows = list(conn.execute(archive_batch(tag_id, since, until, cursor, batch)))
            found = archived(conn, rows)
        if found:
            yield found
        if len(rows) < batch:
            return
        cursor = Cursor(rows[-1].tagged_at, rows[-1].id)


def archive_batch(
    tag_id: int, since: date | None, until: date | None, cursor: Cursor | None, batch: int
) -> Select:
    published, ident = article_tags.c.published_at, article_tags.c.article_id
    query = (
        select(
            *(articles.c[name] for name in ARCHIVED_COLUMNS),
            outlets.c.name.label("outlet"),
            outlets.c.slug.label("outlet_slug"),
            published.label("tagged_at"),
        )
        .join(outlets, outlets.c.id == articles.c.outlet_id)
        .join(article_tags, article_tags.c.article_id == articles.c.id)
        .where(article_tags.c.tag_id == tag_id)
    )
    if since is not None:
        query = query.where(published >= start_of(since))
    if until is not None and until < date.max:
        query = query.where(published < start_of(until + timedelta(days=1)))
    if cursor is not None:
        query = query.where(
            or_(
                published < cursor.published_at,
                and_(published == cursor.published_at, ident < cursor.id),
            )
        )
    return query.order_by(published.desc(), ident.desc()).limit(batch)


def archived(conn: Connection, rows: list) -> list[ArchivedArticle]:
    """The batch's rows with every tag of each article, the most salient first."""
    links = tag_links(conn, [r.id for r in rows])
    return [
        ArchivedArticle(
            id=r.id,
            url=r.url,
            outlet=r.outlet,
            outlet_slug=r.outlet_slug,
            language=r.language,
            published_at=r.published_at,
            category=r.category,
            category_source=r.category_source,
            category_confidence=r.category_confidence,
            title=r.title,
            author=r.author,
            text=r.text,
            tags=tuple(links[r.id]),
            story_id=r.story_id,
            duplicate_of=r.duplicate_of,
        )
        for r in rows
    ]
