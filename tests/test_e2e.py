"""End to end: feeds and pages served on loopback, ``tagwire add`` + ``tagwire fetch`` into
a temporary database, then the tag page, its JSON and its Atom."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tagwire.settings import Settings
from tagwire.store import open_store
from tagwire.store.reads import count_articles
from tagwire.web import create_app

from .pages import article_html, rss

pytestmark = pytest.mark.slow

NOW = datetime.now(UTC)
STORIES = [
    (
        "Drought talks open in Bamako",
        [
            "Delegates from Mali and Niger met in Bamako on Tuesday to plan a shared answer to the"
            " drought that has emptied wells along the Niger River.",
            "The Malian minister of water said the two governments would pool their tanker fleets"
            " before the dry season reaches its peak in the north.",
            "Herders from Gao told the meeting that grazing land had shrunk by a third.",
        ],
    ),
    (
        "Niger and Mali agree on river monitoring",
        [
            "Engineers from Niger and Mali will install twelve gauges on the Niger River to track"
            " the water level in real time, officials said in Niamey.",
            "The data will be published every morning so that farmers downstream can plan their"
            " irrigation, a spokeswoman for the river authority explained.",
        ],
    ),
]


def serve_outlet(server: HTTPServer) -> str:
    items = []
    for number, (title, paragraphs) in enumerate(STORIES):
        path = f"/world/story-{number}"
        page = article_html(title, paragraphs, site="Test Sahel Daily", section="Environment")
        server.expect_request(path).respond_with_data(page, content_type="text/html; charset=utf-8")
        items.append(
            {
                "title": title,
                "link": server.url_for(path),
                "published": NOW - timedelta(hours=number + 1),
            }
        )
    server.expect_request("/rss").respond_with_data(
        rss("Test Sahel Daily", items), content_type="application/rss+xml"
    )
    return server.url_for("/rss")


def client_for(settings: Settings) -> TestClient:
    return TestClient(create_app(settings, open_store(settings.database_url)))


def test_add_fetch_then_tag_page_json_and_atom(site: HTTPServer, tagwire, settings: Settings):
    feed_url = serve_outlet(site)
    added = tagwire("add", feed_url)
    assert added.exit_code == 0 and "subscribed" in added.output
    fetched = tagwire("fetch")
    assert fetched.exit_code == 0
    assert "2 new" in fetched.output

    client = client_for(settings)
    page = client.get("/tags/niger-river")
    assert page.status_code == 200
    assert "Latest news with #NigerRiver" in page.text
    assert page.text.index(STORIES[0][0]) < page.text.index(STORIES[1][0])
    assert "- Environment" in page.text and "Test Sahel Daily" in page.text
    assert "1 hour ago" in page.text

    feed = client.get("/tags/niger-river.json")
    assert feed.headers["content-type"].startswith("application/feed+json")
    items = feed.json()["items"]
    assert [i["title"] for i in items] == [STORIES[0][0], STORIES[1][0]]
    assert "#Mali" in items[0]["tags"]

    atom = etree.fromstring(client.get("/tags/niger-river.atom").content)
    titles = atom.findall("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}title")
    assert [t.text for t in titles] == [STORIES[0][0], STORIES[1][0]]

    assert client.get("/tags/NigerRiver", follow_redirects=False).headers["location"] == (
        "/tags/niger-river"
    )


def test_fetching_again_never_duplicates(site: HTTPServer, tagwire, settings: Settings):
    tagwire("add", serve_outlet(site))
    tagwire("fetch")
    again = tagwire("fetch", "--all")
    assert again.exit_code == 0 and "0 new" in again.output
    assert count_articles(open_store(settings.database_url)) == 2


def test_conditional_get_uses_etag(site: HTTPServer, tagwire, settings: Settings):
    body = rss("Quiet outlet", [])
    seen: list[str | None] = []

    def conditional(request: Request) -> Response:
        seen.append(request.headers.get("If-None-Match"))
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        return Response(body, content_type="application/rss+xml", headers={"ETag": '"v1"'})

    site.expect_request("/quiet").respond_with_handler(conditional)
    tagwire("add", site.url_for("/quiet"))
    tagwire("fetch")
    tagwire("fetch", "--all")
    assert seen[-1] == '"v1"'
    listing = client_for(settings).get("/api/v1/feeds").json()
    assert listing[0]["last_status"] == "not-modified"


def test_site_url_is_autodiscovered(site: HTTPServer, tagwire):
    feed_url = serve_outlet(site)
    home = '<html><head><link rel="alternate" type="application/rss+xml" href="/rss"></head></html>'
    site.expect_request("/").respond_with_data(home, content_type="text/html")
    result = tagwire("add", site.url_for("/"))
    assert result.exit_code == 0
    assert feed_url in result.output


def test_opml_file_subscribes_every_feed(site: HTTPServer, tagwire, tmp_path):
    feed_url = serve_outlet(site)
    opml = tmp_path / "subs.opml"
    opml.write_text(
        f'<opml version="2.0"><body><outline text="News"><outline xmlUrl="{feed_url}"/>'
        "</outline></body></opml>"
    )
    result = tagwire("add", str(opml))
    assert result.exit_code == 0 and feed_url in result.output
    exported = tagwire("opml")
    assert feed_url in exported.output


def test_api_lists_tags_and_articles(site: HTTPServer, tagwire, settings: Settings):
    tagwire("add", serve_outlet(site))
    tagwire("fetch")
    client = client_for(settings)
    tags = client.get("/api/v1/tags").json()
    assert "mali" in [t["slug"] for t in tags]
    articles = client.get("/api/v1/tags/mali/articles").json()
    assert len(articles["articles"]) == 2
    first = articles["articles"][0]
    assert client.get(f"/api/v1/articles/{first['id']}").json()["title"] == first["title"]
    schema = client.get("/openapi.json").json()
    assert "/api/v1/tags/{slug}/articles" in schema["paths"]
    assert json.dumps(schema)


def test_serve_runs_the_scheduler_in_process(site: HTTPServer, tagwire, settings: Settings):
    tagwire("add", serve_outlet(site))
    engine = open_store(settings.database_url)
    with TestClient(create_app(settings, engine, workers=True)) as client:
        for _ in range(600):  # the first round starts at start-up; wait for it, not for a time
            if count_articles(engine) == 2:
                break
            time.sleep(0.1)
        assert "Drought talks open in Bamako" in client.get("/tags/bamako").text
