"""Pages, feeds and the API over a store filled directly (no fetching, no NLP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tagwire.store.articles import save_article
from tagwire.web import create_app
from tagwire.web.dates import human_date

from .factories import draft, feed, fill


@pytest.fixture
def client(settings, engine) -> TestClient:
    return TestClient(create_app(settings, engine))


def test_home_lists_latest_articles_and_top_tags(client, engine):
    fill(engine, 3)
    page = client.get("/")
    assert page.status_code == 200
    assert "Headline 0" in page.text and "#Azawad" in page.text


def test_tag_page_title_order_and_links(client, engine):
    fill(engine, 3)
    page = client.get("/tags/azawad")
    assert "<title>Latest news with #Azawad</title>" in page.text
    assert page.text.index("Headline 0") < page.text.index("Headline 2")
    assert 'href="/tags/mali"' in page.text
    assert 'rel="noopener noreferrer nofollow"' in page.text
    assert 'type="application/atom+xml"' in page.text


def test_other_spellings_redirect_to_the_canonical_slug(client, engine):
    fill(engine, 1)
    for path in ("/tags/Azawad", "/tags/AZAWAD", "/tags/Azawad.json"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 301
        assert response.headers["location"].startswith("/tags/azawad")


def test_unknown_tag_is_a_404_page(client):
    response = client.get("/tags/nowhere")
    assert response.status_code == 404 and "No articles" in response.text
    assert client.get("/tags/nowhere.json").json()["error"]["status"] == 404


def test_pagination_by_cursor(client, engine, settings):
    fill(engine, settings.page_size + 5)
    first = client.get("/tags/azawad.json").json()
    assert len(first["items"]) == settings.page_size
    second = client.get(first["next_url"]).json()
    assert len(second["items"]) == 5
    assert client.get("/tags/azawad?cursor=%%%").status_code == 400


def test_article_page_shows_the_whole_text(client, engine):
    feed_id = feed(engine)
    article_id, _ = save_article(engine, draft(feed_id, 1, text="First part.\n\nSecond part."))
    page = client.get(f"/articles/{article_id}")
    assert "First part." in page.text and "Second part." in page.text
    assert client.get("/articles/999").status_code == 404


def test_hostile_strings_render_inert(client, engine):
    feed_id = feed(engine)
    save_article(
        engine,
        draft(
            feed_id,
            1,
            title="<script>alert(1)</script>",
            text="<img src=x onerror=alert(1)>",
            outlet_name="<b>Evil</b>",
        ),
    )
    page = client.get("/tags/azawad").text
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>Evil" not in page
    headers = client.get("/tags/azawad").headers
    policy = headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("age", "shown"),
    [
        (timedelta(days=4, hours=20), "4 days ago"),
        (timedelta(hours=2, minutes=59), "2 hours ago"),
        (timedelta(days=6, hours=23), "6 days ago"),
        (timedelta(days=7), "18-01-2026"),
    ],
)
def test_dates_are_relative_under_a_week(age, shown):
    now = datetime(2026, 1, 25, 12, tzinfo=UTC)
    assert human_date(now - age, now) == shown


def test_openapi_describes_the_api(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/tags", "/api/v1/articles/{article_id}", "/api/v1/feeds"} <= set(paths)


def test_control_characters_do_not_break_the_atom_feed(client, engine):
    feed_id = feed(engine)
    save_article(engine, draft(feed_id, 1, title="Bell\x07 and null\x00 title"))
    assert client.get("/tags/azawad.atom").status_code == 200


def test_out_of_range_numbers_are_client_errors(client, engine):
    import base64

    fill(engine, 1)
    huge = base64.urlsafe_b64encode(b"2025-01-01T00:00:00|99999999999999999999").decode()
    assert client.get(f"/tags/azawad?cursor={huge}").status_code == 400
    assert client.get("/articles/99999999999999999999").status_code == 404
    assert client.get("/api/v1/articles/99999999999999999999").status_code == 422


def test_the_api_docs_may_load_swagger_ui(client):
    response = client.get("/docs")
    assert "cdn.jsdelivr.net" in response.headers["content-security-policy"]


def test_feeds_page_shows_each_feeds_health(client, engine):
    from datetime import UTC, datetime

    from tagwire.store.feeds import record_failure

    feed_id = fill(engine, 3)
    record_failure(engine, feed_id, error="HTTP 404 Not Found", next_check_at=datetime.now(UTC))
    page = client.get("/feeds").text
    assert "Test Outlet" in page and "HTTP 404 Not Found" in page and "(1 error)" in page


def test_the_article_page_keeps_paragraphs_and_list_pages_join_them(client, engine):
    feed_id = feed(engine)
    article_id, _ = save_article(engine, draft(feed_id, 1, text="One.\nTwo.\n\nThree."))
    page = client.get(f"/articles/{article_id}").text
    assert page.count('<p class="text">') == 3
    assert "One. Two. Three." in client.get("/tags/azawad").text
