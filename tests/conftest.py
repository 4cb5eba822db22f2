"""Shared fixtures: settings on a temporary SQLite file, the NER models once per session,
the CLI with its environment, and loopback feeds served by the tests themselves."""

from __future__ import annotations

import functools
import os
import resource
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from tagwire.cli import cli
from tagwire.enrich.entities import EntityRecognizer
from tagwire.enrich.gazetteer import load_gazetteer
from tagwire.enrich.tagging import Tagger
from tagwire.settings import Settings
from tagwire.store import open_store

SHARED = Path(__file__).resolve().parents[2] / "shared"


POSTGRES_URL = os.environ.get(
    "TAGWIRE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Every test that stores anything runs on SQLite and on the local PostgreSQL, each in
    a database (a schema, for PostgreSQL) of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tagwire.sqlite3'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = postgres_admin()
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@functools.cache
def postgres_admin() -> Engine:
    engine = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect():
            pass
    except OperationalError:
        if os.environ.get("CI"):
            raise  # CI starts PostgreSQL; a missing server there is a failure, not a skip
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    return engine


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings.from_env(
        {}, database_url=db_url, allow_private_networks=True, fetch_timeout=5.0
    )


@pytest.fixture
def engine(settings: Settings) -> Engine:
    return open_store(settings.database_url)


@pytest.fixture(scope="session")
def recognizer() -> EntityRecognizer:
    settings = Settings.from_env({})
    return EntityRecognizer({"en": settings.spacy_model_en, "fr": settings.spacy_model_fr})


@pytest.fixture(scope="session")
def tagger(recognizer: EntityRecognizer) -> Tagger:
    return Tagger(load_gazetteer(), recognizer, max_tags=15)


class Tagwire:
    """Runs ``tagwire ...`` in-process against the test's database."""

    def __init__(self, db_url: str) -> None:
        self.env = {
            "TAGWIRE_DATABASE_URL": db_url,
            "TAGWIRE_ALLOW_PRIVATE_NETWORKS": "1",
            "TAGWIRE_FETCH_TIMEOUT": "3",
            # Worker processes load the models anew for each command: on the thread, the
            # suite's many commands share the session's. tests/test_cpu_pool.py covers them.
            "TAGWIRE_CPU_PROCESSES": "1",
        }

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(
            cli, list(args), env={**self.env, **(env or {})}, catch_exceptions=False
        )


@pytest.fixture
def tagwire(db_url: str) -> Tagwire:
    return Tagwire(db_url)


@pytest.fixture
def seed_path() -> Path:
    path = SHARED / "seed" / "latest-news-azawad.txt"
    if not path.is_file():
        pytest.skip("../shared/seed is absent")
    return path


@pytest.fixture
def site():
    """A threaded loopback HTTP server (a slow handler must not hold up the others)."""
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    allow_robots(server)
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def allow_robots(server) -> None:  # type: ignore[no-untyped-def]
    """No robots.txt (404) allows every page; pytest-httpserver answers 500 to the unknown."""
    server.expect_request("/robots.txt").respond_with_data("", status=404)


# Figures a test measured (corpus outcomes, memory, reads during an ingest), printed at the
# end of every run so that CI's log carries them: `report("...")` from a test.
FIGURES: list[str] = []


@pytest.fixture
def report() -> Callable[[str], None]:
    return FIGURES.append


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if FIGURES:
        terminalreporter.section("tagwire figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
        terminalreporter.write_line(f"peak RSS of the test process: {peak_rss_mb():.0f} MB")
