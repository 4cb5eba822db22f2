"""Moving an installation between engines loses nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tagwire.errors import InvalidInput
from tagwire.store import open_store
from tagwire.store.articles import save_article
from tagwire.store.schema import metadata
from tagwire.store.transfer import copy_database
from tagwire.web import create_app

from .factories import draft, feed, fill


def rows(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar()
            for t in metadata.sorted_tables
        }


def test_sqlite_to_the_other_engine_and_back_loses_nothing(tmp_path, db_url, settings):
    source = open_store(f"sqlite:///{tmp_path / 'source.sqlite3'}")
    fill(source, 30)
    target = open_store(db_url)  # SQLite or PostgreSQL, per the fixture
    copied = copy_database(source, target)
    assert copied == rows(source) == rows(target)

    before = TestClient(create_app(settings, source)).get("/tags/azawad.json").json()["items"]
    after = TestClient(create_app(settings, target)).get("/tags/azawad.json").json()["items"]
    assert [(i["id"], i["title"], i["tags"]) for i in before] == [
        (i["id"], i["title"], i["tags"]) for i in after
    ]
    new_id, created = save_article(target, draft(feed(target, "http://new.test/feed"), 99))
    assert created and new_id == 31  # ids continue after the copied ones


def test_the_target_must_be_empty(tmp_path, engine):
    source = open_store(f"sqlite:///{tmp_path / 'source.sqlite3'}")
    fill(source, 1)
    fill(engine, 1)
    with pytest.raises(InvalidInput, match="not empty"):
        copy_database(source, engine)


def test_migrate_to_command(tmp_path, tagwire, db_url):
    source = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    fill(open_store(source), 3)
    result = tagwire("--db", source, "migrate-to", db_url)
    assert result.exit_code == 0, result.output
    assert "articles: 3 rows" in result.output
