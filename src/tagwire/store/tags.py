"""Tag rows: find or create tags by slug, keep their aliases, link them to articles."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, Row, delete, func, select, update

from tagwire.enrich.names import fold
from tagwire.models import TagScore
from tagwire.store.schema import article_tags, tag_aliases, tags

MAX_REDIRECTS = 10
MAX_LABEL = 200  # tags.label and tags.slug
MAX_ALIAS = 300  # tag_aliases.alias


@dataclass(frozen=True, slots=True)
class StoredTag:
    label: str
    kind: str
    aliases: tuple[str, ...]


def link_tags(
    conn: Connection, article_id: int, published_at: datetime, scores: Iterable[TagScore]
) -> None:
    """Replace the article's tag links with ``scores``; keep tag counts right. A score whose
    tag was renamed or merged goes to the tag it is now; a blocked tag is left out."""
    previous = set(
        conn.execute(select(article_tags.c.tag_id).where(article_tags.c.article_id == article_id))
        .scalars()
        .all()
    )
    conn.execute(delete(article_tags).where(article_tags.c.article_id == article_id))
    current: set[int] = set()
    for score in scores:
        if not storable(score):
            continue
        tag_id = tag_id_for(conn, score)
        if tag_id is None or tag_id in current:
            continue
        current.add(tag_id)
        conn.execute(
            article_tags.insert().values(
                article_id=article_id,
                tag_id=tag_id,
                salience=score.salience,
                mentions=score.mentions,
                published_at=published_at,
            )
        )
    refresh_counts(conn, previous | current)


def storable(score: TagScore) -> bool:
    """A tag the columns can hold and a URL can carry: never an empty or overlong label
    or slug, whatever a tagger or a hostile text produced."""
    return 0 < len(score.label) <= MAX_LABEL and 0 < len(score.slug) <= MAX_LABEL


def tag_id_for(conn: Connection, score: TagScore) -> int | None:
    """The id of the score's tag, created when new; None when the tag is blocked."""
    row = resolve_slug(conn, score.slug)
    if row is None:
        result = conn.execute(
            tags.insert().values(
                label=score.label,
                slug=score.slug,
                kind=score.kind,
                article_count=0,
                created_at=datetime.now(UTC),
            )
        )
        tag_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    elif row.blocked:
        return None
    else:
        tag_id = int(row.id)
    names = {name for name in (score.label, *score.aliases) if 0 < len(name) <= MAX_ALIAS}
    add_aliases(conn, tag_id, names, origin="text")
    return tag_id


def resolve_slug(conn: Connection, slug: str) -> Row | None:
    """The tag row a slug stands for, through renames and merges."""
    row = conn.execute(select(tags).where(tags.c.slug == slug)).first()
    for _ in range(MAX_REDIRECTS):
        if row is None or row.canonical_id is None:
            return row
        row = conn.execute(select(tags).where(tags.c.id == row.canonical_id)).first()
    return row


def add_aliases(conn: Connection, tag_id: int, aliases: Iterable[str], origin: str) -> set[str]:
    """Add the aliases the tag does not have yet; return those added."""
    known = set(
        conn.execute(select(tag_aliases.c.alias).where(tag_aliases.c.tag_id == tag_id)).scalars()
    )
    added = {alias[:300] for alias in aliases} - known
    for alias in sorted(added):
        conn.execute(
            tag_aliases.insert().values(
                tag_id=tag_id, alias=alias, origin=origin, folded=fold(alias)[:300]
            )
        )
    return added


def refresh_counts(conn: Connection, tag_ids: set[int]) -> None:
    for tag_id in tag_ids:
        count = (
            select(func.count())
            .select_from(article_tags)
            .where(article_tags.c.tag_id == tag_id)
            .scalar_subquery()
        )
        conn.execute(update(tags).where(tags.c.id == tag_id).values(article_count=count))


def stored_tags(engine: Engine, min_articles: int = 1) -> list[StoredTag]:
    """Tags already on articles, with their aliases, to extend the gazetteer."""
    query = (
        select(tags.c.id, tags.c.label, tags.c.kind, tag_aliases.c.alias)
        .join(tag_aliases, tag_aliases.c.tag_id == tags.c.id)
        .where(
            tags.c.article_count >= min_articles,
            tags.c.canonical_id.is_(None),
            tags.c.blocked.is_(False),
        )
        .order_by(tags.c.id)
    )
    grouped: dict[int, StoredTag] = {}
    with engine.connect() as conn:
        for row in conn.execute(query):
            tag = grouped.get(row.id) or StoredTag(row.label, row.kind, ())
            grouped[row.id] = StoredTag(tag.label, tag.kind, (*tag.aliases, row.alias))
    return list(grouped.values())
