"""Placing a new article in its story, as it is stored.

First duplicates: articles sharing an LSH band of the new one's MinHash are compared, and
a repeat of a stored text (syndication, wire copy) joins that article's story as one more
source of it. Otherwise the stories with an article near it in time filed under one of
its keys (its tags and key terms) are the candidates, and ``enrich.stories.choose_story``
picks one or none (a new story). Online and incremental: nothing is clustered again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache

from sqlalchemy import (
    CompoundSelect,
    Connection,
    Row,
    bindparam,
    delete,
    distinct,
    func,
    insert,
    select,
    union_all,
    update,
)

from tagwire.enrich.duplicates import band_keys, headlines_agree, is_duplicate
from tagwire.enrich.stories import (
    STORY_WINDOW,
    StoryCandidate,
    StoryFeatures,
    choose_story,
    lookup_keys,
    story_title,
)
from tagwire.store.schema import UTCDateTime, article_bands, article_keys, articles, stories

CANDIDATE_STORIES = 20  # the stories sharing the most keys with the new article
# Articles read per key, the most recent in the window: bounds the cost of a common key
# (a country on every other article) whatever the corpus size.
ARTICLES_PER_KEY = 60
MAX_KEYS = 24  # an article's keys looked up: its tags (the cap is 15) and key terms (5)
DUPLICATE_CANDIDATES = 50


def place_in_story(
    conn: Connection,
    article_id: int,
    features: StoryFeatures,
    signature: Sequence[int],
) -> int:
    """Give the stored article its story (and the article it repeats, if any); its id."""
    original = find_duplicate(conn, article_id, features, signature) if signature else None
    if signature:
        remember_bands(conn, article_id, signature)
    if original is not None:
        story_id = original.story_id or start_story(conn, original.id)
        conn.execute(
            update(articles)
            .where(articles.c.id == article_id)
            .values(duplicate_of=original.id, story_id=story_id)
        )
    else:
        keys = list(dict.fromkeys(key[:200] for key in lookup_keys(features)))[:MAX_KEYS]
        chosen = choose_story(features, candidate_stories(conn, article_id, features, keys))
        story_id = chosen if chosen is not None else start_story(conn, article_id)
        file_keys(conn, article_id, features, keys)
        conn.execute(update(articles).where(articles.c.id == article_id).values(story_id=story_id))
    refresh_story(conn, story_id)
    return story_id


def find_duplicate(
    conn: Connection, article_id: int, features: StoryFeatures, signature: Sequence[int]
) -> Row | None:
    """The earliest article published within the window whose text this one repeats under
    a headline that agrees with its own."""
    title = conn.execute(select(articles.c.title).where(articles.c.id == article_id)).scalar()
    sharing = (
        select(article_bands.c.article_id)
        .distinct()
        .where(article_bands.c.band.in_(band_keys(signature)))
        .where(article_bands.c.article_id != article_id)
        .limit(DUPLICATE_CANDIDATES)
    )
    query = (
        select(
            articles.c.id,
            articles.c.title,
            articles.c.story_id,
            articles.c.signature,
            articles.c.duplicate_of,
        )
        .where(articles.c.id.in_(sharing))
        .where(articles.c.published_at >= features.published_at - STORY_WINDOW)
        .where(articles.c.published_at <= features.published_at + STORY_WINDOW)
        .order_by(articles.c.id)
    )
    for row in conn.execute(query):
        if not row.signature or not is_duplicate(signature, row.signature):
            continue
        if not headlines_agree(title or "", row.title):
            continue
        if row.duplicate_of is not None:
            return conn.execute(
                select(articles.c.id, articles.c.story_id).where(articles.c.id == row.duplicate_of)
            ).first()
        return row
    return None


def refresh_placement(
    conn: Connection, article_id: int, published_at: datetime, signature: Sequence[int]
) -> None:
    """An article updated in place: its keys move with its date, its bands with its text,
    and its story's counts, time span and title follow."""
    story_id = conn.execute(select(articles.c.story_id).where(articles.c.id == article_id)).scalar()
    if story_id is None:
        return
    conn.execute(
        update(article_keys)
        .where(article_keys.c.article_id == article_id)
        .values(published_at=published_at)
    )
    conn.execute(delete(article_bands).where(article_bands.c.article_id == article_id))
    if signature:
        remember_bands(conn, article_id, signature)
    refresh_story(conn, story_id)


def remember_bands(conn: Connection, article_id: int, signature: Sequence[int]) -> None:
    keys = sorted(set(band_keys(signature)))
    if keys:
        conn.execute(insert(article_bands), [{"band": k, "article_id": article_id} for k in keys])


def candidate_stories(
    conn: Connection, article_id: int, features: StoryFeatures, keys: list[str]
) -> list[StoryCandidate]:
    """The stories sharing the most of ``keys`` through their articles within the window."""
    if not keys:
        return []
    window = {
        "article_id": article_id,
        "lo": features.published_at - STORY_WINDOW,
        "hi": features.published_at + STORY_WINDOW,
    }
    slots = {f"key{i}": keys[i] if i < len(keys) else "" for i in range(MAX_KEYS)}
    near = conn.execute(NEAR_STORIES, {**window, **slots})
    shared = Counter(story_id for (story_id,) in near)
    ranked = sorted(shared.items(), key=lambda kv: (-kv[1], -kv[0]))
    story_ids = [story_id for story_id, _ in ranked[:CANDIDATE_STORIES]]
    if not story_ids:
        return []
    members: dict[int, list[StoryFeatures]] = {i: [] for i in story_ids}
    query = select(articles.c.story_id, articles.c.story_features).where(
        articles.c.story_id.in_(story_ids),
        articles.c.duplicate_of.is_(None),
        articles.c.story_features.is_not(None),
        articles.c.published_at >= features.published_at - STORY_WINDOW,
        articles.c.published_at <= features.published_at + STORY_WINDOW,
    )
    for row in conn.execute(query):
        members[row.story_id].append(parsed_features(row.story_features))
    return [StoryCandidate(i, tuple(found)) for i, found in members.items() if found]


def near_stories_query(slots: int) -> CompoundSelect:
    """The stories of the most recent articles in the window under each of ``slots`` keys,
    one row per article: built once, so a placement only binds its values."""
    per_key = [
        select(articles.c.story_id)
        .join(article_keys, article_keys.c.article_id == articles.c.id)
        .where(article_keys.c.key == bindparam(f"key{i}"))
        .where(article_keys.c.published_at >= bindparam("lo", type_=UTCDateTime()))
        .where(article_keys.c.published_at <= bindparam("hi", type_=UTCDateTime()))
        .where(articles.c.id != bindparam("article_id"), articles.c.story_id.is_not(None))
        .order_by(article_keys.c.published_at.desc())
        .limit(ARTICLES_PER_KEY)
        .subquery()
        for i in range(slots)
    ]
    return union_all(*(select(q.c.story_id) for q in per_key))


NEAR_STORIES = near_stories_query(MAX_KEYS)


def file_keys(conn: Connection, article_id: int, features: StoryFeatures, keys: list[str]) -> None:
    """File the article under its keys, for the articles after it to find its story."""
    if keys:
        rows = [
            {"key": k, "article_id": article_id, "published_at": features.published_at}
            for k in keys
        ]
        conn.execute(insert(article_keys), rows)


@lru_cache(maxsize=20_000)
def parsed_features(stored: str) -> StoryFeatures:
    """Stored features, parsed once per process: recent stories are read again and again."""
    return StoryFeatures.from_json(stored)


def start_story(conn: Connection, article_id: int) -> int:
    """A new story of one article (its counts and title are set by ``refresh_story``)."""
    row = conn.execute(
        select(articles.c.title, articles.c.published_at).where(articles.c.id == article_id)
    ).one()
    result = conn.execute(
        insert(stories).values(
            title=row.title,
            first_seen_at=row.published_at,
            last_seen_at=row.published_at,
            article_count=1,
            outlet_count=1,
        )
    )
    story_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    conn.execute(update(articles).where(articles.c.id == article_id).values(story_id=story_id))
    return story_id


def refresh_story(conn: Connection, story_id: int) -> None:
    """Counts, time span and title from the story's articles as they are now. The story's
    row is locked first (PostgreSQL), so two workers adding to one story count both."""
    conn.execute(select(stories.c.id).where(stories.c.id == story_id).with_for_update())
    summary = conn.execute(
        select(
            func.count(),
            func.count(distinct(articles.c.outlet_id)),
            func.min(articles.c.published_at),
            func.max(articles.c.published_at),
        ).where(articles.c.story_id == story_id)
    ).one()
    count, outlets, first, last = summary
    conn.execute(
        update(stories)
        .where(stories.c.id == story_id)
        .values(
            title=representative_title(conn, story_id),
            article_count=count,
            outlet_count=outlets,
            first_seen_at=first,
            last_seen_at=last,
        )
    )


def representative_title(conn: Connection, story_id: int) -> str:
    rows = list(
        conn.execute(
            select(articles.c.title, articles.c.story_features)
            .where(articles.c.story_id == story_id, articles.c.duplicate_of.is_(None))
            .order_by(articles.c.published_at, articles.c.id)
        )
    )
    with_features = [(r.title, parsed_features(r.story_features)) for r in rows if r.story_features]
    if with_features:
        return story_title(with_features)
    return rows[0].title if rows else ""
