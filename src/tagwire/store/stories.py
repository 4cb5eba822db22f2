"""Placing a new article in its story, as it is stored.

First duplicates: articles sharing an LSH band of the new one's MinHash are compared, and
a repeat of a stored text (syndication, wire copy) joins that article's story as one more
source of it. Otherwise the stories with an article near it in time filed under one of
its keys (its tags and key terms) are the candidates, and ``enrich.stories.choose_story``
picks one or none (a new story). Online and incremental: nothing is clustered again, but
the story the article joins absorbs the candidate stories of one or two articles that
``enrich.stories.absorbed_stories`` names (their articles and keys move to it).

Placing happens once per stored article, so its cost is bounded whatever the corpus size
(``bench/story_placement.py``): each read goes through an index to the few rows near the
article in time, and the queries are built once, so a placement only binds values
(building and compiling a statement costs as much as running it on SQLite).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache, lru_cache

from sqlalchemy import (
    Connection,
    Row,
    Select,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    select,
    union_all,
    update,
)

from tagwire.enrich.duplicates import BANDS, band_keys, headlines_agree, is_duplicate
from tagwire.enrich.stories import (
    MEMBERS_PER_STORY,
    STORY_WINDOW,
    StoryCandidate,
    StoryFeatures,
    absorbed_stories,
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

# The window around the new article's date, bound as "lo" and "hi".
LO = bindparam("lo", type_=UTCDateTime())
HI = bindparam("hi", type_=UTCDateTime())


def place_in_story(
    conn: Connection,
    article_id: int,
    features: StoryFeatures,
    signature: Sequence[int],
) -> int:
    """Give the stored article its story (and the article it repeats, if any); its id."""
    article = conn.execute(ARTICLE, {"article_id": article_id}).one()
    window = {
        "article_id": article_id,
        "lo": features.published_at - STORY_WINDOW,
        "hi": features.published_at + STORY_WINDOW,
    }
    bands = band_keys(signature) if signature else []
    original = find_duplicate(conn, window, article.title, signature, bands)
    remember_bands(conn, article_id, bands)
    if original is not None:
        story_id = original.story_id or start_story(conn, original.id)
        conn.execute(
            MARK_DUPLICATE, {"article_id": article_id, "original": original.id, "story": story_id}
        )
        story_joined(conn, story_id, article_id)
        return story_id
    keys = list(dict.fromkeys(key[:200] for key in lookup_keys(features)))[:MAX_KEYS]
    candidates = candidate_stories(conn, window, keys)
    chosen = choose_story(features, candidates)
    story_id = chosen if chosen is not None else start_story(conn, article_id, article)
    file_keys(conn, article_id, story_id, features, keys)
    if chosen is not None:
        conn.execute(JOIN_STORY, {"article_id": article_id, "story": story_id})
        absorbed = absorbed_stories(features, story_id, candidates)
        for other in absorbed:
            move_story(conn, other, story_id)
        if absorbed:
            refresh_story(conn, story_id)
        else:
            story_joined(conn, story_id, article_id)
    # A story the article starts is already as ``refresh_story`` would leave it.
    return story_id


ARTICLE = select(articles.c.title, articles.c.published_at).where(
    articles.c.id == bindparam("article_id")
)
JOIN_STORY = (
    update(articles)
    .where(articles.c.id == bindparam("article_id"))
    .values(story_id=bindparam("story"))
)
MARK_DUPLICATE = (
    update(articles)
    .where(articles.c.id == bindparam("article_id"))
    .values(duplicate_of=bindparam("original"), story_id=bindparam("story"))
)


def find_duplicate(
    conn: Connection,
    window: dict[str, object],
    title: str | None,
    signature: Sequence[int],
    bands: Sequence[str],
) -> Row | None:
    """The earliest article published within the window whose text this one repeats under
    a headline that agrees with its own (``bands``: its signature's LSH bands)."""
    if not bands:
        return None
    slots = {f"band{i}": band for i, band in enumerate(bands)}
    for row in conn.execute(SHARING_BANDS, {**window, **slots}):
        if not row.signature or not is_duplicate(signature, row.signature):
            continue
        if not headlines_agree(title or "", row.title):
            continue
        if row.duplicate_of is not None:
            return conn.execute(ORIGINAL, {"original": row.duplicate_of}).first()
        return row
    return None


ORIGINAL = select(articles.c.id, articles.c.story_id).where(articles.c.id == bindparam("original"))

# Articles sharing one of the new one's ``BANDS`` bands ("band0"...), published within the
# window. One slot per band, not a list expanded on each call: a signature has them all.
SHARING_BANDS = (
    select(
        articles.c.id,
        articles.c.title,
        articles.c.story_id,
        articles.c.signature,
        articles.c.duplicate_of,
    )
    .where(
        articles.c.id.in_(
            select(article_bands.c.article_id)
            .distinct()
            .where(article_bands.c.band.in_([bindparam(f"band{i}") for i in range(BANDS)]))
            .where(article_bands.c.article_id != bindparam("article_id"))
            .limit(DUPLICATE_CANDIDATES)
        )
    )
    .where(articles.c.published_at >= LO, articles.c.published_at <= HI)
    .order_by(articles.c.id)
)


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
    remember_bands(conn, article_id, band_keys(signature) if signature else [])
    refresh_story(conn, story_id)


def remember_bands(conn: Connection, article_id: int, bands: Sequence[str]) -> None:
    keys = sorted(set(bands))
    if keys:
        conn.execute(ADD_BAND, [{"band": k, "article_id": article_id} for k in keys])


ADD_BAND = insert(article_bands)


def candidate_stories(
    conn: Connection, window: dict[str, object], keys: list[str]
) -> list[StoryCandidate]:
    """The stories sharing the most of ``keys`` through their articles within the window,
    the most shared first (the newest story on a tie), each with its members in the window
    (its ``MEMBERS_PER_STORY`` latest), read in one statement."""
    if not keys:
        return []
    slots = {f"key{i}": key for i, key in enumerate(keys)}
    members: dict[int, list[StoryFeatures]] = {}
    for row in conn.execute(candidates_query(len(keys)), {**window, **slots}):
        members.setdefault(row.story_id, []).append(parsed_features(row.story_features))
    return [StoryCandidate(i, tuple(found)) for i, found in members.items()]


@cache
def candidates_query(slots: int) -> Select[tuple[int, str]]:
    """The features of the members of the stories ``near_stories`` ranks for ``slots``
    keys, story by story in that rank (each in the order of the articles' ids): their
    ``MEMBERS_PER_STORY`` latest articles in the window, ranked from the story index alone
    (it holds story, date and id), repeats aside. Built once per number of keys."""
    near = near_stories(slots).subquery()
    published = articles.c.published_at
    latest = (
        select(
            articles.c.id,
            near.c.shared,
            func.row_number()
            .over(
                partition_by=articles.c.story_id, order_by=(published.desc(), articles.c.id.desc())
            )
            .label("rank"),
        )
        .join(near, articles.c.story_id == near.c.story_id)
        .where(published >= LO, published <= HI)
        .subquery()
    )
    return (
        select(articles.c.story_id, articles.c.story_features)
        .join(latest, articles.c.id == latest.c.id)
        .where(
            latest.c.rank <= MEMBERS_PER_STORY,
            articles.c.duplicate_of.is_(None),
            articles.c.story_features.is_not(None),
        )
        .order_by(latest.c.shared.desc(), articles.c.story_id.desc(), articles.c.id)
    )


def near_stories(slots: int) -> Select[tuple[int, int]]:
    """The ``CANDIDATE_STORIES`` stories with the most of the most recent articles in the
    window under each of ``slots`` keys, read from the keys' index alone (it holds their
    story), with that number (``shared``). A story counts once per article and key."""
    per_key = [
        select(article_keys.c.story_id)
        .where(article_keys.c.key == bindparam(f"key{i}"))
        .where(article_keys.c.published_at >= LO, article_keys.c.published_at <= HI)
        .where(article_keys.c.article_id != bindparam("article_id"))
        .where(article_keys.c.story_id.is_not(None))
        .order_by(article_keys.c.published_at.desc(), article_keys.c.article_id.desc())
        .limit(ARTICLES_PER_KEY)
        .subquery()
        for i in range(slots)
    ]
    near = union_all(*(select(q.c.story_id) for q in per_key)).subquery()
    shared = func.count().label("shared")
    return (
        select(near.c.story_id, shared)
        .group_by(near.c.story_id)
        .order_by(shared.desc(), near.c.story_id.desc())
        .limit(CANDIDATE_STORIES)
    )


def file_keys(
    conn: Connection, article_id: int, story_id: int, features: StoryFeatures, keys: list[str]
) -> None:
    """File the article under its keys, for the articles after it to find its story."""
    if keys:
        filed = {"article_id": article_id, "published_at": features.published_at}
        conn.execute(ADD_KEY, [{"key": k, "story_id": story_id, **filed} for k in keys])


ADD_KEY = insert(article_keys)


@lru_cache(maxsize=20_000)
def parsed_features(stored: str) -> StoryFeatures:
    """Stored features, parsed once per process: recent stories are read again and again."""
    return StoryFeatures.from_json(stored)


def move_story(conn: Connection, story_id: int, into: int) -> None:
    """The articles of a story another absorbs join it, filed under their keys as its.
    The absorbed story's row stays, with no article, pointing at the story that took them
    (its address, perhaps in an alert already delivered, leads there)."""
    conn.execute(MOVE_KEYS, {"absorbed": story_id, "into": into})
    conn.execute(MOVE_ARTICLES, {"absorbed": story_id, "into": into})
    conn.execute(EMPTY_STORY, {"absorbed": story_id, "into": into})


MOVE_KEYS = (
    update(article_keys)
    .where(
        article_keys.c.article_id.in_(
            select(articles.c.id).where(articles.c.story_id == bindparam("absorbed"))
        )
    )
    .values(story_id=bindparam("into"))
)
MOVE_ARTICLES = (
    update(articles)
    .where(articles.c.story_id == bindparam("absorbed"))
    .values(story_id=bindparam("into"))
)
EMPTY_STORY = (
    update(stories)
    .where(stories.c.id == bindparam("absorbed"))
    .values(article_count=0, outlet_count=0, merged_into=bindparam("into"))
)


def start_story(conn: Connection, article_id: int, article: Row | None = None) -> int:
    """A new story of one article, with that article's title and date (its ``title`` and
    ``published_at``, read when not given)."""
    if article is None:
        article = conn.execute(ARTICLE, {"article_id": article_id}).one()
    result = conn.execute(
        NEW_STORY,
        {"title": article.title, "first": article.published_at, "last": article.published_at},
    )
    story_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    conn.execute(JOIN_STORY, {"article_id": article_id, "story": story_id})
    return story_id


NEW_STORY = insert(stories).values(
    title=bindparam("title"),
    first_seen_at=bindparam("first", type_=UTCDateTime()),
    last_seen_at=bindparam("last", type_=UTCDateTime()),
    article_count=1,
    outlet_count=1,
)


def refresh_story(conn: Connection, story_id: int) -> None:
    """Counts and time span from all the story's articles, counted by the database; the
    title from its ``MEMBERS_PER_STORY`` latest originals."""
    lock_story(conn, story_id)
    span = conn.execute(SPAN, {"story": story_id}).one()
    if not span.articles:
        return
    conn.execute(
        UPDATE_STORY,
        {
            "story": story_id,
            "new_title": latest_title(conn, story_id) or span.first_title,
            "articles": span.articles,
            "outlets": span.outlets,
            "first": span.first,
            "last": span.last,
        },
    )


def story_joined(conn: Connection, story_id: int, article_id: int) -> None:
    """One article more in the story: its counts and time span moved by that article alone
    (a story of thousands of articles costs what a small one does), its title from its
    latest originals, as ``refresh_story`` would leave them."""
    lock_story(conn, story_id)
    conn.execute(COUNT_JOINED, {"story": story_id, "article_id": article_id})
    title = latest_title(conn, story_id)
    if title is not None:
        conn.execute(RETITLE, {"story": story_id, "new_title": title})


def lock_story(conn: Connection, story_id: int) -> None:
    """The story's row locked on PostgreSQL, so two workers adding to one story count both
    (SQLite has one writer at a time: nothing to lock, no query)."""
    if conn.dialect.name == "postgresql":
        conn.execute(LOCK_STORY, {"story": story_id})


def latest_title(conn: Connection, story_id: int) -> str | None:
    """The representative headline of the story's latest originals; ``None`` if it has none."""
    latest = list(conn.execute(LATEST_ORIGINALS, {"story": story_id}))
    return representative_title(latest[::-1]) if latest else None


_JOINED = articles.alias("joined")
_JOINED_OUTLET = (
    select(_JOINED.c.outlet_id).where(_JOINED.c.id == bindparam("article_id")).scalar_subquery()
)
_JOINED_AT = (
    select(_JOINED.c.published_at).where(_JOINED.c.id == bindparam("article_id")).scalar_subquery()
)
# Another article of the joined one's outlet already in the story (index on story, outlet).
_OUTLET_THERE = exists().where(
    articles.c.story_id == bindparam("story"),
    articles.c.outlet_id == _JOINED_OUTLET,
    articles.c.id != bindparam("article_id"),
)
COUNT_JOINED = (
    update(stories)
    .where(stories.c.id == bindparam("story"))
    .values(
        article_count=stories.c.article_count + 1,
        outlet_count=stories.c.outlet_count + case((_OUTLET_THERE, 0), else_=1),
        first_seen_at=case(
            (stories.c.first_seen_at > _JOINED_AT, _JOINED_AT), else_=stories.c.first_seen_at
        ),
        last_seen_at=case(
            (stories.c.last_seen_at < _JOINED_AT, _JOINED_AT), else_=stories.c.last_seen_at
        ),
    )
)
RETITLE = (
    update(stories).where(stories.c.id == bindparam("story")).values(title=bindparam("new_title"))
)
LOCK_STORY = select(stories.c.id).where(stories.c.id == bindparam("story")).with_for_update()
UPDATE_STORY = (
    update(stories)
    .where(stories.c.id == bindparam("story"))
    .values(
        title=bindparam("new_title"),
        article_count=bindparam("articles"),
        outlet_count=bindparam("outlets"),
        first_seen_at=bindparam("first", type_=UTCDateTime()),
        last_seen_at=bindparam("last", type_=UTCDateTime()),
    )
)


_IN_STORY = articles.c.story_id == bindparam("story")
_FIRST_TITLE = (
    select(articles.c.title)
    .where(_IN_STORY)
    .order_by(articles.c.published_at, articles.c.id)
    .limit(1)
    .scalar_subquery()
)
SPAN = select(
    func.count().label("articles"),
    func.count(articles.c.outlet_id.distinct()).label("outlets"),
    func.min(articles.c.published_at).label("first"),
    func.max(articles.c.published_at).label("last"),
    _FIRST_TITLE.label("first_title"),
).where(_IN_STORY)
# The story's latest originals with their features, newest first.
LATEST_ORIGINALS = (
    select(articles.c.title, articles.c.story_features)
    .where(_IN_STORY, articles.c.duplicate_of.is_(None), articles.c.story_features.is_not(None))
    .order_by(articles.c.published_at.desc(), articles.c.id.desc())
    .limit(MEMBERS_PER_STORY)
)


def representative_title(originals: Sequence[Row]) -> str:
    """The headline closest to the centroid of ``originals`` (oldest first), "" if none."""
    return story_title([(r.title, parsed_features(r.story_features)) for r in originals])
