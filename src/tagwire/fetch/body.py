"""Response bodies for the fetch stage: decoded a piece at a time, and capped.

httpx inflates each network read whole, so 13 KB of brotli read at once would become 1 GB
in memory before any cap could look at it. Here gzip, deflate and brotli are inflated at
most ``PIECE_BYTES`` per step, and ``CappedBody`` refuses the piece that passes the cap:
memory stays within the cap plus a piece. Hands on the body as ``bytes``.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import Protocol

import brotli

from tagwire.errors import FetchError, ResponseTooLarge

PIECE_BYTES = 64 * 1024
ACCEPT_ENCODING = "gzip, deflate, br"  # what BodyDecoder can undo, sent as Accept-Encoding


class Coding(Protocol):
    def decode(self, data: bytes) -> Iterator[bytes]: ...

    def flush(self) -> Iterator[bytes]: ...


class ZlibCoding:
    """gzip, or deflate: zlib-wrapped as RFC 9110 says, or raw as some servers send it."""

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._inflater: zlib._Decompress | None = None

    def decode(self, data: bytes) -> Iterator[bytes]:
        if self._inflater is None:
            if not data:
                return
            self._inflater = zlib.decompressobj(self._wbits(data))
        while True:
            piece = self._inflater.decompress(data, PIECE_BYTES)
            data = self._inflater.unconsumed_tail
            if piece:
                yield piece
            if not data and len(piece) < PIECE_BYTES:
                return

    def flush(self) -> Iterator[bytes]:
        if self._inflater is not None and (tail := self._inflater.flush()):
            yield tail

    def _wbits(self, first: bytes) -> int:
        if self._gzip:
            return zlib.MAX_WBITS | 16
        wrapped = len(first) >= 2 and first[0] & 0x0F == 8 and int.from_bytes(first[:2]) % 31 == 0
        return zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS


class BrotliCoding:
    def __init__(self) -> None:
        self._inflater = brotli.Decompressor()

    def decode(self, data: bytes) -> Iterator[bytes]:
        if self._inflater.is_finished():
            return  # bytes after the end of the stream are ignored, as zlib ignores them
        while True:
            piece = self._inflater.process(data, output_buffer_limit=PIECE_BYTES)
            data = b""
            if piece:
                yield piece
            # Output waiting past the limit comes with empty input, until there is none.
            if not piece or self._inflater.is_finished():
                return

    def flush(self) -> Iterator[bytes]:
        return iter(())


CODINGS: dict[str, Callable[[], Coding]] = {
    "gzip": lambda: ZlibCoding(gzip=True),
    "x-gzip": lambda: ZlibCoding(gzip=True),
    "deflate": lambda: ZlibCoding(gzip=False),
    "br": BrotliCoding,
}


class BodyDecoder:
    """Undoes a ``Content-Encoding`` (codings in reverse order of listing). A coding it
    does not know passes through as httpx passes it; a corrupt stream is a FetchError."""

    def __init__(self, content_encoding: str, url: str) -> None:
        names = [name.strip().lower() for name in content_encoding.split(",")]
        self._codings: list[Coding] = [CODINGS[n]() for n in reversed(names) if n in CODINGS]
        self._encoding = content_encoding
        self._url = url

    def decode(self, data: bytes) -> Iterator[bytes]:
        return self._translated(through(self._codings, [data]))

    def flush(self) -> Iterator[bytes]:
        def tails() -> Iterator[bytes]:
            for index, coding in enumerate(self._codings):
                yield from through(self._codings[index + 1 :], coding.flush())

        return self._translated(tails())

    def _translated(self, pieces: Iterator[bytes]) -> Iterator[bytes]:
        try:
            yield from pieces
        except (zlib.error, brotli.error) as exc:
            raise FetchError(
                f"cannot decode the {self._encoding} body: {exc}", url=self._url
            ) from exc


def through(codings: list[Coding], pieces: Iterable[bytes]) -> Iterator[bytes]:
    """``pieces`` decoded by each coding in turn, lazily: one piece in flight per coding."""
    for coding in codings:
        pieces = chain.from_iterable(map(coding.decode, pieces))
    return iter(pieces)


class CappedBody:
    """Collects pieces, refusing the one that takes the body past ``cap`` bytes."""

    def __init__(self, cap: int, url: str) -> None:
        self._cap = cap
        self._url = url
        self._size = 0
        self._pieces: list[bytes] = []

    def add(self, pieces: Iterable[bytes]) -> None:
        for piece in pieces:
            self._size += len(piece)
            if self._size > self._cap:
                raise ResponseTooLarge(f"body exceeds {self._cap:,} bytes", url=self._url)
            self._pieces.append(piece)

    def bytes(self) -> bytes:
        return b"".join(self._pieces)
