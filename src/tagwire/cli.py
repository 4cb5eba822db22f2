"""The ``tagwire`` command: add, feeds, fetch, serve (the default), demo, tags, retag,
exports (export-opml, export-tag) and alerts."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TextIO, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine

from tagwire.errors import ConfigError, InvalidInput, TagwireError
from tagwire.settings import ENV_PREFIX, Settings

F = TypeVar("F", bound=Callable[..., Any])
console = Console(stderr=False)
errors = Console(stderr=True, soft_wrap=True)


class Context:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from tagwire.store import open_store

            self._engine = open_store(self.settings.database_url)
        return self._engine


def reports_errors(func: F) -> F:
    """Our errors end the command with one line: exit 2 for bad input, 1 otherwise."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (InvalidInput, ConfigError) as exc:
            errors.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
            sys.exit(2)
        except TagwireError as exc:
            errors.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


class Commands(click.Group):
    """tagwire's commands; ``eval`` and its evaluators are imported only when asked for
    (they pull in every model: seconds of start-up that ``tagwire serve`` need not pay)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), "eval"})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name == "eval" and name not in self.commands:
            self.add_command(_eval_commands())
        return super().get_command(ctx, name)


@click.group(cls=Commands, invoke_without_command=True)
@click.option(
    "--db", "database_url", metavar="URL", help="Database URL (env TAGWIRE_DATABASE_URL)."
)
@click.option("-v", "--verbose", count=True, help="Log each feed update (-vv for debug).")
@click.version_option(package_name="tagwire")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None, verbose: int) -> None:
    """Follow the news as hashtags."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = Settings.from_env(database_url=database_url)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    ctx.obj = Context(settings)
    if ctx.invoked_subcommand is None:
        ctx.invoke(serve)


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@click.pass_obj
@reports_errors
def add(obj: Context, sources: tuple[str, ...]) -> None:
    """Subscribe to feeds, sites (autodiscovered) or OPML files."""
    from tagwire.subscribe import subscribe_all

    results = asyncio.run(subscribe_all(obj.settings, obj.engine, list(sources)))
    for sub in results:
        if sub.feed_id is None:
            errors.print(f"{sub.url}: {sub.warning}", highlight=False)
            continue
        state = "subscribed" if sub.created else "already subscribed"
        console.print(
            f"{state}: {sub.url}" + (f"  ({sub.title})" if sub.title else ""), highlight=False
        )
        if sub.warning:
            errors.print(f"  warning: {sub.warning}", highlight=False)


@cli.command()
@click.pass_obj
@reports_errors
def feeds(obj: Context) -> None:
    """List feeds with their state and last error."""
    from tagwire.store.feeds import list_feeds

    rows = list_feeds(obj.engine)
    table = Table("id", "outlet", "status", "errors", "articles", "a day", "next check")
    table.add_column("url / last error", overflow="fold")
    for r in rows:
        table.add_row(
            str(r.id),
            r.outlet,
            r.last_status or "new",
            str(r.error_count),
            str(r.article_count),
            f"{r.articles_per_day:g}",
            r.next_check_at.strftime("%Y-%m-%d %H:%M") if r.active else "stopped",
            r.url + (f"\n[red]{escape(r.last_error)}[/red]" if r.last_error else ""),
        )
    console.print(table if rows else "No feeds yet: tagwire add URL")


@cli.command()
@click.option("--all", "everything", is_flag=True, help="Check every feed now, due or not.")
@click.pass_obj
@reports_errors
def fetch(obj: Context, everything: bool) -> None:
    """Poll every due feed once, then exit."""
    outcomes, seconds = run_fetch(obj, everything, show_progress=True)
    new = sum(o.new for o in outcomes)
    updated = sum(o.updated for o in outcomes)
    failed = [o for o in outcomes if o.status == "error"]
    rate = (new + updated) / seconds if seconds > 0 else 0.0
    console.print(
        f"{len(outcomes)} feeds, {new} new and {updated} updated articles, {len(failed)} errors"
        f" in {seconds:.1f}s ({rate:.1f} articles/s)",
        highlight=False,
    )
    for o in failed:
        errors.print(f"  feed {o.feed_id} {o.url}: {o.error}", highlight=False)


def run_fetch(obj: Context, everything: bool, show_progress: bool) -> tuple[list, float]:
    from datetime import UTC, datetime

    from tagwire.cpu_pool import open_builder
    from tagwire.schedule import update_due_feeds
    from tagwire.store.feeds import claim_due_feeds, make_all_due

    if everything:
        make_all_due(obj.engine)
    due = claim_due_feeds(obj.engine, datetime.now(UTC))
    started = time.perf_counter()
    builder = open_builder(obj.settings)
    try:
        with progress_bar("fetching", disable=not show_progress or not due) as progress:
            task = progress.add_task("feeds", total=len(due))
            outcomes = asyncio.run(
                update_due_feeds(
                    obj.settings,
                    obj.engine,
                    lambda _o: progress.advance(task),
                    feeds=due,
                    builder=builder,
                )
            )
    finally:
        builder.close()  # also on Ctrl-C: the worker processes end with the command
    return outcomes, time.perf_counter() - started


def progress_bar(what: str, disable: bool = False) -> Progress:
    columns = (TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=errors, disable=disable)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-workers", is_flag=True, help="Serve the web only; fetch elsewhere.")
@click.option(
    "--web-processes",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Processes answering web requests (one per core); more than one needs --no-workers.",
)
@click.pass_obj
@reports_errors
def serve(obj: Context, host: str, port: int, no_workers: bool, web_processes: int) -> None:
    """Serve the web app, with the in-process feed scheduler unless workers do the fetching."""
    workers = not no_workers and not obj.settings.broker_url
    if web_processes == 1:
        run_web(obj, host, port, workers=workers)
    elif workers:
        raise InvalidInput(
            "--web-processes above 1 serves the web only: add --no-workers and fetch with"
            " `tagwire fetch` or Celery workers"
        )
    else:
        run_web_processes(obj, host, port, web_processes)


@cli.command()
@click.option("--concurrency", type=int, help="Worker processes (env TAGWIRE_WORKER_CONCURRENCY).")
@click.pass_obj
@reports_errors
def worker(obj: Context, concurrency: int | None) -> None:
    """Run a Celery worker that updates the feeds the scheduler hands out."""
    from tagwire.tasks import make_celery

    app = make_celery(obj.settings)
    obj.engine.dispose()  # migrated here, once; each worker process opens its own connections
    processes = concurrency or obj.settings.worker_concurrency
    app.worker_main(
        ["worker", "--loglevel=INFO", f"--concurrency={processes}", "-Q", obj.settings.task_queue]
    )


@cli.command()
@click.option("--once", is_flag=True, help="Enqueue the feeds due now, then exit.")
@click.pass_obj
@reports_errors
def scheduler(obj: Context, once: bool) -> None:
    """Hand due feeds to the Celery workers, every few seconds."""
    from tagwire.pipeline import tagging_version
    from tagwire.tasks import make_celery, run_scheduler_loop

    version = tagging_version(obj.settings)
    app = make_celery(obj.settings)
    run_scheduler_loop(app, obj.engine, version, rounds=1 if once else None)


def run_web(
    obj: Context, host: str, port: int, *, workers: bool, banner: str | None = None
) -> None:
    import uvicorn

    from tagwire.web import create_app

    app = create_app(obj.settings, obj.engine, workers=workers, banner=banner)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def run_web_processes(obj: Context, host: str, port: int, processes: int) -> None:
    """The web app in ``processes`` processes sharing one port (uvicorn's supervisor), each
    building it from the environment: the database is migrated here first, and its URL (which
    ``--db`` may have given) passed on. Each process keeps its own rate-limit counts."""
    import uvicorn

    obj.engine.dispose()  # opened (and migrated) once, before the processes start
    os.environ[f"{ENV_PREFIX}DATABASE_URL"] = obj.settings.database_url
    uvicorn.run(
        "tagwire.web.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=processes,
        log_level="warning",
    )


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Ingest the sample and exit.")
@click.pass_context
@reports_errors
def demo(ctx: click.Context, host: str, port: int, no_serve: bool) -> None:
    """Ingest the bundled sample outlets through the real pipeline, then serve the site."""
    from tagwire.demo.run import run_demo

    run_demo(ctx, host=host, port=port, serve=not no_serve)


@cli.group(invoke_without_command=True)
@click.option("--limit", default=30, show_default=True, type=int)
@click.option("--days", type=int, help="Only articles of the last N days.")
@click.pass_context
@reports_errors
def tags(ctx: click.Context, limit: int, days: int | None) -> None:
    """Top tags, by number of articles; subcommands manage tags."""
    if ctx.invoked_subcommand is not None:
        return
    from tagwire.store.reads import top_tags

    table = Table("tag", "kind", "articles", "page")
    for tag in top_tags(ctx.obj.engine, limit=limit, days=days):
        table.add_row("#" + tag.label, tag.kind, str(tag.article_count), f"/tags/{tag.slug}")
    console.print(table)


@tags.command("show")
@click.argument("tag")
@click.pass_obj
@reports_errors
def tags_show(obj: Context, tag: str) -> None:
    """One tag: kind, articles, aliases and related tags."""
    from tagwire.store.reads import related_tags, resolve_tag

    info = resolve_tag(obj.engine, tag)
    if info is None:
        raise InvalidInput(f"no tag {tag!r}")
    console.print(
        f"#{escape(info.label)}  {info.kind}, {info.article_count} articles", highlight=False
    )
    if info.aliases:
        console.print("aliases: " + escape(", ".join(info.aliases)), highlight=False)
    related = related_tags(obj.engine, info.id)
    if related:
        console.print(
            "related: " + " ".join("#" + escape(t.label) for t in related), highlight=False
        )


@tags.command("merge")
@click.argument("source")
@click.argument("target")
@click.pass_obj
@reports_errors
def tags_merge(obj: Context, source: str, target: str) -> None:
    """Fold SOURCE into TARGET: one tag with TARGET's label; SOURCE's page redirects."""
    from tagwire.store.curation import merge_tags

    result = merge_tags(obj.engine, source, target)
    console.print(
        f"{escape(result.detail)}: {result.articles} article links moved", highlight=False
    )


@tags.command("rename")
@click.argument("tag")
@click.argument("label")
@click.pass_obj
@reports_errors
def tags_rename(obj: Context, tag: str, label: str) -> None:
    """Give TAG a new LABEL; the old name stays an alias and its page redirects."""
    from tagwire.store.curation import rename_tag

    result = rename_tag(obj.engine, tag, label)
    console.print(f"{escape(result.detail)}: /tags/{result.tag.slug}", highlight=False)


@tags.group("alias")
def tags_alias() -> None:
    """A tag's other names: spellings, acronyms, other languages."""


@tags_alias.command("add")
@click.argument("tag")
@click.argument("aliases", nargs=-1, required=True)
@click.option("--kind", help="Kind of the tag when it is new (person, organisation, place, ...).")
@click.pass_obj
@reports_errors
def tags_alias_add(obj: Context, tag: str, aliases: tuple[str, ...], kind: str | None) -> None:
    """Teach TAG the names ALIASES; stored articles that mention them are tagged again."""
    from tagwire.store.curation import add_tag_aliases

    result = add_tag_aliases(obj.engine, tag, aliases, kind)
    console.print(escape(result.detail), highlight=False)
    pending_note(result.articles)


@tags.command("block")
@click.argument("tag")
@click.pass_obj
@reports_errors
def tags_block(obj: Context, tag: str) -> None:
    """Never use TAG: it leaves every article now and is not given again."""
    from tagwire.store.curation import block_tag

    result = block_tag(obj.engine, tag)
    console.print(f"{escape(result.detail)}: taken off {result.articles} articles", highlight=False)
    pending_note(result.articles)


@tags.command("unblock")
@click.argument("tag")
@click.pass_obj
@reports_errors
def tags_unblock(obj: Context, tag: str) -> None:
    """Allow a blocked TAG again."""
    from tagwire.store.curation import unblock_tag

    result = unblock_tag(obj.engine, tag)
    console.print(escape(result.detail), highlight=False)
    pending_note(result.articles)


@tags.command("log")
@click.option("--limit", default=50, show_default=True, type=int)
@click.pass_obj
@reports_errors
def tags_log(obj: Context, limit: int) -> None:
    """The latest changes people made to tags."""
    from tagwire.store.curation import recent_changes

    for when, action, detail in recent_changes(obj.engine, limit):
        console.print(f"{when:%Y-%m-%d %H:%M}  {action:<8} {escape(detail)}", highlight=False)


def pending_note(count: int) -> None:
    if count:
        console.print(
            f"{count} stored articles are to be tagged again: run `tagwire retag`"
            " (a running `tagwire serve` or scheduler does it by itself)",
            highlight=False,
        )


@cli.group(invoke_without_command=True)
@click.pass_context
@reports_errors
def outlets(ctx: click.Context) -> None:
    """Outlets with their facts (country, ownership, state-affiliated); subcommands set them."""
    if ctx.invoked_subcommand is not None:
        return
    from tagwire.store.outlet_reads import list_outlets

    rows = list_outlets(ctx.obj.engine)
    table = Table("outlet", "slug", "country", "state-affiliated", "articles")
    table.add_column("ownership", overflow="fold")
    for o in rows:
        table.add_row(
            escape(o.name),
            o.slug,
            o.country or "",
            STATE_AFFILIATED_WORDS[o.state_affiliated],
            str(o.article_count),
            escape(o.ownership or ""),
        )
    console.print(table if rows else "No outlets yet: tagwire add URL")


STATE_AFFILIATED_WORDS = {True: "yes", False: "no", None: "unknown"}


@outlets.command("set")
@click.argument("outlet")
@click.option("--country", metavar="CODE", help='ISO 3166-1 alpha-2 code, e.g. ML ("" clears it).')
@click.option("--ownership", metavar="TEXT", help='Who owns it, in a few words ("" clears it).')
@click.option(
    "--state-affiliated",
    type=click.Choice(["yes", "no", "unknown"], case_sensitive=False),
    help="Owned or funded by a state that has a say in what it publishes.",
)
@click.pass_obj
@reports_errors
def outlets_set(
    obj: Context,
    outlet: str,
    country: str | None,
    ownership: str | None,
    state_affiliated: str | None,
) -> None:
    """Set the facts of OUTLET (its slug or name), over the bundled ones."""
    from tagwire.enrich.names import slugify
    from tagwire.outlets.checks import country_code, ownership_text
    from tagwire.store.outlet_reads import find_outlet
    from tagwire.store.outlets import set_outlet_facts

    changes: dict[str, Any] = {}
    if country is not None:
        changes["country"] = country_code(country) if country.strip() else None
    if ownership is not None:
        changes["ownership"] = ownership_text(ownership) or None
    if state_affiliated is not None:
        words = {word: value for value, word in STATE_AFFILIATED_WORDS.items()}
        changes["state_affiliated"] = words[state_affiliated.lower()]
    if not changes:
        raise InvalidInput("nothing to set: give --country, --ownership or --state-affiliated")
    slug = slugify(outlet) or outlet
    set_outlet_facts(obj.engine, slug, changes)
    info = find_outlet(obj.engine, slug)
    if info is not None:
        console.print(
            f"{info.slug}: country {info.country or 'unknown'}, state-affiliated"
            f" {STATE_AFFILIATED_WORDS[info.state_affiliated]},"
            f" ownership {escape(info.ownership or 'unknown')}",
            highlight=False,
        )


@outlets.command("fill")
@click.pass_obj
@reports_errors
def outlets_fill(obj: Context) -> None:
    """Give the bundled facts to outlets that have none yet (found by site or name)."""
    from tagwire.store.outlets import fill_outlet_facts

    console.print(f"{fill_outlet_facts(obj.engine)} outlets given facts", highlight=False)


@cli.command()
@click.option(
    "--all", "everything", is_flag=True, help="Every article, not just those out of date."
)
@click.pass_obj
@reports_errors
def retag(obj: Context, everything: bool) -> None:
    """Tag stored articles again where their tags are out of date (alias data, rules or
    models changed; an alias was added). Stopped, it resumes where it was."""
    from tagwire.pipeline import build_tagger
    from tagwire.retag import pending
    from tagwire.retag import retag as retag_articles

    tagger = build_tagger(obj.settings, obj.engine)
    total = pending(obj.engine, tagger, everything)
    if not total:
        console.print("every article's tags are up to date")
        return
    started = time.perf_counter()
    with progress_bar("tagging") as bar:
        task = bar.add_task("tagging", total=total)
        done = retag_articles(
            obj.engine, tagger, everything=everything, on_batch=lambda n: bar.advance(task, n)
        )
    seconds = time.perf_counter() - started
    console.print(f"tagged {done} articles again in {seconds:.1f}s", highlight=False)


@cli.command("export-opml")
@click.argument("output", metavar="[FILE]", default="-", type=click.File("w", encoding="utf-8"))
@click.pass_obj
@reports_errors
def export_opml(obj: Context, output: TextIO) -> None:
    """Write every subscription as OPML, grouped by outlet, to FILE (standard output when
    none or -); `tagwire add FILE` subscribes to them again, here or elsewhere."""
    from tagwire.web.exports import subscriptions_opml

    output.write(subscriptions_opml(obj.engine, redact=False))


cli.add_command(export_opml, "opml")  # the name it had first, kept for scripts


@cli.command("export-tag")
@click.argument("tag")
@click.argument("output", metavar="[FILE]", default="-", type=click.File("w", encoding="utf-8"))
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="From this day (YYYY-MM-DD).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="To this day, included.")
@click.pass_obj
@reports_errors
def export_tag(
    obj: Context,
    tag: str,
    output: TextIO,
    since: datetime | None,
    until: datetime | None,
) -> None:
    """Write every article of TAG as JSON Lines, newest first, to FILE (standard output
    when none or -): text, outlet, language, category, tags, story and duplicates."""
    from tagwire.store.exports import tag_archive
    from tagwire.store.reads import resolve_tag
    from tagwire.web.feeds_out import archive_line

    info = resolve_tag(obj.engine, tag)
    if info is None:
        raise InvalidInput(f"no tag {tag!r}")
    days = (since.date() if since else None, until.date() if until else None)
    for batch in tag_archive(obj.engine, info.id, *days):
        output.write("".join(archive_line(a) for a in batch))


@cli.command("migrate-to")
@click.argument("target_url", metavar="URL")
@click.pass_obj
@reports_errors
def migrate_to(obj: Context, target_url: str) -> None:
    """Copy everything from the current database (--db) into a new, empty one at URL."""
    from tagwire.store import open_store
    from tagwire.store.transfer import copy_database

    target = open_store(target_url)
    copied = copy_database(
        obj.engine, target, lambda name, n: console.print(f"{name}: {n} rows", highlight=False)
    )
    console.print(f"copied {sum(copied.values())} rows; now use --db {target_url}", highlight=False)


@cli.command("settings")
@click.option("--markdown", is_flag=True, help="Print the reference table of docs/settings.md.")
@click.pass_obj
def show_settings(obj: Context, markdown: bool) -> None:
    """Every setting with its value in effect (secrets in URLs hidden)."""
    from dataclasses import fields

    from sqlalchemy.engine import make_url

    from tagwire.settings import ENV_PREFIX, settings_markdown

    if markdown:
        click.echo(settings_markdown(), nl=False)
        return
    for f in fields(obj.settings):
        value = getattr(obj.settings, f.name)
        if f.name.endswith("_url") and value and "://" in value:
            value = make_url(value).render_as_string(hide_password=True)
        elif f.metadata.get("secret") and value:
            value = "***"
        click.echo(f"{ENV_PREFIX}{f.name.upper()}={value}")


@cli.group()
def alerts() -> None:
    """Webhooks told of each new story on a tag or a saved search."""


@alerts.command("add")
@click.option("--tag", "tag", metavar="SLUG", help="Alert on the new stories of this tag.")
@click.option("--search", "search", metavar="QUERY", help="Alert on new stories this search finds.")
@click.argument("url")
@click.pass_obj
@reports_errors
def alerts_add(obj: Context, tag: str | None, search: str | None, url: str) -> None:
    """POST each new story on --tag or --search to URL, signed; prints the secret once."""
    from tagwire.alerts.subscribe import subscribe
    from tagwire.store.reads import resolve_tag

    if (tag is None) == (search is None):
        raise InvalidInput("give one of --tag SLUG or --search QUERY")
    kind, target = ("tag", tag) if tag is not None else ("search", search or "")
    made = subscribe(obj.settings, obj.engine, kind, target, url)
    alert = made.alert
    console.print(f"alert {alert.id}: {kind} {escape(alert.target)}", highlight=False)
    console.print(f"secret (shown this once): {made.secret}", highlight=False)
    if kind == "tag" and resolve_tag(obj.engine, alert.target) is None:
        errors.print(f"  note: no article is tagged #{alert.target} yet", highlight=False)


@alerts.command("list")
@click.pass_obj
@reports_errors
def alerts_list(obj: Context) -> None:
    """Every alert with its deliveries (credentials in URLs masked)."""
    from tagwire.store.alerts import list_alerts
    from tagwire.web.sanitise import redact_url

    rows = list_alerts(obj.engine)
    for a in rows:
        target = ("#" if a.kind == "tag" else "search: ") + a.target
        console.print(
            f"alert {a.id}  {escape(target)}  -> {escape(redact_url(a.url))}", highlight=False
        )
        console.print(
            f"  since {a.created_at:%Y-%m-%d %H:%M}: {a.delivered} delivered,"
            f" {a.pending} pending, {a.failed} failed",
            highlight=False,
        )
    if not rows:
        console.print("No alerts yet: tagwire alerts add --tag SLUG URL")


@alerts.command("remove")
@click.argument("alert_id", metavar="ID", type=int)
@click.pass_obj
@reports_errors
def alerts_remove(obj: Context, alert_id: int) -> None:
    """Stop alert ID and forget its delivery log."""
    from tagwire.store.alerts import remove_alert

    if remove_alert(obj.engine, alert_id) is None:
        raise InvalidInput(f"no alert {alert_id}")
    console.print(f"removed alert {alert_id}", highlight=False)


@alerts.command("log")
@click.argument("alert_id", metavar="[ID]", type=int, required=False)
@click.option("--limit", default=50, show_default=True, type=int)
@click.pass_obj
@reports_errors
def alerts_log(obj: Context, alert_id: int | None, limit: int) -> None:
    """The latest deliveries (of alert ID): status, attempts, last error."""
    from tagwire.store.alerts import delivery_log
    from tagwire.web.sanitise import redact_text

    rows = delivery_log(obj.engine, alert_id, limit)
    for d in rows:
        state = d.status
        if d.next_attempt_at:
            state += f", next try {d.next_attempt_at:%Y-%m-%d %H:%M}"
        elif d.delivered_at:
            state += f" {d.delivered_at:%Y-%m-%d %H:%M}"
        code = f", HTTP {d.last_status_code}" if d.last_status_code else ""
        console.print(
            f"delivery {d.id}  alert {d.alert_id}  story {d.story_id}  {state}"
            f"  ({d.attempts} attempts{code})  {escape(d.story_title[:60])}",
            highlight=False,
        )
        if d.last_error:
            console.print(f"  last error: {escape(redact_text(d.last_error))}", highlight=False)
    if not rows:
        console.print("No deliveries yet")


@alerts.command("send")
@click.pass_obj
@reports_errors
def alerts_send(obj: Context) -> None:
    """Send the alerts due now, then exit (`serve` and the workers do it by themselves)."""
    from tagwire.alerts.deliver import send_alerts

    outcomes = asyncio.run(send_alerts(obj.settings, obj.engine))
    done = sum(o.status == "delivered" for o in outcomes)
    console.print(f"{len(outcomes)} sent, {done} delivered", highlight=False)
    for o in outcomes:
        if o.error:
            errors.print(f"  delivery {o.delivery_id} ({o.status}): {o.error}", highlight=False)


def _eval_commands() -> click.Group:
    from tagwire.evaluate.cli import eval_group

    return eval_group


def main() -> None:
    cli(prog_name="tagwire")
