"""The order in which a feed takes its host's turn and one of the feed slots."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

from pytest_httpserver import HTTPServer
from sqlalchemy import Engine
from werkzeug import Request, Response

from tagwire.schedule import update_due_feeds
from tagwire.settings import Settings
from tagwire.store.feeds import add_feed, claim_due_feeds

from .pages import rss


def test_feeds_waiting_for_a_busy_host_leave_the_feed_slots_to_other_hosts(
    site: HTTPServer, settings: Settings, engine: Engine, tagger
):
    """Four feeds of one host, whose answers wait until another host's feed is served,
    must not hold all three feed slots while they queue for their host's two."""
    other_served = threading.Event()
    feed = rss("A feed", [])

    def busy(_request: Request) -> Response:
        other_served.wait(timeout=10)  # before the fix: never set, and the feeds time out
        return Response(feed, content_type="application/rss+xml")

    def other(_request: Request) -> Response:
        other_served.set()
        return Response(feed, content_type="application/rss+xml")

    for n in range(4):
        site.expect_request(f"/busy/{n}").respond_with_handler(busy)
    site.expect_request("/other").respond_with_handler(other)
    # Two names of the loopback server: two hosts to the politeness gate.
    urls = [f"http://localhost:{site.port}/busy/{n}" for n in range(4)]
    for url in [*urls, f"http://127.0.0.1:{site.port}/other"]:
        add_feed(engine, url, title=None, site_url=None, kind=None, outlet_name="Test")
    settings = settings.replace(
        concurrency=3, per_host_concurrency=2, per_host_spacing=0.0, fetch_timeout=5.0
    )
    due = claim_due_feeds(engine, datetime.now(UTC))
    outcomes = asyncio.run(update_due_feeds(settings, engine, feeds=due, tagger=tagger))
    assert [o.status for o in outcomes] == ["ok"] * 5
    assert all("timed out" not in (o.error or "") for o in outcomes)
