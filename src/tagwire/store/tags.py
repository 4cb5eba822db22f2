"""Tag rows: find or create tags by slug, keep their aliases, link them to articles."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, delete, func, select, update

from tagwire.models import TagScore
from tagwire.store.schema import article_tags, tag_aliases, tags


@dataclass(frozen=True, slots=True)
class StoredTag:
    label: str
    kind: str
    aliases: tuple[str, ...]


def link_tags(
    conn: Connection, article_id: int, published_at: datetime, scores: Iterable[TagScore]
) -> None:
    """Replace the article's tag links with ``scores``; keep tag counts right."""
    previous = set(
        conn.execute(select(article_tags.c.tag_id).where(article_tags.c.article_id == article_id))
        .scalars()
        .all()
    )
    conn.execute(delete(article_tags).where(article_tags.c.article_id == article_id))
    current: set[int] = set()
    for score in scores:
        tag_id = tag_id_for(conn, score)
        if tag_id in current:
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


def tag_id_for(conn: Connection, score: TagScore) -> int:
    found = conn.execute(select(tags.c.id).where(tags.c.slug == score.slug)).scalar()
    if found is None:
        result = conn.execute(
            tags.insert().values(
                label=score.label,
                slug=score.slug,
                kind=score.kind,
                article_count=0,
                created_at=datetime.now(UTC),
            )
        )
        found = result.inserted_primary_key[0]  # type: ignore[index]
    tag_id = int(found)
    known = set(
        conn.execute(select(tag_aliases.c.alias).where(tag_aliases.c.tag_id == tag_id)).scalars()
    )
    for alias in {score.label, *score.aliases} - known:
        conn.execute(tag_aliases.insert().values(tag_id=tag_id, alias=alias[:300]))
    return tag_id


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
        .where(tags.c.article_count >= min_articles)
        .order_by(tags.c.id)
    )
    grouped: dict[int, StoredTag] = {}
    with engine.connect() as conn:
        for row in conn.execute(query):
            tag = grouped.get(row.id) or StoredTag(row.label, row.kind, ())
            grouped[row.id] = StoredTag(tag.label, tag.kind, (*tag.aliases, row.alias))
    return list(grouped.values())
