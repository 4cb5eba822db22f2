"""What the pages and the API read: a tag, its articles newest first, one article, top tags.

Lists are paged by cursor (``published_at`` and ``id`` of the last row shown), so a deep
page costs the same as the first.
"""

from __future__ import annotations

import base64
import math
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, Exists, Row, Select, and_, case, func, or_, select

from tagwire.enrich.names import fold, slugify
from tagwire.store.schema import (
    article_tags,
    articles,
    outlets,
    stories,
    tag_aliases,
    tag_changes,
    tags,
)
from tagwire.store.tag_filters import TagFilters, article_conditions
from tagwire.store.tags import resolve_slug

MERGE_HOPS = 8  # absorbed stories followed to the one that holds their articles


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
    story_id: int | None = None
    coverage: tuple[Coverage, ...] = ()  # the story's other articles, oldest first
    outlet_country: str | None = None  # who is speaking: see tagwire.outlets
    outlet_state_affiliated: bool | None = None


@dataclass(frozen=True, slots=True)
class Coverage:
    """One outlet's article in a story, as listed under another ("also covered by")."""

    id: int
    title: str
    url: str
    outlet: str
    published_at: datetime
    language: str | None
    duplicate: bool  # the same text as another article of the story
    outlet_slug: str = ""
    outlet_country: str | None = None
    outlet_state_affiliated: bool | None = None


@dataclass(frozen=True, slots=True)
class StoryView:
    id: int
    title: str
    first_seen_at: datetime
    last_seen_at: datetime
    article_count: int
    outlet_count: int
    articles: tuple[Coverage, ...]  # oldest first


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
class RelatedTag:
    label: str
    slug: str
    kind: str
    together: int  # articles that carry both tags
    score: float


@dataclass(frozen=True, slots=True)
class TagSuggestion:
    label: str
    slug: str
    kind: str
    article_count: int
    matched: str  # the label or alias the query matched


@dataclass(frozen=True, slots=True)
class TagPage:
    tag: TagInfo
    page: Page
    related: list[RelatedTag]


@dataclass(frozen=True, slots=True)
class HomePage:
    page: Page
    top_tags: list[TagInfo]


MAX_ID = 2**62
MAX_ALIASES_SHOWN = 20
RELATED_WINDOW = 2000  # a tag's most recent articles read for its related tags


def tag_page(
    engine: Engine,
    slug: str,
    cursor: Cursor | None,
    limit: int,
    filters: TagFilters | None = None,
) -> TagPage | None:
    """A tag and one page of its articles (those the filters let through), newest first;
    None when no such tag."""
    tag = find_tag(engine, slug)
    if tag is None:
        return None
    page = tag_articles(engine, tag.id, cursor, limit, filters)
    return TagPage(tag, page, related_tags(engine, tag.id) if cursor is None else [])


def home_page(engine: Engine, cursor: Cursor | None, limit: int, tags: int = 40) -> HomePage:
    return HomePage(latest_articles(engine, cursor, limit), top_tags(engine, limit=tags))


def canonical_tag_slug(engine: Engine, text: str) -> str | None:
    """The slug a spelling stands for: ``Azawad`` -> ``azawad``, ``Kiev`` -> ``kyiv``, a
    renamed or merged tag's old slug -> the tag it is now."""
    slug = slugify(text)
    if slug and slug != text and find_tag(engine, slug) is not None:
        return slug
    with engine.connect() as conn:
        row = resolve_slug(conn, slug) if slug else None
    if row is not None and row.slug != text and not row.blocked:
        return str(row.slug)
    found = find_tag_slug_by_alias(engine, text.lstrip("#").replace("-", " "))
    return found if found != text else None


def find_tag(engine: Engine, slug: str) -> TagInfo | None:
    """The tag with this slug; None when there is none, or it was renamed, merged or
    blocked (``canonical_tag_slug`` then says where it went)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(tags).where(
                tags.c.slug == slug, tags.c.canonical_id.is_(None), tags.c.blocked.is_(False)
            )
        ).first()
        if row is None:
            return None
        aliases = conn.execute(
            select(tag_aliases.c.alias)
            .where(tag_aliases.c.tag_id == row.id)
            .order_by(case((tag_aliases.c.origin == "user", 0), else_=1), tag_aliases.c.alias)
        ).scalars()
        return TagInfo(
            row.id, row.label, row.slug, row.kind, row.article_count, shown_aliases(row, aliases)
        )


def shown_aliases(tag: Row, aliases: Iterable[str]) -> tuple[str, ...]:
    """The names worth showing: one per spelling that differs beyond case and accents
    ("MALI" is "Mali" shouted), the label itself left out."""
    seen = {fold(tag.label), tag.slug}
    shown = []
    for alias in aliases:
        key = fold(alias)
        if key in seen:
            continue
        seen.add(key)
        shown.append(alias)
    return tuple(shown[:MAX_ALIASES_SHOWN])


def resolve_tag(engine: Engine, name: str) -> TagInfo | None:
    """The tag a reader means by a label, slug or alias ("#JNIM", "Kiev", "algérie")."""
    slug = slugify(name)
    found = find_tag(engine, slug) if slug else None
    if found is None:
        canonical = canonical_tag_slug(engine, name)
        found = find_tag(engine, canonical) if canonical else None
    return found


class RelatedTagsCache:
    """Related tags by tag, kept for ``seconds`` while the tag's article count and the tag
    changes log stay as they were: counting them reads 2,000 articles' tags (15 ms for a
    popular tag), and a popular tag's page is asked for again and again. At most ``size``
    tags, least recently asked dropped first; shared by the web server's threads."""

    def __init__(self, size: int = 2_000, seconds: float = 600.0) -> None:
        self.size = size
        self.seconds = seconds
        self._entries: OrderedDict[tuple, tuple[tuple, list[RelatedTag]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, version: tuple) -> list[RelatedTag] | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0][:-1] != version:
                return None
            if time.monotonic() - found[0][-1] > self.seconds:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return list(found[1])

    def put(self, key: tuple, version: tuple, related: list[RelatedTag]) -> None:
        with self._lock:
            self._entries[key] = ((*version, time.monotonic()), list(related))
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


RELATED_CACHE = RelatedTagsCache()


def related_tags(engine: Engine, tag_id: int, limit: int = 12) -> list[RelatedTag]:
    """``count_related_tags``, from ``RELATED_CACHE`` while the tag has not changed."""
    last_change = select(func.max(tag_changes.c.id)).scalar_subquery()
    with engine.connect() as conn:
        row = conn.execute(
            select(tags.c.article_count, last_change).where(tags.c.id == tag_id)
        ).first()
    version = tuple(row) if row is not None else ()
    key = (str(engine.url), tag_id, limit)
    related = RELATED_CACHE.get(key, version)
    if related is None:
        related = count_related_tags(engine, tag_id, limit)
        RELATED_CACHE.put(key, version, related)
    return related


def count_related_tags(engine: Engine, tag_id: int, limit: int = 12) -> list[RelatedTag]:
    """Tags that share articles with this one, ranked by how many they share weighed by how
    rare each is overall, so a tag on every other article (#Mali) does not lead every list."""
    recent = (
        select(article_tags.c.article_id)
        .where(article_tags.c.tag_id == tag_id)
        .order_by(article_tags.c.published_at.desc())
        .limit(RELATED_WINDOW)
        .subquery()
    )
    together = func.count().label("together")
    query = (
        select(tags.c.label, tags.c.slug, tags.c.kind, tags.c.article_count, together)
        .join(article_tags, article_tags.c.tag_id == tags.c.id)
        .where(article_tags.c.article_id.in_(select(recent.c.article_id)))
        .where(article_tags.c.tag_id != tag_id)
        .group_by(tags.c.id, tags.c.label, tags.c.slug, tags.c.kind, tags.c.article_count)
        .order_by(together.desc())
        .limit(limit * 20)
    )
    with engine.connect() as conn:
        total = int(conn.execute(select(func.max(articles.c.id))).scalar() or 0)
        rows = list(conn.execute(query))
    if not rows:
        return []
    least = 2 if rows[0].together >= 2 else 1  # one shared article is chance, when more is
    ranked = [
        RelatedTag(
            r.label, r.slug, r.kind, r.together, r.together * math.log(1 + total / r.article_count)
        )
        for r in rows
        if r.together >= least and r.article_count > 0
    ]
    ranked.sort(key=lambda t: (-t.score, t.label))
    return ranked[:limit]


def suggest_tags(engine: Engine, text: str, limit: int = 10) -> list[TagSuggestion]:
    """Tags whose label or an alias starts with ``text``, ignoring case and accents, the
    exact name first, then the most used."""
    prefix = fold(text.strip().lstrip("#"))[:100]
    if not prefix:
        return []
    query = (
        select(
            tags.c.id,
            tags.c.label,
            tags.c.slug,
            tags.c.kind,
            tags.c.article_count,
            tag_aliases.c.alias,
            tag_aliases.c.folded,
        )
        .join(tag_aliases, tag_aliases.c.tag_id == tags.c.id)
        .where(tag_aliases.c.folded >= prefix, tag_aliases.c.folded < prefix + "\U0010ffff")
        .where(tags.c.canonical_id.is_(None), tags.c.blocked.is_(False))
        .where(tags.c.article_count > 0)
        .order_by(tags.c.article_count.desc(), tags.c.id)
        .limit(limit * 20)
    )
    with engine.connect() as conn:
        rows = list(conn.execute(query))
    rows.sort(key=lambda r: (r.folded != prefix, -r.article_count, r.id, r.alias != r.label))
    chosen: dict[int, TagSuggestion] = {}
    for r in rows:
        if r.id not in chosen:
            chosen[r.id] = TagSuggestion(r.label, r.slug, r.kind, r.article_count, r.alias)
    return list(chosen.values())[:limit]


def find_tag_slug_by_alias(engine: Engine, text: str) -> str | None:
    """The slug of the tag that has ``text`` as label or alias, ignoring case and accents."""
    query = (
        select(tags.c.slug)
        .join(tag_aliases, tag_aliases.c.tag_id == tags.c.id)
        .where(tag_aliases.c.folded == fold(text))
        .where(tags.c.canonical_id.is_(None), tags.c.blocked.is_(False))
        .order_by(tags.c.article_count.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        return conn.execute(query).scalar()


def tag_articles(
    engine: Engine,
    tag_id: int,
    cursor: Cursor | None,
    limit: int,
    filters: TagFilters | None = None,
) -> Page:
    """The tag's stories, newest first, each once: its newest article carrying the tag
    (of those the filters let through, so a story in French shows its French article)."""
    filters = filters or TagFilters()
    query = (
        article_select()
        .join(article_tags, article_tags.c.article_id == articles.c.id)
        .where(article_tags.c.tag_id == tag_id)
        .where(articles.c.duplicate_of.is_(None))
        .where(*article_conditions(filters, articles, article_tags.c.published_at))
        .where(~_newer_in_story(tag_id, filters))
    )
    order = (article_tags.c.published_at, article_tags.c.article_id)
    return articles_page(engine, query, order, cursor, limit)


def latest_articles(engine: Engine, cursor: Cursor | None, limit: int) -> Page:
    """The latest stories, each once: its newest article."""
    query = article_select().where(articles.c.duplicate_of.is_(None)).where(~_newer_in_story())
    return articles_page(engine, query, (articles.c.published_at, articles.c.id), cursor, limit)


def _newer_in_story(tag_id: int | None = None, filters: TagFilters | None = None) -> Exists:
    """A newer article of the same story (carrying the tag, when one is given, and let
    through by the filters) exists."""
    newer = articles.alias("newer")
    query = select(newer.c.id).where(
        newer.c.story_id == articles.c.story_id,
        newer.c.duplicate_of.is_(None),
        or_(
            newer.c.published_at > articles.c.published_at,
            and_(newer.c.published_at == articles.c.published_at, newer.c.id > articles.c.id),
        ),
    )
    if tag_id is not None:
        tagged = article_tags.alias("tagged")
        query = query.join(tagged, tagged.c.article_id == newer.c.id).where(
            tagged.c.tag_id == tag_id
        )
    if filters:
        query = query.where(*article_conditions(filters, newer))
    return query.exists()


def story_page(engine: Engine, story_id: int) -> StoryView | None:
    """A story and its whole coverage, oldest first; for a story another absorbed, the
    story that holds its articles now (its id differs from ``story_id``)."""
    with engine.connect() as conn:
        row = conn.execute(select(stories).where(stories.c.id == story_id)).first()
        for _ in range(MERGE_HOPS):
            if row is None or row.merged_into is None:
                break
            row = conn.execute(select(stories).where(stories.c.id == row.merged_into)).first()
        if row is None:
            return None
        coverage = _coverage(conn, [row.id])[row.id]
    return StoryView(
        row.id,
        row.title,
        row.first_seen_at,
        row.last_seen_at,
        row.article_count,
        row.outlet_count,
        tuple(coverage),
    )


def _coverage(conn, story_ids: list[int]) -> dict[int, list[Coverage]]:
    found: dict[int, list[Coverage]] = {i: [] for i in story_ids}
    if not story_ids:
        return found
    query = (
        select(
            articles.c.id,
            articles.c.story_id,
            articles.c.title,
            articles.c.url,
            articles.c.published_at,
            articles.c.language,
            articles.c.duplicate_of,
            outlets.c.name.label("outlet"),
            outlets.c.slug.label("outlet_slug"),
            outlets.c.country.label("outlet_country"),
            outlets.c.state_affiliated.label("outlet_state_affiliated"),
        )
        .join(outlets, outlets.c.id == articles.c.outlet_id)
        .where(articles.c.story_id.in_(story_ids))
        .order_by(articles.c.published_at, articles.c.id)
    )
    for r in conn.execute(query):
        found[r.story_id].append(
            Coverage(
                r.id,
                r.title,
                r.url,
                r.outlet,
                r.published_at,
                r.language,
                duplicate=r.duplicate_of is not None,
                outlet_slug=r.outlet_slug,
                outlet_country=r.outlet_country,
                outlet_state_affiliated=r.outlet_state_affiliated,
            )
        )
    return found


def get_article(engine: Engine, article_id: int) -> ArticleView | None:
    with engine.connect() as conn:
        row = conn.execute(article_select().where(articles.c.id == article_id)).first()
        if row is None:
            return None
        return _views(conn, [row])[0]


def top_tags(engine: Engine, limit: int = 30, days: int | None = None) -> list[TagInfo]:
    """The tags on the most articles: of all time from each tag's kept count (one read of
    the tags table, not of every article's tags), or counted over the last ``days``."""
    if days is None:
        query = (
            select(tags.c.id, tags.c.label, tags.c.slug, tags.c.kind, tags.c.article_count)
            .where(
                tags.c.article_count > 0,
                tags.c.canonical_id.is_(None),
                tags.c.blocked.is_(False),
            )
            .order_by(tags.c.article_count.desc(), tags.c.label)
            .limit(limit)
        )
    else:
        count = func.count(article_tags.c.article_id)
        query = (
            select(tags.c.id, tags.c.label, tags.c.slug, tags.c.kind, count.label("article_count"))
            .join(article_tags, article_tags.c.tag_id == tags.c.id)
            .where(article_tags.c.published_at >= datetime.now(UTC) - timedelta(days=days))
            .group_by(tags.c.id, tags.c.label, tags.c.slug, tags.c.kind)
            .order_by(count.desc(), tags.c.label)
            .limit(limit)
        )
    with engine.connect() as conn:
        return [
            TagInfo(r.id, r.label, r.slug, r.kind, r.article_count, ()) for r in conn.execute(query)
        ]


def count_articles(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(articles)).scalar() or 0)


def article_select() -> Select:
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
        articles.c.story_id,
        outlets.c.name.label("outlet"),
        outlets.c.slug.label("outlet_slug"),
        outlets.c.country.label("outlet_country"),
        outlets.c.state_affiliated.label("outlet_state_affiliated"),
    ).join(outlets, outlets.c.id == articles.c.outlet_id)


def articles_page(engine, query, order, cursor: Cursor | None, limit: int) -> Page:
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


def tag_links(conn: Connection, ids: list[int]) -> dict[int, list[TagLink]]:
    """Every tag of each of the articles ``ids``, the most salient first."""
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
    return links


def _views(conn, rows) -> list[ArticleView]:
    links = tag_links(conn, [r.id for r in rows])
    coverage = _coverage(conn, sorted({r.story_id for r in rows if r.story_id is not None}))
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
            story_id=r.story_id,
            coverage=tuple(c for c in coverage.get(r.story_id, ()) if c.id != r.id),
            outlet_country=r.outlet_country,
            outlet_state_affiliated=r.outlet_state_affiliated,
        )
        for r in rows
    ]
