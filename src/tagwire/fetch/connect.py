"""Connections for the fetch stage: the host of each new connection is resolved once,
every address checked against the ``AddressPolicy``, and the socket opened to exactly an
address that was checked, so a DNS answer that changes between check and connect
(rebinding) is never dialled. TLS still verifies the host name: httpcore hands the
request's host to ``start_tls`` as the server name. Hands on an httpx transport.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterable

import httpcore
import httpx

from tagwire.fetch.guard import AddressPolicy, IPAddress, resolve_addresses

Resolve = Callable[[str, int], Awaitable[list[IPAddress]]]
SocketOptions = Iterable[httpcore.SOCKET_OPTION] | None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, dialling only addresses the policy permits."""

    def __init__(
        self,
        policy: AddressPolicy,
        resolve: Resolve = resolve_addresses,
        backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.policy = policy
        self._resolve = resolve
        self._backend = backend or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: SocketOptions = None,
    ) -> httpcore.AsyncNetworkStream:
        failure = httpcore.ConnectError(f"no address for {host}")
        for ip in await self.checked_addresses(host, port, timeout):
            try:
                return await self._backend.connect_tcp(
                    str(ip), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:  # try the host's next address
                failure = exc
        raise failure

    async def checked_addresses(
        self, host: str, port: int, timeout: float | None
    ) -> list[IPAddress]:
        """The host's addresses, all permitted (else BlockedAddress, naming no URL)."""
        try:
            async with asyncio.timeout(timeout):
                addresses = await self._resolve(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host!r} timed out") from None
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"cannot resolve host {host!r}: {exc.strerror}") from exc
        for ip in addresses:
            self.policy.check(host, ip)
        return addresses

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: SocketOptions = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("tagwire fetches over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (HTTP/1.1 and HTTP/2, no proxy: a proxy would resolve names
    itself) on a connection pool that dials through a ``GuardedBackend``."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend, limits: httpx.Limits) -> None:
        # AsyncHTTPTransport takes no network backend, so its pool is built here as its own
        # __init__ builds it without a proxy (which is all that __init__ does then);
        # sending requests and mapping httpcore errors stay httpx's.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=True,
            network_backend=backend,
        )
