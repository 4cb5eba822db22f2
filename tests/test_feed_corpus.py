"""Every file of ``../shared/datasets/feeds`` through tagwire, from loopback (issue 6).

The feedparser test suite (2,107 feeds, ill-formed and odd encodings included), the 31
real-world feeds of rss-parser and the rest of the folder are served by one loopback
server and subscribed and fetched in one database with the functions ``tagwire add`` and
``tagwire fetch`` use (``subscribe``, ``update_isolated``), each feed under a time limit.
The 59 OPML lists (40 ill-formed) go through ``tagwire add FILE`` itself. Their feeds and
the pages the corpus links to are on the internet: the ``loopback_only`` fixture refuses
every address but loopback, so nothing is sent beyond this machine and those fetches fail
at once, as they would for a host that is down.

Every feed must end with articles, as an empty feed, or with a clear recorded error; the
counts are printed (``pytest -s``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
import socket
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tagwire.errors import InvalidInput, TagwireError
from tagwire.feeds import limits, parse_feed
from tagwire.fetch import Fetcher
from tagwire.pipeline import Pipeline, build_tagger
from tagwire.schedule import update_isolated
from tagwire.settings import Settings
from tagwire.store import open_store
from tagwire.store.feeds import claim_due_feeds, list_feeds, make_all_due
from tagwire.subscribe import subscribe

from .conftest import SHARED

DATASET = SHARED / "datasets" / "feeds"
INDEX = DATASET / "feedparser-tests.index.jsonl"
PER_FEED_SECONDS = 60.0  # a hang guard, far above the milliseconds a feed takes
CONCURRENCY = 8
ENTRIES_STORED = 5
T = TypeVar("T")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not DATASET.is_dir(), reason="../shared/datasets/feeds is absent"),
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),  # the parsers' test
]


# --- nothing beyond loopback -------------------------------------------------------------


def is_loopback(host: Any) -> bool:
    if host in ("localhost", b"localhost"):
        return True
    try:
        return ipaddress.ip_address(
            str(host, "ascii") if isinstance(host, bytes) else host
        ).is_loopback
    except ValueError:
        return False


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names other than localhost do not resolve, and only loopback addresses connect;
    the list collects the hosts refused."""
    refused: list[str] = []
    resolve, connect, connect_ex = (
        socket.getaddrinfo,
        socket.socket.connect,
        socket.socket.connect_ex,
    )

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not is_loopback(host):
            refused.append(str(host))
            raise socket.gaierror(socket.EAI_NONAME, f"{host}: not resolved in tests")
        return resolve(host, *args, **kwargs)

    def refuse_outside(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
            refused.append(str(address[0]))
            raise ConnectionRefusedError(f"{address[0]}: only loopback in tests")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(
        socket.socket, "connect", lambda s, a: (refuse_outside(s, a), connect(s, a))[1]
    )
    monkeypatch.setattr(
        socket.socket, "connect_ex", lambda s, a: (refuse_outside(s, a), connect_ex(s, a))[1]
    )
    return refused


# --- the corpus on loopback --------------------------------------------------------------


def corpus_files() -> list[Path]:
    return sorted(p for p in DATASET.rglob("*") if p.is_file() and p.suffix != ".opml")


def served_headers() -> dict[str, dict[str, str]]:
    """The HTTP headers feedparser's own harness sends with some of its tests."""
    headers: dict[str, dict[str, str]] = {}
    for line in INDEX.read_text().splitlines():
        record = json.loads(line)
        pairs = (h.split(":", 1) for h in record["headers"] or ())
        path = f"feedparser-tests/{record['path']}"
        headers[path] = {name.strip().lower(): value.strip() for name, value in pairs}
    return headers


def serve_corpus(site: HTTPServer) -> dict[str, Path]:
    """Every corpus file at ``/corpus/<its path>``; URL -> file."""
    headers = served_headers()

    def answer(request: Request) -> Response:
        relative = request.path.removeprefix("/corpus/")
        path = DATASET / relative
        if ".." in relative or not path.is_file():
            return Response("not found", status=404)
        sent = {"content-type": "application/xml", **headers.get(relative, {})}
        return Response(path.read_bytes(), headers=sent)

    site.expect_request(re_prefix("/corpus/")).respond_with_handler(answer)
    site.expect_request(re_prefix("/")).respond_with_data("not found", status=404)
    return {site.url_for(f"/corpus/{p.relative_to(DATASET)}"): p for p in corpus_files()}


def re_prefix(prefix: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(prefix) + ".*")


async def limited(jobs: list[Callable[[], Awaitable[T]]]) -> list[T | BaseException]:
    """Run the jobs ``CONCURRENCY`` at a time, each under ``PER_FEED_SECONDS``."""
    slots = asyncio.Semaphore(CONCURRENCY)

    async def one(job: Callable[[], Awaitable[T]]) -> T | BaseException:
        async with slots:
            try:
                return await asyncio.wait_for(job(), PER_FEED_SECONDS)
            except (TagwireError, TimeoutError) as exc:
                return exc

    return list(await asyncio.gather(*(one(job) for job in jobs)))


async def subscribe_corpus(settings: Settings, urls: list[str]) -> dict[str, str]:
    """``tagwire add`` of each URL: URL -> why it was refused (for those that were)."""
    engine = open_store(settings.database_url)
    async with Fetcher(settings) as fetcher:
        jobs = [lambda url=url: subscribe(fetcher, engine, url) for url in urls]
        results = await limited(jobs)
    hung = [url for url, r in zip(urls, results, strict=True) if isinstance(r, TimeoutError)]
    assert not hung, f"subscribing hung: {hung}"
    return {
        url: str(r) for url, r in zip(urls, results, strict=True) if isinstance(r, InvalidInput)
    }


async def fetch_corpus(settings: Settings) -> list[Any]:
    """``tagwire fetch --all``, each feed's update under the time limit."""
    engine = open_store(settings.database_url)
    make_all_due(engine)
    due = claim_due_feeds(engine, datetime.now(UTC))
    async with Fetcher(settings) as fetcher:
        pipeline = Pipeline(settings, engine, fetcher, build_tagger(settings, engine))
        try:
            jobs = [lambda feed=feed: update_isolated(pipeline, feed) for feed in due]
            results = await limited(jobs)
        finally:
            pipeline.close()
    hung = [f.url for f, r in zip(due, results, strict=True) if isinstance(r, TimeoutError)]
    assert not hung, f"fetching hung: {hung}"
    return results


def outcome_of(outcome: Any) -> str:
    if outcome.status == "error":
        return "error"
    # Stored, or merged into the same article listed by another feed of the corpus.
    return "articles" if outcome.new + outcome.updated else "empty"


def part_of(path: Path) -> str:
    parts = path.relative_to(DATASET).parts
    return "/".join(parts[:2]) if len(parts) > 2 else parts[0]


def is_clear(error: str | None) -> bool:
    return (
        bool(error and error.strip()) and "Traceback" not in error and "internal error" not in error
    )


def test_every_corpus_feed_ends_with_articles_or_a_clear_error(
    site: HTTPServer,
    settings: Settings,
    loopback_only: list[str],
    monkeypatch: pytest.MonkeyPatch,
    report,
) -> None:
    # The parsers are under test, not the store: the newest 5 entries of each feed are
    # stored (a few feeds list hundreds; all are still parsed and counted).
    monkeypatch.setattr(limits, "MAX_ENTRIES", ENTRIES_STORED)
    settings = settings.replace(
        per_host_spacing=0.0, per_host_concurrency=CONCURRENCY, cpu_processes=1, fetch_timeout=10.0
    )
    files = serve_corpus(site)
    started = time.perf_counter()
    refused = asyncio.run(subscribe_corpus(settings, list(files)))
    subscribed = time.perf_counter()
    outcomes = asyncio.run(fetch_corpus(settings))
    fetched = time.perf_counter()

    counts = Counter(outcome_of(o) for o in outcomes)
    counts["refused at add"] = len(refused)
    report(
        f"feed corpus: {len(files)} files, {dict(counts)}, 0 crashed, 0 hung;"
        f" add {subscribed - started:.1f}s, fetch {fetched - subscribed:.1f}s;"
        f" {len(loopback_only)} connections beyond loopback refused"
    )
    parts = Counter((part_of(files[o.url]), outcome_of(o)) for o in outcomes)
    for (part, outcome), count in sorted(parts.items()):
        report(f"  {part:40} {outcome:8} {count:5}")
    rows = list_feeds(open_store(settings.database_url))
    assert {row.url for row in rows} | set(refused) == set(files)
    unclear = [(r.url, r.last_error) for r in rows if r.last_status == "error"]
    unclear = [(url, error) for url, error in unclear if not is_clear(error)]
    unclear += [(url, why) for url, why in refused.items() if not is_clear(why)]
    assert not unclear, unclear[:10]
    headers = served_headers()
    for outcome in outcomes:
        if outcome_of(outcome) == "empty":  # read, and there was nothing to store
            path = files[outcome.url]
            kind = headers.get(str(path.relative_to(DATASET)), {}).get("content-type", "")
            body = path.read_bytes()
            parsed = parse_feed(body, url=outcome.url, content_type=kind or "application/xml")
            assert not parsed.entries, outcome.url


def test_every_opml_list_is_added_or_refused_clearly(
    tagwire, loopback_only: list[str], report
) -> None:
    lists = sorted(DATASET.rglob("*.opml"))
    outcomes: Counter[str] = Counter()
    subscribed = 0
    for path in lists:
        result = tagwire("add", str(path))
        lines = result.output.strip().splitlines()
        if result.exit_code == 2:  # refused, with one line saying why
            assert len(lines) == 1 and lines[0].startswith("error:"), (path, lines)
            outcomes["refused"] += 1
        else:
            assert result.exit_code == 0, (path, result.output)
            subscribed += sum(1 for line in lines if "subscribed: " in line)
            outcomes["added"] += 1
    report(
        f"OPML lists: {len(lists)} files, {dict(outcomes)}, {subscribed} feeds subscribed"
        f" (not checked: {len(loopback_only)} look-ups beyond loopback refused)"
    )
    assert outcomes["added"] + outcomes["refused"] == len(lists)
