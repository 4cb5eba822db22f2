"""What tagwire costs a machine: install size, start-up time, memory of the web and workers.

1. Install: a new virtual environment, ``pip install`` of this checkout (not editable, no
   extras), timed; the environment's size on disk and its ten biggest packages. Skipped with
   ``--skip-install``.
2. Ingest: ``tagwire demo --no-serve`` on a new SQLite file (the bundled sample through the
   whole pipeline), with ``/proc`` sampled every 0.2 s: peak resident memory of the main
   process and of each article worker process, which holds the NER and category models.
3. Web: ``tagwire serve --no-workers`` on that database, from the command to the first page
   answered (the median of ``--starts`` starts), then its resident memory after 200 requests
   to the tag, home, story and search pages.

    .venv/bin/python bench/footprint.py
    .venv/bin/python bench/footprint.py --skip-install --starts 5

A table, then one JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from load import free_port, stop  # bench/load.py, beside this script

ROOT = Path(__file__).resolve().parents[1]
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError, IndexError, ValueError):
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 1e6
    return 0.0


def descendants(pid: int) -> list[int]:
    """``pid``'s children, their children, and so on (from /proc)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def install(work: Path) -> dict[str, object]:
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    started = time.perf_counter()
    pip = [str(venv / "bin" / "pip"), "install", "-q", str(ROOT)]
    subprocess.run(pip, check=True)
    seconds = time.perf_counter() - started
    site = next((venv / "lib").glob("python3*/site-packages"))
    sizes: dict[str, int] = {}
    for entry in site.iterdir():
        if entry.name.endswith((".dist-info", ".pth")) or entry.name == "__pycache__":
            continue
        files = [entry] if entry.is_file() else [f for f in entry.rglob("*") if f.is_file()]
        sizes[entry.name] = sum(f.stat().st_size for f in files)
    total = sum(f.stat().st_size for f in venv.rglob("*") if f.is_file())
    biggest = sorted(sizes.items(), key=lambda item: -item[1])[:10]
    return {
        "install_s": round(seconds, 1),
        "venv_mb": round(total / 1e6),
        "biggest_mb": {name: round(size / 1e6) for name, size in biggest},
    }


def ingest(db: str, env: dict[str, str]) -> dict[str, object]:
    """The demo's ingest, its processes' memory sampled while it runs."""
    argv = [sys.executable, "-m", "tagwire", "--db", db, "demo", "--no-serve"]
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True)
    peak_main, peak_workers = 0.0, {}
    while process.poll() is None:
        peak_main = max(peak_main, rss_mb(process.pid))
        for child in descendants(process.pid):
            peak_workers[child] = max(peak_workers.get(child, 0.0), rss_mb(child))
        time.sleep(0.2)
    output = process.stdout.read() if process.stdout else ""
    if process.returncode:
        raise SystemExit(f"tagwire demo failed: {output[-2000:]}")
    workers = sorted(v for v in peak_workers.values() if v > 50)  # not the resource tracker
    return {
        "ingest_s": round(time.perf_counter() - started, 1),
        "ingest_line": next((x for x in output.splitlines() if "ingested" in x), ""),
        "main_peak_rss_mb": round(peak_main),
        "worker_peak_rss_mb": [round(w) for w in workers],
    }


def serve(db: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str, float]:
    """``tagwire serve --no-workers`` and the seconds until it answered its first page."""
    port = free_port()
    argv = [sys.executable, "-m", "tagwire", "--db", db, "serve", "--no-workers"]
    argv += ["--host", "127.0.0.1", "--port", str(port)]
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    while time.perf_counter() - started < 60:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(base + "/", timeout=10).status_code == 200:
                return process, base, time.perf_counter() - started
        time.sleep(0.02)
    stop(process)
    raise SystemExit("tagwire serve did not answer within 60 s")


def web(db: str, env: dict[str, str], starts: int) -> dict[str, object]:
    took = []
    for _ in range(starts - 1):
        process, _, seconds = serve(db, env)
        took.append(seconds)
        stop(process)
    process, base, seconds = serve(db, env)
    took.append(seconds)
    try:
        paths = ["/tags/azawad", "/", "/stories/1", "/search?q=drought", "/tags/mali.json"]
        with httpx.Client(base_url=base, timeout=30) as client:
            for n in range(200):
                client.get(paths[n % len(paths)])
        rss = rss_mb(process.pid) + sum(rss_mb(c) for c in descendants(process.pid))
    finally:
        stop(process)
    return {
        "serve_start_s": round(statistics.median(took), 2),
        "serve_start_all_s": [round(t, 2) for t in took],
        "web_rss_mb": round(rss),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-install", action="store_true")
    parser.add_argument("--starts", type=int, default=3)
    args = parser.parse_args()
    env = os.environ | {"TAGWIRE_ALLOW_PRIVATE_NETWORKS": "1"}
    figures: dict[str, object] = {
        "bench": "tagwire-footprint",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
    }
    with tempfile.TemporaryDirectory(prefix="tagwire-footprint-") as tmp:
        work = Path(tmp)
        if not args.skip_install:
            print("installing into a new virtual environment ...", flush=True)
            figures |= install(work)
        db = f"sqlite:///{work / 'demo.sqlite3'}"
        print("ingesting the demo sample ...", flush=True)
        figures |= ingest(db, env)
        print("starting the web ...", flush=True)
        figures |= web(db, env, args.starts)
        shutil.rmtree(work / "venv", ignore_errors=True)
    rows = [
        ("pip install of the checkout", f"{figures.get('install_s', '-')} s"),
        ("virtual environment on disk", f"{figures.get('venv_mb', '-')} MB"),
        ("demo ingest, models loaded", f"{figures['ingest_s']} s"),
        ("main process peak RSS", f"{figures['main_peak_rss_mb']} MB"),
        ("article worker processes peak RSS", f"{figures['worker_peak_rss_mb']} MB"),
        ("tagwire serve --no-workers to first page", f"{figures['serve_start_s']} s"),
        ("web process RSS after 200 pages", f"{figures['web_rss_mb']} MB"),
    ]
    for name, value in rows:
        print(f"{name:<44}{value:>16}")
    if "biggest_mb" in figures:
        print("biggest packages (MB):", figures["biggest_mb"])
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
