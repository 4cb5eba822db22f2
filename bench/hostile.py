"""Peak memory and time per document of the hostile set (issue 6, item 2).

One worker process takes every document that ``tests/test_hostile_input.py`` writes
(entity bombs, external entities, a feed body naming a local file, 100,000 items,
100,000 nested tags, 5 MB single lines, in RSS, Atom, RDF, sitemaps, JSON Feed, pages and
OPML) twice:

1. through its parser alone: ``parse_feed``, ``read_opml`` or ``extract_page``;
2. end to end, as ``tagwire add`` and ``tagwire fetch`` take it: each feed subscribed and
   updated (served by a loopback server in this process, parsed, its pages fetched and
   extracted, tagged, stored in a fresh SQLite file), each page behind a feed of its own,
   each OPML list through ``subscribe_all``.

With ``--corpus`` the worker then reads every file of ``../shared/datasets/feeds`` through
its parser too. The worker's peak RSS (``ru_maxrss``) is read after each document, so the
table shows which document raised it; "base" is the peak once the worker has loaded the
models, before the first document. Nothing is sent beyond 127.0.0.1. A table goes to
stdout, then one JSON line.

    .venv/bin/python bench/hostile.py [--corpus]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the documents are written by the test module

from pytest_httpserver import HTTPServer  # noqa: E402

from tagwire.settings import Settings  # noqa: E402
from tests.conftest import allow_robots  # noqa: E402
from tests.pages import rss  # noqa: E402
from tests.test_hostile_input import (  # noqa: E402
    Bait,
    Hostile,
    hostile_documents,
    make_bait,
    read_document,
    serve_good_feed,
    serve_hostile_feed,
)

DATASET = ROOT.parent / "shared" / "datasets" / "feeds"


@dataclass(frozen=True, slots=True)
class Job:
    """What the worker needs: the bait and URLs to write the same documents again, where
    each is served, and a folder for its database."""

    bait: Bait
    good_url: str
    max_body_bytes: int
    served: dict[str, str]  # document name -> URL of its feed (or OPML file path)
    folder: str
    corpus: bool


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def summary(outcome: str) -> str:
    return " ".join(outcome.split())[:70]


# --- the worker process ------------------------------------------------------------------


def work(job: Job, out: Connection) -> None:
    from tagwire.cpu_pool import ThreadBuilder
    from tagwire.pipeline import build_tagger
    from tagwire.store import open_store

    settings = Settings.from_env(
        {},
        database_url=f"sqlite:///{job.folder}/hostile.sqlite3",
        allow_private_networks=True,
        per_host_spacing=0.0,
        fetch_timeout=60.0,
        cpu_processes=1,
    )
    engine = open_store(settings.database_url)
    tagger = build_tagger(settings, engine)
    tagger.tag("Rice in Mopti", "Farmers near Mopti in Mali planted rice early.", "en", "Warm")
    builder = ThreadBuilder()
    base = peak_mb()
    docs = hostile_documents(job.bait, job.good_url, job.max_body_bytes)
    rows = [parse_row(doc) for doc in docs]
    for row, doc in zip(rows, docs, strict=True):
        started = time.perf_counter()
        target = job.served[doc.name]
        if doc.kind == "opml":
            outcome = asyncio.run(add_list(settings, engine, target))
        else:
            outcome = asyncio.run(update_feed(settings, engine, tagger, builder, target))
        row.update(e2e_s=time.perf_counter() - started, e2e=summary(outcome), peak_mb=peak_mb())
    builder.close()
    corpus = read_corpus() if job.corpus else None
    out.send({"rows": rows, "base_mb": base, "peak_mb": peak_mb(), "corpus": corpus})


def parse_row(doc: Hostile) -> dict[str, Any]:
    started = time.perf_counter()
    outcome = read_document(doc)
    seconds = time.perf_counter() - started
    return {
        "name": doc.name,
        "kind": doc.kind,
        "bytes": len(doc.body),
        "parse_s": seconds,
        "parse": summary(outcome),
        "parse_peak_mb": peak_mb(),
    }


async def add_list(settings: Settings, engine: Any, path: str) -> str:
    from tagwire.errors import InvalidInput
    from tagwire.subscribe import subscribe_all

    try:
        subscriptions = await subscribe_all(settings, engine, [path])
    except InvalidInput as exc:
        return f"refused: {exc}"
    return f"{len(subscriptions)} outlines subscribed"


async def update_feed(settings: Settings, engine: Any, tagger: Any, builder: Any, url: str) -> str:
    """Subscribe (the feed was fine then), then one update of the due feeds: this one."""
    from tagwire.fetch import Fetcher
    from tagwire.schedule import update_due_feeds
    from tagwire.store.feeds import claim_due_feeds
    from tagwire.subscribe import subscribe

    async with Fetcher(settings) as fetcher:
        await subscribe(fetcher, engine, url)
    due = claim_due_feeds(engine, datetime.now(UTC))
    outcomes = await update_due_feeds(settings, engine, feeds=due, tagger=tagger, builder=builder)
    return "; ".join(o.error or f"{o.status}, {o.new} new, {o.updated} updated" for o in outcomes)


def read_corpus() -> dict[str, Any]:
    from tagwire.errors import FeedError, InvalidInput
    from tagwire.feeds import parse_feed, read_opml

    outcomes: Counter[str] = Counter()
    slowest = (0.0, "")
    started = time.perf_counter()
    for path in sorted(p for p in DATASET.rglob("*") if p.is_file()):
        begun = time.perf_counter()
        try:
            if path.suffix == ".opml":
                read_opml(path.read_bytes(), source=path.name)
            else:
                parse_feed(path.read_bytes(), url="http://127.0.0.1:9/corpus")
            outcomes["read"] += 1
        except (FeedError, InvalidInput):
            outcomes["refused"] += 1
        slowest = max(slowest, (time.perf_counter() - begun, str(path.relative_to(DATASET))))
    return {
        "files": sum(outcomes.values()),
        **outcomes,
        "seconds": round(time.perf_counter() - started, 2),
        "slowest_s": round(slowest[0], 3),
        "slowest": slowest[1],
        "peak_mb": round(peak_mb()),
    }


# --- this process: the loopback server ---------------------------------------------------


def serve(site: HTTPServer, docs: list[Hostile], folder: Path) -> dict[str, str]:
    """Each feed at its URL (fine at first, then hostile), each page behind a feed of its
    own, each OPML list in a file."""
    served = {}
    for doc in docs:
        if doc.kind == "feed":
            served[doc.name] = serve_hostile_feed(site, doc)
        elif doc.kind == "page":
            page = f"/page/{doc.name}"
            site.expect_request(page).respond_with_data(doc.body, content_type=doc.content_type)
            item = {"title": doc.name, "link": site.url_for(page), "summary": "Feed text."}
            feed = f"/pages/{doc.name}"
            body = rss("Pages", [item])
            site.expect_request(feed).respond_with_data(body, content_type="text/xml")
            served[doc.name] = site.url_for(feed)
        else:
            path = folder / f"{doc.name}.opml"
            path.write_bytes(doc.body)
            served[doc.name] = str(path)
    return served


def run(corpus: bool) -> dict[str, Any]:
    max_body = Settings.from_env({}).max_body_bytes
    site = HTTPServer(host="127.0.0.1", threaded=True)
    site.start()
    allow_robots(site)
    try:
        with tempfile.TemporaryDirectory() as folder:
            bait = make_bait(Path(folder), site.url_for("/evil.dtd"))
            site.expect_request("/evil.dtd").respond_with_data(f'<!ENTITY leak "{bait.secret}">')
            good = serve_good_feed(site)
            docs = hostile_documents(bait, good, max_body)
            job = Job(bait, good, max_body, serve(site, docs, Path(folder)), folder, corpus)
            del docs  # the worker writes its own; this process only serves them
            result = in_worker(job)
            result["dtd_requested"] = any(r.path == "/evil.dtd" for r, _ in site.log)
            return result
    finally:
        site.stop()


def in_worker(job: Job) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    worker = context.Process(target=work, args=(job, send), name="tagwire-hostile")
    worker.start()
    send.close()
    result = receive.recv()
    worker.join()
    if worker.exitcode != 0:
        raise SystemExit(f"worker exited with {worker.exitcode}")
    return dict(result)


def report(result: dict[str, Any]) -> None:
    print(
        f"{'document':31} {'kind':5} {'bytes':>9} {'parse s':>7} {'MB':>4} {'e2e s':>6}"
        f" {'MB':>4}  outcome end to end (MB: worker peak after it)"
    )
    for row in result["rows"]:
        print(
            f"{row['name']:31} {row['kind']:5} {row['bytes']:>9,} {row['parse_s']:>7.2f}"
            f" {row['parse_peak_mb']:>4.0f} {row['e2e_s']:>6.2f} {row['peak_mb']:>4.0f}"
            f"  {row['e2e']}"
        )
    rows = result["rows"]
    summary = {
        "bench": "hostile",
        "documents": len(rows),
        "worker_base_rss_mb": round(result["base_mb"]),
        "worker_peak_rss_mb": round(result["peak_mb"]),
        "parse_seconds_total": round(sum(r["parse_s"] for r in rows), 2),
        "e2e_seconds_total": round(sum(r["e2e_s"] for r in rows), 2),
        "slowest_parse": max(rows, key=lambda r: r["parse_s"])["name"],
        "slowest_e2e": max(rows, key=lambda r: r["e2e_s"])["name"],
        "seconds": {r["name"]: [round(r["parse_s"], 3), round(r["e2e_s"], 3)] for r in rows},
        "dtd_requested": result["dtd_requested"],
        "corpus": result["corpus"],
    }
    print(json.dumps(summary))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", action="store_true", help="also ../shared/datasets/feeds")
    args = parser.parse_args(argv)
    report(run(args.corpus))


if __name__ == "__main__":
    main()
