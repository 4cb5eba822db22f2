"""The HTTP client every fetch goes through.

One ``httpx.AsyncClient`` per run; each rule (conditional headers, redirects, size cap,
address guard, error translation) is its own small function. httpx errors become
``FetchError`` subclasses here and nowhere else. Connections are opened by
``fetch.connect``, which checks the address it dials; bodies are decoded by ``fetch.body``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from urllib.parse import urljoin

import httpx

from tagwire.errors import (
    BlockedAddress,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    InvalidInput,
    ResponseTooLarge,
    RobotsDisallowed,
    TooManyRedirects,
)
from tagwire.fetch.body import ACCEPT_ENCODING, BodyDecoder, CappedBody
from tagwire.fetch.connect import GuardedBackend, GuardedTransport
from tagwire.fetch.guard import (
    AddressPolicy,
    check_literal_host,
    check_url,
    ensure_permitted_host,
)
from tagwire.fetch.politeness import HostGate, LocalHostGate, RedisHostGate
from tagwire.fetch.robots import RobotsCache
from tagwire.models import FetchResult
from tagwire.settings import Settings

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


KEPT_ALIVE = 16  # idle connections kept for the next request to the same host


def connection_limits(settings: Settings) -> httpx.Limits:
    """Room for every feed and page the settings let run at once (a smaller pool would
    queue requests there, below the caps the settings name); the per-host gate is what
    protects outlets. Few are kept alive once idle: the pool looks at each of them on
    every request (7% of the CPU of a fetch over 126 sites with all 96 kept, in
    bench/pipeline.py), and a feed's host is seldom asked again within the keep-alive time,
    while a site's article pages come in a burst that a few connections serve."""
    connections = settings.concurrency + settings.page_concurrency
    return httpx.Limits(max_connections=connections, max_keepalive_connections=KEPT_ALIVE)


class Fetcher:
    """Fetch URLs under the settings' limits. Use as ``async with Fetcher(settings) as f``."""

    def __init__(
        self,
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
        gate: HostGate | None = None,
        robots: RobotsCache | None = None,
    ):
        self.settings = settings
        self.gate = gate or host_gate_for(settings)
        # Pass a process's own cache to keep robots.txt rules beyond this client's life.
        self.robots = robots if robots is not None else RobotsCache()
        self.agent = settings.user_agent.split("/")[0]
        self.policy = AddressPolicy.from_settings(settings)
        # Always a transport of ours, so httpx ignores proxy variables: a proxy would resolve
        # names past the guard. One given (a test's) goes without the check at connect.
        self._client = httpx.AsyncClient(
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            timeout=httpx.Timeout(
                settings.fetch_timeout, connect=min(10.0, settings.fetch_timeout)
            ),
            follow_redirects=False,
            transport=transport or guarded_transport(settings, self.policy),
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._client.aclose()
        await self.gate.close()

    async def fetch_feed(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        headers = {"Accept": FEED_ACCEPT, **conditional_headers(etag, last_modified)}
        return await self.fetch(url, headers)

    async def fetch_page(self, url: str) -> FetchResult:
        """An article page, if the site's robots.txt lets us have it."""
        url = check_url(url)
        await ensure_permitted_host(url, self.policy)  # else robots.txt would be blamed
        if not await self.robots.allows(url, self.agent, self.fetch_robots):
            raise RobotsDisallowed("the site's robots.txt disallows this page", url=url)
        return await self.fetch(url, {"Accept": PAGE_ACCEPT})

    async def fetch_robots(self, url: str) -> FetchResult:
        return await self.fetch(url, {"Accept": "text/plain"})

    async def fetch(self, url: str, headers: dict[str, str]) -> FetchResult:
        """GET ``url`` following redirects by hand, so each hop is checked and polite."""
        url = check_url(url)
        seen: set[str] = set()
        for _ in range(self.settings.max_redirects + 1):
            if url in seen:
                raise TooManyRedirects(f"redirect loop at {url}", url=url)
            seen.add(url)
            check_literal_host(url, self.policy)
            async with self.gate.slot(url):
                result, location = await self._hop(url, headers)
            if result is not None:
                return result
            url = redirect_target(url, location or "")
        raise TooManyRedirects(f"more than {self.settings.max_redirects} redirects", url=url)

    async def post_form(self, url: str, form: dict[str, str]) -> FetchResult:
        """POST a form (a WebSub hub request) under the same guard, gate, time limit and
        body cap as a GET. Redirects are not followed: a hub that moves fails the request."""
        url = check_url(url)
        check_literal_host(url, self.policy)
        post = self._send("POST", url, {}, form)
        async with self.gate.slot(url), self._time_limit(url), post as response:
            raise_for_status(response, url)
            body = await read_capped(response, self.settings.max_body_bytes, url)
            return result_of(response, url, body)

    async def post_body(self, url: str, body: bytes, headers: dict[str, str]) -> FetchResult:
        """POST ``body`` as it is (a webhook alert) under the same guard, gate, time limit and
        body cap as a GET; the host's addresses are checked before anything is sent.
        Redirects are not followed: the answer to a POST is the receiver's own. Its status
        is all of it: the body is not read, so that a receiver that took the alert cannot
        have it sent again by a slow, broken or oversized body after its 2xx."""
        url = check_url(url)
        await ensure_permitted_host(url, self.policy)
        post = self._send("POST", url, headers, content=body)
        async with self.gate.slot(url), self._time_limit(url), post as response:
            raise_for_status(response, url)
            return result_of(response, url, b"")

    async def _hop(
        self, url: str, headers: dict[str, str]
    ) -> tuple[FetchResult | None, str | None]:
        """One request under the time limit: the result, or where it redirects."""
        async with self._time_limit(url), self._send("GET", url, headers) as response:
            location = response.headers.get("location")
            if response.status_code in REDIRECT_STATUSES and location:
                return None, location
            raise_for_status(response, url)
            body = await read_capped(response, self.settings.max_body_bytes, url)
            return result_of(response, url, body), None

    @asynccontextmanager
    async def _time_limit(self, url: str) -> AsyncIterator[None]:
        try:
            async with asyncio.timeout(self.settings.fetch_timeout):
                yield
        except TimeoutError:
            raise FetchTimeout(
                f"timed out after {self.settings.fetch_timeout:g}s", url=url
            ) from None

    @asynccontextmanager
    async def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        form: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> AsyncIterator[httpx.Response]:
        try:
            async with self._client.stream(
                method, url, headers=headers, data=form, content=content
            ) as response:
                yield response
        except BlockedAddress as exc:  # refused at connect, where the URL is not known
            raise BlockedAddress(str(exc), url=url) from None
        except httpx.TimeoutException as exc:
            raise FetchTimeout(f"timed out ({type(exc).__name__})", url=url) from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            # InvalidURL is outside httpx's HTTPError tree; a bad Location header raises it.
            raise FetchError(
                f"{type(exc).__name__}: {exc or 'connection failed'}", url=url
            ) from exc


def result_of(response: httpx.Response, url: str, body: bytes) -> FetchResult:
    return FetchResult(
        url=url,
        status=response.status_code,
        content_type=response.headers.get("content-type", ""),
        body=body,
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
        max_age_seconds=cache_lifetime(response.headers),
        link_header=", ".join(response.headers.get_list("link")) or None,
    )


def guarded_transport(settings: Settings, policy: AddressPolicy) -> httpx.AsyncBaseTransport:
    """HTTP/2 where the server offers it, pooled up to ``connection_limits``, every new
    connection's address checked against ``policy``."""
    return GuardedTransport(GuardedBackend(policy), connection_limits(settings))


def host_gate_for(settings: Settings) -> HostGate:
    """Shared through Redis when workers are scaled out, else kept in this process."""
    if settings.broker_url.startswith(("redis://", "rediss://")):
        return RedisHostGate(
            settings.broker_url,
            settings.per_host_concurrency,
            settings.per_host_spacing,
            prefix=f"tagwire:{settings.task_queue}",
            hold_limit=settings.fetch_timeout,
        )
    return LocalHostGate(settings.per_host_concurrency, settings.per_host_spacing)


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def redirect_target(url: str, location: str) -> str:
    """The next hop; a Location that is not an http(s) URL fails this fetch, like any hop."""
    try:
        return check_url(urljoin(url, location))
    except InvalidInput as exc:
        raise FetchError(f"bad redirect: {exc}", url=url) from None


def raise_for_status(response: httpx.Response, url: str) -> None:
    status = response.status_code
    if status == 304 or 200 <= status < 300:
        return
    reason = response.reason_phrase or "error"
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    raise HTTPStatusError(
        f"HTTP {status} {reason}", url=url, status=status, retry_after=retry_after
    )


def cache_lifetime(headers: httpx.Headers) -> float | None:
    """Seconds the response may be reused: Cache-Control max-age, else Expires - Date."""
    control = headers.get("cache-control", "").lower()
    if "no-store" in control or "no-cache" in control:
        return None
    for directive in control.split(","):
        name, _, value = directive.strip().partition("=")
        if name == "max-age" and value.strip().isdigit():
            return float(value.strip())
    expires = _http_date(headers.get("expires"))
    if expires is None:
        return None
    served = _http_date(headers.get("date")) or datetime.now(UTC)
    return max(0.0, (expires - served).total_seconds())


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = _http_date(value)
    return None if when is None else max(0.0, (when - datetime.now(UTC)).total_seconds())


async def read_capped(response: httpx.Response, cap: int, url: str) -> bytes:
    """Read and decode the body a piece at a time, stopping as soon as it passes ``cap``
    bytes: neither a long body nor a small compressed one that inflates is held whole."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise ResponseTooLarge(f"body of {int(declared):,} bytes exceeds {cap:,}", url=url)
    body = CappedBody(cap, url)
    if response.is_stream_consumed:  # built in memory by the transport (a test's mock)
        body.add([response.content])
        return body.bytes()
    decoder = BodyDecoder(response.headers.get("content-encoding", ""), url)
    try:
        async for raw in response.aiter_raw():
            body.add(decoder.decode(raw))
        body.add(decoder.flush())
    except httpx.TimeoutException as exc:
        raise FetchTimeout(f"timed out reading body ({type(exc).__name__})", url=url) from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"{type(exc).__name__} while reading body: {exc}", url=url) from exc
    return body.bytes()
