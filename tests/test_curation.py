"""Managing tags: merge, rename, aliases, block; related tags, search-as-you-type, the API
that changes tags, and re-tagging what is out of date. The store is filled directly."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from tagwire.errors import InvalidInput, UnknownTag
from tagwire.store import curation, reads
from tagwire.store.articles import count_to_retag, save_article
from tagwire.web import create_app

from .factories import draft, feed, tag

TOKEN = "a-token-for-tests-only"


@pytest.fixture
def client(settings, engine) -> TestClient:
    return TestClient(create_app(settings.replace(api_token=TOKEN), engine))


def save(engine, feed_id: int, number: int, *tags, **changes) -> int:
    article_id, _ = save_article(
        engine, draft(feed_id, number, tags=tags, tagged_with="v1", **changes)
    )
    return article_id


def test_merge_moves_articles_and_aliases_and_redirects(engine, client):
    feed_id = feed(engine)
    save(
        engine,
        feed_id,
        0,
        tag("Azawad", "azawad", salience=0.4),
        tag("AzawadRegion", "azawad-region", salience=0.9),
    )
    save(engine, feed_id, 1, tag("Azawad", "azawad"))
    save(engine, feed_id, 2, tag("AzawadRegion", "azawad-region"), tag("Mali", "mali"))

    result = curation.merge_tags(engine, "#AzawadRegion", "azawad")

    assert result.tag.slug == "azawad" and result.articles == 2
    merged = reads.find_tag(engine, "azawad")
    assert merged is not None and merged.article_count == 3
    assert "AzawadRegion" in merged.aliases
    first = reads.tag_articles(engine, merged.id, None, 10).articles[0]
    assert [t.slug for t in first.tags] == ["azawad"] and first.tags[0].salience == 0.9
    response = client.get("/tags/azawad-region", follow_redirects=False)
    assert response.status_code == 301 and response.headers["location"] == "/tags/azawad"
    # A tagger that still says #AzawadRegion now adds to #Azawad.
    save(engine, feed_id, 3, tag("AzawadRegion", "azawad-region"))
    assert reads.find_tag(engine, "azawad").article_count == 4
    loaded = curation.load_curation(engine)
    assert dict(loaded.redirects)["azawad-region"].slug == "azawad"
    assert any("AzawadRegion" in names for ref, names in loaded.aliases if ref.slug == "azawad")
    assert curation.recent_changes(engine)[0][2] == "#AzawadRegion merged into #Azawad"


def test_merging_a_tag_into_itself_or_an_unknown_one_is_refused(engine):
    save(engine, feed(engine), 0, tag("Mali", "mali"))
    with pytest.raises(InvalidInput, match="already one tag"):
        curation.merge_tags(engine, "Mali", "#mali")
    with pytest.raises(UnknownTag):
        curation.merge_tags(engine, "Mali", "Atlantis")


def test_rename_keeps_the_old_name_as_alias_and_redirect(engine, client):
    feed_id = feed(engine)
    save(engine, feed_id, 0, tag("Kiev", "kiev"), tag("Mali", "mali"))
    result = curation.rename_tag(engine, "Kiev", "Kyiv")
    assert result.tag == curation.TagRef("Kyiv", "kyiv", "place")
    renamed = reads.find_tag(engine, "kyiv")
    assert renamed is not None and renamed.article_count == 1 and "Kiev" in renamed.aliases
    assert client.get("/tags/kiev", follow_redirects=False).headers["location"] == "/tags/kyiv"
    save(engine, feed_id, 1, tag("Kiev", "kiev"))
    assert reads.find_tag(engine, "kyiv").article_count == 2
    with pytest.raises(InvalidInput, match="merge"):
        curation.rename_tag(engine, "Kyiv", "Mali")
    with pytest.raises(InvalidInput, match="one word"):
        curation.rename_tag(engine, "Kyiv", "Kyiv City")
    curation.rename_tag(engine, "Kyiv", "KYIV")  # same slug: the label alone changes
    assert reads.find_tag(engine, "kyiv").label == "KYIV"


def test_block_takes_a_tag_off_and_keeps_it_off(engine, client):
    feed_id = feed(engine)
    save(engine, feed_id, 0, tag("Azawad", "azawad"), tag("Annoncee", "annoncee"))
    result = curation.block_tag(engine, "Annoncee")
    assert result.articles == 1
    assert client.get("/tags/annoncee").status_code == 404
    assert count_to_retag(engine, "v1") == 1  # its place under the cap is free again
    save(engine, feed_id, 1, tag("Annoncee", "annoncee"))
    assert reads.resolve_tag(engine, "annoncee") is None
    assert "annoncee" in curation.load_curation(engine).blocked
    curation.unblock_tag(engine, "annoncee")
    assert "annoncee" not in curation.load_curation(engine).blocked


def test_new_aliases_mark_the_articles_that_mention_them(engine):
    feed_id = feed(engine)
    for number in range(3):
        save(engine, feed_id, number, tag("Mali", "mali"), text=f"Report {number}.")
    save(engine, feed_id, 3, tag("Mali", "mali"), text="Herders crossed the Inner Niger Delta.")
    save(engine, feed_id, 4, tag("Mali", "mali"), text="The delta of the inner Niger flooded.")
    assert count_to_retag(engine, "v1") == 0

    result = curation.add_tag_aliases(engine, "InnerNigerDelta", ["Inner Niger Delta"], "place")

    assert result.articles == 1  # a phrase, through the full-text index
    assert count_to_retag(engine, "v1") == 1
    added = curation.load_curation(engine).aliases
    assert [(r.label, r.kind, a) for r, a in added] == [
        ("InnerNigerDelta", "place", ("Inner Niger Delta", "InnerNigerDelta"))
    ]
    with pytest.raises(InvalidInput, match="no letters"):
        curation.add_tag_aliases(engine, "Mali", ["!!!"])
    with pytest.raises(InvalidInput, match="at most"):
        curation.add_tag_aliases(engine, "Mali", ["x" * 300])
    with pytest.raises(InvalidInput, match="unknown kind"):
        curation.add_tag_aliases(engine, "Somewhere", ["Elsewhere"], "planet")


def test_an_article_tagged_by_another_version_is_out_of_date(engine):
    save(engine, feed(engine), 0, tag("Mali", "mali"))
    assert count_to_retag(engine, "v1") == 0
    assert count_to_retag(engine, "v2") == 1


def test_related_tags_favour_the_specific_over_the_everywhere(engine):
    feed_id = feed(engine)
    for number in range(10):
        tags = [tag("Mali", "mali")]
        if number < 4:
            tags.append(tag("Azawad", "azawad"))
        if number < 3:
            tags.append(tag("Kidal", "kidal"))
        if number == 3:
            tags.append(tag("Gao", "gao"))
        save(engine, feed_id, number, *tags)
    azawad = reads.find_tag(engine, "azawad")
    related = reads.related_tags(engine, azawad.id)
    assert [t.label for t in related] == ["Kidal", "Mali"]  # Gao: once together is chance
    assert related[0].together == 3


def test_related_tags_are_kept_until_the_tag_or_the_tags_change(engine):
    feed_id = feed(engine)
    save(engine, feed_id, 0, tag("Azawad", "azawad"), tag("Kidal", "kidal"))
    azawad = reads.find_tag(engine, "azawad")
    assert [t.label for t in reads.related_tags(engine, azawad.id)] == ["Kidal"]
    save(engine, feed_id, 1, tag("Azawad", "azawad"), tag("Gao", "gao"))  # a new article
    assert [t.label for t in reads.related_tags(engine, azawad.id)] == ["Gao", "Kidal"]
    curation.rename_tag(engine, "gao", "GaoCity")  # a change to the tags
    assert [t.label for t in reads.related_tags(engine, azawad.id)] == ["GaoCity", "Kidal"]


def test_suggestions_match_labels_and_aliases_ignoring_case_and_accents(engine, client):
    feed_id = feed(engine)
    algeria = replace(tag("Algeria", "algeria"), aliases=("Algérie",))
    save(engine, feed_id, 0, algeria, tag("Algiers", "algiers"))
    save(engine, feed_id, 1, tag("Algiers", "algiers"))
    found = reads.suggest_tags(engine, "alg")
    assert [t.label for t in found] == ["Algiers", "Algeria"]
    assert [t.matched for t in reads.suggest_tags(engine, "ALGÉRIE")] == ["Algérie"]
    assert client.get("/api/v1/tags/suggest", params={"q": "algerie"}).json()[0]["slug"] == (
        "algeria"
    )
    assert reads.suggest_tags(engine, "#") == []
    search = client.get("/tags", params={"q": "Algérie"}, follow_redirects=False)
    assert search.status_code == 303 and search.headers["location"] == "/tags/algeria"
    listing = client.get("/tags", params={"q": "al"})
    assert "#Algiers" in listing.text and "#Algeria" in listing.text


def test_the_tag_page_shows_kind_aliases_and_related(engine, client):
    feed_id = feed(engine)
    for number in range(3):
        save(engine, feed_id, number, tag("Azawad", "azawad"), tag("Kidal", "kidal"))
    curation.add_tag_aliases(engine, "Azawad", ["Azawagh"])
    page = client.get("/tags/azawad").text
    assert "Place" in page and "Also written: Azawagh" in page
    assert 'aria-label="Related tags"' in page and 'href="/tags/kidal"' in page
    assert 'src="/static/suggest.js"' in page


def test_changing_tags_through_the_api_needs_the_token(settings, engine, client):
    feed_id = feed(engine)
    save(engine, feed_id, 0, tag("Azawad", "azawad"), tag("Kidal", "kidal"))
    save(engine, feed_id, 1, tag("Azawad", "azawad"))
    closed = TestClient(create_app(settings, engine))
    assert closed.post("/api/v1/tags/kidal/block").status_code == 403
    assert client.post("/api/v1/tags/kidal/block").status_code == 401
    wrong = {"Authorization": "Bearer not-the-token-at-all"}
    assert client.post("/api/v1/tags/kidal/block", headers=wrong).status_code == 401

    auth = {"Authorization": f"Bearer {TOKEN}"}
    renamed = client.post("/api/v1/tags/kidal/rename", json={"label": "KidalRegion"}, headers=auth)
    assert renamed.status_code == 200 and renamed.json()["tag"]["slug"] == "kidal-region"
    merged = client.post("/api/v1/tags/kidal-region/merge", json={"into": "azawad"}, headers=auth)
    assert merged.status_code == 200 and merged.json()["articles"] == 1
    aliases = client.post(
        "/api/v1/tags/azawad/aliases", json={"aliases": ["Azawagh"]}, headers=auth
    )
    assert aliases.status_code == 200
    assert "Azawagh" in client.get("/api/v1/tags/azawad").json()["aliases"]
    assert client.post("/api/v1/tags/atlantis/block", headers=auth).status_code == 404
    bad = client.post("/api/v1/tags/azawad/rename", json={"label": "%%%"}, headers=auth)
    assert bad.status_code == 400 and "no letters" in bad.json()["error"]["message"]
    assert client.get("/api/v1/tags/azawad/related").status_code == 200
