"""Fetch stage against real loopback HTTP: conditional GET, redirects, caps, errors, guard.

Servers are ``pytest-httpserver`` on 127.0.0.1, plus one slow ``http.server`` written here.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import brotli
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

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
from tagwire.fetch import Fetcher, check_url
from tagwire.fetch.guard import is_public_address
from tagwire.fetch.robots import KEEP_SECONDS as ROBOTS_KEEP_SECONDS
from tagwire.fetch.robots import RETRY_SECONDS as ROBOTS_RETRY_SECONDS
from tagwire.fetch.robots import RobotsCache
from tagwire.models import FetchResult
from tagwire.settings import Settings

from .conftest import allow_robots

FEED_BODY = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'


def make_settings(**changes: Any) -> Settings:
    base = Settings(database_url="sqlite://", allow_private_networks=True, fetch_timeout=5.0)
    return base.replace(**changes)


def fetch_feed(url: str, settings: Settings | None = None, **conditional: str) -> FetchResult:
    async def run() -> FetchResult:
        async with Fetcher(settings or make_settings()) as fetcher:
            return await fetcher.fetch_feed(url, **conditional)

    return asyncio.run(run())


def fetch_page(url: str, settings: Settings | None = None) -> FetchResult:
    async def run() -> FetchResult:
        async with Fetcher(settings or make_settings()) as fetcher:
            return await fetcher.fetch_page(url)

    return asyncio.run(run())


# Success and conditional GET


def test_200_returns_body_and_validators(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(
        FEED_BODY,
        content_type="application/rss+xml; charset=utf-8",
        headers={"ETag": '"v1"', "Last-Modified": "Tue, 02 Apr 2024 08:00:00 GMT"},
    )
    result = fetch_feed(httpserver.url_for("/feed.xml"))
    assert result.status == 200
    assert result.body == FEED_BODY
    assert result.content_type == "application/rss+xml; charset=utf-8"
    assert result.etag == '"v1"'
    assert result.last_modified == "Tue, 02 Apr 2024 08:00:00 GMT"
    assert not result.not_modified


def test_conditional_get_sends_validators_and_304_is_not_modified(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        "/feed.xml",
        headers={"If-None-Match": '"v1"', "If-Modified-Since": "Tue, 02 Apr 2024 08:00:00 GMT"},
    ).respond_with_data(b"", status=304)
    result = fetch_feed(
        httpserver.url_for("/feed.xml"),
        etag='"v1"',
        last_modified="Tue, 02 Apr 2024 08:00:00 GMT",
    )
    assert result.not_modified
    assert result.body == b""


def test_unconditional_get_sends_no_validators(httpserver: HTTPServer) -> None:
    seen: list[Request] = []

    def record(request: Request) -> Response:
        seen.append(request)
        return Response(FEED_BODY)

    httpserver.expect_request("/feed.xml").respond_with_handler(record)
    fetch_feed(httpserver.url_for("/feed.xml"))
    assert "If-None-Match" not in seen[0].headers
    assert "If-Modified-Since" not in seen[0].headers


def test_user_agent_and_accept_headers_are_sent(httpserver: HTTPServer) -> None:
    seen: list[Request] = []

    def record(request: Request) -> Response:
        seen.append(request)
        return Response(FEED_BODY)

    httpserver.expect_request("/feed.xml").respond_with_handler(record)
    fetch_feed(httpserver.url_for("/feed.xml"), make_settings(user_agent="tagwire-test/9.9"))
    assert seen[0].headers["User-Agent"] == "tagwire-test/9.9"
    assert "application/rss+xml" in seen[0].headers["Accept"]


def test_page_fetch_asks_for_html(httpserver: HTTPServer) -> None:
    allow_robots(httpserver)
    httpserver.expect_request("/story").respond_with_data(
        b"<html></html>", content_type="text/html"
    )
    result = fetch_page(httpserver.url_for("/story"))
    request, _ = httpserver.log[-1]
    assert request.headers["Accept"].startswith("text/html")
    assert result.body == b"<html></html>"


# Redirects


def test_relative_redirect_is_followed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/old/feed").respond_with_data(
        b"", status=301, headers={"Location": "../new/feed.xml"}
    )
    httpserver.expect_request("/new/feed.xml").respond_with_data(FEED_BODY)
    result = fetch_feed(httpserver.url_for("/old/feed"))
    assert result.url == httpserver.url_for("/new/feed.xml")
    assert result.body == FEED_BODY


def test_redirect_loop_is_too_many_redirects(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/a").respond_with_data(b"", status=302, headers={"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data(b"", status=302, headers={"Location": "/a"})
    with pytest.raises(TooManyRedirects, match="loop"):
        fetch_feed(httpserver.url_for("/a"))


@pytest.mark.parametrize(
    "location", ["ftp://files.test/feed.xml", "mailto:desk@news.test", "javascript:void(0)"]
)
def test_redirect_to_unusable_url_is_fetch_error(httpserver: HTTPServer, location: str) -> None:
    httpserver.expect_request("/moved").respond_with_data(
        b"", status=301, headers={"Location": location}
    )
    with pytest.raises(FetchError):
        fetch_feed(httpserver.url_for("/moved"))


def serve_redirect_chain(httpserver: HTTPServer, hops: int) -> str:
    for hop in range(hops):
        httpserver.expect_request(f"/hop{hop}").respond_with_data(
            b"", status=307, headers={"Location": f"/hop{hop + 1}"}
        )
    httpserver.expect_request(f"/hop{hops}").respond_with_data(FEED_BODY)
    return httpserver.url_for("/hop0")


def test_more_hops_than_max_redirects_is_too_many_redirects(httpserver: HTTPServer) -> None:
    url = serve_redirect_chain(httpserver, hops=3)
    with pytest.raises(TooManyRedirects):
        fetch_feed(url, make_settings(max_redirects=2))


def test_exactly_max_redirects_hops_is_allowed(httpserver: HTTPServer) -> None:
    url = serve_redirect_chain(httpserver, hops=2)
    result = fetch_feed(url, make_settings(max_redirects=2))
    assert result.url == httpserver.url_for("/hop2")


# Error statuses


@pytest.mark.parametrize("status", [404, 500])
def test_error_status_is_http_status_error(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(b"nope", status=status)
    with pytest.raises(HTTPStatusError) as caught:
        fetch_feed(httpserver.url_for("/feed.xml"))
    assert caught.value.status == status
    assert caught.value.url == httpserver.url_for("/feed.xml")


# Body size cap


def test_declared_content_length_over_cap_is_too_large(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 2_000)
    with pytest.raises(ResponseTooLarge):
        fetch_feed(httpserver.url_for("/big"), make_settings(max_body_bytes=1_000))


def test_body_exactly_at_cap_is_read(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/fits").respond_with_data(b"x" * 1_000)
    result = fetch_feed(httpserver.url_for("/fits"), make_settings(max_body_bytes=1_000))
    assert len(result.body) == 1_000


def test_streamed_body_without_length_over_cap_is_too_large(httpserver: HTTPServer) -> None:
    def chunks() -> Iterator[bytes]:
        # A generator has no length, so the server sends no Content-Length.
        for _ in range(50):
            yield b"y" * 100

    httpserver.expect_request("/stream").respond_with_response(Response(chunks()))
    with pytest.raises(ResponseTooLarge):
        fetch_feed(httpserver.url_for("/stream"), make_settings(max_body_bytes=1_000))


def test_gzip_body_is_decompressed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(
        gzip.compress(FEED_BODY), headers={"Content-Encoding": "gzip"}
    )
    assert fetch_feed(httpserver.url_for("/feed.xml")).body == FEED_BODY


def test_cap_applies_to_decompressed_size(httpserver: HTTPServer) -> None:
    compressed = gzip.compress(b"z" * 50_000)
    assert len(compressed) < 1_000
    httpserver.expect_request("/bomb").respond_with_data(
        compressed, headers={"Content-Encoding": "gzip"}
    )
    with pytest.raises(ResponseTooLarge):
        fetch_feed(httpserver.url_for("/bomb"), make_settings(max_body_bytes=1_000))


# Network failures


class SlowHandler(BaseHTTPRequestHandler):
    stop = threading.Event()

    def do_GET(self) -> None:
        self.stop.wait(timeout=10)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def threaded_server(handler: type[BaseHTTPRequestHandler], path: str) -> Iterator[str]:
    """The URL of ``path`` on a server of ``handler`` in a thread; on the way out its
    ``stop`` event is set (handlers that wait return), then the server is shut down."""
    handler = type("Handler", (handler,), {"stop": threading.Event()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{path}"
    finally:
        handler.stop.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def slow_server() -> Iterator[str]:
    with threaded_server(SlowHandler, "/slow") as url:
        yield url


def test_slow_server_is_fetch_timeout(slow_server: str) -> None:
    with pytest.raises(FetchTimeout):
        fetch_feed(slow_server, make_settings(fetch_timeout=0.5))


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_is_fetch_error(closed_port: int) -> None:
    with pytest.raises(FetchError) as caught:
        fetch_feed(f"http://127.0.0.1:{closed_port}/feed.xml")
    assert not isinstance(caught.value, FetchTimeout | BlockedAddress)


# Address guard


def test_loopback_is_blocked_when_private_networks_are_not_allowed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(FEED_BODY)
    url = f"http://127.0.0.1:{httpserver.port}/feed.xml"
    with pytest.raises(BlockedAddress):
        fetch_feed(url, make_settings(allow_private_networks=False))
    assert httpserver.log == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.test/feed.xml",
        "not a url",
        "http://",
        "http://example.test:99999/feed",
        "http://example.test:port/feed",
        "",
    ],
)
def test_check_url_rejects_unusable_urls(url: str) -> None:
    with pytest.raises(InvalidInput):
        check_url(url)


def test_check_url_strips_and_accepts_http_and_https() -> None:
    assert check_url("  https://example.test/feed.xml\n") == "https://example.test/feed.xml"
    assert check_url("HTTP://example.test:8080/") == "HTTP://example.test:8080/"


def test_invalid_url_is_rejected_before_any_request() -> None:
    with pytest.raises(InvalidInput):
        fetch_feed("ftp://127.0.0.1/feed.xml")


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("10.0.0.1", False),
        ("169.254.169.254", False),
        ("::1", False),
        ("::ffff:127.0.0.1", False),
        ("127.0.0.1", False),
        ("192.168.1.20", False),
        ("fe80::1%eth0", False),
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(address) is public


# Politeness and robots.txt


def test_robots_txt_keeps_us_off_disallowed_pages(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nDisallow: /private/\n", content_type="text/plain"
    )
    httpserver.expect_request("/public/a").respond_with_data("<html></html>")
    assert fetch_page(httpserver.url_for("/public/a")).status == 200
    with pytest.raises(RobotsDisallowed):
        fetch_page(httpserver.url_for("/private/b"))


def test_an_unreadable_robots_txt_disallows_for_now(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("down", status=503)
    with pytest.raises(RobotsDisallowed):
        fetch_page(httpserver.url_for("/page"))


def concurrency_probe() -> tuple[ThreadingHTTPServer, dict[str, int]]:
    seen = {"now": 0, "max": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with lock:
                seen["now"] += 1
                seen["max"] = max(seen["max"], seen["now"])
            time.sleep(0.2)
            with lock:
                seen["now"] -= 1
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


async def fetch_many(settings: Settings, url: str, count: int, fetchers: int = 1) -> None:
    clients = [Fetcher(settings) for _ in range(fetchers)]
    try:
        await asyncio.gather(*(clients[i % fetchers].fetch(f"{url}/{i}", {}) for i in range(count)))
    finally:
        for client in clients:
            await client.__aexit__(None, None, None)


def test_no_host_sees_more_requests_at_once_than_the_cap() -> None:
    server, seen = concurrency_probe()
    settings = make_settings(per_host_concurrency=2, per_host_spacing=0.0)
    try:
        asyncio.run(fetch_many(settings, f"http://127.0.0.1:{server.server_port}", 8))
    finally:
        server.shutdown()
    assert seen["max"] == 2


def test_the_cap_is_shared_through_redis_by_every_worker() -> None:
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    server, seen = concurrency_probe()
    settings = make_settings(
        per_host_concurrency=2,
        per_host_spacing=0.0,
        broker_url="redis://127.0.0.1:6379/0",
        task_queue=f"fetch-test-{time.monotonic_ns()}",
    )
    try:  # four fetchers stand for four worker processes
        asyncio.run(fetch_many(settings, f"http://127.0.0.1:{server.server_port}", 8, fetchers=4))
    finally:
        server.shutdown()
    assert seen["max"] == 2


def count_robots(server: HTTPServer, *answers: tuple[str, int]) -> list[str]:
    """Serve robots.txt with ``answers`` in turn (the last one repeats); log each request."""
    asked: list[str] = []

    def robots(request: Request) -> Response:
        asked.append(request.path)
        body, status = answers[min(len(asked), len(answers)) - 1]
        return Response(body, status=status, content_type="text/plain")

    server.expect_request("/robots.txt").respond_with_handler(robots)
    server.expect_request("/private/b").respond_with_data("<html></html>")
    return asked


def fetch_pages(urls: list[str], robots: RobotsCache | None = None) -> list[object]:
    async def run() -> list[object]:
        shared = {} if robots is None else {"robots": robots}
        async with Fetcher(make_settings(), **shared) as fetcher:
            pages = (fetcher.fetch_page(url) for url in urls)
            return list(await asyncio.gather(*pages, return_exceptions=True))

    return asyncio.run(run())


def test_pages_of_one_site_fetched_at_once_share_one_robots_txt(httpserver: HTTPServer) -> None:
    asked = count_robots(httpserver, ("User-agent: *\nDisallow: /private/\n", 200))
    httpserver.expect_request("/public/a").respond_with_data("<html></html>")
    urls = [httpserver.url_for("/public/a")] * 6 + [httpserver.url_for("/private/b")] * 2
    results = fetch_pages(urls)
    assert asked == ["/robots.txt"]
    assert [type(r).__name__ for r in results] == ["FetchResult"] * 6 + ["RobotsDisallowed"] * 2


def test_robots_rules_outlive_the_fetcher_that_read_them(httpserver: HTTPServer) -> None:
    """A worker keeps one cache for all its tasks, each of which has a fetcher of its own."""
    asked = count_robots(httpserver, ("User-agent: *\nDisallow: /private/\n", 200))
    cache = RobotsCache()
    for _ in range(3):
        assert isinstance(
            fetch_pages([httpserver.url_for("/private/b")], cache)[0], RobotsDisallowed
        )
    assert asked == ["/robots.txt"]


def test_robots_txt_missing_allows_and_unreadable_is_asked_again_later(
    httpserver: HTTPServer,
) -> None:
    clock = [1000.0]
    cache = RobotsCache(clock=lambda: clock[0])
    asked = count_robots(httpserver, ("down", 503), ("", 404))
    page = httpserver.url_for("/private/b")
    assert isinstance(fetch_pages([page], cache)[0], RobotsDisallowed)
    clock[0] += ROBOTS_RETRY_SECONDS - 1  # still within the wait: not asked again
    assert isinstance(fetch_pages([page], cache)[0], RobotsDisallowed)
    clock[0] += 2
    assert isinstance(fetch_pages([page], cache)[0], FetchResult)  # now 404: all allowed
    clock[0] += ROBOTS_KEEP_SECONDS - 1
    assert isinstance(fetch_pages([page], cache)[0], FetchResult)
    assert asked == ["/robots.txt", "/robots.txt"]


# Decompression bombs and a server that never finishes

BOMB_CAP = 1_000_000


def inflating_to_a_gigabyte(compress: Callable[[bytes], bytes], end: bytes) -> Iterator[bytes]:
    """1 GiB of zeros, compressed as it is sent in sends of 128 MiB each (never held whole):
    each send is a few KB the client reads at once."""
    block = bytes(1 << 20)
    for _ in range(8):
        yield b"".join(compress(block) for _ in range(128))
    yield end


def gzip_bomb() -> Iterator[bytes]:
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    return inflating_to_a_gigabyte(deflate.compress, b"")


def brotli_bomb() -> Iterator[bytes]:
    squeeze = brotli.Compressor(quality=3)
    return inflating_to_a_gigabyte(lambda block: squeeze.process(block) + squeeze.flush(), b"")


@pytest.mark.parametrize(("coding", "bomb"), [("gzip", gzip_bomb), ("br", brotli_bomb)])
def test_a_decompression_bomb_stops_at_the_cap_in_bounded_memory(
    site: HTTPServer, coding: str, bomb: Callable[[], Iterator[bytes]]
) -> None:
    site.expect_request("/bomb").respond_with_handler(
        lambda _request: Response(bomb(), headers={"Content-Encoding": coding})
    )
    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLarge, match="exceeds 1,000,000 bytes"):
            fetch_feed(site.url_for("/bomb"), make_settings(max_body_bytes=BOMB_CAP))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # A sanity bound, not a measure: inflating one read whole takes over 100 MB.
    assert peak < 8 * BOMB_CAP


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda body: zlib.compress(body)[2:-4]),  # raw deflate, as some send it
        ("br", brotli.compress),
        ("gzip, br", lambda body: brotli.compress(gzip.compress(body))),
        ("x-unknown", lambda body: body),
    ],
)
def test_bodies_are_decoded_piece_by_piece(
    httpserver: HTTPServer, coding: str, encode: Callable[[bytes], bytes]
) -> None:
    body = FEED_BODY * 5_000  # several pieces once inflated
    httpserver.expect_request("/feed.xml").respond_with_data(
        encode(body), headers={"Content-Encoding": coding}
    )
    assert fetch_feed(httpserver.url_for("/feed.xml")).body == body


def test_a_corrupt_compressed_body_is_a_fetch_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(
        b"\x1f\x8b\x08\x00 definitely not gzip", headers={"Content-Encoding": "gzip"}
    )
    with pytest.raises(FetchError, match="cannot decode the gzip body"):
        fetch_feed(httpserver.url_for("/feed.xml"))


class TrickleHandler(BaseHTTPRequestHandler):
    """Sends one byte every 0.2 s until the client goes or the test ends."""

    stop = threading.Event()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.end_headers()
        try:
            while not self.stop.wait(0.2):
                self.wfile.write(b" ")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def trickle_server() -> Iterator[str]:
    with threaded_server(TrickleHandler, "/feed.xml") as url:
        yield url


def test_a_body_trickling_forever_is_cut_at_the_total_time_limit(trickle_server: str) -> None:
    """Each byte comes well within the read timeout; only the total limit can end it."""
    with pytest.raises(FetchTimeout, match="timed out after 1s"):
        fetch_feed(trickle_server, make_settings(fetch_timeout=1.0))
