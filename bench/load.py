"""Hold the reading pages under concurrent load, and report each.

Starts ``tagwire serve --no-workers`` on a filled database (``bench/fill.py``), finds its
most used tag, checks that every URL answers, then loads them all at once for ``--seconds``
(default 60): one wrk per URL with ``--connections`` each, or, without wrk, as many asyncio
clients (httpx) per URL. The URLs (issue 8's list): the tag page of the most used tag, its
page 50 (a deep cursor) and its JSON Feed, the biggest story's page, the home page, article
search for a common and a rare word, tag search (``/tags?q=``) and its API
(``/api/v1/tags/suggest?q=``), with the first letters of the second most used tag as query.

    .venv/bin/python bench/load.py --db sqlite:////tmp/tw-bench/100k.sqlite3
    .venv/bin/python bench/load.py --db URL --seconds 30 --connections 4 --each
    .venv/bin/python bench/load.py --db URL --each --no-page-cache   # every request renders

Pages are kept while the store does not change (``tagwire.web.cache``), so a URL asked for
again and again is rendered once: ``--no-page-cache`` measures rendering itself.

Per URL: requests, errors (status other than 2xx/3xx, socket errors, timeouts), requests/s,
p50/p99/max latency. Then the server's CPU and memory, and one JSON line. wrk and the server
share the machine's cores: on 2 cores the figures are those of the whole machine under load.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx
from sqlalchemy import func, select
from wordfreq import top_n_list

from tagwire.enrich.names import fold
from tagwire.store import open_store
from tagwire.store.reads import count_articles, tag_page, top_tags
from tagwire.store.schema import stories

DEEP_PAGE = 50  # the tag page reached by following "Older news" 49 times

# wrk's summary as one JSON line (its own output has no p99 without --latency, rounded).
WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "connect": %d, "read": %d, "write": %d,'
    .. ' "status": %d, "timeout": %d, "p50_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f}\\n',
    summary.requests, summary.duration / 1e6, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3))
end
"""


@dataclass(frozen=True, slots=True)
class Result:
    name: str
    path: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    db: str, port: int, log: Path, processes: int, page_cache: bool = True
) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "tagwire", "--db", db, "serve", "--no-workers"]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--web-processes", str(processes)]
    # One client address makes every request: per-client rate limits would answer 429.
    env = os.environ | {"TAGWIRE_API_RATE_LIMIT": "0", "TAGWIRE_SEARCH_RATE_LIMIT": "0"}
    env["TAGWIRE_PAGE_CACHE"] = "1" if page_cache else "0"
    with log.open("wb") as out:
        server = subprocess.Popen(
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"tagwire serve stopped: {log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=30).status_code == 200:
                return server
        time.sleep(0.5)
    stop(server)
    raise SystemExit("tagwire serve did not answer within 120 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def chosen_paths(db: str) -> dict[str, str]:
    """The pages to load, named: the most used tag (first page, page 50, JSON Feed), the
    biggest story, the home page, searches, and a prefix of the second most used tag."""
    engine = open_store(db)
    try:
        top = top_tags(engine, limit=2)
        stored = count_articles(engine)
        if len(top) < 2:
            raise SystemExit("the database has fewer than two tags: fill it first (bench/fill.py)")
        deep = None
        for _ in range(DEEP_PAGE - 1):
            page = tag_page(engine, top[0].slug, deep, 20)
            deep = page.page.next_cursor if page else None
        with engine.connect() as conn:
            biggest = select(stories.c.id).order_by(stories.c.article_count.desc()).limit(1)
            story = (
                conn.execute(biggest).scalar()
                or conn.execute(select(func.min(stories.c.id))).scalar()
            )
    finally:
        engine.dispose()
    print(f"{stored:,} articles; tag page #{top[0].label} ({top[0].article_count:,} articles)")
    prefix = quote(fold(top[1].label)[:4])
    words = [w for w in top_n_list("en", 20_000) if w.isalpha() and w.isascii()]
    paths = {
        "tag": f"/tags/{top[0].slug}",
        "tag-50": f"/tags/{top[0].slug}?cursor={deep.encode()}" if deep else "",
        "tag.json": f"/tags/{top[0].slug}.json",
        "story": f"/stories/{story}" if story else "",
        "home": "/",
        "search": f"/search?q={words[300]}",  # in thousands of articles
        "search-rare": f"/search?q={words[-50]}",  # in a handful
        "tags?q=": f"/tags?q={prefix}",
        "suggest": f"/api/v1/tags/suggest?q={prefix}",
    }
    return {name: path for name, path in paths.items() if path}


def check(base: str, paths: dict[str, str]) -> None:
    """Each URL answers (and is warm) before the clock starts."""
    with httpx.Client(base_url=base, timeout=60) as client:
        for name, path in paths.items():
            took = []
            for _ in range(5):
                started = time.perf_counter()
                status = client.get(path).status_code
                took.append((time.perf_counter() - started) * 1000)
                if status >= 400:
                    raise SystemExit(f"{name} {path} answered {status}")
            print(f"  {name:<12} {path:<48} {status}, {statistics.median(took):6.1f} ms alone")


def load_with_wrk(
    base: str, paths: dict[str, str], seconds: int, connections: int, together: bool
) -> list[Result]:
    wrk = shutil.which("wrk")
    assert wrk is not None
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_REPORT)

    def argv(path: str) -> list[str]:
        options = ["-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
        return [wrk, *options, "-s", script.name, base + path]

    try:
        if together:
            runs = {
                name: subprocess.Popen(argv(p), stdout=subprocess.PIPE, text=True)
                for name, p in paths.items()
            }
            outputs = {name: run.communicate()[0] for name, run in runs.items()}
        else:
            outputs = {
                name: subprocess.run(argv(p), capture_output=True, text=True, check=True).stdout
                for name, p in paths.items()
            }
    finally:
        os.unlink(script.name)
    return [wrk_result(name, paths[name], out) for name, out in outputs.items()]


def wrk_result(name: str, path: str, output: str) -> Result:
    line = next(x for x in reversed(output.splitlines()) if x.startswith("{"))
    r = json.loads(line)
    errors = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
    return Result(
        name, path, r["requests"], errors, r["seconds"], r["p50_ms"], r["p99_ms"], r["max_ms"]
    )


async def load_with_httpx(
    base: str, paths: dict[str, str], seconds: int, connections: int, together: bool
) -> list[Result]:
    """The same as wrk, slower: ``connections`` clients per URL, each one request at a time."""
    if not together:
        return [
            (await load_with_httpx(base, {n: p}, seconds, connections, True))[0]
            for n, p in paths.items()
        ]
    limits = httpx.Limits(max_connections=connections * len(paths))
    async with httpx.AsyncClient(base_url=base, timeout=10, limits=limits) as client:
        deadline = time.perf_counter() + seconds

        async def one_client(path: str, took: list[float], errors: list[int]) -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    status = (await client.get(path)).status_code
                except httpx.HTTPError:
                    status = 0
                took.append((time.perf_counter() - started) * 1000)
                if not 200 <= status < 400:
                    errors.append(status)

        samples = {name: ([], []) for name in paths}
        started = time.perf_counter()
        await asyncio.gather(
            *(one_client(paths[n], *samples[n]) for n in paths for _ in range(connections))
        )
        elapsed = time.perf_counter() - started
    return [sampled(n, paths[n], *samples[n], elapsed) for n in paths]


def sampled(name: str, path: str, took: list[float], errors: list[int], seconds: float) -> Result:
    took = sorted(took) or [0.0]
    p99 = took[max(0, int(len(took) * 0.99) - 1)]
    return Result(
        name, path, len(took), len(errors), seconds, statistics.median(took), p99, took[-1]
    )


def print_table(results: list[Result]) -> None:
    columns = ("requests", "errors", "req/s", "p50 ms", "p99 ms", "max ms")
    print("\npage        " + "".join(f"{c:>10}" for c in columns))
    for r in results:
        figures = (f"{r.requests:,}", r.errors, f"{r.per_second:.1f}", f"{r.p50_ms:.1f}")
        figures += (f"{r.p99_ms:.1f}", f"{r.max_ms:.1f}")
        print(f"{r.name:<12}" + "".join(f"{f:>10}" for f in figures))


def server_usage(pid: int) -> tuple[float, float]:
    """CPU seconds and resident MB so far of the server: every process of its group (the
    supervisor and its web processes with ``--web-processes``)."""
    ticks, page = os.sysconf("SC_CLK_TCK"), os.sysconf("SC_PAGE_SIZE")
    cpu = rss = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pid:  # its process group
                cpu += (int(fields[11]) + int(fields[12])) / ticks
                rss += int(fields[21]) * page / 1e6
    return cpu, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="a filled database URL (bench/fill.py)")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=8, help="per URL")
    parser.add_argument("--each", action="store_true", help="one URL at a time, not together")
    parser.add_argument("--httpx", action="store_true", help="the Python client even if wrk exists")
    parser.add_argument("--web-processes", type=int, default=1, help="tagwire serve's processes")
    parser.add_argument(
        "--no-page-cache", action="store_true", help="render every request (TAGWIRE_PAGE_CACHE=0)"
    )
    parser.add_argument("--only", default="", help="comma-separated page names to load")
    args = parser.parse_args()

    paths = chosen_paths(args.db)
    if args.only:
        paths = {n: p for n, p in paths.items() if n in args.only.split(",")}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(tempfile.gettempdir()) / f"tagwire-load-{port}.log"
    server = start_server(args.db, port, log, args.web_processes, not args.no_page_cache)
    try:
        check(base, paths)
        tool = "httpx" if args.httpx or not shutil.which("wrk") else "wrk"
        together = not args.each
        print(
            f"{tool}: {args.connections} connections per URL, {args.seconds} s",
            "all URLs at once" if together else "one URL at a time",
        )
        cpu_before, _ = server_usage(server.pid)
        started = time.perf_counter()
        if tool == "wrk":
            results = load_with_wrk(base, paths, args.seconds, args.connections, together)
        else:
            results = asyncio.run(
                load_with_httpx(base, paths, args.seconds, args.connections, together)
            )
        wall = time.perf_counter() - started
        cpu_after, rss = server_usage(server.pid)
    finally:
        stop(server)
    print_table(results)
    server_cpu = cpu_after - cpu_before
    print(
        f"server: {server_cpu:.0f} CPU s in {wall:.0f} s ({server_cpu / wall:.2f} cores),"
        f" {rss:.0f} MB resident; errors: {sum(r.errors for r in results)}"
    )
    print(
        json.dumps(
            {
                "bench": "tagwire-load",
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "tool": tool,
                "together": together,
                "seconds": args.seconds,
                "connections_per_url": args.connections,
                "cores": os.cpu_count(),
                "web_processes": args.web_processes,
                "page_cache": not args.no_page_cache,
                "server_cpu_s": round(server_cpu, 1),
                "server_rss_mb": round(rss),
                "pages": [asdict(r) | {"per_second": round(r.per_second, 1)} for r in results],
            }
        )
    )


if __name__ == "__main__":
    main()
