"""Managing tags end to end: articles fetched from loopback and tagged by the real models,
then ``tagwire tags alias add`` + ``tagwire retag`` and ``tagwire tags merge`` change what
the tag pages show, and articles fetched afterwards follow the change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tagwire.settings import Settings
from tagwire.store import open_store
from tagwire.web import create_app

from .pages import article_html, rss

pytestmark = pytest.mark.slow

NOW = datetime.now(UTC)
SITE = "Test Sahel Daily"
ARTICLES = {
    "convoy": (
        "en",
        "Convoy attacked on the road to Boni",
        [
            "Gunmen attacked a supply convoy on the road between Douentza and Boni in central"
            " Mali on Sunday, the army said.",
            "The army blamed Jama'at Nasr al-Islam wal-Muslimin, the al-Qaeda affiliate that has"
            " kept Boni under blockade for months.",
            "Traders in Douentza said fuel prices had doubled since the blockade began.",
        ],
    ),
    "dialogue": (
        "fr",
        "Le Mali et l'Algérie relancent le dialogue sur le nord",
        [
            "Les ministres des affaires étrangères du Mali et de l'Algérie se sont retrouvés"
            " lundi à Alger pour relancer le dialogue sur le nord du pays.",
            "Les délégations ont évoqué les routes commerciales vers Kidal et le retour des"
            " réfugiés installés dans les camps du sud algérien.",
            "Un nouveau rendez-vous est prévu à Bamako le mois prochain, selon le communiqué"
            " commun publié par les deux gouvernements.",
        ],
    ),
    "talks": (
        "ar",
        "محادثات جديدة حول أزواد",
        [
            "اجتمع ممثلون عن الحكومة وعن حركات أزواد يوم الاثنين لبحث مستقبل الاتفاق الموقع"
            " قبل سنوات.",
            "وقال دبلوماسيون إن المحادثات تناولت عودة اللاجئين وإعادة فتح الطرق التجارية في"
            " الشمال.",
            "ومن المنتظر أن تستأنف المفاوضات في الشهر المقبل بحضور وسطاء من دول الجوار.",
        ],
    ),
    "later": (
        "en",
        "Al-Qaeda affiliate claims attack near Boni",
        [
            "An al-Qaeda affiliate said on Tuesday that its fighters had attacked an army post"
            " near Boni, two days after a convoy was ambushed on the same road.",
            "The army said it had pushed the attackers back towards the Gourma forest.",
        ],
    ),
}


class Outlet:
    """One RSS feed whose items can be added while the test runs."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.items: list[dict[str, str | datetime | None]] = []
        server.expect_request("/rss").respond_with_handler(self.feed)

    def publish(self, key: str) -> None:
        language, title, paragraphs = ARTICLES[key]
        path = f"/news/{key}"
        page = article_html(title, paragraphs, site=SITE, section="World", lang=language)
        self.server.expect_request(path).respond_with_data(
            page, content_type="text/html; charset=utf-8"
        )
        published = NOW - timedelta(hours=len(ARTICLES) - len(self.items))
        self.items.append(
            {"title": title, "link": self.server.url_for(path), "published": published}
        )

    def feed(self, _request: Request) -> Response:
        return Response(rss(SITE, self.items), content_type="application/rss+xml")


def test_alias_retag_and_merge_change_the_tag_pages(site: HTTPServer, tagwire, settings: Settings):
    outlet = Outlet(site)
    for key in ("convoy", "dialogue", "talks"):
        outlet.publish(key)
    assert tagwire("add", site.url_for("/rss")).exit_code == 0
    assert "3 new" in tagwire("fetch").output
    client = TestClient(create_app(settings, open_store(settings.database_url)))

    # A French article about Mali is on #Mali.
    assert ARTICLES["dialogue"][1].replace("'", "&#39;") in client.get("/tags/mali").text
    # Arabic has neither a model nor capitals: nothing names Azawad in it yet.
    assert ARTICLES["talks"][1] not in client.get("/tags/azawad").text
    assert "up to date" in tagwire("retag").output

    added = tagwire("tags", "alias", "add", "Azawad", "أزواد")
    assert added.exit_code == 0 and "1 stored articles are to be tagged again" in added.output
    retagged = tagwire("retag")
    assert retagged.exit_code == 0 and "tagged 1 articles again" in retagged.output
    assert ARTICLES["talks"][1] in client.get("/tags/azawad").text
    assert "أزواد" in client.get("/api/v1/tags/azawad").json()["aliases"]

    merged = tagwire("tags", "merge", "#AlQaeda", "#JNIM")
    assert merged.exit_code == 0 and "merged into #JNIM" in merged.output
    moved = client.get("/tags/al-qaeda", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == "/tags/jnim"
    convoy = client.get("/api/v1/tags/jnim/articles").json()["articles"][0]
    assert [t["slug"] for t in convoy["tags"]].count("jnim") == 1
    assert "al-qaeda" not in [t["slug"] for t in convoy["tags"]]

    # What is fetched afterwards follows the merge.
    outlet.publish("later")
    assert "1 new" in tagwire("fetch", "--all").output
    later = client.get("/tags/jnim").text
    assert ARTICLES["later"][1] in later
    assert client.get("/api/v1/tags/al-qaeda").status_code == 404
    assert "merge" in tagwire("tags", "log").output
