"""schemathesis against /openapi.json: every API operation, read and write, on a small
seeded SQLite store. No 5xx, every status documented, every body as its schema says."""

from __future__ import annotations

import tempfile
from typing import get_args

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from tagwire.settings import Settings
from tagwire.store import open_store
from tagwire.store.articles import save_article
from tagwire.store.curation import KINDS
from tagwire.web import create_app
from tagwire.web.api import Kind

from .factories import draft, feed, tag

TOKEN = "schemathesis-token-0123456789"
# A curation change can be refused for what no schema can say: a label needs a letter in
# some script (JSON Schema's \w is ASCII-only in ECMA regexes), and a change can conflict
# with the tag's state (unblocking a tag that is not blocked, merging a tag into itself).
# An alert's URL can name an address the guard refuses, or its search nothing to look for.
# Those are 400s that say why; everything else valid must be accepted.
CONFIG = SchemathesisConfig.from_dict(
    {
        "operations": [
            {
                "include-path-regex": r"/tags/\{slug\}/(rename|aliases|merge|block)$|/alerts$",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "429"]
                    }
                },
            },
        ]
    }
)


def seeded_app():
    """The site on a fresh SQLite file: two feeds, tagged articles, one story of two."""
    folder = tempfile.TemporaryDirectory()  # removed when the module is unloaded
    config = Settings.from_env(
        {},
        database_url=f"sqlite:///{folder.name}/tagwire.sqlite3",
        api_token=TOKEN,
        api_rate_limit=0,
        search_rate_limit=0,
    )
    engine = open_store(config.database_url)
    first, second = feed(engine), feed(engine, "http://other.test/feed")
    for number in range(6):
        save_article(engine, draft(first, number))
    save_article(
        engine,
        draft(second, 7, title="Headline 0", tags=(tag("Kidal", "kidal"), tag("Mali", "mali"))),
    )
    app = create_app(config, engine)
    app.state.folder = folder
    return app


schema = schemathesis.openapi.from_asgi("/openapi.json", seeded_app(), config=CONFIG)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_schema(case):
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"})


def test_the_documented_kinds_are_the_stores():
    assert set(get_args(Kind)) == set(KINDS)


def test_aliases_may_create_a_tag_whose_label_is_taken(tmp_path):
    config = Settings.from_env({}, database_url=f"sqlite:///{tmp_path / 'tagwire.sqlite3'}")
    engine = open_store(config.database_url)
    client = TestClient(create_app(config.replace(api_token=TOKEN), engine))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert client.post("/api/v1/tags/Kidal0/aliases", json={"aliases": ["K0"]}, headers=auth)
    response = client.post("/api/v1/tags/kidal 0/aliases", json={"aliases": ["K1"]}, headers=auth)
    assert response.status_code < 500
