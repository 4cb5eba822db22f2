"""News sitemaps and sitemap indexes as a source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pytest_httpserver import HTTPServer

from tagwire.errors import FeedError
from tagwire.feeds import limits, parse_feed
from tagwire.feeds.sitemap import parse_sitemap
from tagwire.store import open_store
from tagwire.store.reads import count_articles

from .pages import article_html

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
URLSET = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{}</urlset>'
)


def news_url(loc: str, title: str, when: datetime) -> str:
    return (
        f"<url><loc>{loc}</loc><news:news><news:publication><news:name>Outlet</news:name>"
        f"<news:language>en</news:language></news:publication>"
        f"<news:publication_date>{when.isoformat()}</news:publication_date>"
        f"<news:title>{title}</news:title></news:news></url>"
    )


def test_a_news_sitemap_gives_recent_entries_with_titles_and_dates():
    body = URLSET.format(
        news_url("https://o.test/a", "Fresh news", NOW - timedelta(hours=3))
        + news_url("https://o.test/b", "Old news", NOW - timedelta(days=40))
        + "<url><loc>javascript:alert(1)</loc><lastmod>2026-03-01</lastmod></url>"
    )
    parsed = parse_sitemap(body.encode(), url="https://o.test/sitemap.xml", now=NOW)
    assert parsed.kind == "sitemap"
    assert [(e.url, e.title) for e in parsed.entries] == [("https://o.test/a", "Fresh news")]
    assert parsed.entries[0].published_at == NOW - timedelta(hours=3)


def test_an_undated_sitemap_keeps_its_urls_up_to_the_cap():
    body = URLSET.format("".join(f"<url><loc>https://o.test/{n}</loc></url>" for n in range(600)))
    assert len(parse_sitemap(body.encode(), url="https://o.test/s.xml").entries) == 500


def test_an_index_names_its_most_recent_children():
    body = (
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(
            f"<sitemap><loc>https://o.test/s{n}.xml</loc>"
            f"<lastmod>2026-02-{n + 1:02d}</lastmod></sitemap>"
            for n in range(8)
        )
        + "</sitemapindex>"
    )
    parsed = parse_feed(body.encode(), url="https://o.test/index.xml")
    assert parsed.kind == "sitemapindex"
    assert parsed.children[0] == "https://o.test/s7.xml" and len(parsed.children) == 5


def test_a_broken_sitemap_is_a_feed_error():
    with pytest.raises(FeedError, match="malformed sitemap"):
        parse_feed(b"<urlset><url><loc>x</lo", url="https://o.test/s.xml")


@pytest.mark.slow
@pytest.mark.parametrize("cap", [None, 1])
def test_an_outlet_without_a_feed_is_read_through_its_sitemap_index(
    site: HTTPServer, tagwire, settings, cap, monkeypatch
):
    """All its sitemaps count as one feed: the newest ``MAX_ENTRIES`` of them all."""
    if cap is not None:
        monkeypatch.setattr(limits, "MAX_ENTRIES", cap)
    now = datetime.now(UTC)
    children = []
    for n in range(2):
        path = f"/news/story-{n}"
        page = article_html(
            f"Market day in Mopti number {n}",
            ["Traders in Mopti, Mali, sold more rice than last year, the chamber of commerce said."]
            * 3,
            site="Mopti Market News",
        )
        site.expect_request(path).respond_with_data(page, content_type="text/html")
        child = f"/sitemap-{n}.xml"
        site.expect_request(child).respond_with_data(
            URLSET.format(
                news_url(site.url_for(path), f"Market day {n}", now - timedelta(hours=n + 1))
            ),
            content_type="application/xml",
        )
        children.append(f"<sitemap><loc>{site.url_for(child)}</loc></sitemap>")
    site.expect_request("/sitemap.xml").respond_with_data(
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(children)
        + "</sitemapindex>",
        content_type="application/xml",
    )
    assert tagwire("add", site.url_for("/sitemap.xml")).exit_code == 0
    expected = 2 if cap is None else cap
    assert f"{expected} new" in tagwire("fetch").output
    assert count_articles(open_store(settings.database_url)) == expected
