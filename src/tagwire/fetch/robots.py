"""robots.txt for article pages (feeds are published to be polled), parsed with protego and
kept per site for a day.

One ``RobotsCache`` lives as long as its process (a worker keeps one across tasks), and
pages of one site that ask at once share a single load. RFC 9309: a robots.txt that is
missing (4xx) allows everything; one that cannot be read (5xx, 429, timeout) disallows
everything for now, and is asked again later.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from protego import Protego

from tagwire.errors import FetchError, HTTPStatusError
from tagwire.models import FetchResult

ALLOW_ALL = Protego.parse("")
DISALLOW_ALL = Protego.parse("User-agent: *\nDisallow: /")
KEEP_SECONDS = 24 * 3600.0
RETRY_SECONDS = 600.0
MAX_HOSTS = 10_000
ROBOTS_MAX_BYTES = 500_000

Load = Callable[[str], Awaitable[FetchResult]]  # GET a robots.txt URL


def site_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def rules_from_body(body: bytes) -> tuple[Protego, float]:
    text = body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace")
    return Protego.parse(text), KEEP_SECONDS


def rules_from_error(exc: FetchError) -> tuple[Protego, float]:
    """4xx (but 429): no robots.txt, everything allowed. 5xx, 429, a timeout or a refused
    connection: unreachable, nothing allowed until it is asked again."""
    status = exc.status if isinstance(exc, HTTPStatusError) else None
    if status is not None and 400 <= status < 500 and status != 429:
        return ALLOW_ALL, KEEP_SECONDS
    return DISALLOW_ALL, RETRY_SECONDS


class RobotsCache:
    """The rules of each site, kept ``KEEP_SECONDS`` (``RETRY_SECONDS`` when unreachable)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._rules: dict[str, tuple[Protego, float]] = {}
        self._loading: dict[str, asyncio.Task[Protego]] = {}

    async def allows(self, url: str, agent: str, load: Load) -> bool:
        rules = await self.rules_for(site_of(url), load)
        return bool(rules.can_fetch(url, agent))

    async def rules_for(self, site: str, load: Load) -> Protego:
        cached = self._rules.get(site)
        if cached is not None and cached[1] > self._clock():
            return cached[0]
        pending = self._loading.get(site)
        # A Celery task runs its own event loop; a load begun in an earlier one is gone.
        if pending is None or pending.get_loop() is not asyncio.get_running_loop():
            pending = asyncio.get_running_loop().create_task(self._load(site, load))
            self._loading[site] = pending
        # Shielded: a caller that is cancelled does not cancel the others' load.
        return await asyncio.shield(pending)

    async def _load(self, site: str, load: Load) -> Protego:
        try:
            try:
                rules, keep = rules_from_body((await load(f"{site}/robots.txt")).body)
            except FetchError as exc:
                rules, keep = rules_from_error(exc)
            if len(self._rules) >= MAX_HOSTS:
                self._rules.clear()
            self._rules[site] = (rules, self._clock() + keep)
            return rules
        finally:
            if self._loading.get(site) is asyncio.current_task():
                del self._loading[site]
