"""Article rows: what a feed already gave us, and saving one article with its tags.

An article is identified by its feed and guid, then by its canonical URL across feeds, so
re-fetching never duplicates it; a changed entry updates the row in place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Connection, Engine, case, func, or_, select, update

from tagwire.enrich.stories import StoryFeatures
from tagwire.feeds.text import strip_control
from tagwire.models import ArticleDraft, TagScore
from tagwire.store.outlets import outlet_id_for
from tagwire.store.schema import articles, outlets
from tagwire.store.stories import place_in_story, refresh_placement
from tagwire.store.tags import link_tags


def seen_entries(engine: Engine, feed_id: int, guids: Iterable[str]) -> dict[str, str]:
    """guid -> stored entry hash, for the guids of ``feed_id`` already stored."""
    guid_list = list(guids)
    found: dict[str, str] = {}
    with engine.connect() as conn:
        for start in range(0, len(guid_list), 500):
            chunk = guid_list[start : start + 500]
            query = select(articles.c.guid, articles.c.entry_hash).where(
                articles.c.feed_id == feed_id, articles.c.guid.in_(chunk)
            )
            found.update({row.guid: row.entry_hash for row in conn.execute(query)})
    return found


def save_article(engine: Engine, draft: ArticleDraft) -> tuple[int, bool]:
    """Insert or update one article and its tag links; return its id and whether it is new."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        outlet_id = outlet_id_for(conn, draft.outlet_name)
        values = _row(draft, outlet_id, now)
        existing = _existing_id(conn, draft, outlet_id)
        if existing is None:
            result = conn.execute(articles.insert().values(fetched_at=now, **values))
            article_id, created = int(result.inserted_primary_key[0]), True  # type: ignore[index]
        else:
            values.pop("feed_id")
            values.pop("guid")
            conn.execute(articles.update().where(articles.c.id == existing).values(**values))
            article_id, created = existing, False
        link_tags(conn, article_id, draft.published_at, draft.tags)
        if draft.story_features and (created or not _has_story(conn, article_id)):
            features = StoryFeatures.from_json(draft.story_features)
            place_in_story(conn, article_id, features, draft.signature)
        elif not created:
            refresh_placement(conn, article_id, draft.published_at, draft.signature)
    return article_id, created


def _has_story(conn: Connection, article_id: int) -> bool:
    query = select(articles.c.story_id).where(articles.c.id == article_id)
    return conn.execute(query).scalar() is not None


def _existing_id(conn: Connection, draft: ArticleDraft, outlet_id: int) -> int | None:
    """Same feed and guid; else the same outlet's article at the same canonical URL (one
    outlet often lists an article in several of its feeds)."""
    same_entry = (articles.c.feed_id == draft.feed_id) & (articles.c.guid == draft.guid)
    same_page = (articles.c.outlet_id == outlet_id) & (
        articles.c.canonical_url == draft.canonical_url
    )
    query = (
        select(articles.c.id)
        .where(or_(same_entry, same_page) if draft.canonical_url else same_entry)
        .order_by(case((same_entry, 0), else_=1), articles.c.id)
        .limit(1)
    )
    found = conn.execute(query).scalar()
    return int(found) if found is not None else None


def _row(draft: ArticleDraft, outlet_id: int, now: datetime) -> dict[str, object]:
    row = {
        "outlet_id": outlet_id,
        "feed_id": draft.feed_id,
        "guid": draft.guid,
        "url": draft.url,
        "canonical_url": draft.canonical_url,
        "title": draft.title,
        "author": draft.author,
        "summary": draft.summary,
        "text": draft.text,
        "language": draft.language,
        "section": draft.section,
        "category": draft.category,
        "category_source": draft.category_source,
        "category_confidence": draft.category_confidence,
        "publisher_tags": list(draft.publisher_tags),
        "extraction_status": draft.extraction_status,
        "extraction_error": draft.extraction_error,
        "entry_hash": draft.entry_hash,
        "tagged_with": draft.tagged_with,
        "story_features": draft.story_features,
        "signature": list(draft.signature) or None,
        "published_at": draft.published_at,
        "updated_at": now,
    }
    # Last line of defence: whatever a parser let through, no control character is stored.
    return {k: strip_control(v) if isinstance(v, str) else v for k, v in row.items()}


@dataclass(frozen=True, slots=True)
class StoredText:
    """What tagging reads of a stored article."""

    id: int
    title: str
    text: str
    language: str | None
    outlet: str
    published_at: datetime
    story_id: int | None = None


@dataclass(frozen=True, slots=True)
class StoryPlacement:
    """What places a stored article in its story: features as JSON and its MinHash."""

    features: str
    signature: tuple[int, ...]


def count_to_retag(engine: Engine, version: str, everything: bool = False) -> int:
    query = select(func.count()).select_from(articles)
    if not everything:
        query = query.where(out_of_date(version))
    with engine.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


def articles_to_retag(
    engine: Engine, version: str, after_id: int, limit: int, everything: bool = False
) -> list[StoredText]:
    """The next ``limit`` articles after ``after_id`` whose tags are out of date (or all)."""
    query = (
        select(
            articles.c.id,
            articles.c.title,
            articles.c.text,
            articles.c.language,
            articles.c.published_at,
            articles.c.story_id,
            outlets.c.name.label("outlet"),
        )
        .join(outlets, outlets.c.id == articles.c.outlet_id)
        .where(articles.c.id > after_id)
        .order_by(articles.c.id)
        .limit(limit)
    )
    if not everything:
        query = query.where(out_of_date(version))
    with engine.connect() as conn:
        return [
            StoredText(r.id, r.title, r.text, r.language, r.outlet, r.published_at, r.story_id)
            for r in conn.execute(query)
        ]


def save_tags(
    engine: Engine,
    tagged: Sequence[tuple[StoredText, Sequence[TagScore]]],
    version: str,
    placements: Mapping[int, StoryPlacement] | None = None,
) -> None:
    """New tags for stored articles, in one transaction, stamped with the tagger's version;
    an article stored before stories existed is placed in its story (``placements``)."""
    with engine.begin() as conn:
        for article, scores in tagged:
            link_tags(conn, article.id, article.published_at, scores)
            conn.execute(
                update(articles).where(articles.c.id == article.id).values(tagged_with=version)
            )
            placement = (placements or {}).get(article.id)
            if placement is not None and not _has_story(conn, article.id):
                conn.execute(
                    update(articles)
                    .where(articles.c.id == article.id)
                    .values(
                        story_features=placement.features,
                        signature=list(placement.signature) or None,
                    )
                )
                features = StoryFeatures.from_json(placement.features)
                place_in_story(conn, article.id, features, placement.signature)


def out_of_date(version: str) -> ColumnElement[bool]:
    """Tagged by another version, or marked to be tagged again (None). Written as two
    ranges rather than ``!=`` so that both use the index on ``tagged_with``."""
    column = articles.c.tagged_with
    return or_(column.is_(None), column < version, column > version)
