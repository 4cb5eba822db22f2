"""Per-host politeness: at most N requests at once to one host, and a minimum spacing
between the starts of two requests to it.

In one process a ``LocalHostGate`` keeps the count; with workers on several machines a
``RedisHostGate`` keeps it in Redis, so the cap holds across all of them. A request holds
its slot at most the fetch time limit, so a slot still held well after that belongs to a
process that died, and is released.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol
from urllib.parse import urlsplit

STALE_MARGIN_SECONDS = 10.0
POLL_SECONDS = 0.05


def host_key(url: str) -> str:
    """The server a URL names: host and port."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{(parts.hostname or '').lower()}:{port}"


class HostGate(Protocol):
    def slot(self, url: str) -> Any:  # an async context manager
        ...

    async def close(self) -> None: ...


class LocalHostGate:
    """The cap and spacing for one process (the default: in-process workers)."""

    def __init__(self, per_host: int, spacing: float) -> None:
        self.per_host = per_host
        self.spacing = spacing
        self._slots: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(per_host))
        self._next_start: dict[str, float] = defaultdict(float)
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        host = host_key(url)
        async with self._slots[host]:
            async with self._locks[host]:
                wait = self._next_start[host] - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._next_start[host] = time.monotonic() + self.spacing
            yield

    async def close(self) -> None:
        return None


# Atomic in Redis: drop stale holders, refuse when full or too soon, else take a slot.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, tonumber(ARGV[1]) - tonumber(ARGV[4]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return -1 end
local next_start = tonumber(redis.call('GET', KEYS[2]) or '0')
if next_start > tonumber(ARGV[1]) then return next_start - tonumber(ARGV[1]) end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('SET', KEYS[2], tonumber(ARGV[1]) + tonumber(ARGV[5]), 'PX', tonumber(ARGV[5]) + 1000)
return 0
"""


class RedisHostGate:
    """The same cap and spacing shared by every process that uses the same Redis."""

    def __init__(
        self, redis_url: str, per_host: int, spacing: float, prefix: str, hold_limit: float
    ) -> None:
        import redis.asyncio as redis  # only needed when scaled out

        self.stale_ms = int((hold_limit + STALE_MARGIN_SECONDS) * 1000)
        self.per_host = per_host
        self.spacing = spacing
        self.prefix = prefix
        self._redis = redis.Redis.from_url(redis_url)
        self._acquire = self._redis.register_script(_ACQUIRE)

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        host = host_key(url)
        holders, spacing_key = f"{self.prefix}:host:{host}:slots", f"{self.prefix}:host:{host}:next"
        token = uuid.uuid4().hex
        while True:
            now_ms = int(time.time() * 1000)
            args: list[str | int] = [
                now_ms,
                self.per_host,
                token,
                self.stale_ms,
                int(self.spacing * 1000),
            ]
            wait_ms = int(await self._acquire(keys=[holders, spacing_key], args=args))
            if wait_ms == 0:
                break
            await asyncio.sleep(POLL_SECONDS if wait_ms < 0 else wait_ms / 1000)
        try:
            yield
        finally:
            await self._redis.zrem(holders, token)

    async def close(self) -> None:
        await self._redis.aclose()
