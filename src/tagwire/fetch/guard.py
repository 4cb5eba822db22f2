"""Which URLs tagwire may fetch: http(s) only, and no private addresses unless allowed."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from tagwire.errors import BlockedAddress, FetchError, InvalidInput

ALLOWED_SCHEMES = frozenset({"http", "https"})


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


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def ensure_public_host(url: str) -> None:
    """Resolve the URL's host and refuse it when any address is not public."""
    host = urlsplit(url).hostname or ""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve host {host!r}: {exc.strerror}", url=url) from None
    for info in infos:
        address = str(info[4][0])
        if not is_public_address(address):
            raise BlockedAddress(
                f"refused to fetch {host} ({address}): private or loopback address"
                " (set TAGWIRE_ALLOW_PRIVATE_NETWORKS=1 to allow)",
                url=url,
            )
