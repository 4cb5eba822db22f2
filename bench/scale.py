"""Scale benchmark: tagwire against the loopback internet, in three set-ups.

(a) ``sqlite``: SQLite, in-process (``tagwire fetch``, then ``tagwire fetch --all``);
(b) ``pg1``: PostgreSQL + one Celery worker process (``tagwire worker --concurrency 1``);
(c) ``pg2``: PostgreSQL + two worker processes (``tagwire worker --concurrency 2``).

Each set-up gets a fresh database, subscribes to every feed from an OPML file
(``tagwire add``), then runs a full first ingest and a second poll cycle (every feed made
due; the server's content has not changed, so feeds answer 304). For each cycle it reports
wall time, feeds/s, articles/s, CPU seconds and peak RSS of the tagwire processes (read
from /proc), and from the server's own request log the most requests any one host had in
flight (must not exceed TAGWIRE_PER_HOST_CONCURRENCY) and the share of conditional
requests and 304s among feed requests. A table goes to stdout, then one JSON line.

    .venv/bin/python bench/scale.py                      # 60 feeds, all three set-ups
    .venv/bin/python bench/scale.py --feeds 1000 --modes sqlite

Every wait is bounded (``--cycle-timeout``, ``--max-minutes``); every process it starts is
stopped at the end, and the PostgreSQL databases and Redis keys it made are removed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
SERVICE_COMMANDS = frozenset({"postgres", "redis-server"})
PG_ADMIN = ["-h", "127.0.0.1", "-U", "postgres"]
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
MODES = {
    "sqlite": ("(a) SQLite, in-process", 0),
    "pg1": ("(b) PostgreSQL + 1 worker", 1),
    "pg2": ("(c) PostgreSQL + 2 workers", 2),
}
TARGET_ARTICLES_PER_S = 30.0
TARGET_POLL_SECONDS_10K = 120.0
TARGET_SPEEDUP = 1.6


class BenchError(Exception):
    """The benchmark cannot go on (a service is missing, a process died, time ran out)."""


# --- processes and /proc ----------------------------------------------------------------------


def read_stat(pid: int) -> tuple[int, str, int, int] | None:
    """(parent pid, command, CPU ticks used by the process itself, resident pages)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    command = raw[raw.index("(") + 1 : raw.rindex(")")]
    rest = raw[raw.rindex(")") + 2 :].split()
    return int(rest[1]), command, int(rest[11]) + int(rest[12]), int(rest[21])


class Sampler:
    """Every ``interval`` seconds: CPU and RSS of the tagwire process trees, the server and
    the database and broker services, and the machine's busy CPU."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.roots: set[int] = set()
        self.server_pid = 0
        self.cpu: dict[str, dict[int, int]] = defaultdict(dict)  # group -> pid -> ticks
        self.peak_rss = 0
        self._children: dict[int, set[int]] = defaultdict(set)  # root -> descendants seen
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def track(self, pid: int) -> None:
        with self._lock:
            self.roots.add(pid)

    def finish(self, pid: int, rusage: Any) -> None:
        """A reaped one-shot command: its exact CPU replaces the last sample. It includes
        the CPU of the children it reaped (its article worker processes), so their samples
        go."""
        with self._lock:
            for child in self._children.pop(pid, set()):
                self.cpu["tagwire"].pop(child, None)
            self.cpu["tagwire"][pid] = round((rusage.ru_utime + rusage.ru_stime) * TICKS)
            self.peak_rss = max(self.peak_rss, rusage.ru_maxrss * 1024)
            self.roots.discard(pid)

    def snapshot(self) -> dict[str, float]:
        """Cumulative CPU seconds per group, and the machine's busy seconds (all cores)."""
        self.sample()
        with self._lock:
            totals = {group: sum(pids.values()) / TICKS for group, pids in self.cpu.items()}
        return {**totals, "machine": machine_busy_seconds()}

    def reset_peak(self) -> int:
        with self._lock:
            peak, self.peak_rss = self.peak_rss, 0
        return peak

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        stats = {}
        for name in os.listdir("/proc"):
            if name.isdigit() and (stat := read_stat(int(name))) is not None:
                stats[int(name)] = stat
        with self._lock:
            tree = descendants(self.roots, stats)
            for root in self.roots:
                self._children[root] |= descendants({root}, stats) - {root}
            rss = 0
            for pid, (_, command, ticks, pages) in stats.items():
                if pid in tree:
                    self.cpu["tagwire"][pid] = ticks
                    rss += pages * PAGE_BYTES
                elif pid == self.server_pid:
                    self.cpu["server"][pid] = ticks
                elif command in SERVICE_COMMANDS:
                    self.cpu["services"][pid] = ticks
            self.peak_rss = max(self.peak_rss, rss)


def descendants(roots: set[int], stats: dict[int, tuple[int, str, int, int]]) -> set[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (ppid, *_rest) in stats.items():
        children[ppid].append(pid)
    found, todo = set(), [r for r in roots if r in stats]
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(children[pid])
    return found


def machine_busy_seconds() -> float:
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    values = [int(v) for v in fields[:8]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICKS


class Processes:
    """Every process the benchmark starts, each in its own session so it can be stopped
    with all its children."""

    def __init__(self, sampler: Sampler) -> None:
        self.sampler = sampler
        self.running: list[subprocess.Popen[bytes]] = []

    def start(
        self, argv: list[str], env: dict[str, str], log: Path, *, track: bool = True
    ) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            proc = subprocess.Popen(
                argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.running.append(proc)
        if track:
            self.sampler.track(proc.pid)
        return proc

    def run(self, argv: list[str], env: dict[str, str], log: Path, timeout: float) -> int:
        """Run a command to its end (bounded); its exact CPU and peak RSS go to the sampler."""
        proc = self.start(argv, env, log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                self.running.remove(proc)
                self.sampler.finish(proc.pid, rusage)
                return proc.returncode
            time.sleep(0.05)
        self.stop(proc)
        raise BenchError(f"{' '.join(argv[-3:])} did not finish in {timeout:.0f}s")

    def stop(self, proc: subprocess.Popen[bytes], grace: float = 30.0) -> None:
        """SIGTERM (a Celery worker finishes its task), then SIGKILL to the whole group."""
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=grace)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        if proc in self.running:
            self.running.remove(proc)

    def stop_all(self) -> None:
        for proc in list(reversed(self.running)):
            self.stop(proc, grace=10.0)


# --- the server and its log -------------------------------------------------------------------


def start_server(procs: Processes, args: argparse.Namespace, workdir: Path) -> Path:
    """Start the loopback internet; return its OPML file once it listens."""
    opml = workdir / "feeds.opml"
    argv = [
        sys.executable,
        str(HERE / "loopback_internet.py"),
        f"--feeds={args.feeds}",
        f"--hosts={args.hosts}",
        f"--items={args.items}",
        f"--port={args.port}",
        f"--seed={args.seed}",
        f"--error-rate={args.error_rate}",
        f"--log={workdir / 'server-requests.tsv'}",
        f"--opml={opml}",
        f"--max-seconds={args.max_minutes * 60 + 120}",
    ]
    out = workdir / "server.out"
    proc = procs.start(argv, dict(os.environ), out, track=False)
    procs.sampler.server_pid = proc.pid
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if '"ready": true' in out.read_text(errors="replace"):
            return opml
        if proc.poll() is not None:
            raise BenchError(f"the loopback server stopped: {out.read_text()[-2000:]}")
        time.sleep(0.2)
    raise BenchError("the loopback server did not start within 60s")


@dataclass
class Window:
    """What the server saw between two instants."""

    requests: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    max_inflight_per_host: int = 0
    feed_requests: int = 0
    conditional_feed_requests: int = 0
    not_modified: int = 0
    page_requests: int = 0
    robots_requests: int = 0
    busy_seconds: float = 0.0  # request durations added up: mean in flight = this / wall


def read_windows(log: Path, spans: list[tuple[float, float]]) -> list[Window]:
    windows = [Window() for _ in spans]
    statuses = [Counter[str]() for _ in spans]
    with log.open(encoding="utf-8") as lines:
        next(lines, None)
        for line in lines:
            cols = line.rstrip("\n").split("\t")
            if len(cols) != 8:
                continue
            started = float(cols[0])
            for i, (begin, end) in enumerate(spans):
                if begin <= started <= end:
                    count_request(windows[i], statuses[i], cols)
    for window, counter in zip(windows, statuses, strict=True):
        window.statuses = dict(sorted(counter.items()))
    return windows


def count_request(window: Window, statuses: Counter[str], cols: list[str]) -> None:
    path, status, inflight, conditional = cols[3], cols[4], int(cols[5]), cols[6] == "1"
    window.requests += 1
    window.busy_seconds += float(cols[1]) - float(cols[0])
    statuses[status] += 1
    window.max_inflight_per_host = max(window.max_inflight_per_host, inflight)
    if path.startswith("/feeds/"):
        window.feed_requests += 1
        window.conditional_feed_requests += conditional
        window.not_modified += status == "304"
    elif path.startswith("/articles/"):
        window.page_requests += 1
    elif path == "/robots.txt":
        window.robots_requests += 1


# --- databases ------------------------------------------------------------------------------


def database_counts(url: str, since: datetime) -> dict[str, int]:
    """Feeds checked since ``since`` by their status, and articles stored so far."""
    from sqlalchemy import create_engine, func, select

    from tagwire.store.schema import articles, feeds

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            checked = conn.execute(
                select(feeds.c.last_status, func.count())
                .where(feeds.c.last_checked_at >= since)
                .group_by(feeds.c.last_status)
            ).all()
            full = select(func.count()).where(articles.c.extraction_status == "full")
            counts = {f"checked_{status}": n for status, n in checked}
            counts["checked"] = sum(n for _, n in checked)
            counts["articles"] = conn.execute(select(func.count()).select_from(articles)).scalar()
            counts["articles_full"] = conn.execute(full.select_from(articles)).scalar()
            counts["active_feeds"] = conn.execute(
                select(func.count()).where(feeds.c.active.is_(True)).select_from(feeds)
            ).scalar()
        return counts
    finally:
        engine.dispose()


def make_all_due(url: str) -> None:
    from sqlalchemy import create_engine

    from tagwire.store.feeds import make_all_due as store_make_all_due

    engine = create_engine(url)
    try:
        store_make_all_due(engine)
    finally:
        engine.dispose()


def create_pg_database(name: str) -> str:
    subprocess.run(["dropdb", *PG_ADMIN, "--if-exists", name], check=True, timeout=60)
    subprocess.run(["createdb", *PG_ADMIN, name], check=True, timeout=60)
    return PG_URL.format(name=name)


def drop_pg_database(name: str) -> None:
    subprocess.run(["dropdb", *PG_ADMIN, "--if-exists", "--force", name], check=False, timeout=60)


class RedisSpace:
    """A Redis database the benchmark has to itself: empty at the start, emptied at the end
    of the keys it made."""

    def __init__(self, url: str, queue: str) -> None:
        import redis

        self.url = url
        self.queue = queue
        self.client = redis.Redis.from_url(url, socket_connect_timeout=3)
        try:
            size = self.client.dbsize()
        except redis.exceptions.ConnectionError as exc:
            raise BenchError(f"Redis is not reachable at {url}: {exc}") from None
        if size:
            raise BenchError(f"{url} holds {size} keys; pick an empty database (--redis-url)")

    def pending(self) -> int:
        """Tasks waiting in our queue plus tasks taken but not yet acknowledged."""
        waiting = sum(
            self.client.llen(key)
            for key in self.client.scan_iter(match=f"{self.queue}*", count=500)
            if self.client.type(key) == b"list"
        )
        return waiting + self.client.hlen("unacked")

    def clean(self) -> None:
        patterns = (f"*{self.queue}*", "_kombu.*", "unacked*", "celery*")
        for pattern in patterns:
            keys = list(self.client.scan_iter(match=pattern, count=500))
            if keys:
                self.client.delete(*keys)
        self.client.close()


# --- one set-up -------------------------------------------------------------------------------


@dataclass
class Cycle:
    mode: str
    cycle: str  # "subscribe", "first ingest", "second poll"
    wall_s: float
    feeds: int
    feeds_per_s: float
    articles: int
    articles_per_s: float
    cpu_s: float
    peak_rss_mb: float
    server_cpu_s: float
    services_cpu_s: float
    machine_busy_s: float
    statuses: dict[str, int]
    feed_outcomes: dict[str, int]
    articles_full: int
    requests: int = 0
    max_inflight_per_host: int = 0
    conditional_share: float = 0.0
    not_modified_share: float = 0.0
    page_requests: int = 0
    robots_requests: int = 0
    feed_requests: int = 0
    mean_inflight: float = 0.0
    timed_out: bool = False
    span: tuple[float, float] = (0.0, 0.0)


class Setup:
    """One database and its processes, through subscribe, first ingest and second poll."""

    def __init__(self, mode: str, args: argparse.Namespace, ctx: Run) -> None:
        self.mode = mode
        self.workers = MODES[mode][1]
        self.args = args
        self.ctx = ctx
        self.logs = ctx.workdir / mode
        self.logs.mkdir(exist_ok=True)
        self.pg_name = f"tagwire_bench_{os.getpid()}_{mode}"
        self.url = ""
        self.env: dict[str, str] = {}

    def tagwire(self, *argv: str) -> list[str]:
        return [sys.executable, "-m", "tagwire", *argv]

    def prepare(self) -> None:
        if self.workers:
            self.url = create_pg_database(self.pg_name)
        else:
            self.url = f"sqlite:///{self.logs / 'tagwire.sqlite3'}"
        env = {k: v for k, v in os.environ.items() if k != "TAGWIRE_BROKER_URL"}
        env.update(TAGWIRE_DATABASE_URL=self.url, TAGWIRE_ALLOW_PRIVATE_NETWORKS="1")
        if self.workers:
            env.update(TAGWIRE_BROKER_URL=self.args.redis_url, TAGWIRE_TASK_QUEUE=self.ctx.queue)
        env.update(self.ctx.overrides)
        self.env = env

    def cleanup(self) -> None:
        if self.workers:
            drop_pg_database(self.pg_name)

    def run(self, opml: Path) -> list[Cycle]:
        self.prepare()
        try:
            add = ("add", str(opml))
            results = [self.measure("subscribe", lambda: self.one_shot(*add, setup=True))]
            if self.workers:
                results += self.run_workers()
            else:
                results.append(self.measure("first ingest", lambda: self.one_shot("fetch")))
                results.append(self.measure("second poll", lambda: self.one_shot("fetch", "--all")))
            return results
        finally:
            self.cleanup()

    def run_workers(self) -> list[Cycle]:
        procs = self.ctx.procs
        argv = self.tagwire("worker", f"--concurrency={self.workers}")
        worker = procs.start(argv, self.env, self.logs / "worker.log")
        try:
            self.wait_for_text(self.logs / "worker.log", " ready.", worker, 180)
            first = self.measure("first ingest", self.scheduled_cycle)
            make_all_due(self.url)
            second = self.measure("second poll", self.scheduled_once)
            return [first, second]
        finally:
            procs.stop(worker)

    def scheduled_cycle(self) -> bool:
        """``tagwire scheduler`` runs until every feed has been checked and the queue is
        empty (tasks it enqueued again when a claim's lease ran out included)."""
        since = datetime.now(UTC)
        expected = database_counts(self.url, since)["active_feeds"]
        procs = self.ctx.procs
        scheduler = procs.start(self.tagwire("scheduler"), self.env, self.logs / "scheduler.log")
        try:
            done = self.wait_until_done(since, expected)
        finally:
            procs.stop(scheduler, grace=5)
        return done and self.wait_until_done(since, expected)

    def scheduled_once(self) -> bool:
        since = datetime.now(UTC)
        expected = database_counts(self.url, since)["active_feeds"]
        self.one_shot("scheduler", "--once")
        return self.wait_until_done(since, expected)

    def wait_until_done(self, since: datetime, expected: int) -> bool:
        """Every feed checked since ``since``, and no task waiting or running."""
        deadline = self.ctx.deadline(self.args.cycle_timeout)
        redis_space = self.ctx.redis
        while time.monotonic() < deadline:
            checked = database_counts(self.url, since)["checked"]
            if checked >= expected and (redis_space is None or redis_space.pending() == 0):
                return True
            time.sleep(2.0)
        return False

    def one_shot(self, *argv: str, setup: bool = False) -> bool:
        timeout = self.ctx.deadline(self.args.cycle_timeout) - time.monotonic()
        log = self.logs / f"{argv[0]}.log"
        command = self.tagwire(*argv)
        if self.args.profile and argv[0] == "fetch" and not self.workers:
            command = self.ctx.profiled(command, self.logs / f"pyspy-{'-'.join(argv)}.txt")
        env = {**self.env, **self.ctx.setup_overrides} if setup else self.env
        code = self.ctx.procs.run(command, env, log, timeout)
        if code != 0:
            raise BenchError(f"tagwire {' '.join(argv)} exited {code}; see {log}")
        return True

    def wait_for_text(self, log: Path, text: str, proc: subprocess.Popen[bytes], limit: float):
        deadline = self.ctx.deadline(limit)
        while time.monotonic() < deadline:
            if log.exists() and text in log.read_text(errors="replace"):
                return
            if proc.poll() is not None:
                raise BenchError(f"{log.name}: the process stopped; see {log}")
            time.sleep(0.5)
        raise BenchError(f"{log.name}: not ready in time")

    def measure(self, cycle: str, body: Any) -> Cycle:
        sampler = self.ctx.sampler
        since = datetime.now(UTC)
        before_db = database_counts(self.url, since) if cycle != "subscribe" else {"articles": 0}
        sampler.reset_peak()
        before = sampler.snapshot()
        started, t0 = time.time(), time.monotonic()
        try:
            finished = body()
        except BenchError as exc:
            print(f"  {self.mode} {cycle}: {exc}", file=sys.stderr)
            finished = False
        wall = time.monotonic() - t0
        ended = time.time()
        after = sampler.snapshot()
        peak = sampler.reset_peak()
        db = database_counts(self.url, since)
        checked = db["checked"] if cycle != "subscribe" else db["active_feeds"]
        new_articles = db["articles"] - before_db["articles"]
        spent = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after}
        outcomes = {k[8:]: v for k, v in db.items() if k.startswith("checked_")}
        result = Cycle(
            mode=self.mode,
            cycle=cycle,
            wall_s=round(wall, 2),
            feeds=checked,
            feeds_per_s=round(checked / wall, 2) if wall else 0.0,
            articles=new_articles,
            articles_per_s=round(new_articles / wall, 2) if wall else 0.0,
            cpu_s=round(spent.get("tagwire", 0.0), 1),
            peak_rss_mb=round(peak / 2**20, 1),
            server_cpu_s=round(spent.get("server", 0.0), 1),
            services_cpu_s=round(spent.get("services", 0.0), 1),
            machine_busy_s=round(spent["machine"], 1),
            statuses={},
            feed_outcomes=outcomes,
            articles_full=db["articles_full"],
            timed_out=not finished,
            span=(started, ended),
        )
        print(f"  {self.mode:6} {cycle:12} {wall:7.1f}s  {checked} feeds, {new_articles} articles")
        return result


# --- the run ------------------------------------------------------------------------------------


class Run:
    """Shared by all set-ups: work folder, sampler, processes, overall deadline."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.workdir = Path(args.workdir or tempfile.mkdtemp(prefix="tagwire-bench-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.sampler = Sampler()
        self.procs = Processes(self.sampler)
        self.queue = f"tagwire-bench-{os.getpid()}"
        self.overrides = dict(pair.split("=", 1) for pair in args.env)
        self.setup_overrides = dict(pair.split("=", 1) for pair in args.setup_env)
        self.redis: RedisSpace | None = None
        self.ends_at = time.monotonic() + args.max_minutes * 60

    def deadline(self, seconds: float) -> float:
        return min(time.monotonic() + seconds, self.ends_at)

    def profiled(self, command: list[str], out: Path) -> list[str]:
        spy = self.args.py_spy or shutil.which("py-spy")
        if not spy:
            print("  py-spy not found: running unprofiled", file=sys.stderr)
            return command
        return [spy, "record", "--rate", "50", "--format", "raw", "-o", str(out), "--", *command]

    def per_host_cap(self) -> int:
        value = self.overrides.get("TAGWIRE_PER_HOST_CONCURRENCY")
        return int(value or os.environ.get("TAGWIRE_PER_HOST_CONCURRENCY") or 2)


def run(args: argparse.Namespace) -> dict[str, Any]:
    ctx = Run(args)
    redis_space = RedisSpace(args.redis_url, ctx.queue) if needs_redis(args) else None
    ctx.redis = redis_space
    ctx.sampler.start()
    results: list[Cycle] = []
    try:
        opml = start_server(ctx.procs, args, ctx.workdir)
        hosts = min(args.hosts, args.feeds)
        print(f"loopback internet: {args.feeds} feeds on {hosts} hosts; logs in {ctx.workdir}")
        for mode in args.modes:
            if time.monotonic() >= ctx.ends_at:
                print(f"  {mode}: skipped, --max-minutes reached", file=sys.stderr)
                continue
            results.extend(Setup(mode, args, ctx).run(opml))
        time.sleep(1.5)  # the server flushes its log every second
    finally:
        ctx.procs.stop_all()
        ctx.sampler.stop()
        if redis_space is not None:
            redis_space.clean()
    attach_server_windows(results, ctx.workdir / "server-requests.tsv")
    return summarise(args, ctx, results)


def needs_redis(args: argparse.Namespace) -> bool:
    return any(MODES[m][1] for m in args.modes)


def attach_server_windows(results: list[Cycle], log: Path) -> None:
    if not log.exists():
        return
    windows = read_windows(log, [r.span for r in results])
    for result, window in zip(results, windows, strict=True):
        result.requests = window.requests
        result.statuses = window.statuses
        result.max_inflight_per_host = window.max_inflight_per_host
        result.page_requests = window.page_requests
        result.robots_requests = window.robots_requests
        result.feed_requests = window.feed_requests
        result.mean_inflight = round(window.busy_seconds / max(result.wall_s, 0.001), 2)
        if window.feed_requests:
            result.conditional_share = round(
                window.conditional_feed_requests / window.feed_requests, 3
            )
            result.not_modified_share = round(window.not_modified / window.feed_requests, 3)


def summarise(args: argparse.Namespace, ctx: Run, results: list[Cycle]) -> dict[str, Any]:
    cap = ctx.per_host_cap()
    by = {(r.mode, r.cycle): r for r in results}
    targets: dict[str, Any] = {"per_host_cap": cap}
    targets["cap_held"] = all(r.max_inflight_per_host <= cap for r in results)
    first_a = by.get(("sqlite", "first ingest"))
    if first_a:
        targets["first_ingest_articles_per_s"] = first_a.articles_per_s
        targets["first_ingest_target_met"] = first_a.articles_per_s >= TARGET_ARTICLES_PER_S
    for mode in args.modes:
        poll = by.get((mode, "second poll"))
        if poll and poll.feeds:
            scaled = poll.wall_s * 10_000 / poll.feeds
            targets[f"poll_10k_seconds_{mode}"] = round(scaled, 1)
            targets[f"poll_10k_measured_{mode}"] = poll.feeds >= 10_000
            targets[f"poll_10k_target_met_{mode}"] = scaled < TARGET_POLL_SECONDS_10K
    b, c = by.get(("pg1", "first ingest")), by.get(("pg2", "first ingest"))
    if b and c and b.articles_per_s:
        targets["speedup_c_over_b"] = round(c.articles_per_s / b.articles_per_s, 2)
        targets["speedup_target_met"] = c.articles_per_s >= TARGET_SPEEDUP * b.articles_per_s
    return {
        "bench": "tagwire-scale",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "feeds": args.feeds,
        "hosts": args.hosts,
        "items": args.items,
        "error_rate": args.error_rate,
        "seed": args.seed,
        "settings": ctx.overrides,
        "setup_settings": ctx.setup_overrides,
        "workdir": str(ctx.workdir),
        "results": [asdict(r) for r in results],
        "targets": targets,
    }


def print_table(summary: dict[str, Any]) -> None:
    """CPU s: tagwire processes; srv CPU: the loopback server; db CPU: every postgres and
    redis-server process (other users' too); busy: the whole machine, both cores."""
    head = (
        f"{'set-up':28} {'cycle':12} {'wall s':>7} {'feeds':>6} {'feeds/s':>7} {'articles':>8}"
        f" {'art/s':>6} {'CPU s':>6} {'RSS MB':>7} {'srv CPU':>7} {'db CPU':>6} {'busy':>6}"
        f" {'reqs':>6} {'in flight':>9} {'max/host':>8} {'cond':>5} {'304':>5}"
    )
    print()
    print(head)
    print("-" * len(head))
    for r in summary["results"]:
        name = MODES[r["mode"]][0]
        flag = " (timed out)" if r["timed_out"] else ""
        print(
            f"{name:28} {r['cycle']:12} {r['wall_s']:7.1f} {r['feeds']:6d} {r['feeds_per_s']:7.2f}"
            f" {r['articles']:8d} {r['articles_per_s']:6.1f} {r['cpu_s']:6.1f}"
            f" {r['peak_rss_mb']:7.0f} {r['server_cpu_s']:7.1f} {r['services_cpu_s']:6.1f}"
            f" {r['machine_busy_s']:6.1f} {r['requests']:6d} {r['mean_inflight']:9.1f}"
            f" {r['max_inflight_per_host']:8d}"
            f" {r['conditional_share']:5.0%} {r['not_modified_share']:5.0%}{flag}"
        )
    print()
    for r in summary["results"]:
        if r["cycle"] != "subscribe":
            outcomes = ", ".join(f"{k} {v}" for k, v in sorted(r["feed_outcomes"].items()))
            print(
                f"{r['mode']:6} {r['cycle']:12} feeds: {outcomes}; HTTP {r['statuses']};"
                f" {r['feed_requests']} feed, {r['page_requests']} page,"
                f" {r['robots_requests']} robots.txt requests;"
                f" {r['articles_full']} articles with full text so far"
            )
    print()
    for key, value in summary["targets"].items():
        print(f"{key}: {value}")


def summarise_profile(path: Path, top: int = 15) -> dict[str, list[tuple[str, float]]]:
    """From a py-spy raw (collapsed) profile: the inclusive share of samples of tagwire's
    own functions, and the share of samples spent in each package (by the innermost frame)."""
    frame_re = re.compile(r"^(.*) \((.*?)(?::\d+)?\)$")
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    samples = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n, frames = int(count), [frame_re.match(f) for f in stack.split(";")]
        samples += n
        names = {f"{m[1]} ({m[2]})" for m in frames if m and m[2].startswith("tagwire/")}
        for name in names:
            inclusive[name] += n
        innermost = frames[-1]
        own[innermost[2].split("/")[0] if innermost else "?"] += n
    if not samples:
        return {}
    return {
        "tagwire functions (inclusive)": [
            (f, round(c / samples, 3)) for f, c in inclusive.most_common(top)
        ],
        "packages (innermost frame)": [(p, round(c / samples, 3)) for p, c in own.most_common(10)],
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=60, help="try 200, 1000 or 10000")
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--error-rate", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--port", type=int, default=8642)
    parser.add_argument(
        "--modes", type=lambda s: s.split(","), default=list(MODES), help="sqlite,pg1,pg2"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11")
    parser.add_argument(
        "--env", action="append", default=[], metavar="TAGWIRE_X=V", help="setting for tagwire"
    )
    parser.add_argument(
        "--setup-env",
        action="append",
        default=[],
        metavar="TAGWIRE_X=V",
        help="setting for `tagwire add` only (e.g. more concurrency to subscribe 10,000 feeds)",
    )
    parser.add_argument("--cycle-timeout", type=float, default=1800.0, help="seconds")
    parser.add_argument("--max-minutes", type=float, default=60.0, help="for the whole run")
    parser.add_argument("--workdir", help="logs, databases (default: a new folder in /tmp)")
    parser.add_argument("--profile", action="store_true", help="py-spy the in-process fetches")
    parser.add_argument("--py-spy", help="path of py-spy (default: on PATH)")
    args = parser.parse_args(argv)
    unknown = [m for m in args.modes if m not in MODES]
    if unknown:
        parser.error(f"unknown modes {unknown}; choose from {', '.join(MODES)}")
    if any("=" not in pair for pair in args.env + args.setup_env):
        parser.error("--env takes NAME=VALUE")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        summary = run(args)
    except BenchError as exc:
        sys.exit(f"bench: {exc}")
    print_table(summary)
    for spy in sorted(Path(summary["workdir"]).glob("*/pyspy-*.txt")):
        for title, rows in summarise_profile(spy).items():
            print(f"\n{spy.name}, {title}: share of samples")
            for name, share in rows:
                print(f"  {share:6.1%}  {name}")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
