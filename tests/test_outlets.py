"""Outlet facts: the bundled list and how an outlet is matched to it, the facts a user sets
with ``tagwire outlets``, the outlet page with its feeds' health and extraction share, and
the facts beside each outlet's name on the tag page."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from importlib import resources

import pycountry
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tagwire.drafts import describe_story
from tagwire.outlets.facts import find_facts
from tagwire.store.articles import save_article
from tagwire.store.feeds import add_feed, record_failure
from tagwire.store.outlet_reads import find_outlet
from tagwire.store.outlets import fill_outlet_facts, set_outlet_facts
from tagwire.store.schema import outlets
from tagwire.web import create_app

from .factories import FLOOD, FLOOD_AGAIN, draft, feed


@pytest.fixture
def client(settings, engine) -> TestClient:
    return TestClient(create_app(settings, engine))


def outlet_feed(engine, name: str, url: str, site: str | None = None) -> int:
    feed_id, _ = add_feed(engine, url, title=name, site_url=site, kind="rss", outlet_name=name)
    return feed_id


# The bundled list


def test_bundled_facts_are_well_formed():
    data = json.loads(resources.files("tagwire.outlets").joinpath("facts.json").read_text())
    entries = data["outlets"]
    assert len(entries) >= 150
    domains = [d for e in entries for d in e["domains"]]
    assert len(domains) == len(set(domains)), "a domain belongs to one outlet"
    for entry in entries:
        assert pycountry.countries.get(alpha_2=entry["country"]), entry["name"]
        assert entry["languages"] and all(
            pycountry.languages.get(alpha_2=code) for code in entry["languages"]
        ), entry["name"]
        assert entry["ownership"].strip() and isinstance(entry["state_affiliated"], bool)
        assert all("://" not in d and d == d.lower() and "." in d for d in entry["domains"])


@pytest.mark.parametrize(
    ("url", "outlet"),
    [
        ("https://feeds.bbci.co.uk/news/world/rss.xml", "BBC"),
        ("https://www.bbc.com/news/world-africa", "BBC"),
        ("https://www.bbc.com/afrique/region-12345", "BBC Afrique"),
        ("https://feeds.bbci.co.uk/afrique/rss.xml", "BBC Afrique"),
        ("https://francais.rt.com/rss", "RT"),
        ("https://www.lemonde.fr/afrique/rss_full.xml", "Le Monde Afrique"),
        ("https://www.lemonde.fr/international/rss_full.xml", "Le Monde"),
        ("https://www.yabiladi.com/rss/", "Ya Biladi"),
        ("https://lematin.ma/rss", "Le Matin"),
        ("aljazeera.com", "Al Jazeera"),
        ("https://WWW.AA.COM.TR./fr/rss/default?cat=afrique", "Anadolu Agency"),
    ],
)
def test_facts_are_found_by_the_site_of_a_feed_or_homepage(url, outlet):
    found = find_facts(url)
    assert found is not None and found.name == outlet


def test_a_site_matches_on_whole_labels_only():
    assert find_facts("https://notbbc.com/feed") is None
    assert find_facts("https://bbc.com.example.test/feed") is None
    assert find_facts("https://co.uk/") is None
    assert find_facts("http://[::1]:8080/feed", "not a url at all") is None


def test_facts_are_found_by_name_when_the_site_is_unknown():
    russia_today = find_facts("http://127.0.0.1:8000/feed", name="Russia Today")
    assert russia_today is not None and russia_today.country == "RU"
    assert russia_today.state_affiliated is True
    assert find_facts(name="AGENCE FRANCE-PRESSE").name == "Agence France-Presse"
    assert find_facts(name="Ya Biladi").state_affiliated is False
    # Two outlets are called "Le Matin": the name alone finds neither.
    assert find_facts(name="Le Matin") is None


def test_an_unknown_outlet_has_no_facts():
    assert find_facts("https://outlet.test/feed", name="Test Outlet") is None
    assert find_facts(None, "", name="") is None


def test_a_known_public_site_is_never_given_another_outlets_facts_by_name():
    # Harare's The Herald is in the bundle; Glasgow's, at its own site, must not read as it.
    assert find_facts("https://www.heraldscotland.com/news/rss/", name="The Herald") is None
    assert find_facts("https://www.lapresse.ca/actualites/rss", name="La Presse") is None
    assert find_facts(name="The Herald") is not None  # no site known: the name may tell


def test_facts_a_user_cleared_stay_cleared(engine):
    outlet_feed(engine, "Ya Biladi", "http://127.0.0.1:9/yabiladi.xml")
    assert find_outlet(engine, "ya-biladi").country == "MA"
    cleared = {"country": None, "ownership": None, "state_affiliated": None}
    set_outlet_facts(engine, "ya-biladi", cleared)
    assert fill_outlet_facts(engine) == 0
    outlet_feed(engine, "Ya Biladi", "http://127.0.0.1:9/other.xml")  # seen again
    assert find_outlet(engine, "ya-biladi").country is None


def test_the_outlet_migrations_go_down_and_up_with_articles_stored(tmp_path):
    from alembic import command
    from sqlalchemy import inspect

    from tagwire.store import open_store
    from tagwire.store.db import alembic_config

    engine = open_store(f"sqlite:///{tmp_path / 'facts.db'}")
    feed_id = feed(engine)
    save_article(engine, draft(feed_id, 1))
    config = alembic_config()
    for target in ("0005", "head"):
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            (command.downgrade if target == "0005" else command.upgrade)(config, target)
    columns = {c["name"] for c in inspect(engine).get_columns("outlets")}
    assert {"country", "ownership", "state_affiliated", "facts_source"} <= columns


# The store


def test_an_outlet_gets_its_facts_when_created(engine):
    outlet_feed(engine, "BBC News - World", "https://feeds.bbci.co.uk/news/world/rss.xml")
    outlet_feed(engine, "Sahel Digest", "http://digest.test/feed.xml")
    bbc = find_outlet(engine, "bbc-news-world")
    assert (bbc.country, bbc.state_affiliated) == ("GB", False)
    assert "licence fee" in bbc.ownership
    unknown = find_outlet(engine, "sahel-digest")
    assert (unknown.country, unknown.ownership, unknown.state_affiliated) == (None, None, None)


def test_outlets_without_facts_are_filled_and_the_users_word_is_kept(engine):
    with engine.begin() as conn:
        for name, homepage in (("AJ", "https://www.aljazeera.com/"), ("Mine", None)):
            slug = name.lower()
            conn.execute(
                outlets.insert().values(
                    name=name, slug=slug, homepage=homepage, created_at=datetime.now(UTC)
                )
            )
    outlet_feed(engine, "Ya Biladi", "http://127.0.0.1:9/yabiladi.xml")
    set_outlet_facts(engine, "ya-biladi", {"country": "FR", "state_affiliated": None})
    assert fill_outlet_facts(engine) == 1
    assert find_outlet(engine, "aj").country == "QA"
    assert find_outlet(engine, "mine").country is None
    ya_biladi = find_outlet(engine, "ya-biladi")
    assert (ya_biladi.country, ya_biladi.state_affiliated) == ("FR", None)


def test_an_outlet_first_seen_in_an_article_gets_its_facts(engine):
    feed_id = feed(engine)
    save_article(engine, draft(feed_id, 1, outlet_name="Sputnik Afrique"))
    assert find_outlet(engine, "sputnik-afrique").state_affiliated is True


# The command


def test_outlets_command_lists_and_sets_facts(tagwire, engine):
    outlet_feed(engine, "Dune Courier", "http://dune.test/feed")
    result = tagwire(
        "outlets",
        "set",
        "dune-courier",
        "--country",
        "ml",
        "--ownership",
        "  Owned by  its readers ",
        "--state-affiliated",
        "NO",
    )
    assert result.exit_code == 0, result.output
    stored = find_outlet(engine, "dune-courier")
    assert (stored.country, stored.ownership, stored.state_affiliated) == (
        "ML",
        "Owned by its readers",
        False,
    )
    listing = tagwire("outlets")
    assert listing.exit_code == 0
    assert "Dune Courier" in listing.output and "ML" in listing.output
    # By name too; "" clears a fact, unknown clears the flag.
    assert tagwire("outlets", "set", "Dune Courier", "--country", "").exit_code == 0
    tagwire("outlets", "set", "dune-courier", "--state-affiliated", "unknown")
    stored = find_outlet(engine, "dune-courier")
    assert (stored.country, stored.state_affiliated) == (None, None)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--country", "XX"), "no ISO 3166-1 country code"),
        (("--country", "Mali"), "two-letter"),
        (("--country", "1A"), "two-letter"),
        (("--ownership", "a\x00b"), "control characters"),
        (("--ownership", "x" * 301), "at most 300"),
        (("--state-affiliated", "maybe"), "'maybe' is not one of"),
        ((), "nothing to set"),
    ],
)
def test_outlets_set_refuses_bad_values(tagwire, engine, args, message):
    outlet_feed(engine, "Dune Courier", "http://dune.test/feed")
    result = tagwire("outlets", "set", "dune-courier", *args)
    assert result.exit_code == 2
    assert message in result.output
    stored = find_outlet(engine, "dune-courier")
    assert (stored.country, stored.ownership, stored.state_affiliated) == (None, None, None)


def test_outlets_set_refuses_an_unknown_outlet(tagwire):
    result = tagwire("outlets", "set", "nowhere", "--country", "ML")
    assert result.exit_code == 2 and "no outlet 'nowhere'" in result.output


def test_outlets_fill_gives_the_bundled_facts(tagwire, engine):
    with engine.begin() as conn:
        conn.execute(
            outlets.insert().values(
                name="France 24", slug="france-24", created_at=datetime.now(UTC)
            )
        )
    result = tagwire("outlets", "fill")
    assert result.exit_code == 0 and "1 outlets given facts" in result.output
    assert find_outlet(engine, "france-24").country == "FR"


# The outlet page


def test_outlet_page_shows_facts_feeds_and_extraction_health(client, engine):
    feed_id = outlet_feed(
        engine, "Russia Today", "https://www.rt.com/rss/news/?key=s3cret", "https://www.rt.com/"
    )
    record_failure(
        engine,
        feed_id,
        error="HTTP 503 from https://www.rt.com/rss/news/?key=s3cret",
        next_check_at=datetime.now(UTC) + timedelta(hours=1),
    )
    for number in range(3):
        save_article(engine, draft(feed_id, number, outlet_name="Russia Today"))
    save_article(
        engine,
        draft(
            feed_id,
            3,
            outlet_name="Russia Today",
            extraction_status="feed",
            extraction_error="robots.txt forbids the page",
            title="Unread headline",
        ),
    )
    page = client.get("/outlets/russia-today")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Russia Today</h1>" in text
    assert 'href="https://www.rt.com/"' in text and 'rel="noopener noreferrer nofollow"' in text
    assert "Russia (RU)" in text and "English" in text
    assert "funded by the Russian state" in text
    assert "Yes: owned or funded by a state" in text
    assert "s3cret" not in text and "key=***" in text
    assert "HTTP 503" in text and "<td>1</td>" in text  # the last error and the error count
    assert "4 articles" in text and "for 75% of them (3 of 4)" in text
    assert "robots.txt forbids the page" in text and "Unread headline" in text
    assert 'type="application/atom+xml"' in text and "/outlets/russia-today.atom" in text
    assert text.count('class="entry"') == 4


def test_outlet_page_is_paged_and_has_feed_variants(client, engine, settings):
    feed_id = outlet_feed(engine, "Sahel Digest", "http://digest.test/feed.xml")
    for number in range(settings.page_size + 2):
        save_article(engine, draft(feed_id, number, outlet_name="Sahel Digest"))
    first = client.get("/outlets/sahel-digest.json").json()
    assert first["title"] == "Latest news from Sahel Digest"
    assert first["home_page_url"].endswith("/outlets/sahel-digest")
    assert len(first["items"]) == settings.page_size
    assert len(client.get(first["next_url"]).json()["items"]) == 2
    atom = client.get("/outlets/sahel-digest.atom")
    assert atom.headers["content-type"].startswith("application/atom+xml")
    assert b"<title>Latest news from Sahel Digest</title>" in atom.content
    page = client.get("/outlets/sahel-digest")
    assert 'rel="next"' in page.text and "Not known" in page.text
    assert client.get("/outlets/sahel-digest?cursor=%%%").status_code == 400


def test_unknown_outlet_is_a_404(client):
    assert client.get("/outlets/nowhere").status_code == 404
    assert client.get("/outlets/nowhere.json").json()["error"]["status"] == 404
    assert client.get("/outlets/nowhere.atom").status_code == 404


def test_outlets_list_links_every_outlet(client, engine):
    outlet_feed(engine, "Russia Today", "http://127.0.0.1:9/rt.xml")
    outlet_feed(engine, "Sahel Digest", "http://digest.test/feed.xml")
    page = client.get("/outlets").text
    assert 'href="/outlets/russia-today"' in page and 'href="/outlets/sahel-digest"' in page
    assert "Russia" in page and "state-affiliated" in page


def test_hostile_outlet_name_and_ownership_render_inert(client, engine):
    feed_id = outlet_feed(engine, "<script>alert(1)</script>", "http://evil.test/feed")
    slug = find_slug(engine)
    set_outlet_facts(engine, slug, {"ownership": '<img src=x onerror="alert(2)">'})
    save_article(engine, draft(feed_id, 1, outlet_name="<script>alert(1)</script>"))
    for path in (f"/outlets/{slug}", "/outlets", "/tags/azawad"):
        page = client.get(path).text
        assert "<script>alert" not in page and "<img src=x" not in page, path
    assert "&lt;img src=x" in client.get(f"/outlets/{slug}").text


def find_slug(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(select(outlets.c.slug)).scalar_one()


# The tag page


def test_tag_page_entries_show_who_is_speaking(client, engine):
    rt = outlet_feed(engine, "Russia Today", "http://127.0.0.1:9/rt.xml")
    other = outlet_feed(engine, "Sahel Digest", "http://digest.test/feed.xml")
    save_article(engine, draft(rt, 1, outlet_name="Russia Today"))
    save_article(engine, draft(other, 2, outlet_name="Sahel Digest"))
    page = client.get("/tags/azawad").text
    assert '<a href="/outlets/russia-today">Russia Today</a>' in page
    assert 'data-facts="RU" title="Russia"' in page
    assert 'data-facts="state-affiliated"' in page
    assert '<a href="/outlets/sahel-digest">Sahel Digest</a></p>' in page  # no facts known


def test_also_covered_by_shows_the_other_outlets_facts(client, engine):
    rt = outlet_feed(engine, "Russia Today", "http://127.0.0.1:9/rt.xml")
    bbc = outlet_feed(engine, "BBC", "http://127.0.0.1:9/bbc.xml")
    for feed_id, outlet, number, text in (
        (rt, "Russia Today", 2, FLOOD),
        (bbc, "BBC", 1, FLOOD_AGAIN),
    ):
        base = replace(draft(feed_id, number, text=text, title=text[:60]), outlet_name=outlet)
        features, signature = describe_story(
            base.title, base.text, "en", base.tags, base.published_at, outlet
        )
        save_article(engine, replace(base, story_features=features, signature=signature))
    page = client.get("/tags/azawad").text
    assert page.count('class="entry"') == 1  # the story once, under its newest report
    assert '<a class="outlet-page" href="/outlets/russia-today">' in page
    covered = page.split('class="coverage"')[1]
    assert 'data-facts="RU"' in covered and 'data-facts="state-affiliated"' in covered
    story = client.get("/tags/azawad.json").json()["items"][0]["_tagwire"]["story"]["id"]
    told = client.get(f"/stories/{story}").text
    assert 'data-facts="RU"' in told and 'href="/outlets/russia-today"' in told
