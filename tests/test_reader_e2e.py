"""What a reader's tools see of a real tagwire server on loopback: search in its syntax,
every tag, search and outlet page as Atom, RSS 2.0 and JSON Feed (read by feedparser, as
feed readers read them, with conditional requests), and another tagwire subscribed to a
tag's feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import httpx
import pytest
from sqlalchemy import Engine

from tagwire.store import open_store
from tagwire.store.articles import save_article
from tagwire.store.feeds import add_feed
from tagwire.store.reads import count_articles
from tagwire.web import create_app

from .conftest import Tagwire
from .factories import draft, tag
from .servers import serving

DAY_ONE = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
# (outlet, language, title, text, tags, days after DAY_ONE)
ARTICLES = [
    ("Sahel Wire", "en", "Drought talks open in Bamako",
     "Ministers met in Bamako to plan for the drought along the Niger River.",
     ("azawad", "mali"), 3),
    ("Sahel Wire", "en", "Water convoy reaches Kidal",
     "A convoy of water tankers reached Kidal after the drought closed two wells.",
     ("azawad",), 1),
    ("Le Veilleur", "fr", "Sécheresse : le fleuve Niger au plus bas",
     "La sécheresse frappe les villages du fleuve Niger, selon les maires de Gao.",
     ("azawad", "niger"), 2),
    ("Le Veilleur", "fr", "Le marché de Gao rouvre",
     "Les commerçants de Gao ont rouvert le grand marché après trois jours de fermeture.",
     ("gao",), 0),
]  # fmt: skip


def stored(engine: Engine) -> None:
    feeds = {}
    for number, (outlet, language, title, text, slugs, days) in enumerate(ARTICLES):
        if outlet not in feeds:
            url = f"http://{outlet.split()[-1].lower()}.test/feed"
            feeds[outlet], _ = add_feed(
                engine, url, title=outlet, site_url=None, kind="rss", outlet_name=outlet
            )
        tags = tuple(tag(s.capitalize(), s) for s in slugs)
        values = {"title": title, "text": text, "language": language, "tags": tags}
        values |= {"outlet_name": outlet, "published_at": DAY_ONE + timedelta(days=days)}
        save_article(engine, draft(feeds[outlet], number, **values))


@pytest.fixture
def site(settings, engine):
    stored(engine)
    with serving(create_app(settings, engine)) as base_url:
        yield base_url


def titles_found(site: str, query: str) -> list[str]:
    response = httpx.get(f"{site}/search.json", params={"q": query})
    response.raise_for_status()
    return [item["title"] for item in response.json()["items"]]


TALKS, CONVOY = "Drought talks open in Bamako", "Water convoy reaches Kidal"
RIVER, MARKET = "Sécheresse : le fleuve Niger au plus bas", "Le marché de Gao rouvre"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("drought", [TALKS, CONVOY]),
        ('"water tankers"', [CONVOY]),
        ("drought -Kidal", [TALKS]),
        ("Bamako OR marché", [TALKS, MARKET]),
        ("#niger", [RIVER]),
        ("outlet:le-veilleur Gao", [RIVER, MARKET]),
        ('outlet:"Le Veilleur" fleuve', [RIVER]),
        ("lang:fr sécheresse", [RIVER]),
        ("since:2026-03-03 #azawad drought", [TALKS]),
        ("until:2026-03-02 #azawad", [CONVOY]),
    ],
)
def test_search_syntax_over_http(site, query, expected):
    assert titles_found(site, query) == expected


def test_search_page_highlights_over_http(site):
    page = httpx.get(f"{site}/search", params={"q": '"water tankers"'}).text
    assert "<mark>water tankers</mark>" in page.lower() or "<mark>water</mark>" in page.lower()


FEEDS = [
    ("/tags/azawad", 3),
    ("/search?q=drought", 2),
    ("/outlets/le-veilleur", 2),
]


@pytest.mark.parametrize(("page", "count"), FEEDS)
@pytest.mark.parametrize("fmt", ["atom", "rss", "json"])
def test_every_list_is_a_feed_readers_can_read(site, page, count, fmt):
    path, _, query = page.partition("?")
    url = f"{site}{path}.{fmt}" + (f"?{query}" if query else "")
    response = httpx.get(url)
    assert response.status_code == 200
    if fmt == "json":
        items = response.json()["items"]
        titles = [item["title"] for item in items]
        dates = [item["date_published"] for item in items]
    else:
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert parsed.version == {"atom": "atom10", "rss": "rss20"}[fmt]
        titles = [entry.title for entry in parsed.entries]
        dates = [entry.published for entry in parsed.entries]
        assert all(entry.link.startswith("http") for entry in parsed.entries)
    assert len(titles) == count and len(set(dates)) == count
    html = httpx.get(f"{site}{page}").text  # the page says where its feeds are
    assert f"{path}.{fmt}" in html


def test_a_feed_reader_polling_again_gets_a_304(site):
    first = httpx.get(f"{site}/tags/azawad.rss")
    again = httpx.get(f"{site}/tags/azawad.rss", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and not again.content


@pytest.mark.slow
def test_another_tagwire_follows_a_tag_feed_of_this_one(site, tmp_path: Path):
    other_db = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    other = Tagwire(other_db)
    added = other("add", f"{site}/tags/azawad.rss")
    assert added.exit_code == 0, added.output
    other("fetch", "--all")
    engine = open_store(other_db)
    try:
        assert count_articles(engine) == 3
    finally:
        engine.dispose()
