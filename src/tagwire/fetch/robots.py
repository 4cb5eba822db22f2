"""robots.txt for article pages (feeds are published to be polled), parsed with protego and
kept per host for a day.

RFC 9309: a robots.txt that is missing (4xx) allows everything; one that cannot be read
(5xx, timeout) disallows everything for now, and is asked again later.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from protego import Protego

from tagwire.errors import FetchError, HTTPStatusError

if TYPE_CHECKING:
    from tagwire.fetch.client import Fetcher

ALLOW_ALL = Protego.parse("")
DISALLOW_ALL = Protego.parse("User-agent: *\nDisallow: /")
KEEP_SECONDS = 24 * 3600.0
RETRY_SECONDS = 600.0
MAX_HOSTS = 10_000
ROBOTS_MAX_BYTES = 500_000


class RobotsCache:
    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher
        self._rules: dict[str, tuple[Protego, float]] = {}

    async def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        site = f"{parts.scheme}://{parts.netloc}"
        rules, expires = self._rules.get(site, (None, 0.0))
        if rules is None or expires < time.monotonic():
            rules, keep = await self._load(site)
            if len(self._rules) >= MAX_HOSTS:
                self._rules.clear()
            self._rules[site] = (rules, time.monotonic() + keep)
        agent = self.fetcher.settings.user_agent.split("/")[0]
        return bool(rules.can_fetch(url, agent))

    async def _load(self, site: str) -> tuple[Protego, float]:
        try:
            result = await self.fetcher.fetch(f"{site}/robots.txt", {"Accept": "text/plain"})
        except HTTPStatusError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                return ALLOW_ALL, KEEP_SECONDS
            return DISALLOW_ALL, RETRY_SECONDS
        except FetchError:
            return DISALLOW_ALL, RETRY_SECONDS
        text = result.body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace")
        return Protego.parse(text), KEEP_SECONDS
