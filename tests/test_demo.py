"""The bundled sample goes through the real pipeline and fills tag pages."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from fastapi.testclient import TestClient

from tagwire.store import open_store
from tagwire.store.reads import count_articles
from tagwire.web import create_app

pytestmark = pytest.mark.slow


def test_sample_is_marked_and_large_enough():
    sample = json.loads(resources.files("tagwire.demo").joinpath("sample.json").read_text())
    assert "not real news" in sample["notice"]
    languages = {o["key"]: o["language"] for o in sample["outlets"]}
    counts = {
        lang: sum(1 for a in sample["articles"] if languages[a["outlet"]] == lang)
        for lang in ("en", "fr")
    }
    assert sum(counts.values()) >= 30 and counts["fr"] >= 10


def test_demo_ingests_the_sample(tagwire, db_url, settings):
    result = tagwire("--db", db_url, "demo", "--no-serve")
    assert result.exit_code == 0, result.output
    engine = open_store(db_url)
    assert count_articles(engine) == 40
    client = TestClient(create_app(settings, engine))
    azawad = client.get("/tags/azawad.json").json()["items"]
    # Each story once: the four reports of the Nouakchott talks are one entry.
    stories = {item["_tagwire"]["story"]["id"] for item in azawad}
    covered = sum(1 + len(item["_tagwire"]["story"]["also_covered_by"]) for item in azawad)
    assert len(azawad) == len(stories) >= 7 and covered >= 10
    assert {item["language"] for item in azawad} == {"en", "fr"}
    assert all(item["_tagwire"]["extraction"] == "full" for item in azawad)
    feeds = client.get("/api/v1/feeds").json()
    assert len(feeds) == 6 and all(f["last_status"] == "ok" for f in feeds)
    # The sample outlets are fictional: their facts come with the sample.
    baobab = client.get("/outlets/baobab-wire").text
    assert "Mali (ML)" in baobab and "governments of Mali, Niger and Burkina Faso" in baobab
    assert 'data-facts="state-affiliated"' in client.get("/tags/azawad").text
