"""RSS 2.0 and Atom going out: each read back with feedparser, as a feed reader would.

``rss_feed`` is checked on its own (any list of articles: a tag's, a search's, an
outlet's), then through the routes of tag and search pages and the feed key."""

from __future__ import annotations

import calendar
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from fastapi.testclient import TestClient
from lxml import etree

from tagwire.drafts import describe_story
from tagwire.settings import Settings
from tagwire.store import open_store
from tagwire.store.articles import save_article
from tagwire.store.reads import ArticleView, Coverage, TagLink
from tagwire.web import create_app
from tagwire.web.feeds_out import rss_feed

from .factories import FLOOD, FLOOD_AGAIN, draft, feed, fill

NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
ATOM_LINK = "{http://www.w3.org/2005/Atom}link"
SCRIPT_TITLE = "<script>alert('title')</script> Ségou & <b>floods</b>"
PASSWORD = "reading-password"


def view(number: int, **changes: object) -> ArticleView:
    values: dict[str, object] = {
        "id": number,
        "title": f"Headline {number}",
        "url": f"https://outlet.example/a/{number}",
        "outlet": "Harbour Gazette",
        "outlet_slug": "harbour-gazette",
        "published_at": NOW - timedelta(hours=number),
        "category": "Politics",
        "section": None,
        "language": "en",
        "author": None,
        "summary": "",
        "text": f"First paragraph of {number}.\n\nSecond paragraph.",
        "extraction_status": "full",
        "tags": (TagLink("Azawad", "azawad", "place"), TagLink("Mali", "mali", "place", 0.5)),
    }
    values.update(changes)
    return ArticleView(**values)  # type: ignore[arg-type]


def rss_of(articles: list[ArticleView]) -> feedparser.FeedParserDict:
    body = rss_feed(
        "Latest news with #Azawad",
        "https://tagwire.example/tags/azawad",
        "https://tagwire.example/tags/azawad.rss",
        [(f"https://tagwire.example/articles/{a.id}", a) for a in articles],
    )
    return feedparser.parse(body)


def published(entry: feedparser.FeedParserDict) -> datetime:
    return datetime.fromtimestamp(calendar.timegm(entry.published_parsed), UTC)


# --- rss_feed on its own -----------------------------------------------------------------


def test_rss_is_rss_2_with_items_newest_first():
    parsed = rss_of([view(0), view(1), view(2)])
    assert parsed.version == "rss20" and not parsed.bozo
    assert parsed.feed.title == "Latest news with #Azawad"
    assert parsed.feed.link == "https://tagwire.example/tags/azawad"
    assert [e.title for e in parsed.entries] == ["Headline 0", "Headline 1", "Headline 2"]
    assert [published(e) for e in parsed.entries] == [NOW - timedelta(hours=n) for n in range(3)]
    self_links = [link.href for link in parsed.feed.links if link.rel == "self"]
    assert self_links == ["https://tagwire.example/tags/azawad.rss"]


def test_each_item_links_out_and_is_identified_by_our_article_url():
    entry = rss_of([view(7, author="Aminata Traoré")]).entries[0]
    assert entry.link == "https://outlet.example/a/7"
    assert entry.id == "https://tagwire.example/articles/7"
    assert entry.author == "Aminata Traoré"  # as dc:creator: RSS <author> is an e-mail
    assert [t.term for t in entry.tags] == ["Politics", "#Azawad", "#Mali"]
    assert "First paragraph of 7." in entry.summary and "Second paragraph." in entry.summary


def test_the_outlet_stands_for_a_missing_author():
    assert rss_of([view(1)]).entries[0].author == "Harbour Gazette"


def test_a_link_that_is_not_http_goes_out_as_our_article_url():
    for url in ("javascript:alert(1)", "data:text/html,<script>alert(2)</script>", "/a/1"):
        entry = rss_of([view(3, url=url)]).entries[0]
        assert entry.link == "https://tagwire.example/articles/3"


def test_markup_in_titles_and_text_comes_out_as_text():
    hostile = view(
        1,
        title=SCRIPT_TITLE,
        text="<img src=x onerror=alert(1)> and <script>alert(2)</script>",
        author="<b>Bold</b> author",
        category="<svg onload=alert(3)>",
        tags=(TagLink("<i>Tag</i>", "i-tag", "group"),),
    )
    entry = rss_of([hostile]).entries[0]
    assert entry.title == SCRIPT_TITLE and entry.title_detail.type == "text/plain"
    # The description is HTML to readers: the markup is in it as escaped text, not tags.
    assert "&lt;img src=x onerror=alert(1)&gt;" in entry.summary
    assert "<img" not in entry.summary and "<script" not in entry.summary
    assert entry.author == "<b>Bold</b> author"
    assert [t.term for t in entry.tags] == ["<svg onload=alert(3)>", "#<i>Tag</i>"]


def test_control_characters_are_stripped():
    article = view(1, title="Bell\x07 and null\x00 title", text="Tab\x0b text\x1f here")
    entry = rss_of([article]).entries[0]
    assert entry.title == "Bell and null title"
    assert "Tab text here" in entry.summary


def test_other_outlets_of_the_story_go_out_as_related_links():
    others = (
        Coverage(11, "Floods", "https://wire.example/floods", "Wire <Service>", NOW, "en", False),
        Coverage(12, "Crue", "javascript:alert(1)", "Radio Ségou", NOW, "fr", False),
    )
    body = rss_feed(
        "t",
        "https://tagwire.example/",
        "https://tagwire.example/x.rss",
        [("https://tagwire.example/articles/1", view(1, story_id=5, coverage=others))],
    )
    item = etree.fromstring(body).find("channel/item")
    related = [(link.get("href"), link.get("title")) for link in item.iter(ATOM_LINK)]
    assert related == [("https://wire.example/floods", "Wire <Service>")]
    entry = feedparser.parse(body).entries[0]
    assert "Also covered by:" in entry.summary and "Wire &lt;Service&gt;" in entry.summary
    assert "javascript:" not in entry.summary


def test_an_empty_list_is_still_a_valid_feed():
    parsed = rss_of([])
    assert parsed.version == "rss20" and parsed.entries == [] and not parsed.bozo


# --- through the site --------------------------------------------------------------------


@pytest.fixture
def client(settings, engine) -> TestClient:
    return TestClient(create_app(settings, engine))


def test_a_tag_has_atom_rss_and_json_feeds(client, engine):
    fill(engine, 3)
    response = client.get("/tags/azawad.rss")
    assert response.headers["content-type"] == "application/rss+xml; charset=utf-8"
    parsed = feedparser.parse(response.content)
    assert parsed.version == "rss20"
    assert [e.title for e in parsed.entries] == ["Headline 0", "Headline 1", "Headline 2"]
    assert parsed.entries[0].id == "http://testserver/articles/1"
    assert parsed.entries[0].link == "http://outlet.test/a/0"
    assert client.get("/tags/azawad.atom").status_code == 200
    assert client.get("/tags/azawad.json").status_code == 200


def test_the_rss_feed_follows_the_tags_other_spellings(client, engine):
    fill(engine, 1)
    moved = client.get("/tags/Azawad.rss?key=k", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == "/tags/azawad.rss?key=k"
    missing = client.get("/tags/nowhere.rss")
    assert missing.status_code == 404 and missing.json()["error"]["status"] == 404


def test_a_story_comes_once_in_the_rss_with_its_other_outlets(client, engine):
    feed_id = feed(engine)
    for number, outlet, text in ((2, "Radio Ségou", FLOOD), (1, "Wire Service", FLOOD_AGAIN)):
        base = replace(draft(feed_id, number, text=text), outlet_name=outlet)
        features, signature = describe_story(
            base.title, base.text, "en", base.tags, base.published_at, outlet
        )
        save_article(engine, replace(base, story_features=features, signature=signature))
    body = client.get("/tags/azawad.rss").content
    items = etree.fromstring(body).findall("channel/item")
    assert len(items) == 1 and items[0].findtext("title") == "Headline 1"
    assert [link.get("title") for link in items[0].iter(ATOM_LINK)] == ["Radio Ségou"]


def test_hostile_titles_stay_text_through_the_site(client, engine):
    feed_id = feed(engine)
    save_article(engine, draft(feed_id, 1, title=SCRIPT_TITLE + "\x07", url="javascript:x()"))
    entry = feedparser.parse(client.get("/tags/azawad.rss").content).entries[0]
    assert entry.title == SCRIPT_TITLE
    assert entry.link == entry.id == "http://testserver/articles/1"


def test_a_search_has_atom_rss_and_json_feeds(client, engine):
    fill(engine, 3)
    feeds = {
        "rss": feedparser.parse(client.get("/search.rss?q=sahel").content),
        "atom": feedparser.parse(client.get("/search.atom?q=sahel").content),
    }
    assert feeds["rss"].version == "rss20" and feeds["atom"].version == "atom10"
    for parsed in feeds.values():
        assert parsed.feed.title == "Search: sahel"
        assert [e.title for e in parsed.entries] == ["Headline 0", "Headline 1", "Headline 2"]
    assert len(client.get("/search.json?q=sahel").json()["items"]) == 3


def test_pages_announce_and_show_every_feed(client, engine):
    fill(engine, 1)
    for page, stem in (("/tags/azawad", "/tags/azawad"), ("/search?q=sahel", "/search")):
        html = client.get(page).text
        for kind, suffix in (("atom+xml", "atom"), ("rss+xml", "rss"), ("feed+json", "json")):
            mime = re.escape(f"application/{kind}")
            head = rf'<link rel="alternate" type="{mime}"[^>]*href="{stem}\.{suffix}'
            assert re.search(head, html), (page, kind)
            assert re.search(rf'<a href="{stem}\.{suffix}[^"]*">', html), (page, suffix)


@pytest.fixture
def closed(tmp_path):
    """A site behind a read password, and its feed key (from a logged-in page)."""
    url = f"sqlite:///{tmp_path / 'closed.sqlite3'}"
    engine = open_store(url)
    fill(engine, 2)
    settings = Settings.from_env({}, database_url=url, read_password=PASSWORD)
    client = TestClient(create_app(settings, engine))
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    client.post("/login", data={"csrf_token": token, "password": PASSWORD, "next": "/"})
    link = re.search(r'href="/tags/azawad\.rss\?key=([^"]+)"', client.get("/tags/azawad").text)
    assert link is not None
    return TestClient(create_app(settings, engine)), link.group(1)


def test_behind_a_read_password_the_new_feeds_open_with_the_feed_key(closed):
    reader, key = closed  # no session: a feed reader
    for path in ("/tags/azawad.rss", "/search.rss?q=sahel", "/search.atom?q=sahel"):
        refused = reader.get(path)
        assert refused.status_code == 401 and refused.json()["error"]["status"] == 401
        assert reader.get(path + ("&" if "?" in path else "?") + "key=wrong").status_code == 401
        opened = reader.get(path + ("&" if "?" in path else "?") + f"key={key}")
        assert opened.status_code == 200 and len(feedparser.parse(opened.content).entries) == 2
    self_link = feedparser.parse(reader.get(f"/tags/azawad.rss?key={key}").content).feed.links
    assert f"http://testserver/tags/azawad.rss?key={key}" in [link.href for link in self_link]


def test_search_feeds_count_as_searches(settings, engine):
    fill(engine, 1)
    client = TestClient(create_app(replace(settings, search_rate_limit=2), engine))
    client.app.state.rate_limiter.clock = lambda: 1000.0
    assert client.get("/search.rss?q=sahel").status_code == 200
    assert client.get("/search.atom?q=sahel").status_code == 200
    refused = client.get("/search.rss?q=sahel")
    assert refused.status_code == 429 and "retry-after" in refused.headers
