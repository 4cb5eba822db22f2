"""Hostile and broken input: each bad feed is recorded with a clear error and backs off,
every other feed is still ingested, and nothing already stored is lost."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tagwire.store import open_store
from tagwire.store.feeds import list_feeds
from tagwire.store.reads import count_articles
from tagwire.web import create_app

from .pages import article_html, rss

pytestmark = pytest.mark.slow

GOOD_TEXT = [
    "Farmers in Mopti planted rice early this year after the Niger River rose two weeks ahead"
    " of the usual calendar, the regional agriculture office said.",
    "Cooperatives in Mali expect the harvest to cover local needs until the next rains.",
]


def good_feed(server: HTTPServer) -> str:
    page = article_html("Early rice in Mopti", GOOD_TEXT, site="Good Outlet")
    server.expect_request("/good/rice").respond_with_data(page, content_type="text/html")
    item = {
        "title": "Early rice in Mopti",
        "link": server.url_for("/good/rice"),
        "published": datetime.now(UTC) - timedelta(hours=2),
    }
    server.expect_request("/good/feed").respond_with_data(
        rss("Good Outlet", [item]), content_type="application/rss+xml"
    )
    return server.url_for("/good/feed")


def slow(_request: Request) -> Response:
    time.sleep(3)
    return Response(rss("Too slow", []), content_type="application/rss+xml")


def huge(_request: Request) -> Response:
    chunk = b"<!-- padding -->" * 65536  # 1 MiB

    def body():  # streamed without Content-Length: the cap must hold while reading
        for _ in range(50):
            yield chunk

    return Response(body(), content_type="application/rss+xml")


BAD_FEEDS = {
    "/missing": ("404", lambda s, p: s.expect_request(p).respond_with_data("gone", status=404)),
    "/slow": ("timed out", lambda s, p: s.expect_request(p).respond_with_handler(slow)),
    "/loop": (
        "redirect",
        lambda s, p: s.expect_request(p).respond_with_data("", status=302, headers={"Location": p}),
    ),
    "/html": (
        "HTML page",
        lambda s, p: s.expect_request(p).respond_with_data(
            "<!doctype html><html><body><p>Welcome</p></body></html>", content_type="text/html"
        ),
    ),
    "/broken-xml": (
        "not a readable feed",
        lambda s, p: s.expect_request(p).respond_with_data(
            "<rss><channel><title>x</ti", content_type="application/rss+xml"
        ),
    ),
    "/huge": ("exceeds", lambda s, p: s.expect_request(p).respond_with_handler(huge)),
}


def test_each_bad_feed_is_recorded_and_the_good_one_ingested(site: HTTPServer, tagwire, settings):
    good = good_feed(site)
    for path, (_, serve) in BAD_FEEDS.items():
        # Each feed worked when the user subscribed; it broke afterwards.
        site.expect_oneshot_request(path).respond_with_data(
            rss("Was fine", []), content_type="application/rss+xml"
        )
        serve(site, path)
    urls = [site.url_for(p) for p in BAD_FEEDS]
    for url in [good, *urls]:
        assert tagwire("add", url).exit_code == 0
    result = tagwire("fetch", "--all", env={"TAGWIRE_FETCH_TIMEOUT": "1"})
    assert result.exit_code == 0
    assert f"{len(BAD_FEEDS)} errors" in result.output

    engine = open_store(settings.database_url)
    rows = {row.url: row for row in list_feeds(engine)}
    assert rows[good].last_status == "ok" and rows[good].article_count == 1
    for path, (expected, _) in BAD_FEEDS.items():
        row = rows[site.url_for(path)]
        assert row.last_status == "error", path
        assert expected in (row.last_error or ""), (path, row.last_error)
        assert row.error_count == 1
        assert row.next_check_at > datetime.now(UTC), "a failing feed backs off"

    listing = tagwire("feeds")
    assert "404" in listing.output
    api = TestClient(create_app(settings, engine)).get("/api/v1/feeds").json()
    assert sum(1 for f in api if f["last_error"]) == len(BAD_FEEDS)


def test_a_wrong_charset_still_ingests(site: HTTPServer, tagwire, settings):
    body = rss("Charset outlet", [{"title": "Café à Bamako", "link": "http://127.0.0.1:9/x"}])
    site.expect_request("/latin").respond_with_data(
        body.encode("utf-8"), content_type="application/rss+xml; charset=iso-8859-1"
    )
    site.expect_request("/nocharset").respond_with_data(
        body.replace(' encoding="utf-8"', "").encode("utf-8"), content_type="text/xml"
    )
    tagwire("add", site.url_for("/latin"), site.url_for("/nocharset"))
    tagwire("fetch")
    engine = open_store(settings.database_url)
    rows = list_feeds(engine)
    assert all(row.last_error is None for row in rows), [r.last_error for r in rows]
    assert count_articles(engine) == 1  # the same link twice is one article


def test_a_failed_fetch_loses_nothing_stored(site: HTTPServer, tagwire, settings):
    url = good_feed(site)
    tagwire("add", url)
    tagwire("fetch")
    engine = open_store(settings.database_url)
    assert count_articles(engine) == 1
    site.clear()
    site.expect_request("/good/feed").respond_with_data("down", status=503)
    result = tagwire("fetch", "--all")
    assert "1 errors" in result.output
    assert count_articles(engine) == 1
    page = TestClient(create_app(settings, engine)).get("/tags/mopti")
    assert "Early rice in Mopti" in page.text


def test_an_unreachable_page_keeps_the_feed_text(site: HTTPServer, tagwire, settings):
    item = {
        "title": "Flood warning for Gao",
        "link": site.url_for("/gone"),
        "summary": "The river authority in Mali warned residents of Gao about rising water.",
    }
    site.expect_request("/gone").respond_with_data("no", status=404)
    site.expect_request("/feed").respond_with_data(rss("Outlet", [item]), content_type="text/xml")
    tagwire("add", site.url_for("/feed"))
    tagwire("fetch")
    client = TestClient(create_app(settings, open_store(settings.database_url)))
    article = client.get("/api/v1/articles/1").json()
    assert article["extraction_status"] == "feed"
    assert "rising water" in article["text"]


def test_a_date_far_in_the_future_is_not_trusted(site: HTTPServer, tagwire, settings):
    item = {
        "title": "From the future",
        "link": "http://127.0.0.1:9/future",
        "published": datetime.now(UTC) + timedelta(days=30),
        "summary": "Text about Mali.",
    }
    site.expect_request("/feed").respond_with_data(rss("Outlet", [item]), content_type="text/xml")
    tagwire("add", site.url_for("/feed"))
    tagwire("fetch")
    client = TestClient(create_app(settings, open_store(settings.database_url)))
    published = client.get("/api/v1/articles/1").json()["published_at"]
    assert datetime.fromisoformat(published) <= datetime.now(UTC)


@pytest.mark.parametrize("source", ["not a url", "ftp://example.org/feed", "http://"])
def test_add_refuses_an_invalid_url_with_status_2(tagwire, source):
    result = tagwire("add", source)
    assert result.exit_code == 2
    assert result.output.strip().startswith("error:")
    assert len(result.output.strip().splitlines()) == 1


def test_add_refuses_unreadable_opml_with_status_2(tagwire, tmp_path):
    broken = tmp_path / "broken.opml"
    broken.write_text("<opml><body><outline xmlUrl='http://a.test/feed'></body>")
    result = tagwire("add", str(broken))
    assert result.exit_code == 2 and "not well-formed" in result.output


def test_private_addresses_are_refused_unless_allowed(site: HTTPServer, tagwire):
    url = good_feed(site)
    result = tagwire("add", url, env={"TAGWIRE_ALLOW_PRIVATE_NETWORKS": "0"})
    assert result.exit_code == 2
    assert "private or loopback" in result.output


def test_a_bad_setting_stops_with_a_clear_message(tagwire):
    result = tagwire("feeds", env={"TAGWIRE_MAX_BODY_BYTES": "lots"})
    assert result.exit_code == 2
    assert "TAGWIRE_MAX_BODY_BYTES must be a whole number" in result.output


def test_a_hostile_link_is_dropped_and_the_feed_still_ingested(site: HTTPServer, tagwire, settings):
    items = [
        {
            "title": "Script link",
            "link": "javascript:alert(1)",
            "guid": "g1",
            "summary": "A report about Kidal in Mali, linked badly.",
        },
        {
            "title": "FTP link",
            "link": "ftp://files.test/x",
            "guid": "g2",
            "summary": "Another report about Gao in Mali.",
        },
    ]
    site.expect_request("/feed").respond_with_data(rss("Outlet", items), content_type="text/xml")
    tagwire("add", site.url_for("/feed"))
    result = tagwire("fetch")
    assert result.exit_code == 0 and "2 new" in result.output
    page = TestClient(create_app(settings, open_store(settings.database_url))).get("/tags/mali")
    assert "javascript:" not in page.text and "ftp://" not in page.text


def test_a_deeply_nested_json_feed_is_a_recorded_error(site: HTTPServer, tagwire, settings):
    site.expect_oneshot_request("/feed.json").respond_with_data(
        rss("Was fine", []), content_type="application/rss+xml"
    )
    site.expect_request("/feed.json").respond_with_data(
        '{"version": "https://jsonfeed.org/version/1.1", "items": ' + "[" * 100_000,
        content_type="application/feed+json",
    )
    tagwire("add", site.url_for("/feed.json"))
    result = tagwire("fetch", "--all")
    assert result.exit_code == 0 and "1 errors" in result.output
    assert "JSON Feed" in list_feeds(open_store(settings.database_url))[0].last_error


def test_retry_after_of_a_429_is_honoured(site: HTTPServer, tagwire, settings):
    site.expect_oneshot_request("/feed").respond_with_data(rss("Fine", []), content_type="text/xml")
    site.expect_request("/feed").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "7200"}
    )
    tagwire("add", site.url_for("/feed"))
    tagwire("fetch", "--all")
    row = list_feeds(open_store(settings.database_url))[0]
    assert "429" in row.last_error
    assert row.next_check_at > datetime.now(UTC) + timedelta(minutes=110)


def test_pages_whose_canonical_is_the_home_page_stay_separate(site: HTTPServer, tagwire, settings):
    items = []
    for number in range(3):
        page = article_html(f"Story {number} from Bamako", GOOD_TEXT, site="Good Outlet")
        page = page.replace("</head>", '<link rel="canonical" href="/"></head>')
        site.expect_request(f"/s/{number}").respond_with_data(page, content_type="text/html")
        items.append({"title": f"Story {number} from Bamako", "link": site.url_for(f"/s/{number}")})
    site.expect_request("/feed").respond_with_data(rss("Outlet", items), content_type="text/xml")
    tagwire("add", site.url_for("/feed"))
    tagwire("fetch")
    assert count_articles(open_store(settings.database_url)) == 3
    assert "0 new and 0 updated" in tagwire("fetch", "--all").output


def test_one_bad_outline_does_not_sink_an_opml_list(site: HTTPServer, tagwire, tmp_path):
    good = good_feed(site)
    opml = tmp_path / "list.opml"
    opml.write_text(
        f'<opml version="2.0"><body><outline xmlUrl="feed://bad.test/rss"/>'
        f'<outline xmlUrl="{good}"/></body></opml>'
    )
    result = tagwire("add", str(opml))
    assert result.exit_code == 0
    assert f"subscribed: {good}" in result.output and "skipped" in result.output


def test_a_feed_that_is_gone_stops_until_added_again(site: HTTPServer, tagwire, settings):
    site.expect_oneshot_request("/feed").respond_with_data(rss("Fine", []), content_type="text/xml")
    site.expect_request("/feed").respond_with_data("gone", status=410)
    tagwire("add", site.url_for("/feed"))
    tagwire("fetch", "--all")
    engine = open_store(settings.database_url)
    row = list_feeds(engine)[0]
    assert row.last_status == "stopped" and "stopped checking" in row.last_error
    assert tagwire("fetch", "--all").output.startswith("0 feeds")  # no longer checked
    tagwire("add", site.url_for("/feed"))
    assert "1 feeds" in tagwire("fetch").output  # re-adding resumes it


def test_several_web_processes_need_the_fetching_done_elsewhere(tagwire):
    result = tagwire("serve", "--web-processes", "2")
    assert result.exit_code == 2
    assert "--no-workers" in result.output
