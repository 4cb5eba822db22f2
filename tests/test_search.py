"""Article search (/search): the query syntax parsed, run on SQLite and PostgreSQL alike,
matches highlighted safely, and the page and its JSON Feed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from tagwire.search.query import SearchQuery, parse_query
from tagwire.store.articles import save_article
from tagwire.store.search import search_articles
from tagwire.web import create_app
from tagwire.web.highlight import highlighted_excerpt
from tests.factories import draft, feed, tag

ARTICLES = {  # number: (outlet, language, category, day of January 2026, title, text, tags)
    1: (
        "Le Monde",
        "fr",
        "Politics",
        2,
        "Élections au Mali",
        "Le scrutin a eu lieu à Bamako.",
        ("Mali",),
    ),
    2: (
        "Reuters",
        "en",
        "Politics",
        5,
        "Mali election results",
        "Results came from Bamako and Gao after the vote.",
        ("Mali",),
    ),
    3: (
        "Reuters",
        "en",
        "Economy",
        9,
        "Niger uranium exports",
        "Uranium exports from Niger fell; the election is next year.",
        ("Niger",),
    ),
    4: (
        "Al Jazeera",
        "en",
        "Conflict",
        14,
        "Attack near Gao",
        "An attack near Gao killed soldiers, the army said.",
        ("Mali", "Gao"),
    ),
    5: (
        "RFI",
        "fr-FR",
        "Conflict",
        20,
        "Attaque au Niger",
        "Une attaque a visé une base militaire près de Niamey.",
        ("Niger",),
    ),
}


def store(engine: Engine) -> dict[int, int]:
    """The articles above, stored; their number -> id."""
    feed_id = feed(engine)
    ids = {}
    for number, (outlet, lang, category, day, title, text, labels) in ARTICLES.items():
        ids[number], _ = save_article(
            engine,
            draft(
                feed_id,
                number,
                outlet_name=outlet,
                language=lang,
                category=category,
                section=category,
                published_at=datetime(2026, 1, day, 12, tzinfo=UTC),
                title=title,
                text=text,
                tags=tuple(tag(label, label.lower()) for label in labels),
            ),
        )
    return ids


@pytest.fixture
def found(engine):
    """Search ``engine`` and answer the article numbers found, newest first."""
    numbers = {v: k for k, v in store(engine).items()}

    def search(text: str) -> list[int]:
        page = search_articles(engine, parse_query(text), None, 50)
        return [numbers[a.id] for a in page.articles]

    return search


# --- the parser ----------------------------------------------------------------------------


def test_parser_reads_every_element():
    query = parse_query(
        'mali "exact Phrase" -gao -"army said" niger OR chad #Azawad outlet:"Le Monde" '
        "lang:FR category:Politics since:2026-01-01 until:2026-02-01"
    )
    assert query == SearchQuery(
        terms=("mali",),
        phrases=(("exact", "phrase"),),
        excluded=(("gao",), ("army", "said")),
        alternatives=((("niger",), ("chad",)),),
        tags=("Azawad",),
        outlets=("Le Monde",),
        languages=("fr",),
        categories=("politics",),
        since=date(2026, 1, 1),
        until=date(2026, 2, 1),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("foo:bar", SearchQuery(phrases=(("foo", "bar"),))),  # unknown key: words
        ("since:yesterday", SearchQuery(phrases=(("since", "yesterday"),))),  # bad date
        ('"no end quote', SearchQuery(phrases=(("no", "end", "quote"),))),
        ("OR mali OR", SearchQuery(terms=("mali",))),  # nothing to join
        ('*:) ^ "" - # NEAR(', SearchQuery(terms=("near",))),  # a word, not an operator
        ("x\x00y", SearchQuery(terms=("x", "y"))),
    ],
)
def test_parser_refuses_nothing(text, expected):
    assert parse_query(text) == expected


@given(st.text(max_size=300))
@hypothesis_settings(max_examples=300, deadline=None, database=None)
def test_parser_keeps_only_letters_and_digits_in_words(text):
    query = parse_query(text)
    phrases = [*query.phrases, *query.excluded, *(p for g in query.alternatives for p in g)]
    for word in (*query.terms, *(w for p in phrases for w in p)):
        assert word and all(c.isalnum() for c in word)


# --- each element, on both engines ---------------------------------------------------------


def test_plain_words_are_all_required(found):
    assert found("mali") == [2, 1]  # "Mali" in two titles; accents and case aside
    assert found("election bamako") == [2]  # SQLite folds "Élections"; both have "election"


def test_exact_phrase(found):
    assert found('"attack near gao"') == [4]
    assert found('"gao near attack"') == []


def test_excluded_words_and_phrases(found):
    assert found("gao -attack") == [2]
    assert found('niger -"uranium exports"') == [5]


def test_or_between_terms(found):
    assert found("uranium OR soldiers") == [4, 3]
    assert found("uranium OR soldiers army") == [4]


def test_tag_through_its_aliases(found):
    assert found("#Mali") == [4, 2, 1]
    assert found("#mali #gao") == [4]
    assert found("#no-such-tag") == []


def test_outlet_by_slug_or_name(found):
    assert found("outlet:reuters") == [3, 2]
    assert found('outlet:"al jazeera"') == [4]
    assert found("outlet:al-jazeera") == [4]


def test_language_and_its_regional_forms(found):
    assert found("lang:fr") == [5, 1]


def test_category_ignoring_case(found):
    assert found("category:conflict") == [5, 4]


def test_date_range_both_ends_inclusive(found):
    assert found("since:2026-01-09 until:2026-01-14") == [4, 3]


def test_combined_query(found):
    assert found('attack OR election -"army said" lang:en since:2026-01-03 #mali') == [2]


def test_extreme_dates(found):
    assert found("since:0001-01-01 until:9999-12-31") == [5, 4, 3, 2, 1]
    assert found("since:9999-12-31") == []


def test_empty_query_finds_nothing(found):
    assert found("") == [] and found("  - OR ") == []


def test_pages_follow_the_tag_pages_cursor(engine):
    ids = store(engine)
    query = parse_query("since:2026-01-01")
    first = search_articles(engine, query, None, 2)
    assert first.next_cursor is not None
    second = search_articles(engine, query, first.next_cursor, 2)
    third = search_articles(engine, query, second.next_cursor, 2)
    shown = [a.id for p in (first, second, third) for a in p.articles]
    assert shown == [ids[n] for n in (5, 4, 3, 2, 1)] and third.next_cursor is None


HOSTILE = st.one_of(
    st.text(max_size=120),
    st.lists(
        st.sampled_from(
            [
                '"',
                "'",
                "-",
                "*",
                "^",
                ":",
                "(",
                ")",
                "&",
                "|",
                "!",
                "<->",
                "\\",
                "OR",
                "AND",
                "NOT",
                "NEAR",
                "#",
                "mali",
                "gao",
                " ",
                "title:",
                "{",
            ]
        ),
        max_size=20,
    ).map("".join),
)


@given(text=HOSTILE)
@hypothesis_settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_no_input_is_an_engine_error(found, text):
    """Whatever is typed, FTS5 and tsquery see only quoted words: no syntax error."""
    found(text)


# --- highlighting --------------------------------------------------------------------------


def test_highlight_escapes_hostile_text_before_marking():
    text = '<script>alert("Mali")</script> <mark>x</mark> Mali & <img src=x onerror=alert(1)>'
    html = str(highlighted_excerpt(text, parse_query("mali img -x"), 500))
    assert "<script" not in html and "<img" not in html and "<mark>x</mark>" not in html
    assert html.count("<mark>") == 3 and "<mark>img</mark>" in html
    assert "&lt;script&gt;alert(&#34;<mark>Mali</mark>&#34;)&lt;/script&gt;" in html
    assert "&lt;mark&gt;x&lt;/mark&gt;" in html and "&amp;" in html


def test_highlight_folds_accents_and_starts_near_the_match():
    text = "word " * 100 + "the élection in Mali " + "tail " * 100
    html = str(highlighted_excerpt(text, parse_query('"election in mali"'), 80))
    assert html.startswith("… ") and html.endswith(" …")
    assert "<mark>élection</mark> <mark>in</mark> <mark>Mali</mark>" in html


def test_highlight_keeps_its_place_where_folding_changes_lengths():
    text = "Die Straße nach Gao: die STRASSE ist gesperrt, Malian- und Mali-Truppen"
    html = str(highlighted_excerpt(text, parse_query("strasse mali"), 200))
    assert html.count("<mark>") == 3 and "<mark>Straße</mark>" in html
    assert "<mark>STRASSE</mark>" in html and "<mark>Mali</mark>-Truppen" in html


# --- the page ------------------------------------------------------------------------------


@pytest.fixture
def client(settings, engine) -> TestClient:
    store(engine)
    return TestClient(create_app(settings, engine))


def test_search_page_lists_and_highlights(client):
    page = client.get("/search", params={"q": "gao -soldiers"})
    assert page.status_code == 200
    assert page.text.count('class="entry"') == 1 and "Mali election results" in page.text
    assert "<mark>Gao</mark>" in page.text
    assert 'value="gao -soldiers"' in page.text  # the header's search box keeps the query
    assert 'href="/search.json?q=gao+-soldiers"' in page.text


def test_search_page_without_a_query_shows_the_syntax(client):
    page = client.get("/search")
    assert page.status_code == 200 and "Search the news" in page.text and "since:" in page.text
    assert 'action="/search"' in client.get("/").text  # the box is on every page


def test_search_page_escapes_the_query(client):
    page = client.get("/search", params={"q": '"><script>alert(1)</script>'})
    assert page.status_code == 200 and "<script>alert" not in page.text


def test_search_json_feed(client):
    feed_body = client.get("/search.json", params={"q": "#niger"}).json()
    assert feed_body["version"] == "https://jsonfeed.org/version/1.1"
    assert [i["title"] for i in feed_body["items"]] == ["Attaque au Niger", "Niger uranium exports"]


def test_search_shares_the_search_rate_limit(settings, engine):
    client = TestClient(create_app(settings.replace(search_rate_limit=2), engine))
    client.app.state.rate_limiter.clock = lambda: 1000.0
    assert client.get("/tags", params={"q": "ma"}).status_code == 200
    assert client.get("/search", params={"q": "mali"}).status_code == 200
    refused = client.get("/search.json", params={"q": "mali"})
    assert refused.status_code == 429 and "retry-after" in refused.headers
