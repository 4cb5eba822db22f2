"""Server-side request forgery: every fetch refuses addresses that are not public, whether
the URL names them, a redirect leads to them or DNS answers with them, and the address
checked is the address connected to (no DNS rebinding window), unless allowed.

Nothing leaves the machine: refused addresses are refused before any connection, public
addresses are "dialled" by a backend that records them and refuses, and the one real
connection in this file goes to a loopback server."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import pytest
from pytest_httpserver import HTTPServer

from tagwire.errors import BlockedAddress, ConfigError, FetchError, InvalidInput
from tagwire.fetch import Fetcher
from tagwire.fetch.client import connection_limits
from tagwire.fetch.connect import GuardedBackend, GuardedTransport, Resolve
from tagwire.fetch.guard import AddressPolicy, IPAddress, parse_address
from tagwire.models import FetchResult
from tagwire.settings import Settings, parse_allowed_networks
from tagwire.store import open_store
from tagwire.store.feeds import list_feeds

FEED_BODY = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'
PUBLIC = "93.184.215.14"  # a global address; never really dialled here

BLOCKED_IPV4 = [
    "127.0.0.1",
    "127.255.255.254",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "169.254.1.1",
    "100.64.0.1",  # shared address space (CGNAT)
    "0.0.0.0",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.0.8",
    "198.18.0.1",
]
BLOCKED_IPV6 = [
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fec0::1",  # site-local (deprecated, still used inside some networks)
    "fd00:ec2::254",  # cloud metadata
    "ff02::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::127.0.0.1",  # IPv4-compatible
    "2002:7f00:1::",  # 6to4 around 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 around 169.254.169.254
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 around 169.254.169.254
    "2001:db8::1",
]
NUMERIC_SPELLINGS = [
    "2130706433",  # decimal 127.0.0.1
    "0177.0.0.1",  # octal
    "0x7f.1",  # hex, short form
    "0x7f000001",
    "127.1",
    "2852039166",  # decimal 169.254.169.254
    "0251.0376.0251.0376",
]


def make_settings(**changes: Any) -> Settings:
    base = Settings(database_url="sqlite://", allow_private_networks=False, fetch_timeout=5.0)
    return base.replace(**changes)


def url_of(address: str, port: int = 80, path: str = "/feed.xml") -> str:
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}:{port}{path}"


class FakeDNS:
    """A resolver under the test's control: each name's answers, the last one repeating
    (a rebinding DNS server answers one thing, then another)."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        literal = parse_address(host)  # an address stands for itself, as with real DNS
        if literal is not None:
            return [literal]
        self.asked.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        turn = min(self.asked.count(host), len(self.answers[host])) - 1
        return [ipaddress.ip_address(self.answers[host][turn])]


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """Notes each address dialled; dials it on loopback only, and refuses the rest."""

    def __init__(self) -> None:
        self.dialled: list[str] = []
        self._real = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.dialled.append(host)
        if not ipaddress.ip_address(host).is_loopback:
            raise httpcore.ConnectError("this test does not leave the machine")
        return await self._real.connect_tcp(host, port, timeout, local_address, socket_options)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def guarded_fetcher(settings: Settings, resolve: Resolve, backend: RecordingBackend) -> Fetcher:
    guarded = GuardedBackend(AddressPolicy.from_settings(settings), resolve, backend)
    return Fetcher(settings, transport=GuardedTransport(guarded, connection_limits(settings)))


def fetch(
    url: str,
    settings: Settings | None = None,
    dns: FakeDNS | None = None,
    backend: RecordingBackend | None = None,
) -> FetchResult:
    """Fetch with a resolver and a dialler that cannot leave the machine, even should a
    refusal fail (unknown names do not resolve)."""

    async def run() -> FetchResult:
        chosen = settings or make_settings()
        fetcher = guarded_fetcher(chosen, dns or FakeDNS({}), backend or RecordingBackend())
        async with fetcher:
            return await fetcher.fetch_feed(url)

    return asyncio.run(run())


# Addresses in the URL


@pytest.mark.parametrize("address", BLOCKED_IPV4 + BLOCKED_IPV6)
def test_a_url_naming_a_non_public_address_is_refused(address: str) -> None:
    url = url_of(address)
    with pytest.raises(BlockedAddress, match="refused to fetch") as caught:
        fetch(url)
    assert caught.value.url == url


@pytest.mark.parametrize("spelling", NUMERIC_SPELLINGS)
def test_decimal_octal_and_hex_hosts_are_refused(spelling: str) -> None:
    with pytest.raises(BlockedAddress, match="refused to fetch"):
        fetch(f"http://{spelling}/")


@pytest.mark.parametrize("address", ["169.254.169.254", "fd00:ec2::254", "2852039166"])
def test_cloud_metadata_is_refused_even_where_private_networks_are_allowed(address: str) -> None:
    with pytest.raises(BlockedAddress, match="cloud metadata"):
        fetch(url_of(address), make_settings(allow_private_networks=True))


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.1/feed.xml",
        "gopher://127.0.0.1:70/_stats",
        "dict://127.0.0.1:11211/stat",
        "data:text/plain,hello",
        "javascript:alert(1)",
    ],
)
def test_only_http_and_https_are_fetched(url: str) -> None:
    with pytest.raises(InvalidInput):
        fetch(url)


# Addresses that DNS answers with: checked where the connection is opened


@pytest.mark.parametrize("address", BLOCKED_IPV4 + BLOCKED_IPV6)
def test_a_name_resolving_to_a_non_public_address_is_refused_at_connect(address: str) -> None:
    dns, backend = FakeDNS({"news.test": [address]}), RecordingBackend()
    with pytest.raises(BlockedAddress, match=r"refused to fetch news\.test") as caught:
        fetch("http://news.test/feed.xml", dns=dns, backend=backend)
    assert caught.value.url == "http://news.test/feed.xml"
    assert backend.dialled == []


@pytest.mark.parametrize("spelling", [*NUMERIC_SPELLINGS, "localhost"])
def test_what_getaddrinfo_makes_of_a_host_is_checked_too(spelling: str) -> None:
    """The system resolver reads numeric spellings (and localhost) without any DNS server;
    the backend checks its answer, not only the guard's own parsing of the host."""

    async def system_resolver(host: str, port: int) -> list[IPAddress]:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return [ipaddress.ip_address(info[4][0]) for info in infos]

    backend = RecordingBackend()
    guarded = GuardedBackend(AddressPolicy(), system_resolver, backend)
    with pytest.raises(BlockedAddress):
        asyncio.run(guarded.connect_tcp(spelling, 80))
    assert backend.dialled == []


def test_the_connection_goes_to_the_address_that_was_checked() -> None:
    """A rebinding DNS answers a public address, then 127.0.0.1: the one answer checked is
    the one dialled, and nothing asks DNS a second time."""
    dns, backend = FakeDNS({"rebind.test": [PUBLIC, "127.0.0.1"]}), RecordingBackend()
    with pytest.raises(FetchError, match="does not leave the machine"):
        fetch("http://rebind.test/feed.xml", dns=dns, backend=backend)
    assert backend.dialled == [PUBLIC]
    assert dns.asked == ["rebind.test"]


def test_a_rebinding_answer_is_refused_at_connect(site: HTTPServer) -> None:
    """First answer allowed (the loopback server, listed), the next one not: a fetcher whose
    connection was opened on the first is served; a new connection is refused."""
    site.expect_request("/feed.xml").respond_with_data(FEED_BODY)
    settings = make_settings(allowed_networks="127.0.0.1/32")
    dns, backend = FakeDNS({"rebind.test": ["127.0.0.1", "127.0.0.2"]}), RecordingBackend()
    url = f"http://rebind.test:{site.port}/feed.xml"
    assert fetch(url, settings, dns, backend).body == FEED_BODY
    with pytest.raises(BlockedAddress, match=r"127\.0\.0\.2"):
        fetch(url, settings, dns, backend)
    assert backend.dialled == ["127.0.0.1"]
    assert [request.path for request, _ in site.log] == ["/feed.xml"]


def test_an_unknown_name_is_a_fetch_error_not_a_refusal() -> None:
    with pytest.raises(FetchError, match="cannot resolve") as caught:
        fetch("http://nowhere.test/feed.xml", dns=FakeDNS({}))
    assert not isinstance(caught.value, BlockedAddress)


# Redirects: every hop is checked


@pytest.mark.parametrize(
    "target",
    [
        "http://internal.test:{port}/secret",  # a name that resolves to loopback
        "http://127.0.0.1:{port}/secret",
        "http://[::1]:{port}/secret",
        "http://2130706433:{port}/secret",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_a_redirect_from_an_allowed_host_to_a_private_one_is_refused(
    site: HTTPServer, target: str
) -> None:
    site.expect_request("/feed.xml").respond_with_data(
        b"", status=302, headers={"Location": target.format(port=site.port)}
    )
    site.expect_request("/secret").respond_with_data(b"secret")
    dns = FakeDNS({"feeds.test": ["127.0.0.1"], "internal.test": ["127.0.0.1"]})
    settings = make_settings(allowed_networks="feeds.test")
    with pytest.raises(BlockedAddress):
        fetch(f"http://feeds.test:{site.port}/feed.xml", settings, dns)
    assert [request.path for request, _ in site.log] == ["/feed.xml"]


# The allowlist


def test_the_allowlist_lets_a_loopback_network_through(site: HTTPServer) -> None:
    site.expect_request("/feed.xml").respond_with_data(FEED_BODY)
    url = site.url_for("/feed.xml")
    with pytest.raises(BlockedAddress):
        fetch(url)
    assert fetch(url, make_settings(allowed_networks="10.0.0.0/8, 127.0.0.0/8")).body == FEED_BODY


def test_the_allowlist_lets_a_host_name_through(site: HTTPServer) -> None:
    site.expect_request("/feed.xml").respond_with_data(FEED_BODY)
    url = f"http://localhost:{site.port}/feed.xml"
    dns = FakeDNS({"localhost": ["127.0.0.1"]})
    with pytest.raises(BlockedAddress, match="localhost"):
        fetch(url, dns=dns)
    assert fetch(url, make_settings(allowed_networks="LOCALHOST."), dns).body == FEED_BODY


def test_a_metadata_address_passes_only_when_listed_itself() -> None:
    metadata = ipaddress.ip_address("169.254.169.254")
    assert not AddressPolicy(allow_private=True).permits("x.test", metadata)
    networks, hosts = parse_allowed_networks("169.254.169.254")
    assert AddressPolicy(networks=networks, hosts=hosts).permits("x.test", metadata)


def test_allowed_networks_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {"TAGWIRE_ALLOWED_NETWORKS": " 10.20.0.0/16, fd00::/8 ,intranet.example,, 192.0.2.7 "}
    )
    networks, hosts = parse_allowed_networks(settings.allowed_networks)
    assert [str(n) for n in networks] == ["10.20.0.0/16", "fd00::/8", "192.0.2.7/32"]
    assert hosts == {"intranet.example"}


@pytest.mark.parametrize(
    "value", ["10.0.0.1/8", "10.0.0.0/33", "300.1.1.1", "not a host", "http://intranet/", "a..b"]
)
def test_a_bad_allowlist_entry_stops_start_up_with_a_clear_message(value: str) -> None:
    with pytest.raises(ConfigError, match="TAGWIRE_ALLOWED_NETWORKS") as caught:
        Settings.from_env({"TAGWIRE_ALLOWED_NETWORKS": value})
    assert repr(value.strip().lower()) in str(caught.value)


# Every kind of fetch goes through the guard


def test_a_page_on_a_private_host_is_refused_before_robots_txt(site: HTTPServer) -> None:
    async def run() -> None:
        async with Fetcher(make_settings()) as fetcher:
            await fetcher.fetch_page(f"http://localhost:{site.port}/story")

    with pytest.raises(BlockedAddress):
        asyncio.run(run())
    assert site.log == []


@pytest.mark.parametrize("host", ["127.0.0.1", "hub.test"])
def test_a_websub_hub_post_to_a_private_address_is_refused(site: HTTPServer, host: str) -> None:
    site.expect_request("/hub", method="POST").respond_with_data("", status=202)
    url = f"http://{host}:{site.port}/hub"

    async def run() -> FetchResult:
        settings = make_settings()
        dns = FakeDNS({"hub.test": ["127.0.0.1"]})
        async with guarded_fetcher(settings, dns, RecordingBackend()) as fetcher:
            return await fetcher.post_form(url, {"hub.mode": "subscribe"})

    with pytest.raises(BlockedAddress) as caught:
        asyncio.run(run())
    assert caught.value.url == url
    assert site.log == []


# From the command line, and on the feed


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/latest/meta-data/", "http://2852039166/latest/meta-data/"]
)
def test_adding_the_metadata_url_is_refused_clearly(tagwire, url: str) -> None:
    result = tagwire("add", url, env={"TAGWIRE_ALLOW_PRIVATE_NETWORKS": "0"})
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert "refused to fetch" in lines[0] and "cloud metadata" in lines[0]


def test_a_refused_feed_is_a_recorded_error(site: HTTPServer, tagwire, settings) -> None:
    site.expect_request("/feed.xml").respond_with_data(FEED_BODY, content_type="text/xml")
    url = site.url_for("/feed.xml")
    assert tagwire("add", url).exit_code == 0  # private networks allowed then
    result = tagwire("fetch", "--all", env={"TAGWIRE_ALLOW_PRIVATE_NETWORKS": "0"})
    assert result.exit_code == 0 and "1 errors" in result.output
    row = list_feeds(open_store(settings.database_url))[0]
    assert row.last_status == "error"
    assert "refused to fetch 127.0.0.1" in (row.last_error or "")
