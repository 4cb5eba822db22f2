"""Article search's windowed plan on SQLite (tagwire.store.search.newest_matches) gives the
plain query's pages exactly, whatever order the articles were stored in; on PostgreSQL
search is the plain query itself."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from tagwire.search.query import parse_query
from tagwire.store import search
from tagwire.store.articles import save_article
from tagwire.store.reads import Page
from tagwire.store.search import search_articles, search_articles_plain
from tests.factories import draft, feed, tag

WORDS = ("amber", "basalt", "cobalt", "dune", "ember", "flint", "granite", "harbor")
WEIGHTS = (30, 20, 12, 8, 5, 3, 2, 1)  # "amber" in most articles, "harbor" in few
OUTLETS = ("North Wire", "South Post", "East Daily")
LANGUAGES = ("en", "fr", "fr-FR")
LABELS = ("Mali", "Niger", "Chad")
START = datetime(2026, 3, 1, tzinfo=UTC)
DAYS = 30


@pytest.fixture
def small_windows(monkeypatch):
    """Windows of a few ids, so a small store goes through every step of the plan."""
    monkeypatch.setattr(search, "WINDOW", 6)
    monkeypatch.setattr(search, "WIDEN", 2)
    monkeypatch.setattr(search, "MAX_OUTSIDERS", 4)


@pytest.fixture
def shuffled(engine: Engine, small_windows) -> Engine:
    """240 articles stored about in date order, with exceptions: old ones backfilled late
    (high ids), some stored early with the newest dates (low ids), and shared timestamps."""
    rng = random.Random(7)
    stamps = sorted(START + timedelta(hours=rng.randrange(DAYS * 24)) for _ in range(240))
    order = list(range(240))
    for _ in range(40):  # move an article far from its place in storage order
        order.insert(rng.randrange(len(order)), order.pop(rng.randrange(len(order))))
    feed_id = feed(engine)
    for number in order:
        words = rng.choices(WORDS, WEIGHTS, k=6)
        save_article(
            engine,
            draft(
                feed_id,
                number,
                outlet_name=rng.choice(OUTLETS),
                language=rng.choice(LANGUAGES),
                published_at=stamps[number],
                title=" ".join(words[:2]),
                text=" ".join(words[2:]),
                tags=tuple(tag(label, label.lower()) for label in rng.sample(LABELS, 2)),
            ),
        )
    return engine


def assert_same_pages(engine: Engine, text: str, size: int, pages: int = 8) -> int:
    """Walk ``pages`` pages of ``text`` both ways; answers the articles seen."""
    query, cursor, seen = parse_query(text), None, 0
    for _ in range(pages):
        fast = search_articles(engine, query, cursor, size)
        plain = search_articles_plain(engine, query, cursor, size)
        assert ids(fast) == ids(plain), (text, cursor)
        assert fast.next_cursor == plain.next_cursor, (text, cursor)
        seen += len(fast.articles)
        cursor = fast.next_cursor
        if cursor is None:
            break
    return seen


def ids(page: Page) -> list[int]:
    return [article.id for article in page.articles]


def day(offset: int) -> str:
    return (START + timedelta(days=offset)).date().isoformat()


word = st.sampled_from(WORDS)
clause = st.one_of(
    word,
    st.tuples(word, word).map(lambda p: f'"{p[0]} {p[1]}"'),
    st.tuples(word, word).map(lambda p: f"{p[0]} OR {p[1]}"),
    word.map(lambda w: f"-{w}"),
)
text_filter = st.one_of(
    st.sampled_from(LABELS).map(lambda label: f"#{label}"),
    st.sampled_from(OUTLETS).map(lambda name: f'outlet:"{name}"'),
    st.sampled_from(("lang:en", "lang:fr")),
    st.integers(0, DAYS).map(lambda d: f"since:{day(d)}"),
    st.integers(0, DAYS).map(lambda d: f"until:{day(d)}"),
)


@given(
    clauses=st.lists(clause, min_size=1, max_size=3),
    filters=st.lists(text_filter, max_size=2),
    size=st.integers(1, 7),
)
@hypothesis_settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_pages_identical_to_the_plain_query(shuffled, clauses, filters, size):
    assert_same_pages(shuffled, " ".join(clauses + filters), size)


def test_common_word_every_page(shuffled):
    assert assert_same_pages(shuffled, "amber", 5, pages=100) > 100


def test_outsiders_found_and_widening(engine, small_windows):
    """The newest article stored first (the lowest id) leads the page though outside every
    window but the last; an old one backfilled last (the highest id) comes at its date."""
    feed_id = feed(engine)

    def stored(number: int, days_old: int) -> int:
        when = START - timedelta(days=days_old)
        return save_article(engine, draft(feed_id, number, title="flint", published_at=when))[0]

    first = stored(0, 0)
    middle = [stored(n, n) for n in range(1, 30)]
    backfilled = stored(99, 100)
    found = search_articles(engine, parse_query("flint"), None, 40)
    assert ids(found) == [first, *middle, backfilled]
    page = search_articles(engine, parse_query("flint"), None, 3)
    assert ids(page) == [first, *middle[:2]]
    assert assert_same_pages(engine, "flint", 3, pages=20) == 31
