"""End to end: three outlets report one event, a fourth re-publishes one report word for
word, and an unrelated event of the same kind happens elsewhere. After ``tagwire add`` and
``tagwire fetch`` the tag page shows the event once, with the other outlets listed under
it, and ``/stories/{id}`` lists the whole coverage, oldest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from pytest_httpserver import HTTPServer
from sqlalchemy import insert

from tagwire.settings import Settings
from tagwire.store import open_store
from tagwire.store.schema import stories
from tagwire.web import create_app

from .pages import article_html, rss

pytestmark = pytest.mark.slow

NOW = datetime.now(UTC)
BRIDGE = [
    (
        "Sahel Courier",
        "Bridge over the Bani collapses in Mopti, fourteen missing",
        [
            "A 62-metre road bridge over the Bani River collapsed in Mopti on Sunday evening,"
            " sending two lorries and a minibus into the water. Fourteen people are missing.",
            "Firefighters from Mopti and Sévaré searched the river through the night with two"
            " boats, the regional governor Abdoulaye Traoré said.",
            "The bridge, built in 1974, had been closed to heavy traffic last year after"
            " engineers found cracks in its central pier.",
        ],
        3,
    ),
    (
        "River Post",
        "Fourteen feared dead as Mopti bridge falls into the Bani",
        [
            "Rescuers in Mopti were still searching the Bani River on Monday for fourteen people"
            " who disappeared when the 62-metre bridge gave way under two lorries and a minibus.",
            "Governor Abdoulaye Traoré said the central pier, cracked since last year, had"
            " failed. The bridge dated from 1974.",
            "Families waited on the bank near Sévaré as divers from Bamako joined the search.",
        ],
        2,
    ),
    (
        "Niger Valley Times",
        "Mopti bridge collapse: divers join search for fourteen missing",
        [
            "Divers sent from Bamako joined the search on the Bani River at Mopti, where a"
            " 62-metre bridge collapsed with two lorries and a minibus on it.",
            "Fourteen people remain missing, according to governor Abdoulaye Traoré, who"
            " ordered an inquiry into why the 1974 bridge was still open to lorries.",
        ],
        1,
    ),
]
# Another event of the same kind, far away and months earlier: not the same story.
OTHER_BRIDGE = (
    "Sahel Courier",
    "Footbridge washed away by floods in Kayes",
    [
        "Floodwater from the Senegal River carried away a wooden footbridge in Kayes, cutting"
        " off the Légal Ségou neighbourhood from the market, the mayor Fatoumata Diarra said.",
        "Nobody was hurt. The town council voted funds for a steel replacement by March.",
    ],
    200,
)
SYNDICATING_OUTLET = "Wire Pickup Daily"  # runs the River Post's report word for word


def serve(server: HTTPServer) -> list[str]:
    """One feed per outlet, each with its pages; the feeds' URLs."""
    by_outlet: dict[str, list[tuple[str, list[str], float]]] = {}
    for outlet, title, paragraphs, hours in [*BRIDGE, OTHER_BRIDGE]:
        by_outlet.setdefault(outlet, []).append((title, paragraphs, hours))
    _, title, paragraphs, hours = BRIDGE[1]
    by_outlet[SYNDICATING_OUTLET] = [(title, paragraphs, hours - 0.5)]
    feeds = []
    for number, (outlet, reports) in enumerate(by_outlet.items()):
        items = []
        for index, (title, paragraphs, hours) in enumerate(reports):
            path = f"/outlet-{number}/news/{index}"
            page = article_html(title, paragraphs, site=outlet)
            server.expect_request(path).respond_with_data(
                page, content_type="text/html; charset=utf-8"
            )
            published = NOW - timedelta(hours=hours)
            items.append({"title": title, "link": server.url_for(path), "published": published})
        server.expect_request(f"/outlet-{number}/rss").respond_with_data(
            rss(outlet, items), content_type="application/rss+xml"
        )
        feeds.append(server.url_for(f"/outlet-{number}/rss"))
    return feeds


@pytest.fixture
def client(site: HTTPServer, tagwire, settings: Settings) -> TestClient:
    assert tagwire("add", *serve(site)).exit_code == 0
    fetched = tagwire("fetch")
    assert fetched.exit_code == 0, fetched.output
    return TestClient(create_app(settings, open_store(settings.database_url)))


def test_one_event_from_three_outlets_is_one_story_on_the_tag_page(client: TestClient):
    page = client.get("/tags/mopti")
    assert page.status_code == 200
    html = etree.HTML(page.text)
    entries = html.findall(".//article")
    assert len(entries) == 1, [e.findtext(".//h2/a") for e in entries]
    entry = entries[0]
    assert entry.findtext(".//h2/a") == BRIDGE[2][1]  # the newest report, in full
    also = [a.text for a in entry.findall(".//div[@class='coverage']/ul/li/a")]
    assert sorted(also) == sorted([BRIDGE[0][0], BRIDGE[1][0]])
    copies = entry.findall(".//div[@class='coverage']/p[@class='coverage-label']/a")
    assert SYNDICATING_OUTLET in [a.text for a in copies]

    kayes = client.get("/tags/kayes").text
    assert OTHER_BRIDGE[1] in kayes and "Also covered by" not in kayes


def test_story_page_lists_the_coverage_oldest_first(client: TestClient):
    item = client.get("/tags/mopti.json").json()["items"][0]
    story = item["_tagwire"]["story"]
    others = [c["outlet"] for c in story["also_covered_by"]]
    assert sorted(others) == sorted([BRIDGE[0][0], BRIDGE[1][0], SYNDICATING_OUTLET])
    assert [c["duplicate"] for c in story["also_covered_by"]].count(True) == 1

    page = client.get(f"/stories/{story['id']}")
    assert page.status_code == 200
    outlets = [p.text.strip() for p in etree.HTML(page.text).findall(".//p[@class='outlet']")]
    assert outlets == [BRIDGE[0][0], BRIDGE[1][0], SYNDICATING_OUTLET, BRIDGE[2][0]]

    api = client.get(f"/api/v1/stories/{story['id']}").json()
    assert api["article_count"] == 4 and api["outlet_count"] == 4
    assert client.get("/stories/999999").status_code == 404

    # A story a later report showed to be part of this one leads to it.
    with client.app.state.engine.begin() as conn:
        absorbed = conn.execute(
            insert(stories).values(
                title="Lone report", first_seen_at=NOW, last_seen_at=NOW, article_count=0,
                outlet_count=0, merged_into=story["id"],
            )
        ).inserted_primary_key[0]  # fmt: skip
    for url in (f"/stories/{absorbed}", f"/api/v1/stories/{absorbed}"):
        moved = client.get(url, follow_redirects=False)
        assert moved.status_code == 301
        assert moved.headers["location"] == url.replace(str(absorbed), str(story["id"]))

    atom = etree.fromstring(client.get("/tags/mopti.atom").content)
    related = atom.findall("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}link")
    assert len([link for link in related if link.get("rel") == "related"]) == 3
