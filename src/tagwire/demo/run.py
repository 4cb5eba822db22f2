"""``tagwire demo``: the sample site on loopback -> add -> fetch -> the site, on its own
SQLite file (recreated each run, so the demo never mixes with your own subscriptions)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click
import platformdirs
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from tagwire.demo.server import Sample, SampleSite

SAMPLE_PORT = 8764
BANNER = "Demo: the outlets and articles here are sample data written for tagwire, not real news."


def demo_database_url() -> str:
    path = Path(platformdirs.user_data_dir("tagwire", appauthor=False)) / "demo.sqlite3"
    return f"sqlite:///{path}"


def run_demo(ctx: click.Context, *, host: str, port: int, serve: bool) -> None:
    from tagwire.cli import Context, console, run_fetch, run_web
    from tagwire.subscribe import subscribe_all

    parent: Context = ctx.obj
    explicit = ctx.find_root().params.get("database_url")
    url = explicit or demo_database_url()
    if not explicit:
        remove_sqlite_file(url)
    obj = Context(parent.settings.replace(database_url=url, allow_private_networks=True))
    with open_sample_site() as site:
        console.print(f"sample outlets at {site.base_url}  (database: {url})", highlight=False)
        asyncio.run(subscribe_all(obj.settings, obj.engine, site.feed_urls))
        give_sample_facts(obj.engine, site.sample)
        outcomes, seconds = run_fetch(obj, everything=True, show_progress=True)
        stored = sum(o.new + o.updated for o in outcomes)
        console.print(
            f"ingested {stored} articles from {len(outcomes)} feeds in {seconds:.1f}s"
            f" ({stored / seconds if seconds else 0:.1f} articles/s, NLP model loading included)",
            highlight=False,
        )
        if serve:
            console.print(f"open http://{host}:{port}/tags/azawad", highlight=False)
            run_web(obj, host, port, workers=False, banner=BANNER)


def give_sample_facts(engine: Engine, sample: Sample) -> None:
    """The sample outlets are fictional: their facts (country, ownership, state-affiliated)
    come with the sample, so the demo's pages show them."""
    from tagwire.enrich.names import slugify
    from tagwire.store.outlets import FACT_COLUMNS, set_outlet_facts

    for outlet in sample.outlets.values():
        changes = {name: outlet[name] for name in FACT_COLUMNS if name in outlet}
        if changes:
            set_outlet_facts(engine, slugify(outlet["name"]), changes)


def open_sample_site() -> SampleSite:
    """The sample on its usual port, so that a demo database kept with ``--db`` sees the
    same feed URLs on every run (no duplicates); any free port when that one is taken."""
    try:
        return SampleSite(port=SAMPLE_PORT)
    except OSError:
        return SampleSite(port=0)


def remove_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if database:
        for suffix in ("", "-wal", "-shm"):
            Path(database + suffix).unlink(missing_ok=True)
