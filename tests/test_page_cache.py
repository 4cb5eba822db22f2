"""Pages kept while the store has not changed: served again until an article is stored or a
tag changes, with an ETag that earns a 304; nothing personal or failed is kept."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tagwire.store.articles import save_article
from tagwire.store.curation import rename_tag
from tagwire.web import create_app
from tagwire.web.access import SESSION_COOKIE, feed_key
from tagwire.web.cache import PageCache, tag_slug

from .factories import draft, feed, fill, tag


@pytest.fixture
def client(settings, engine) -> TestClient:
    return TestClient(create_app(settings, engine))


def page_cache(client: TestClient) -> PageCache:
    layer = client.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(layer, PageCache):
        layer = layer.app
    return layer


def test_a_page_is_kept_until_an_article_is_stored(client, engine):
    fill(engine, 2)
    client.get("/")  # builds the middleware stack
    cache = page_cache(client)
    first = client.get("/tags/azawad")
    again = client.get("/tags/azawad")
    assert cache.hits == 1 and again.text == first.text
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["content-security-policy"]  # the outer layers still apply

    save_article(engine, draft(feed(engine), 9, title="Late news from Kidal"))
    fresh = client.get("/tags/azawad")
    assert cache.hits == 1 and "Late news from Kidal" in fresh.text
    assert fresh.headers["etag"] != first.headers["etag"]


def test_a_tag_change_renders_the_page_again(client, engine):
    fill(engine, 1)
    client.get("/tags/mali")
    rename_tag(engine, "mali", "MaliRepublic")
    assert "MaliRepublic" in client.get("/tags/mali", follow_redirects=True).text


def test_the_etag_sent_back_gets_a_304(client, engine):
    fill(engine, 1)
    etag = client.get("/tags/azawad.atom").headers["etag"]
    unchanged = client.get("/tags/azawad.atom", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    other = client.get("/tags/azawad.atom", headers={"If-None-Match": 'W/"other"'})
    assert other.status_code == 200 and other.content


def test_languages_are_kept_apart(client, engine):
    fill(engine, 1)
    client.get("/tags/azawad", headers={"Accept-Language": "fr"})
    client.get("/tags/azawad", headers={"Accept-Language": "en"})
    assert page_cache(client).hits == 0


def test_errors_sessions_search_and_the_api_are_not_kept(client, engine):
    fill(engine, 1)
    for _ in range(2):
        assert client.get("/tags/nowhere").status_code == 404
        client.get("/search?q=Headline")
        client.get("/api/v1/tags")
        client.head("/tags/azawad")
    client.cookies.set(SESSION_COOKIE, "x.y.z")
    client.get("/tags/azawad")
    client.get("/tags/azawad")
    assert page_cache(client).hits == 0


def test_the_setting_turns_it_off(settings, engine):
    client = TestClient(create_app(settings.replace(page_cache=False), engine))
    fill(engine, 1)
    client.get("/")
    layer, kinds = client.app.middleware_stack, []  # type: ignore[attr-defined]
    while hasattr(layer, "app"):
        kinds.append(type(layer))
        layer = layer.app
    assert PageCache not in kinds


def test_the_host_a_page_was_asked_for_is_part_of_its_key(client, engine):
    fill(engine, 1)
    forged = client.get("/tags/azawad.rss", headers={"Host": "evil.example"})
    assert "evil.example" in forged.text
    assert "evil.example" not in client.get("/tags/azawad.rss").text


def test_a_session_in_any_cookie_header_is_never_kept(client, engine):
    fill(engine, 1)
    split = [("cookie", f"{SESSION_COOKIE}=x.y.z"), ("cookie", "tagwire_hl=en")]
    for _ in range(2):
        client.get("/tags/azawad", headers=split)
    assert page_cache(client).hits == 0


def test_kept_pages_stay_within_their_bytes(settings, engine):
    fill(engine, 3)
    client = TestClient(create_app(settings, engine))
    client.get("/")
    cache = page_cache(client)
    cache.max_bytes = len(client.get("/tags/azawad").content) + 10
    client.get("/tags/mali")  # pushes the first page out
    client.get("/tags/azawad")
    assert cache.hits == 0 and cache._bytes <= cache.max_bytes


def test_pages_behind_a_login_stay_private(settings, engine):
    fill(engine, 1)
    locked = settings.replace(read_password="a long password", secret_key="k" * 32)
    client = TestClient(create_app(locked, engine))
    client.get("/")
    feed = client.get(f"/tags/azawad.atom?key={feed_key(locked)}")
    assert feed.status_code == 200
    assert feed.headers["cache-control"] == "private, no-cache"


def test_a_tag_page_outlives_articles_on_other_tags(client, engine):
    feed_id = fill(engine, 2)
    client.get("/")
    cache = page_cache(client)
    client.get("/tags/azawad.atom")
    other = (tag("Senegal", "senegal"),)
    save_article(engine, draft(feed_id, 7, title="Dakar votes", tags=other))
    assert "Dakar votes" not in client.get("/tags/azawad.atom").text and cache.hits == 1
    save_article(engine, draft(feed_id, 8, title="Kidal again"))  # tagged #Azawad
    assert "Kidal again" in client.get("/tags/azawad.atom").text


def test_the_tag_of_a_path():
    assert tag_slug("/tags/azawad") == tag_slug("/tags/azawad.rss") == "azawad"
    assert tag_slug("/tags/st.louis") == "st.louis"
    assert tag_slug("/tags/azawad/export.jsonl") is None and tag_slug("/") is None
