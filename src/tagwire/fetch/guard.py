"""Which URLs and addresses tagwire may fetch.

Only http(s) URLs with a host. Only public addresses: loopback, private, link-local,
shared (CGNAT), multicast, unspecified, reserved and cloud metadata addresses are refused,
as are IPv6 addresses carrying such an IPv4 address (mapped, compatible, 6to4, Teredo,
NAT64), unless ``TAGWIRE_ALLOW_PRIVATE_NETWORKS`` (metadata excepted) or
``TAGWIRE_ALLOWED_NETWORKS`` says otherwise. ``AddressPolicy`` decides; ``fetch.connect``
applies it to the very addresses it dials.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from tagwire.errors import BlockedAddress, FetchError, InvalidInput
from tagwire.settings import Settings, parse_allowed_networks

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = frozenset({"http", "https"})
CLOUD_METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)
# IANA's special-purpose blocks that are not globally reachable, listed here as well as
# asked of ``is_global``, whose answers vary between Python versions (3.11 calls
# 192.0.0.8 global, and multicast too).
NOT_GLOBAL = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/127", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
        "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    )
)  # fmt: skip
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
KINDS = ("loopback", "link_local", "multicast", "unspecified", "private", "reserved")


def check_url(url: str) -> str:
    """Return ``url`` stripped if it is an absolute http(s) URL with a host, else raise."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise InvalidInput(f"not a valid URL: {url!r} ({exc})") from None
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise InvalidInput(f"not an http(s) URL: {url!r}")
    if not parts.hostname:
        raise InvalidInput(f"URL has no host: {url!r}")
    return url


def parse_address(host: str) -> IPAddress | None:
    """The address ``host`` names by itself, in any form getaddrinfo reads: dotted, IPv6,
    or inet_aton's decimal, octal and hex (``2130706433``, ``0177.0.0.1``, ``0x7f.1``)."""
    host = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries: mapped, compatible, 6to4, Teredo, NAT64."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in NAT64 or ip in IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)
    return None


def is_public_address(address: str | IPAddress) -> bool:
    ip = parse_address(address) if isinstance(address, str) else address
    if ip is None:
        raise ValueError(f"not an IP address: {address!r}")
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip in CLOUD_METADATA:
        return False
    if any(ip in network for network in NOT_GLOBAL):
        return False
    inner = embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    return inner is None or is_public_address(inner)


def address_kind(ip: IPAddress) -> str:
    """Why an address is not public, in a word or two, for error messages."""
    if ip in CLOUD_METADATA:
        return "cloud metadata"
    inner = embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    if inner is not None:
        return f"IPv6 carrying a {address_kind(inner)} IPv4"
    return next((k.replace("_", "-") for k in KINDS if getattr(ip, f"is_{k}")), "non-public")


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Public addresses; private ones too with ``allow_private`` (cloud metadata excepted);
    and whatever the allowlist names, by network or by host name."""

    allow_private: bool = False
    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> AddressPolicy:
        networks, hosts = parse_allowed_networks(settings.allowed_networks)
        return cls(settings.allow_private_networks, networks, hosts)

    def permits(self, host: str, ip: IPAddress) -> bool:
        if host.lower().rstrip(".") in self.hosts or any(ip in n for n in self.networks):
            return True
        if ip in CLOUD_METADATA:
            return False
        return self.allow_private or is_public_address(ip)

    def check(self, host: str, ip: IPAddress, url: str = "") -> None:
        if not self.permits(host, ip):
            raise BlockedAddress(refusal(host, ip), url=url)


def refusal(host: str, ip: IPAddress) -> str:
    if ip in CLOUD_METADATA:
        hint = "it is fetched only when TAGWIRE_ALLOWED_NETWORKS lists it"
    else:
        hint = (
            "private or loopback addresses are fetched only with"
            " TAGWIRE_ALLOW_PRIVATE_NETWORKS=1 or when TAGWIRE_ALLOWED_NETWORKS lists them"
        )
    return f"refused to fetch {host} ({ip}): {address_kind(ip)} address; {hint}"


def check_literal_host(url: str, policy: AddressPolicy) -> None:
    """Refuse a URL whose host is itself a refused address, before any request."""
    host = urlsplit(url).hostname or ""
    ip = parse_address(host)
    if ip is not None:
        policy.check(host, ip, url)


async def resolve_addresses(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` stands for (itself when it is one); socket.gaierror if none."""
    literal = parse_address(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = (parse_address(str(info[4][0])) for info in infos)
    return list(dict.fromkeys(a for a in addresses if a is not None))


async def ensure_permitted_host(url: str, policy: AddressPolicy) -> None:
    """An early, clear refusal (before robots.txt is asked, say). Connections are checked
    again where they are opened, which is what keeps DNS rebinding out."""
    check_literal_host(url, policy)
    if policy.allow_private:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        addresses = await resolve_addresses(host, parts.port or 0)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve host {host!r}: {exc.strerror}", url=url) from None
    for ip in addresses:
        policy.check(host, ip, url)
