"""Faults, each on a real ``tagwire`` process and a SQLite file, with feeds on loopback:
killed (SIGKILL) while fetching or while writing, then run again; a read-only database; a
full disk, before and during an ingest; and the web serving reads while an ingest writes.
After each: ``PRAGMA integrity_check`` is ok, every entry is stored exactly once, and an
error is one line naming the database and the cause."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tagwire.store import open_store
from tagwire.store.feeds import LEASE, FeedRow, list_feeds
from tagwire.store.schema import feeds

from .pages import article_html, rss
from .test_workers import kill, wait_until

pytestmark = pytest.mark.slow

TAGWIRE = (sys.executable, "-m", "tagwire")
# Root ignores file permissions; without these two capabilities it obeys them like anyone.
AS_UNPRIVILEGED_ROOT = (
    "capsh",
    "--drop=cap_dac_override,cap_dac_read_search",
    "--",
    "-c",
    'exec "$0" "$@"',
)
# tagwire with every SQLite connection capped at FAULT_MAX_PAGE_COUNT pages: a full disk
# for the database alone, where no tmpfs can be mounted.
CAPPED_TAGWIRE = (
    sys.executable,
    "-c",
    "import os, sys\n"
    "from sqlalchemy import event\n"
    "from sqlalchemy.pool import Pool\n"
    "def cap(connection, _record):\n"
    "    connection.execute('PRAGMA max_page_count=' + os.environ['FAULT_MAX_PAGE_COUNT'])\n"
    "event.listen(Pool, 'connect', cap)\n"
    "from tagwire.cli import main\n"
    "sys.argv[0] = 'tagwire'\n"
    "main()\n",
)
TEXT = [
    "Traders in Gao said on Monday that the Niger River ferry between Mali and Niger was"
    " running again after a month of repairs to its engine.",
    "The ferry carries grain, fuel and livestock, and its return cut prices at the market"
    " in Gao by a tenth within a day, according to the chamber of commerce.",
]


class Store:
    """The SQLite file under test, as tagwire sees it and as SQLite itself checks it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"

    def query(self, sql: str) -> list[tuple]:
        with contextlib.closing(sqlite3.connect(self.path, timeout=30)) as conn:
            return conn.execute(sql).fetchall()

    def integrity(self) -> str:
        return ", ".join(row[0] for row in self.query("PRAGMA integrity_check"))

    def urls(self) -> Counter[str]:
        return Counter(row[0] for row in self.query("SELECT url FROM articles"))

    def count(self) -> int:
        return int(self.query("SELECT count(*) FROM articles")[0][0])

    def feeds(self) -> dict[str, FeedRow]:
        engine = open_store(self.url)
        try:
            return {row.url: row for row in list_feeds(engine)}
        finally:
            engine.dispose()

    def pass_time(self, delta: timedelta) -> None:
        """Every feed's next check comes ``delta`` sooner, as if that much time had passed."""
        engine = open_store(self.url)
        with engine.begin() as conn:
            for feed in list_feeds(engine):
                moved = feeds.update().where(feeds.c.id == feed.id)
                conn.execute(moved.values(next_check_at=feed.next_check_at - delta))
        engine.dispose()


def environment(store: Store, **settings: str) -> dict[str, str]:
    return os.environ | {
        "TAGWIRE_DATABASE_URL": store.url,
        "TAGWIRE_ALLOW_PRIVATE_NETWORKS": "1",
        "TAGWIRE_CPU_PROCESSES": "1",  # one process: a SIGKILL leaves no orphan worker
        "TAGWIRE_PER_HOST_CONCURRENCY": "8",  # every feed and page is on one loopback host
        "TAGWIRE_PER_HOST_SPACING": "0",
        "TAGWIRE_FETCH_TIMEOUT": "60",  # longer than any wait here: a kill comes first
        "TAGWIRE_API_RATE_LIMIT": "0",
        "TAGWIRE_SEARCH_RATE_LIMIT": "0",
        **settings,
    }


def run(
    store: Store, *args: str, command: Sequence[str] = TAGWIRE, **settings: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command, *args],
        env=environment(store, **settings),
        capture_output=True,
        text=True,
        timeout=600,
    )


def start(store: Store, *args: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [*TAGWIRE, *args],
            env=environment(store),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group, so a kill reaches whatever it started
        )


def serve_feed(server: HTTPServer, name: str, count: int) -> tuple[str, list[str]]:
    """An outlet's RSS feed of ``count`` entries, each with its article page: the feed's
    URL and the pages' URLs."""
    items = []
    for number in range(count):
        path = f"/{name}/news/{number}"
        title = f"Ferry report {number} of the {name} desk from Gao"
        paragraphs = [f"{title}. {TEXT[0]}", TEXT[1]]
        page = article_html(title, paragraphs, site=f"{name.title()} Post")
        server.expect_request(path).respond_with_data(page, content_type="text/html")
        items.append({"title": title, "link": server.url_for(path)})
    server.expect_request(f"/{name}/rss").respond_with_data(
        rss(f"{name.title()} Post", items), content_type="text/xml"
    )
    return server.url_for(f"/{name}/rss"), [str(item["link"]) for item in items]


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one error line a failed command printed (after its progress bar, if it drew
    one); no traceback."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    if lines and lines[0].startswith("fetching"):
        lines = lines[1:]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "tagwire.sqlite3")


@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """A small tmpfs mounted at ``folder``: a disk of its own, to fill or make read-only."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    folder.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)]
    if subprocess.run(mount, capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill_disk(folder: Path, leave: int = 0) -> Path:
    """Write a file that takes all the free space of ``folder``'s disk but ``leave`` bytes."""
    filler = folder / "filler"
    stats = os.statvfs(folder)
    room = stats.f_bavail * stats.f_frsize - leave
    with filler.open("wb") as out:
        try:
            while room > 0:
                room -= out.write(b"\0" * min(room, 65536))
            out.flush()
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
    return filler


# --- killed while fetching, killed while writing ------------------------------------------


def test_killed_while_fetching_then_run_again(site: HTTPServer, store: Store, tmp_path: Path):
    entered, release = threading.Event(), threading.Event()

    def stuck(_request: Request) -> Response:
        if not release.is_set():
            entered.set()
            release.wait(120)
        page = article_html("Held up in Gao", TEXT, site="Stuck Post")
        return Response(page, mimetype="text/html")

    site.expect_request("/stuck/news/0").respond_with_handler(stuck)  # the first match wins
    calm_feed, calm_pages = serve_feed(site, "calm", 4)
    stuck_feed, stuck_pages = serve_feed(site, "stuck", 4)
    assert run(store, "add", calm_feed, stuck_feed).returncode == 0

    fetch = start(store, "fetch", log=tmp_path / "fetch.log")
    try:
        assert wait_until(entered.is_set), "the stuck page was never asked for"
        assert wait_until(lambda: store.feeds()[calm_feed].last_status == "ok")
        kill(fetch)  # SIGKILL, while the other feed waits for its page
    finally:
        release.set()
        kill(fetch)

    assert store.integrity() == "ok"
    assert store.urls() == Counter(calm_pages)
    interrupted = store.feeds()[stuck_feed]
    assert interrupted.last_checked_at is None and interrupted.article_count == 0
    now = datetime.now(UTC)
    assert now < interrupted.next_check_at <= now + LEASE, "claimed until its lease ends"
    assert run(store, "fetch").stdout.startswith("0 feeds"), "retried before its lease ended"

    store.pass_time(LEASE)  # the lease runs out; the calm feed is not due yet
    again = run(store, "fetch")
    assert again.returncode == 0 and again.stdout.startswith("1 feeds, 4 new"), again.stdout
    assert store.urls() == Counter(calm_pages + stuck_pages)
    assert store.integrity() == "ok"
    assert store.feeds()[stuck_feed].last_status == "ok"


def test_killed_while_writing_then_run_again(site: HTTPServer, store: Store, tmp_path: Path):
    total, enough = 150, 10
    feed_url, pages = serve_feed(site, "busy", total)
    assert run(store, "add", feed_url).returncode == 0

    fetch = start(store, "fetch", log=tmp_path / "fetch.log")
    try:
        while store.count() < enough:  # polled closely: the writes come in a burst
            assert fetch.poll() is None, (tmp_path / "fetch.log").read_text()
            time.sleep(0.01)
        kill(fetch)  # SIGKILL, among the article writes (one transaction each)
    finally:
        kill(fetch)

    assert store.integrity() == "ok"
    before = store.urls()
    print(f"killed with {before.total()} of {total} articles stored")
    assert enough <= before.total() < total, "the ingest ended before the kill"
    assert max(before.values()) == 1

    store.pass_time(LEASE)
    again = run(store, "fetch")
    assert again.returncode == 0, again.stderr
    assert f"{total - before.total()} new" in again.stdout, again.stdout
    assert store.urls() == Counter(pages)  # each entry once: none lost, none twice
    assert store.integrity() == "ok"


# --- a read-only database, a full disk ----------------------------------------------------


@pytest.mark.parametrize("how", ["permissions", "read-only mount"])
def test_a_read_only_database_is_one_clear_error(site: HTTPServer, tmp_path: Path, how: str):
    feed_url, _ = serve_feed(site, "ro", 2)
    if how == "permissions":
        folder = tmp_path / "db"
        folder.mkdir()
        command = TAGWIRE
        if os.geteuid() == 0:
            if shutil.which("capsh") is None:
                pytest.skip("root ignores permissions, and capsh is not installed")
            command = (*AS_UNPRIVILEGED_ROOT, *TAGWIRE)
        mounted = contextlib.nullcontext(folder)
    else:
        command = TAGWIRE
        mounted = tmpfs(tmp_path / "db", "8m")
    with mounted as folder:
        store = Store(folder / "tagwire.sqlite3")
        assert run(store, "add", feed_url).returncode == 0
        if how == "permissions":
            store.path.chmod(0o444)
            folder.chmod(0o555)
        else:
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)

        line = error_line(run(store, "fetch", command=command))
        assert line.startswith(f"error: database {store.path}: "), line
        assert "read-only" in line or "cannot be opened" in line, line

        if how == "permissions":
            folder.chmod(0o755)
            store.path.chmod(0o644)
        else:
            subprocess.run(["mount", "-o", "remount,rw", str(folder)], check=True)
        assert store.integrity() == "ok"
        assert store.query("SELECT count(*), max(last_checked_at) FROM feeds") == [(1, None)]


def test_a_full_disk_is_one_clear_error_and_the_next_fetch_recovers(
    site: HTTPServer, tmp_path: Path
):
    feed_url, pages = serve_feed(site, "full", 3)
    with tmpfs(tmp_path / "disk", "2m") as folder:
        store = Store(folder / "tagwire.sqlite3")
        assert run(store, "add", feed_url).returncode == 0
        filler = fill_disk(folder)

        line = error_line(run(store, "fetch"))
        assert line.startswith(f"error: database {store.path}: "), line
        assert "disk" in line, line

        filler.unlink()
        assert store.integrity() == "ok"
        again = run(store, "fetch")
        assert again.returncode == 0 and "3 new" in again.stdout, again.stdout + again.stderr
        assert store.urls() == Counter(pages)


@pytest.mark.parametrize("how", ["tmpfs", "max_page_count"])
def test_the_disk_filling_up_during_an_ingest_loses_nothing(
    site: HTTPServer, tmp_path: Path, how: str
):
    total = 30
    feed_url, pages = serve_feed(site, "filling", total)
    disk = tmpfs(tmp_path / "disk", "16m") if how == "tmpfs" else contextlib.nullcontext(tmp_path)
    with disk as folder:
        store = Store(folder / "tagwire.sqlite3")
        assert run(store, "add", feed_url).returncode == 0
        if how == "tmpfs":
            filler = fill_disk(folder, leave=160_000)
            result = run(store, "fetch")
            filler.unlink()
        else:
            (pages_now,) = store.query("PRAGMA page_count")[0]
            cap = str(pages_now + 8)
            result = run(store, "fetch", command=CAPPED_TAGWIRE, FAULT_MAX_PAGE_COUNT=cap)

        assert store.integrity() == "ok"
        stored = store.urls()
        print(f"the disk filled up with {stored.total()} of {total} articles stored")
        assert stored.total() < total, "the disk never filled up"
        assert max(stored.values(), default=1) == 1
        (error,) = store.query("SELECT coalesce(last_error, '') FROM feeds")[0]
        reported = result.stderr + error  # the feed's error, or the command's
        assert f"database {store.path}: the disk is full" in reported, reported

        again = run(store, "fetch", "--all")  # space again: the feed is fetched anew
        assert again.returncode == 0, again.stderr
        assert store.urls() == Counter(pages)
        assert store.integrity() == "ok"

    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
    assert error_line(result).startswith(f"error: database {store.path}: the disk is full")


# --- reads served during a long ingest ----------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("processes", ["1", "2"])
def test_the_web_serves_reads_while_a_long_ingest_writes(
    site: HTTPServer, store: Store, tmp_path: Path, processes: str
):
    first_feed, _ = serve_feed(site, "first", 3)
    long_feeds = [serve_feed(site, f"desk{n}", 20)[0] for n in range(4)]
    assert run(store, "add", first_feed).returncode == 0
    assert run(store, "fetch").returncode == 0
    (slug,) = store.query("SELECT slug FROM tags ORDER BY article_count DESC, id LIMIT 1")[0]
    paths = ["/", f"/tags/{slug}", f"/tags/{slug}.json", "/api/v1/tags/suggest?q=ga"]

    port = free_port()
    server = start(
        store,
        "serve",
        "--no-workers",
        *("--port", str(port), "--web-processes", processes),
        log=tmp_path / "serve.log",
    )
    seen: list[tuple[str, int, float, int]] = []  # path, status, seconds, stored articles
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:

            def answers() -> bool:
                with contextlib.suppress(httpx.HTTPError):
                    return client.get("/").status_code == 200
                return False

            assert wait_until(answers), (tmp_path / "serve.log").read_text()
            assert run(store, "add", *long_feeds).returncode == 0

            def read_all() -> None:
                count = store.count()
                for path in paths:
                    response = client.get(path)
                    seen.append(
                        (path, response.status_code, response.elapsed.total_seconds(), count)
                    )

            fetch = start(store, "fetch", log=tmp_path / "fetch.log")
            try:
                # A writer in the middle of a transaction (the test) must not stall readers.
                with contextlib.closing(sqlite3.connect(store.path, timeout=60)) as writer:
                    writer.execute("BEGIN IMMEDIATE")
                    read_all()
                    writer.rollback()
                while fetch.poll() is None:
                    read_all()
            finally:
                kill(fetch)  # already ended, unless an assertion stopped the loop
            read_all()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    assert fetch.returncode == 0, (tmp_path / "fetch.log").read_text()
    during = [s for s in seen if 3 < s[3] < 3 + 4 * 20]
    took = sorted(s[2] for s in seen)
    print(
        f"{len(seen)} reads, {len(during)} while articles were being stored;"
        f" median {took[len(took) // 2] * 1000:.0f} ms, slowest {took[-1] * 1000:.0f} ms"
    )
    assert [s for s in seen if s[1] != 200] == []
    assert seen[-1][3] == 3 + 4 * 20
