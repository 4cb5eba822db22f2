"""Article rows: what a feed already gave us, and saving one article with its tags.

An article is identified by its feed and guid, then by its canonical URL across feeds, so
re-fetching never duplicates it; a changed entry updates the row in place.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, case, or_, select

from tagwire.feeds.text import strip_control
from tagwire.models import ArticleDraft
from tagwire.store.outlets import outlet_id_for
from tagwire.store.schema import articles
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
    return article_id, created


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
        "publisher_tags": list(draft.publisher_tags),
        "extraction_status": draft.extraction_status,
        "extraction_error": draft.extraction_error,
        "entry_hash": draft.entry_hash,
        "published_at": draft.published_at,
        "updated_at": now,
    }
    # Last line of defence: whatever a parser let through, no control character is stored.
    return {k: strip_control(v) if isinstance(v, str) else v for k, v in row.items()}
