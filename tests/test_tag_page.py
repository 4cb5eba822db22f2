"""The tag page above its list: the chart of articles a day, the coverage (outlets,
countries, languages) and the filters, which its feeds and older pages keep."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import lxml.etree
import lxml.html
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlalchemy.engine import make_url

from tagwire.drafts import describe_story
from tagwire.settings import Settings
from tagwire.store.articles import save_article
from tagwire.store.db import create_store_engine
from tagwire.store.reads import find_tag, tag_articles
from tagwire.store.schema import outlets
from tagwire.store.tag_filters import TagFilters
from tagwire.store.tag_stats import MAX_OUTLETS_SHOWN, DayCount, tag_coverage, tag_daily_counts
from tagwire.web import create_app, urls
from tagwire.web.chart import HEIGHT, LEAST, day_chart

from .factories import FLOOD, FLOOD_AGAIN, draft, feed

NOW = datetime.now(UTC)
TODAY = NOW.date()
EVIL = "<script>alert('outlet')</script>"


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def save(engine: Engine, feed_id: int, number: int, **changes: object) -> int:
    article_id, _ = save_article(engine, draft(feed_id, number, **changes))
    return article_id


def set_country(engine: Engine, outlet: str, country: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(outlets).where(outlets.c.name == outlet).values(country=country))


def azawad_id(engine: Engine) -> int:
    tag = find_tag(engine, "azawad")
    assert tag is not None
    return tag.id


@pytest.fixture
def client(settings: Settings, engine: Engine) -> TestClient:
    return TestClient(create_app(settings, engine))


@pytest.fixture
def press(engine: Engine) -> dict[str, int]:
    """Six #Azawad articles from three outlets in two languages and two categories, over
    the last week; outlets in Mali and Niger, one with a hostile name and no country."""
    feed_id = feed(engine)
    rows = [
        ("Le Sahel", "fr", "Politics", 1),
        ("Le Sahel", "fr", "Conflict", 2),
        ("Le Sahel", "fr", "Politics", 3),
        ("Desert Wire", "en", "Politics", 4),
        ("Desert Wire", "en", "Conflict", 5),
        (EVIL, "en", "Politics", 6),
    ]
    ids = {}
    for number, (outlet, language, category, days_ago) in enumerate(rows, start=1):
        ids[f"{outlet}-{number}"] = save(
            engine,
            feed_id,
            number,
            outlet_name=outlet,
            language=language,
            category=category,
            title=f"Headline {number} {outlet}",
            published_at=NOW - timedelta(days=days_ago),
        )
    set_country(engine, "Le Sahel", "ML")
    set_country(engine, "Desert Wire", "NE")
    return ids


def headlines(html: str) -> list[str]:
    root = lxml.html.document_fromstring(html)
    return [h.text_content().strip() for h in root.find_class("headline")]


def numbers(titles: list[str]) -> set[int]:
    return {int(t.split()[1]) for t in titles}


# --- the chart ---------------------------------------------------------------------------


def test_daily_counts_count_utc_days_and_fill_the_empty_ones(engine):
    feed_id = feed(engine)
    today = date(2026, 11, 12)
    stamps = [
        at(today, 0, 0),  # the first minute of the day
        at(today, 23, 59),
        at(today - timedelta(days=1), 23, 59),
        at(today - timedelta(days=89), 0, 1),  # the first day of the 90
        at(today - timedelta(days=90), 23, 59),  # one day too old
        at(today + timedelta(days=1), 0, 0),  # tomorrow: not counted
    ]
    for number, stamp in enumerate(stamps):
        save(engine, feed_id, number, published_at=stamp)
    counts = tag_daily_counts(engine, azawad_id(engine), today=today)
    assert len(counts) == 90
    assert counts[0] == DayCount(today - timedelta(days=89), 1)
    assert counts[-1] == DayCount(today, 2) and counts[-2] == DayCount(today - timedelta(days=1), 1)
    assert sum(c.count for c in counts) == 4
    assert [c.day for c in counts] == [today - timedelta(days=89 - n) for n in range(90)]


def test_days_are_utc_days_whatever_the_sessions_time_zone(engine, db_url):
    """PostgreSQL casts a timestamptz to a date in the session's zone: the count names UTC."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite keeps UTC text: no session time zone")
    feed_id = feed(engine)
    today = date(2026, 11, 12)
    save(engine, feed_id, 1, published_at=at(today, 23, 30))  # 13:30 tomorrow in Kiritimati
    url = make_url(db_url)
    options = url.query["options"] + " -ctimezone=Pacific/Kiritimati"
    elsewhere = create_store_engine(url.update_query_dict({"options": options}).render_as_string())
    counts = tag_daily_counts(elsewhere, azawad_id(engine), days=3, today=today)
    elsewhere.dispose()
    assert counts[-1] == DayCount(today, 1)


def test_a_tag_with_nothing_in_90_days_has_an_empty_chart(client, engine):
    feed_id = feed(engine)
    save(engine, feed_id, 1, published_at=NOW - timedelta(days=200))
    assert sum(c.count for c in tag_daily_counts(engine, azawad_id(engine))) == 0
    page = client.get("/tags/azawad")
    svg = lxml.html.document_fromstring(page.text).find(".//svg")
    assert svg.get("aria-label") == "Articles per day over the last 90 days: none"
    assert (
        svg.findall(".//rect") == [] and svg.get("viewbox") == "0 0 450 90"
    )  # lxml.html lowers names
    assert "Headline 1" in page.text  # the old article is still listed


def test_the_chart_is_inline_svg_with_its_figures_in_words(client, engine):
    feed_id = feed(engine)
    busiest = TODAY - timedelta(days=3)
    for number in range(6):
        save(engine, feed_id, number, published_at=at(busiest, 8 + number))
    save(engine, feed_id, 10, published_at=at(TODAY - timedelta(days=10)))
    page = client.get("/tags/azawad")
    assert page.status_code == 200
    root = lxml.html.document_fromstring(page.text)
    svg = root.find(".//svg")
    label = (
        "Articles per day over the last 90 days: 7 in all,"
        f" most on {busiest.strftime('%d-%m-%Y')} (6)"
    )
    assert svg.get("role") == "img" and svg.get("aria-label") == label
    assert svg.findtext("title") == label and svg.find("desc") is not None
    assert (svg.get("width"), svg.get("height")) == ("450", "90")
    bars = svg.findall(".//rect")
    assert len(bars) == 2 and {b.get("class") for b in bars} == {"bar"}
    assert bars[1].get("height") == "90.0" and bars[1].get("y") == "0.0"
    assert [b.findtext("title") for b in bars][1] == f"{busiest.strftime('%d-%m-%Y')}: 6 articles"
    axis = root.find_class("chart-axis")[0].text_content()
    assert (TODAY - timedelta(days=89)).strftime("%d-%m-%Y") in axis
    assert TODAY.strftime("%d-%m-%Y") in axis
    assert "at most 6 a day" in root.find_class("chart-max")[0].text_content()
    assert not [el for el in root.iter() if isinstance(el.tag, str) and el.get("style")]


def test_bars_scale_to_the_busiest_day_and_a_single_article_stays_visible():
    days = [DayCount(date(2026, 1, 1) + timedelta(days=n), 0) for n in range(90)]
    days[5] = replace(days[5], count=100)
    days[6] = replace(days[6], count=1)
    chart = day_chart(days)
    assert chart.total == 101 and chart.busiest == days[5]
    assert chart.bars[5].height == HEIGHT and chart.bars[5].y == 0
    assert chart.bars[6].height == LEAST and chart.bars[0].height == 0
    assert chart.bars[-1].x + chart.bar_width <= chart.width
    assert (chart.first, chart.last) == (days[0].day, days[-1].day)


# --- the coverage ------------------------------------------------------------------------


def test_coverage_counts_outlets_countries_languages_and_categories(engine, press):
    coverage = tag_coverage(engine, azawad_id(engine))
    assert coverage.articles == 6 and coverage.more_outlets == 0
    assert [(o.name, o.country, o.count) for o in coverage.outlets] == [
        ("Le Sahel", "ML", 3),
        ("Desert Wire", "NE", 2),
        (EVIL, None, 1),
    ]
    assert [(s.value, s.count) for s in coverage.countries] == [("ML", 3), ("NE", 2)]
    assert [(s.value, s.count) for s in coverage.languages] == [("en", 3), ("fr", 3)]
    assert [(s.value, s.count) for s in coverage.categories] == [("Politics", 4), ("Conflict", 2)]


def test_coverage_names_the_top_outlets_and_counts_the_rest(engine):
    feed_id = feed(engine)
    for number in range(MAX_OUTLETS_SHOWN + 2):
        save(engine, feed_id, number, outlet_name=f"Outlet {number:02d}")
    coverage = tag_coverage(engine, azawad_id(engine))
    assert len(coverage.outlets) == MAX_OUTLETS_SHOWN and coverage.more_outlets == 2
    assert coverage.outlets[0].name == "Outlet 00"  # equal counts: by name


def test_the_page_shows_coverage_with_names_and_outlet_links(client, press):
    page = client.get("/tags/azawad")
    root = lxml.html.document_fromstring(page.text)
    section = root.find_class("tag-coverage")[0]
    text = " ".join(section.text_content().split())
    assert "Le Sahel 3" in text and "Desert Wire 2" in text
    assert "Mali 3" in text and "Niger 2" in text
    assert "English 3" in text and "French 3" in text
    links = {a.text_content(): a.get("href") for a in section.iter("a")}
    assert links["Le Sahel"] == urls.outlet_url("le-sahel") == "/outlets/le-sahel"
    assert EVIL in links  # shown as text


def test_a_hostile_outlet_name_is_escaped_in_coverage_and_filters(client, press):
    page = client.get("/tags/azawad")
    assert "<script>alert('outlet')</script>" not in page.text
    assert "&lt;script&gt;alert(&#39;outlet&#39;)&lt;/script&gt;" in page.text
    root = lxml.html.document_fromstring(page.text)
    assert [s.get("src") for s in root.iter("script")] == ["/static/suggest.js"]
    options = [o.text_content() for o in root.get_element_by_id("filter-outlet").iter("option")]
    assert EVIL in options


# --- the filters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {1, 2, 3, 4, 5, 6}),
        ("lang=fr", {1, 2, 3}),
        ("lang=EN", {4, 5, 6}),
        ("outlet=desert-wire", {4, 5}),
        ("category=Politics", {1, 3, 4, 6}),
        (f"since={(TODAY - timedelta(days=3)).isoformat()}", {1, 2, 3}),
        (f"until={(TODAY - timedelta(days=4)).isoformat()}", {4, 5, 6}),
        ("lang=en&category=Politics", {4, 6}),
        (
            f"outlet=le-sahel&category=Politics&since={(TODAY - timedelta(days=3)).isoformat()}"
            f"&until={(TODAY - timedelta(days=2)).isoformat()}",
            {3},
        ),
        ("lang=&outlet=&category=&since=&until=", {1, 2, 3, 4, 5, 6}),  # the form's "any"
        ("outlet=nobody", set()),
    ],
)
def test_filters_narrow_the_page_and_its_feeds(client, press, query, expected):
    page = client.get(f"/tags/azawad?{query}")
    assert page.status_code == 200
    assert numbers(headlines(page.text)) == expected
    json_feed = client.get(f"/tags/azawad.json?{query}").json()
    assert numbers([item["title"] for item in json_feed["items"]]) == expected
    atom = lxml.etree.fromstring(client.get(f"/tags/azawad.atom?{query}").content)
    titles = atom.xpath("//a:entry/a:title/text()", namespaces={"a": "http://www.w3.org/2005/Atom"})
    assert numbers(titles) == expected


def test_filtered_feeds_say_so_and_link_to_themselves(client, press):
    body = client.get("/tags/azawad.json?lang=fr&category=Politics").json()
    assert body["title"] == "Latest news with #Azawad (fr, Politics)"
    assert parse_qs(urlsplit(body["feed_url"]).query) == {"lang": ["fr"], "category": ["Politics"]}
    page = client.get("/tags/azawad?lang=fr").text
    assert "<title>Latest news with #Azawad (fr)</title>" in page
    root = lxml.html.document_fromstring(page)
    feeds = [link.get("href") for link in root.iter("link") if link.get("rel") == "alternate"]
    assert feeds == [f"/tags/azawad.{fmt}?lang=fr" for fmt in ("atom", "rss", "json")]


def test_the_form_shows_choices_and_the_active_filters_with_clear_links(client, press):
    page = client.get("/tags/azawad?lang=fr&outlet=le-sahel")
    root = lxml.html.document_fromstring(page.text)
    form = root.find_class("tag-filters")[0]
    assert form.get("method") == "get" and form.get("action") == "/tags/azawad"
    for field in form.iter("select", "input"):
        labels = [x for x in form.iter("label") if x.get("for") == field.get("id")]
        assert len(labels) == 1, field.get("name")
    chosen = {s.get("name"): s.value for s in form.iter("select")}
    assert chosen == {"lang": "fr", "outlet": "le-sahel", "category": ""}
    languages = [o.text_content() for o in root.get_element_by_id("filter-lang").iter("option")]
    assert languages == ["Any language", "English", "French"]
    active = root.find_class("active-filters")[0]
    assert "in French" in active.text_content() and "from Le Sahel" in active.text_content()
    removes = [a.get("href") for a in active.iter("a")]
    assert removes == ["/tags/azawad?outlet=le-sahel", "/tags/azawad?lang=fr", "/tags/azawad"]
    assert "active-filters" not in client.get("/tags/azawad").text


def test_pagination_keeps_the_filters(db_url, engine):
    settings = Settings.from_env({}, database_url=db_url, page_size=3)
    client = TestClient(create_app(settings, engine))
    feed_id = feed(engine)
    for number in range(1, 11):
        language = "fr" if number % 2 else "en"
        save(engine, feed_id, number, language=language, published_at=NOW - timedelta(hours=number))
    seen: list[int] = []
    path: str | None = "/tags/azawad?lang=fr"
    while path:
        page = client.get(path)
        seen += sorted(numbers(headlines(page.text)))
        older = lxml.html.document_fromstring(page.text).find_class("pager")
        path = older[0].find("a").get("href") if older else None
        if path:
            assert parse_qs(urlsplit(path).query)["lang"] == ["fr"]
    assert seen == [1, 3, 5, 7, 9]
    feed_page = client.get("/tags/azawad.json?lang=fr").json()
    second = client.get(feed_page["next_url"]).json()
    assert numbers([i["title"] for i in feed_page["items"] + second["items"]]) == {1, 3, 5, 7, 9}
    assert "next_url" not in second


def test_a_story_shows_once_its_newest_article_the_filters_let_through(client, engine):
    feed_id = feed(engine)
    stories = []
    for number, (outlet, language, text) in enumerate(
        [("Le Sahel", "fr", FLOOD), ("Desert Wire", "en", FLOOD_AGAIN)], start=1
    ):
        base = draft(
            feed_id,
            number,
            outlet_name=outlet,
            language=language,
            text=text,
            title=f"Headline {number} flood",
            published_at=NOW - timedelta(hours=10 - number),  # the English one is newer
        )
        features, signature = describe_story(
            base.title, base.text, "en", base.tags, base.published_at, outlet
        )
        article_id, _ = save_article(
            engine, replace(base, story_features=features, signature=signature)
        )
        stories.append(client.get(f"/api/v1/articles/{article_id}").json()["story_id"])
    assert stories[0] == stories[1] is not None
    assert numbers(headlines(client.get("/tags/azawad").text)) == {2}
    assert numbers(headlines(client.get("/tags/azawad?lang=fr").text)) == {1}
    assert numbers(headlines(client.get("/tags/azawad?outlet=desert-wire").text)) == {2}
    french = tag_articles(engine, azawad_id(engine), None, 10, TagFilters(language="fr"))
    assert [a.title for a in french.articles] == ["Headline 1 flood"]


@pytest.mark.parametrize(
    "query",
    [
        "since=2026-13-01",
        "since=yesterday",
        "until=2026-1-5",
        "until=9999-12-31",
        "until=２０２６-01-05",
        "since=2026-02-01&until=2026-01-01",
        "lang=x1",
        "lang=" + "e" * 40,
        "outlet=%00bad",
        "outlet=" + "o" * 301,
        "category=Poli%0Atics",
        "category=" + "c" * 33,
    ],
)
def test_bad_filter_values_are_a_400_that_says_why(client, press, query):
    page = client.get(f"/tags/azawad?{query}")
    assert page.status_code == 400 and "Filter" in page.text
    feed_error = client.get(f"/tags/azawad.json?{query}")
    assert feed_error.status_code == 400
    assert re.match(r"Filter '\w+' ", feed_error.json()["error"]["message"])
    assert client.get(f"/tags/azawad.atom?{query}").status_code == 400


def test_tag_urls_carry_filters_and_old_call_sites_read_the_same():
    filters = TagFilters(language="fr", outlet="le-sahel", since=date(2026, 1, 2))
    assert urls.tag_url("azawad") == "/tags/azawad"
    assert urls.tag_url("azawad", "atom", key="k") == "/tags/azawad.atom?key=k"
    assert urls.tag_url("azawad", filters=TagFilters()) == "/tags/azawad"
    assert (
        urls.tag_url("azawad", "json", None, "k", filters)
        == "/tags/azawad.json?lang=fr&outlet=le-sahel&since=2026-01-02&key=k"
    )
    assert urls.outlet_url("a b") == "/outlets/a%20b"
