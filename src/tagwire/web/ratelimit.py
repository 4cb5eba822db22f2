"""Requests per client, in this process: a token bucket per (scope, client address).

A bucket holds up to ``per_minute`` tokens and gains ``per_minute`` a minute; each request
takes one, and a request that finds none gets a 429 with Retry-After. Buckets idle long
enough to be full again are forgotten, and at most ``max_buckets`` are kept (the least
recently used go first), so memory stays bounded whoever calls.

The client is the connecting address; ``X-Forwarded-For`` is believed only from the
proxies of ``TAGWIRE_TRUSTED_PROXIES``, read from the right (what our proxy saw).
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from fastapi import HTTPException, Request

from tagwire.settings import Settings
from tagwire.web import i18n

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_BUCKETS = 10_000


@dataclass(slots=True)
class Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(
        self,
        trusted_proxies: Iterable[Network] = (),
        *,
        max_buckets: int = MAX_BUCKETS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.trusted_proxies = tuple(trusted_proxies)
        self.max_buckets = max_buckets
        self.clock = clock
        self.buckets: OrderedDict[tuple[str, str], Bucket] = OrderedDict()
        self.lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        proxies = (p.strip() for p in settings.trusted_proxies.split(","))
        return cls(ipaddress.ip_network(p, strict=False) for p in proxies if p)

    def take(self, scope: str, client: str, per_minute: int) -> float:
        """Take a token: 0 when the request may go on, else the seconds until it may."""
        rate = per_minute / 60
        with self.lock:
            now = self.clock()
            self.forget_idle(now)
            bucket = self.buckets.pop((scope, client), None) or Bucket(per_minute, now)
            bucket.tokens = min(per_minute, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            self.buckets[(scope, client)] = bucket  # now the most recently used
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / rate

    def forget_idle(self, now: float) -> None:
        """Drop buckets that would be full by now (oldest first), then any over the cap."""
        while self.buckets:
            bucket = next(iter(self.buckets.values()))
            if now - bucket.updated < 60 and len(self.buckets) < self.max_buckets:
                break
            self.buckets.popitem(last=False)

    def client_of(self, request: Request) -> str:
        """The client: its address (an IPv6 one's /64, which one subscriber holds whole),
        the connection's or from a trusted proxy's header."""
        return client_network(self.client_address(request))

    def client_address(self, request: Request) -> str:
        address = request.client.host if request.client else "unknown"
        if not self.trusted_proxies or not self.is_trusted(address):
            return address
        forwarded = request.headers.get("x-forwarded-for", "")
        for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
            if not self.is_trusted(hop):
                return hop
            address = hop
        return address

    def is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted_proxies)


def client_network(address: str) -> str:
    """An IPv6 address as its /64 (any address of one is the same client); others as given."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if not isinstance(ip, ipaddress.IPv6Address):
        return address
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def limit_api(request: Request) -> None:
    """Dependency: one request of the client's API allowance."""
    spend(request, "api", request.app.state.settings.api_rate_limit)


def limit_search(request: Request) -> None:
    """Dependency: one of the client's searches (tag search, suggestions)."""
    spend(request, "search", request.app.state.settings.search_rate_limit)


def limit_login(request: Request) -> None:
    """Dependency: one login attempt, counted like a search."""
    spend(request, "login", request.app.state.settings.search_rate_limit)


def spend(request: Request, scope: str, per_minute: int) -> None:
    if per_minute <= 0:
        return
    limiter: RateLimiter = request.app.state.rate_limiter
    wait = limiter.take(scope, limiter.client_of(request), per_minute)
    if wait:
        seconds = max(1, math.ceil(wait))
        raise HTTPException(
            429,
            i18n.gettext("Too many requests; try again in %(seconds)d s") % {"seconds": seconds},
            headers={"Retry-After": str(seconds)},
        )
