"""What the pages and the API read: a tag, its articles newest first, one article, top tags.

Lists are paged by cursor (``published_at`` and ``id`` of the last row shown), so a deep
page costs the same as the first.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, Select, and_, func, or_, select

from tagwire.enrich.names import slugify
from tagwire.store.schema import article_tags, articles, outlets, tag_aliases, tags


@dataclass(frozen=True, slots=True)
class TagLink:
    label: str
    slug: str
    kind: str
    salience: float = 1.0


@dataclass(frozen=True, slots=True)
class TagInfo:
    id: int
    label: str
    slug: str
    kind: str
    article_count: int
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ArticleView:
    id: int
    title: str
    url: str
    outlet: str
    outlet_slug: str
    published_at: datetime
    category: str | None
    section: str | None
    language: str | None
    author: str | None
    summary: str
    text: str
    extraction_status: str
    tags: tuple[TagLink, ...]


@dataclass(frozen=True, slots=True)
class Cursor:
    published_at: datetime
    id: int

    def encode(self) -> str:
        raw = f"{self.published_at.isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor | None:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            stamp, ident = raw.split("|")
            published = datetime.fromisoformat(stamp)
            number = int(ident)
        except (ValueError, UnicodeDecodeError):
            return None
        if not 0 < number < MAX_ID:
            return None
        return cls(published if published.tzinfo else published.replace(tzinfo=UTC), number)


@dataclass(frozen=True, slots=True)
class Page:
    articles: list[ArticleView]
    next_cursor: Cursor | None


@dataclass(frozen=True, slots=True)
class TagPage:
    tag: TagInfo
    page: Page


@dataclass(frozen=True, slots=True)
class HomePage:
    page: Page
    top_tags: list[TagInfo]


MAX_ID = 2**62


def tag_page(engine: Engine, slug: str, cursor: Cursor | None, limit: int) -> TagPage | None:
    """A tag and one page of its articles, newest first; None when no such tag."""
    tag = find_tag(engine, slug)
    if tag is None:
        return None
    return TagPage(tag, tag_articles(engine, tag.id, cursor, limit))


def home_page(engine: Engine, cursor: Cursor | None, limit: int, tags: int = 40) -> HomePage:
    return HomePage(latest_articles(engine, cursor, limit), top_tags(engine, limit=tags))


def canonical_tag_slug(engine: Engine, text: str) -> str | None:
    """The slug a spelling stands for: ``Azawad`` -> ``azawad``, ``Kiev`` -> ``kyiv``."""
    slug = slugify(text)
    if slug and slug != text and find_tag(engine, slug) is not None:
        return slug
    found = find_tag_slug_by_alias(engine, text.lstrip("#").replace("-", " "))
    return found if found != text else None


def find_tag(engine: Engine, slug: str) -> TagInfo | None:
    with engine.connect() as conn:
        row = conn.execute(select(tags).where(tags.c.slug == slug)).first()
        if row is None:
            return None
        aliases = conn.execute(
            select(tag_aliases.c.alias)
            .where(tag_aliases.c.tag_id == row.id)
            .order_by(tag_aliases.c.alias)
        ).scalars()
        return TagInfo(
            row.id,
            row.label,
            row.slug,
            row.kind,
            row.article_count,
            tuple(a for a in aliases if a != row.label),
        )


def find_tag_slug_by_alias(engine: Engine, text: str) -> str | None:
    """The slug of the tag that has ``text`` as label or alias, ignoring case."""
    query = (
        select(tags.c.slug)
        .join(tag_aliases, tag_aliases.c.tag_id == tags.c.id)
        .where(func.lower(tag_aliases.c.alias) == text.lower())
        .order_by(tags.c.article_count.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        return conn.execute(query).scalar()


def tag_articles(engine: Engine, tag_id: int, cursor: Cursor | None, limit: int) -> Page:
    query = (
        _article_select()
        .join(article_tags, article_tags.c.article_id == articles.c.id)
        .where(article_tags.c.tag_id == tag_id)
    )
    order = (article_tags.c.published_at, article_tags.c.article_id)
    return _page(engine, query, order, cursor, limit)


def latest_articles(engine: Engine, cursor: Cursor | None, limit: int) -> Page:
    return _page(engine, _article_select(), (articles.c.published_at, articles.c.id), cursor, limit)


def get_article(engine: Engine, article_id: int) -> ArticleView | None:
    with engine.connect() as conn:
        row = conn.execute(_article_select().where(articles.c.id == article_id)).first()
        if row is None:
            return None
        return _views(conn, [row])[0]


def top_tags(engine: Engine, limit: int = 30, days: int | None = None) -> list[TagInfo]:
    count = func.count(article_tags.c.article_id)
    query = (
        select(tags.c.id, tags.c.label, tags.c.slug, tags.c.kind, count.label("n"))
        .join(article_tags, article_tags.c.tag_id == tags.c.id)
        .group_by(tags.c.id, tags.c.label, tags.c.slug, tags.c.kind)
        .order_by(count.desc(), tags.c.label)
        .limit(limit)
    )
    if days is not None:
        query = query.where(article_tags.c.published_at >= datetime.now(UTC) - timedelta(days=days))
    with engine.connect() as conn:
        return [TagInfo(r.id, r.label, r.slug, r.kind, r.n, ()) for r in conn.execute(query)]


def count_articles(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(articles)).scalar() or 0)


def _article_select() -> Select:
    return select(
        articles.c.id,
        articles.c.title,
        articles.c.url,
        articles.c.published_at,
        articles.c.category,
        articles.c.section,
        articles.c.language,
        articles.c.author,
        articles.c.summary,
        articles.c.text,
        articles.c.extraction_status,
        outlets.c.name.label("outlet"),
        outlets.c.slug.label("outlet_slug"),
    ).join(outlets, outlets.c.id == articles.c.outlet_id)


def _page(engine, query, order, cursor: Cursor | None, limit: int) -> Page:
    published, ident = order
    if cursor is not None:
        query = query.where(
            or_(
                published < cursor.published_at,
                and_(published == cursor.published_at, ident < cursor.id),
            )
        )
    query = query.order_by(published.desc(), ident.desc()).limit(limit + 1)
    with engine.connect() as conn:
        rows = list(conn.execute(query))
        views = _views(conn, rows[:limit])
    next_cursor = None
    if len(rows) > limit and views:
        next_cursor = Cursor(views[-1].published_at, views[-1].id)
    return Page(views, next_cursor)


def _views(conn, rows) -> list[ArticleView]:
    ids = [r.id for r in rows]
    links: dict[int, list[TagLink]] = defaultdict(list)
    if ids:
        query = (
            select(
                article_tags.c.article_id,
                article_tags.c.salience,
                tags.c.label,
                tags.c.slug,
                tags.c.kind,
            )
            .join(tags, tags.c.id == article_tags.c.tag_id)
            .where(article_tags.c.article_id.in_(ids))
            .order_by(article_tags.c.article_id, article_tags.c.salience.desc(), tags.c.label)
        )
        for r in conn.execute(query):
            links[r.article_id].append(TagLink(r.label, r.slug, r.kind, r.salience))
    return [
        ArticleView(
            id=r.id,
            title=r.title,
            url=r.url,
            outlet=r.outlet,
            outlet_slug=r.outlet_slug,
            published_at=r.published_at,
            category=r.category,
            section=r.section,
            language=r.language,
            author=r.author,
            summary=r.summary,
            text=r.text,
            extraction_status=r.extraction_status,
            tags=tuple(links[r.id]),
        )
        for r in rows
    ]
