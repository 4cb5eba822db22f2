"""What leaves tagwire whole: the subscriptions as OPML (web and CLI, and back in through
``tagwire add``), and a tag's whole archive as JSON Lines (web and CLI)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from tagwire.drafts import describe_story
from tagwire.settings import Settings
from tagwire.store import open_store
from tagwire.store.articles import save_article
from tagwire.store.exports import tag_archive
from tagwire.store.feeds import add_feed, list_feeds
from tagwire.store.reads import find_tag
from tagwire.web import create_app

from .conftest import Tagwire
from .factories import FLOOD, FLOOD_AGAIN, draft, feed, fill
from .pages import rss

PASSWORD = "reading-password"
SECRET_FEED = "https://reader:s3cret@private.example/feed?token=feed-key-123&format=rss"


@pytest.fixture
def client(settings, engine) -> TestClient:
    return TestClient(create_app(settings, engine))


def lines_of(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


# --- OPML --------------------------------------------------------------------------------


def subscribe(engine, url: str, title: str | None, outlet: str, site: str | None = None) -> int:
    feed_id, _ = add_feed(engine, url, title=title, site_url=site, kind="rss", outlet_name=outlet)
    return feed_id


def outlines(opml: bytes) -> dict[str, list[dict[str, str]]]:
    """Outlet -> the attributes of its feeds' outlines."""
    root = etree.fromstring(opml)
    assert root.get("version") == "2.0"
    return {group.get("text"): [dict(feed.attrib) for feed in group] for group in root.find("body")}


def test_the_subscriptions_page_is_opml_grouped_by_outlet(client, engine):
    subscribe(
        engine, "https://gazette.example/rss", "Gazette news", "Gazette", "https://gazette.example/"
    )
    subscribe(engine, "https://gazette.example/sport.rss", None, "Gazette")
    subscribe(engine, "https://radio.example/feed", 'Radio "Ségou" & <Co>\x07', "Radio Ségou")
    response = client.get("/subscriptions.opml")
    assert response.headers["content-type"] == "text/x-opml; charset=utf-8"
    assert outlines(response.content) == {
        "Gazette": [
            {
                "type": "rss",
                "text": "Gazette news",
                "title": "Gazette news",
                "xmlUrl": "https://gazette.example/rss",
                "htmlUrl": "https://gazette.example/",
            },
            {
                "type": "rss",
                "text": "Gazette",
                "title": "Gazette",
                "xmlUrl": "https://gazette.example/sport.rss",
            },
        ],
        "Radio Ségou": [
            {
                "type": "rss",
                "text": 'Radio "Ségou" & <Co>',
                "title": 'Radio "Ségou" & <Co>',
                "xmlUrl": "https://radio.example/feed",
            }
        ],
    }


def test_the_web_opml_masks_secrets_and_drops_non_web_homepages(client, engine):
    subscribe(engine, SECRET_FEED, "<script>alert(1)</script>", "Private", "javascript:alert(2)")
    body = client.get("/subscriptions.opml").content
    assert b"s3cret" not in body and b"feed-key-123" not in body and b"<script>" not in body
    (shown,) = outlines(body)["Private"]
    assert shown["xmlUrl"] == "https://private.example/feed?token=***&format=rss"
    assert shown["text"] == "<script>alert(1)</script>" and "htmlUrl" not in shown


def test_the_command_line_opml_is_whole(tagwire, engine, tmp_path):
    subscribe(engine, SECRET_FEED, None, "Private")
    printed = tagwire("export-opml")
    escaped = SECRET_FEED.replace("&", "&amp;")
    assert printed.exit_code == 0 and f'xmlUrl="{escaped}"' in printed.output
    written = tmp_path / "subscriptions.opml"
    assert tagwire("export-opml", str(written)).exit_code == 0
    assert outlines(written.read_bytes())["Private"][0]["xmlUrl"] == SECRET_FEED
    assert f'xmlUrl="{escaped}"' in tagwire("opml").output  # its first name


def test_exported_opml_subscribes_a_fresh_store_to_the_same_feeds(site, tagwire, tmp_path):
    for path, title in (("/gazette.xml", "Harbour Gazette"), ("/radio.xml", "Radio Ségou")):
        item = {"title": "Tides", "link": site.url_for("/a/1"), "published": datetime.now(UTC)}
        site.expect_request(path).respond_with_data(
            rss(title, [item]), content_type="application/rss+xml"
        )
    assert tagwire("add", site.url_for("/gazette.xml"), site.url_for("/radio.xml")).exit_code == 0
    exported = tmp_path / "subscriptions.opml"
    assert tagwire("export-opml", str(exported)).exit_code == 0

    fresh_url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    imported = Tagwire(fresh_url)("add", str(exported))
    assert imported.exit_code == 0, imported.output

    def subscriptions(url: str) -> list[tuple[str, str | None, str]]:
        return sorted((f.url, f.title, f.outlet) for f in list_feeds(open_store(url)))

    assert subscriptions(tagwire.env["TAGWIRE_DATABASE_URL"]) == subscriptions(fresh_url)
    assert len(subscriptions(fresh_url)) == 2


# --- a tag's archive ---------------------------------------------------------------------


def story_article(engine, feed_id: int, number: int, outlet: str, text: str) -> int:
    base = replace(draft(feed_id, number, text=text), outlet_name=outlet)
    features, signature = describe_story(
        base.title, base.text, "en", base.tags, base.published_at, outlet
    )
    article_id, _ = save_article(
        engine, replace(base, story_features=features, signature=signature)
    )
    return article_id


def test_the_export_holds_every_article_with_what_was_found(client, engine, settings):
    feed_id = fill(engine, settings.page_size + 3)
    first = story_article(engine, feed_id, 100, "Radio Ségou", FLOOD)
    second = story_article(engine, feed_id, 101, "Wire Service", FLOOD_AGAIN)
    copy = story_article(engine, feed_id, 102, "Copy Desk", FLOOD)
    response = client.get("/tags/azawad/export.jsonl")
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.headers["content-disposition"] == "attachment; filename*=UTF-8''azawad.jsonl"
    rows = lines_of(response.text)
    assert len(rows) == settings.page_size + 6  # not paged, stories not folded
    stamps = [(r["published_at"], r["id"]) for r in rows]
    assert stamps == sorted(stamps, reverse=True)
    by_id = {r["id"]: r for r in rows}
    assert by_id[first]["story_id"] == by_id[second]["story_id"] == by_id[copy]["story_id"]
    assert by_id[first]["story_id"] is not None and by_id[copy]["duplicate_of"] == first
    newest = rows[0]
    assert set(newest) == {
        "id", "url", "outlet", "outlet_slug", "language", "published_at", "category",
        "category_source", "category_confidence", "title", "author", "text", "tags",
        "story_id", "duplicate_of",
    }  # fmt: skip
    assert newest["url"] == "http://outlet.test/a/0" and newest["outlet"] == "Test Outlet"
    assert newest["title"] == "Headline 0" and newest["category"] == "Politics"
    assert newest["tags"] == [
        {"label": "Azawad", "slug": "azawad", "kind": "place", "salience": 1.0},
        {"label": "Mali", "slug": "mali", "kind": "place", "salience": 0.5},
    ]


def test_the_archive_is_read_in_batches_without_losing_ties(engine):
    feed_id = feed(engine)
    same_time = datetime(2026, 2, 1, 12, tzinfo=UTC)
    ids = [save_article(engine, draft(feed_id, n, published_at=same_time))[0] for n in range(7)]
    tag = find_tag(engine, "azawad")
    assert tag is not None
    for size, lengths in ((3, [3, 3, 1]), (7, [7]), (8, [7])):
        batches = list(tag_archive(engine, tag.id, batch=size))
        assert [len(b) for b in batches] == lengths
        assert [a.id for b in batches for a in b] == sorted(ids, reverse=True)


def dated(engine, days: list[int]) -> None:
    feed_id = feed(engine)
    for day in days:
        published = datetime(2026, 1, day, 23, 59, tzinfo=UTC)
        save_article(engine, draft(feed_id, day, published_at=published))


def test_since_and_until_take_whole_days(client, engine):
    dated(engine, [1, 2, 3, 4, 5])
    rows = lines_of(client.get("/tags/azawad/export.jsonl?since=2026-01-02&until=2026-01-04").text)
    assert [r["title"] for r in rows] == ["Headline 4", "Headline 3", "Headline 2"]
    assert lines_of(client.get("/tags/azawad/export.jsonl?since=2026-02-01").text) == []
    assert len(lines_of(client.get("/tags/azawad/export.jsonl?until=9999-12-31").text)) == 5
    assert client.get("/tags/azawad/export.jsonl?since=yesterday").status_code == 404


def test_the_export_follows_other_spellings_and_knows_unknown_tags(client, engine):
    fill(engine, 1)
    moved = client.get("/tags/Azawad/export.jsonl?since=2026-01-01", follow_redirects=False)
    assert moved.status_code == 301
    assert moved.headers["location"] == "/tags/azawad/export.jsonl?since=2026-01-01"
    missing = client.get("/tags/nowhere/export.jsonl")
    assert missing.status_code == 404 and missing.json()["error"]["status"] == 404


def test_the_tag_page_links_its_export(client, engine):
    fill(engine, 1)
    assert 'href="/tags/azawad/export.jsonl"' in client.get("/tags/azawad").text


def test_exports_count_as_searches(settings, engine):
    fill(engine, 1)
    client = TestClient(create_app(replace(settings, search_rate_limit=1), engine))
    client.app.state.rate_limiter.clock = lambda: 1000.0
    assert client.get("/tags/azawad/export.jsonl").status_code == 200
    assert client.get("/tags/azawad/export.jsonl").status_code == 429


def test_the_command_line_exports_a_tag(tagwire, engine, tmp_path):
    dated(engine, [1, 2, 3])
    printed = tagwire("export-tag", "#Azawad", "--since", "2026-01-02")
    assert printed.exit_code == 0
    assert [r["title"] for r in lines_of(printed.output)] == ["Headline 3", "Headline 2"]
    written = tmp_path / "azawad.jsonl"
    result = tagwire("export-tag", "azawad", "--until", "2026-01-01", str(written))
    assert result.exit_code == 0 and result.output == ""
    assert [r["title"] for r in lines_of(written.read_text())] == ["Headline 1"]
    unknown = tagwire("export-tag", "nowhere")
    assert unknown.exit_code == 2 and "no tag 'nowhere'" in unknown.output


# --- behind a read password --------------------------------------------------------------


def test_behind_a_read_password_exports_open_with_a_login_or_the_feed_key(tmp_path):
    url = f"sqlite:///{tmp_path / 'closed.sqlite3'}"
    engine = open_store(url)
    fill(engine, 2)
    settings = Settings.from_env({}, database_url=url, read_password=PASSWORD)
    reader = TestClient(create_app(settings, engine))
    for path in ("/subscriptions.opml", "/tags/azawad/export.jsonl"):
        refused = reader.get(path)
        assert refused.status_code == 401 and refused.json()["error"]["status"] == 401
        assert reader.get(path + "?key=wrong").status_code == 401

    form = reader.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    reader.post("/login", data={"csrf_token": token, "password": PASSWORD, "next": "/"})
    page = reader.get("/tags/azawad").text
    key = re.search(r'href="/tags/azawad/export\.jsonl\?key=([^"]+)"', page).group(1)
    assert reader.get("/subscriptions.opml").status_code == 200  # the session

    feed_reader = TestClient(create_app(settings, engine))
    assert len(lines_of(feed_reader.get(f"/tags/azawad/export.jsonl?key={key}").text)) == 2
    assert feed_reader.get(f"/subscriptions.opml?key={key}").status_code == 200
