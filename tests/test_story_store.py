"""The store's side of stories: placing articles as they are saved, duplicates found through
LSH bands, lists that show each story once, and articles stored before stories existed
placed by ``retag``."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, insert, select, update

from tagwire.drafts import describe_story
from tagwire.enrich.stories import STORY_WINDOW, StoryFeatures, normalised
from tagwire.retag import retag
from tagwire.store import open_store
from tagwire.store.articles import save_article
from tagwire.store.reads import find_tag, get_article, latest_articles, story_page, tag_articles
from tagwire.store.schema import article_keys, articles, stories
from tagwire.store.stories import (
    ARTICLES_PER_KEY,
    CANDIDATE_STORIES,
    MEMBERS_PER_STORY,
    candidate_stories,
    refresh_story,
)

from .factories import FLOOD, FLOOD_AGAIN, draft, feed, tag

ELECTION = (
    "Voters in Dakar queued from dawn to elect a new national assembly, with turnout reported"
    " above sixty percent at midday by the electoral commission of Senegal."
)
TAGS = (tag("Ségou", "segou"), tag("Niger", "niger", salience=0.6), tag("Mali", "mali", 0.4))


def stored(engine, feed_id: int, number: int, text: str, *, tags=TAGS, outlet="Outlet A") -> int:
    base = draft(feed_id, number, text=text, title=text.split(";")[0][:80], tags=tags)
    base = replace(base, outlet_name=outlet)
    features, signature = describe_story(
        base.title, base.text, "en", base.tags, base.published_at, outlet
    )
    article_id, _ = save_article(
        engine, replace(base, story_features=features, signature=signature)
    )
    return article_id


def test_reports_of_one_event_share_a_story_and_lists_show_it_once(engine):
    feed_id = feed(engine)
    first = stored(engine, feed_id, 3, FLOOD, outlet="Outlet A")
    second = stored(engine, feed_id, 2, FLOOD_AGAIN, outlet="Outlet B")
    other = stored(engine, feed_id, 1, ELECTION, tags=(tag("Senegal", "senegal"),))
    one, two = get_article(engine, first), get_article(engine, second)
    assert one.story_id == two.story_id != get_article(engine, other).story_id

    shown = latest_articles(engine, None, 10).articles
    assert [a.id for a in shown] == [other, second]  # the flood once: its newest report
    assert [c.outlet for c in shown[1].coverage] == ["Outlet A"]
    mali = tag_articles(engine, _tag_id(engine, "mali"), None, 10).articles
    assert [a.id for a in mali] == [second]

    story = story_page(engine, one.story_id)
    assert story.article_count == 2 and story.outlet_count == 2
    assert [c.id for c in story.articles] == [first, second]


def test_the_same_text_again_is_a_duplicate_in_the_story(engine):
    feed_id = feed(engine)
    first = stored(engine, feed_id, 2, FLOOD, outlet="Outlet A")
    copy = stored(engine, feed_id, 1, FLOOD, outlet="Wire Copy")
    with engine.connect() as conn:
        row = conn.execute(select(articles).where(articles.c.id == copy)).one()
    assert row.duplicate_of == first
    assert row.story_id == get_article(engine, first).story_id
    shown = latest_articles(engine, None, 10).articles
    assert [a.id for a in shown] == [first]
    assert [(c.outlet, c.duplicate) for c in shown[0].coverage] == [("Wire Copy", True)]


def test_an_article_bridging_a_lone_report_moves_it_into_its_story(engine):
    feed_id = feed(engine)

    def saved(number: int, words: list[str]) -> int:
        base = draft(feed_id, number, text=" ".join(words), title=words[0])
        features = StoryFeatures(
            normalised((word, 1.0) for word in words),
            normalised([("vote", 1.0)]),
            base.published_at,
            "Outlet",
        )
        article_id, _ = save_article(
            engine, replace(base, story_features=features.to_json(), signature=())
        )
        return article_id

    first = saved(3, ["ballot", "recount", "turnout", "quorum", "annul"])
    lone = saved(2, ["tally", "precinct", "abstain", "sworn", "annul"])
    absorbed = get_article(engine, lone).story_id
    assert absorbed != get_article(engine, first).story_id
    bridge = saved(1, ["ballot", "recount", "turnout", "tally", "precinct", "abstain", "annul"])
    story_id = get_article(engine, bridge).story_id
    assert {get_article(engine, n).story_id for n in (first, lone)} == {story_id}
    with engine.connect() as conn:
        filed = set(conn.execute(select(article_keys.c.story_id)).scalars())
    assert filed == {story_id}  # later articles find the lone report under its new story
    assert story_page(engine, story_id).article_count == 3
    assert story_page(engine, absorbed).id == story_id  # its address leads to the story
    with engine.connect() as conn:
        row = conn.execute(select(stories).where(stories.c.id == absorbed)).one()
    assert (row.article_count, row.merged_into) == (0, story_id)


def test_retag_places_articles_stored_before_stories(engine, tagger):
    feed_id = feed(engine)
    drafts = [draft(feed_id, n, text=t) for n, t in enumerate([FLOOD, FLOOD_AGAIN])]
    ids = [save_article(engine, d)[0] for d in drafts]
    with engine.begin() as conn:
        conn.execute(update(articles).values(tagged_with=None))
    assert all(get_article(engine, i).story_id is None for i in ids)
    assert retag(engine, tagger) == 2
    placed = [get_article(engine, i).story_id for i in ids]
    assert None not in placed and placed[0] == placed[1]


def _tag_id(engine, slug: str) -> int:
    found = find_tag(engine, slug)
    assert found is not None
    return found.id


CONSENT = (
    "We use cookies and similar technologies to run this site, measure its audience and show"
    " you offers; by continuing you accept them. You can change your choices at any time in"
    " the privacy settings at the bottom of every page. Subscribe to read the whole article."
)


def test_two_articles_behind_the_same_boilerplate_are_not_duplicates(engine):
    feed_id = feed(engine)
    floods = stored(engine, feed_id, 2, CONSENT, tags=(tag("Mopti", "mopti"),))
    with engine.begin() as conn:  # give it its own headline: stored() takes it from the text
        conn.execute(update(articles).where(articles.c.id == floods).values(title="Mopti floods"))
    vote = draft(feed_id, 1, text=CONSENT, title="Election results announced in Dakar")
    features, signature = describe_story(
        vote.title, vote.text, "en", vote.tags, vote.published_at, "Outlet A"
    )
    vote_id, _ = save_article(engine, replace(vote, story_features=features, signature=signature))
    with engine.connect() as conn:
        assert (
            conn.execute(select(articles.c.duplicate_of).where(articles.c.id == vote_id)).scalar()
            is None
        )
    assert vote_id in [a.id for a in latest_articles(engine, None, 10).articles]


def test_an_article_updated_in_place_moves_its_story_with_it(engine):
    feed_id = feed(engine)
    first = stored(engine, feed_id, 30, FLOOD)
    later = replace(
        draft(feed_id, 30, text=FLOOD, title="Ségou floods: the toll rises", tags=TAGS),
        published_at=get_article(engine, first).published_at + timedelta(days=5),
    )
    save_article(engine, later)
    story = story_page(engine, get_article(engine, first).story_id)
    assert story.title == "Ségou floods: the toll rises"
    assert story.last_seen_at == later.published_at


def test_placing_and_updating_an_article_read_every_table_through_an_index(tmp_path):
    """No statement of a placement (a new story, a story joined, a duplicate) or of an update
    in place scans a table: each would cost in proportion to the corpus (SQLite's plans)."""
    engine = open_store(f"sqlite:///{tmp_path / 'plans.sqlite3'}")
    statements: list[tuple[str, object]] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        if not executemany and statement.lstrip().upper().startswith(
            ("SELECT", "UPDATE", "DELETE")
        ):
            statements.append((statement, parameters))

    feed_id = feed(engine)
    event.listen(engine, "before_cursor_execute", remember)
    first = stored(engine, feed_id, 4, FLOOD, outlet="Outlet A")
    stored(engine, feed_id, 3, FLOOD_AGAIN, outlet="Outlet B")
    stored(engine, feed_id, 2, FLOOD, outlet="Wire Copy")
    moved = get_article(engine, first).published_at + timedelta(hours=1)
    save_article(engine, replace(draft(feed_id, 4, text=FLOOD, tags=TAGS), published_at=moved))
    event.remove(engine, "before_cursor_execute", remember)

    scans = []
    with engine.connect() as conn:
        for statement, parameters in statements:
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            scans += [(statement, row[3]) for row in plan if SCAN.match(row[3])]
    assert statements and scans == []


SCAN = re.compile(r"SCAN (articles|article_keys|article_bands|stories)\b")


def test_candidate_stories_are_those_of_the_latest_articles_under_each_key(engine):
    """Per key, the ``ARTICLES_PER_KEY`` latest articles within the window count for their
    story; the stories sharing the most come first, the newest on a tie, each with its
    members in the order they were stored (their ids, here their dates too: the same on
    every engine, for the centroid adds them up in that order)."""
    feed_id = feed(engine)
    middle = datetime(2026, 3, 1, tzinfo=UTC)
    keyed = [(n, middle + timedelta(hours=n - 50), keys_of(n)) for n in range(100)]
    keyed += [(n, middle + timedelta(days=5, hours=n), keys_of(n)) for n in range(100, 110)]
    with engine.begin() as conn:
        for n, published, keys in keyed:
            story_id = n // 4 + 1
            if n % 4 == 0:
                conn.execute(
                    insert(stories).values(
                        id=story_id, title="S", first_seen_at=published, last_seen_at=published
                    )
                )
            insert_article(conn, feed_id, n + 1, published, story_id)
            conn.execute(
                insert(article_keys),
                [{"key": k, "article_id": n + 1, "published_at": published, "story_id": story_id}
                 for k in keys],
            )  # fmt: skip
        window = {"article_id": 0, "lo": middle - STORY_WINDOW, "hi": middle + STORY_WINDOW}
        found = candidate_stories(conn, window, ["tag:a", "tag:b", "term:c"])

    shared: Counter[int] = Counter()
    for key in ("tag:a", "tag:b", "term:c"):
        near = [
            (published, n)
            for n, published, keys in keyed
            if key in keys and abs(published - middle) <= STORY_WINDOW
        ]
        shared.update(n // 4 + 1 for _, n in sorted(near, reverse=True)[:ARTICLES_PER_KEY])
    ranked = sorted(shared, key=lambda story: (-shared[story], -story))[:CANDIDATE_STORIES]
    assert [c.story_id for c in found] == ranked
    assert all(len(c.members) == 4 for c in found)  # each story's articles in the window
    assert all(
        [m.published_at for m in c.members] == sorted(m.published_at for m in c.members)
        for c in found
    )


def keys_of(n: int) -> list[str]:
    return ["tag:a"] + ["tag:b"] * (n % 3 == 0) + ["term:c"] * (n % 7 == 0)


def insert_article(
    conn, feed_id: int, article_id: int, published: datetime, story_id: int, title: str = "T"
) -> None:
    """A stored article of the story, written straight into the table."""
    features = StoryFeatures((("flood", 1.0),), (), published, "Outlet")
    conn.execute(
        insert(articles).values(
            id=article_id, outlet_id=1, feed_id=feed_id, guid=f"g{article_id}",
            url=f"u{article_id}", canonical_url=f"u{article_id}", title=title, publisher_tags=[],
            extraction_status="full", published_at=published, fetched_at=published,
            updated_at=published, story_id=story_id, story_features=features.to_json(),
        )
    )  # fmt: skip


def test_a_big_story_is_judged_and_titled_on_its_latest_articles_and_counted_whole(engine):
    """Placing an article next to a story hundreds of outlets cover reads a bounded number
    of its articles; its counts and time span still cover all of them."""
    feed_id = feed(engine)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    size = MEMBERS_PER_STORY + 10
    with engine.begin() as conn:
        conn.execute(
            insert(stories).values(id=1, title="S", first_seen_at=start, last_seen_at=start)
        )
        for n in range(size):
            published = start + timedelta(minutes=n)
            insert_article(conn, feed_id, n + 1, published, 1, f"Report {n}")
            conn.execute(
                insert(article_keys).values(
                    key="tag:a", article_id=n + 1, published_at=published, story_id=1
                )
            )
        window = {"article_id": 0, "lo": start, "hi": start + STORY_WINDOW}
        (found,) = candidate_stories(conn, window, ["tag:a"])
        refresh_story(conn, 1)
        story = conn.execute(select(stories).where(stories.c.id == 1)).one()

    latest = [start + timedelta(minutes=n) for n in range(10, size)]
    assert sorted(m.published_at for m in found.members) == latest
    assert story.article_count == size and story.outlet_count == 1
    assert (story.first_seen_at, story.last_seen_at) == (start, latest[-1])
    assert story.title == "Report 10"  # all alike: the oldest of the latest ones


def test_an_article_joining_moves_the_counts_as_a_full_recount_would(engine):
    """Joining counts one article more, and one outlet more only for a new outlet; the
    story's time span and title are what counting all its articles again gives."""
    feed_id = feed(engine)
    first = stored(engine, feed_id, 4, FLOOD, outlet="Outlet A")
    stored(engine, feed_id, 3, FLOOD_AGAIN, outlet="Outlet B")
    stored(engine, feed_id, 2, FLOOD, outlet="Wire Copy")  # a repeat, one more source
    stored(engine, feed_id, 1, FLOOD_AGAIN + " Rescue teams stayed overnight.", outlet="Outlet B")
    story_id = get_article(engine, first).story_id
    columns = ("title", "article_count", "outlet_count", "first_seen_at", "last_seen_at")

    def story_row():
        with engine.connect() as conn:
            row = conn.execute(select(stories).where(stories.c.id == story_id)).one()
        return tuple(getattr(row, c) for c in columns)

    joined = story_row()
    with engine.begin() as conn:
        refresh_story(conn, story_id)
    assert joined == story_row()
    assert joined[1:3] == (4, 3)
