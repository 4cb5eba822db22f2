"""The product's reference: the reader's page of ../shared/seed/latest-news-azawad.txt,
rebuilt through the real path (loopback RSS + pages, add, fetch) and compared."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import lxml.html
import pytest
from fastapi.testclient import TestClient
from pytest_httpserver import HTTPServer

from tagwire.settings import Settings
from tagwire.store import open_store
from tagwire.web import create_app

from .conftest import allow_robots
from .pages import article_html, rss

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class SeedArticle:
    outlet: str
    date_line: str
    category: str
    headline: str
    text: str


def read_seed(path: Path) -> tuple[str, list[SeedArticle]]:
    blocks = [b.strip() for b in path.read_text(encoding="utf-8").split("\n\n\n") if b.strip()]
    title, articles = blocks[0], []
    for block in blocks[1:]:
        lines = [line for line in block.splitlines() if line.strip()]
        outlet, date_line, category, _outlet_again, headline = lines[:5]
        articles.append(
            SeedArticle(outlet, date_line, category.lstrip("- "), headline, " ".join(lines[5:]))
        )
    return title, articles


def paragraphs(text: str, per: int = 3) -> list[str]:
    sentences = re.split(r"(?<=[.?!'])\s+(?=[A-Z'])", text)
    return [" ".join(sentences[i : i + per]) for i in range(0, len(sentences), per)]


def visible(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


@pytest.fixture
def seed_site(httpserver: HTTPServer, seed_path: Path) -> tuple[str, list[SeedArticle]]:
    title, seed = read_seed(seed_path)
    dates = [datetime.now(UTC) - timedelta(days=4), datetime(2025, 4, 4, 12, 0, tzinfo=UTC)]
    items = []
    for number, (article, published) in enumerate(zip(seed, dates, strict=True)):
        path = f"/news/{number}"
        page = article_html(
            article.headline,
            paragraphs(article.text),
            site=article.outlet,
            published=published.isoformat(),
        )
        httpserver.expect_request(path).respond_with_data(
            page, content_type="text/html; charset=utf-8"
        )
        items.append(
            {
                "title": article.headline,
                "link": httpserver.url_for(path),
                "published": published,
                "category": article.category,
                "summary": article.text[:200],
            }
        )
    allow_robots(httpserver)
    feed = rss("Sahel news digest", items)
    httpserver.expect_request("/feed.xml").respond_with_data(
        feed, content_type="application/rss+xml"
    )
    return title, seed


def test_seed_tag_page_matches_the_reference(seed_site, tagwire, settings: Settings, httpserver):
    title, seed = seed_site
    assert tagwire("add", httpserver.url_for("/feed.xml")).exit_code == 0
    fetched = tagwire("fetch")
    assert fetched.exit_code == 0, fetched.output
    client = TestClient(create_app(settings, open_store(settings.database_url)))

    page = client.get("/tags/azawad")
    assert page.status_code == 200
    text = visible(page.text)
    assert f"<title>{title}</title>" in page.text
    assert title in text
    expected = ["4 days ago", "04-04-2025"]
    positions = []
    for article, date in zip(seed, expected, strict=True):
        block = (
            f"{article.outlet} {date} - {article.category} - {article.outlet} {article.headline}"
        )
        assert block in text
        assert article.text[:300] in text
        positions.append(text.index(block))
    assert positions == sorted(positions), "newest first"

    # Above the list: the chart of 90 days (the older article is outside it), the related
    # tags and who covered the tag, with the bundled facts of both outlets.
    root = lxml.html.document_fromstring(page.text)
    (chart,) = root.xpath("//svg[@role='img']")
    assert "Articles per day over the last 90 days: 1 in all" in chart.get("aria-label")
    related = [a.text_content() for a in root.xpath("//nav[@class='related']//a")]
    assert "#Mali" in related
    (coverage,) = root.find_class("tag-coverage")
    shown = " ".join(coverage.text_content().split())
    for outlet, country in (("Russia Today", "Russia"), ("Ya Biladi", "Morocco")):
        assert outlet in shown and country in shown
    assert "English 2" in shown

    mali = visible(client.get("/tags/mali").text)
    assert all(a.headline in mali for a in seed)


def test_seed_articles_keep_their_whole_text(seed_site, tagwire, settings: Settings, httpserver):
    _, seed = seed_site
    tagwire("add", httpserver.url_for("/feed.xml"))
    tagwire("fetch")
    client = TestClient(create_app(settings, open_store(settings.database_url)))
    items = client.get("/tags/azawad.json").json()["items"]
    assert [i["title"] for i in items] == [a.headline for a in seed]
    for item, article in zip(items, seed, strict=True):
        assert " ".join(item["content_text"].split()) == article.text
        assert item["_tagwire"]["category"] == "Politics"
        assert {"#Azawad", "#Mali"} <= set(item["tags"])
