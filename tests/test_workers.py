"""Scale-out for real: Celery workers on the local Redis, the same results as in-process,
a worker killed mid-ingest loses and duplicates nothing, and a feed enqueued twice (its
lease ran out while its task waited) is updated once."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tagwire.store import open_store
from tagwire.store.reads import count_articles, find_tag
from tagwire.web import create_app

from .pages import article_html, rss

pytestmark = pytest.mark.slow
BROKER = os.environ.get("TAGWIRE_TEST_BROKER_URL", "redis://127.0.0.1:6379/0")
TEXT = [
    "Traders in Gao said on Monday that the Niger River ferry between Mali and Niger was"
    " running again after a month of repairs to its engine.",
    "The ferry carries grain, fuel and livestock, and its return cut prices at the market"
    " in Gao by a tenth within a day, according to the chamber of commerce.",
]


@pytest.fixture
def broker_env(db_url: str, tmp_path: Path) -> dict[str, str]:
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(BROKER, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    return {
        "TAGWIRE_DATABASE_URL": db_url,
        "TAGWIRE_BROKER_URL": BROKER,
        "TAGWIRE_TASK_QUEUE": f"tagwire-test-{uuid.uuid4().hex[:8]}",
        "TAGWIRE_ALLOW_PRIVATE_NETWORKS": "1",
        "TAGWIRE_TASK_VISIBILITY_SECONDS": "4",
        "TAGWIRE_FETCH_TIMEOUT": "3",  # also how soon a dead worker's host slots are freed
    }


@pytest.fixture
def start_worker(
    broker_env: dict[str, str], tmp_path: Path
) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        log = open(tmp_path / f"worker-{len(started)}.log", "wb")  # noqa: SIM115 - closed by the process
        process = subprocess.Popen(
            [sys.executable, "-m", "tagwire", "worker", "--concurrency", "1"],
            env={**os.environ, **broker_env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a kill reaches its children
        )
        started.append(process)
        return process

    yield start
    for process in started:
        kill(process)


def kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def wait_until(condition: Callable[[], bool], seconds: float = 120.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def serve_outlet(server: HTTPServer, count: int, delay: float = 0.0) -> str:
    requested: list[str] = []

    def page(request: Request) -> Response:
        requested.append(request.path)
        time.sleep(delay)
        number = request.path.rsplit("/", 1)[-1]
        body = article_html(f"Ferry report {number} from Gao", TEXT, site="River Post")
        return Response(body, content_type="text/html")

    items = []
    for number in range(count):
        server.expect_request(f"/news/{number}").respond_with_handler(page)
        items.append(
            {"title": f"Ferry report {number} from Gao", "link": server.url_for(f"/news/{number}")}
        )
    server.expect_request("/rss").respond_with_data(
        rss("River Post", items), content_type="text/xml"
    )
    server.requested = requested  # type: ignore[attr-defined]
    return server.url_for("/rss")


def reads_tag_count(engine, slug: str) -> Callable[[], int]:  # type: ignore[no-untyped-def]
    def count() -> int:
        tag = find_tag(engine, slug)
        return tag.article_count if tag else 0

    return count


def summary(db_url: str, settings) -> list[tuple[str, tuple[str, ...], str | None]]:  # type: ignore[no-untyped-def]
    client = TestClient(create_app(settings.replace(database_url=db_url), open_store(db_url)))
    items = client.get("/tags/gao.json").json()["items"]
    return sorted((i["title"], tuple(sorted(i["tags"])), i["_tagwire"]["category"]) for i in items)


def test_a_worker_ingests_what_in_process_ingests(
    site, tagwire, broker_env, start_worker, settings, tmp_path
):
    feed_url = serve_outlet(site, 3)
    assert tagwire("add", feed_url, env=broker_env).exit_code == 0
    start_worker()
    assert tagwire("scheduler", "--once", env=broker_env).exit_code == 0
    engine = open_store(broker_env["TAGWIRE_DATABASE_URL"])
    assert wait_until(lambda: count_articles(engine) == 3), "the worker did not ingest the feed"

    local = f"sqlite:///{tmp_path / 'in-process.sqlite3'}"
    tagwire("--db", local, "add", feed_url)
    tagwire("--db", local, "fetch")
    assert summary(broker_env["TAGWIRE_DATABASE_URL"], settings) == summary(local, settings)

    # A new alias: the scheduler hands the re-tagging to the worker, whose tagger learns it.
    added = tagwire("tags", "alias", "add", "RiverFerry", "Ferry", "ferry", env=broker_env)
    assert "3 stored articles are to be tagged again" in added.output
    assert tagwire("scheduler", "--once", env=broker_env).exit_code == 0
    ferry = reads_tag_count(engine, "river-ferry")
    assert wait_until(lambda: ferry() == 3), "the worker did not tag the articles again"


def test_a_worker_killed_mid_ingest_loses_and_duplicates_nothing(
    site, tagwire, broker_env, start_worker
):
    feed_url = serve_outlet(site, 6, delay=0.5)
    tagwire("add", feed_url, env=broker_env)
    first = start_worker()
    tagwire("scheduler", "--once", env=broker_env)
    assert wait_until(lambda: len(site.requested) >= 2), "the worker never started the task"
    kill(first)  # SIGKILL, mid-task: pages were being fetched

    engine = open_store(broker_env["TAGWIRE_DATABASE_URL"])
    start_worker()  # the task comes back once its visibility timeout has passed
    assert wait_until(lambda: count_articles(engine) == 6, seconds=180)
    time.sleep(1.0)
    assert count_articles(engine) == 6


class SentTasks:
    """Stands in for the Celery app: keeps what the scheduler sends."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[Any]]] = []

    def send_task(self, name: str, args: list[Any]) -> None:
        self.sent.append((name, args))


def test_a_feed_enqueued_again_when_its_lease_ran_out_is_updated_once(engine):
    from tagwire.store.feeds import claim_due_feeds, make_all_due
    from tagwire.tasks import enqueue_due_feeds, feed_to_update

    from .factories import feed

    feed_id = feed(engine)
    app = SentTasks()
    assert enqueue_due_feeds(app, engine) == 1  # type: ignore[arg-type]
    make_all_due(engine)  # the lease ran out while the task waited in the queue
    assert enqueue_due_feeds(app, engine) == 1  # type: ignore[arg-type]
    (_, first), (_, second) = app.sent
    assert first[0] == second[0] == feed_id

    assert feed_to_update(engine, *first, rerun=False) is not None
    assert feed_to_update(engine, *second, rerun=False) is None
    assert claim_due_feeds(engine, datetime.now(UTC)) == []  # the scheduler leaves it alone
