"""Pages kept while the store has not changed: a tag page read a hundred times a second is
rendered once per change, not a hundred times.

``PageCache`` is ASGI middleware in front of the pages and feeds readers open again and
again (home, tags, stories, articles, outlets and their feed variants). A kept response
is served while the store's version is the one it was rendered at, for at most ``max_age``
seconds (relative dates like "4 minutes ago" move on, and so does what
changes no version: a feed's health, an article tagged again). The version is read on each
request, by index: for a tag's page and feeds, the tag's article count and the newest tag
change (merges, renames, blocks), so that a busy installation storing an article a second
keeps the pages of the tags those articles do not concern; for every other page, the
newest article and the newest tag change. A response carries an ``ETag``; a reader that
sends it back in ``If-None-Match`` gets a 304.

Not kept: anything but GET and HEAD, search, exports and the API (rate-limited per client,
which a kept page would go around), the admin's pages (a logged-in session sees its own CSRF
token), responses that set cookies, errors.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from anyio import to_thread
from sqlalchemy import ColumnElement, Engine, func, select

from tagwire.store.schema import articles, tag_changes, tags
from tagwire.web.access import SESSION_COOKIE
from tagwire.web.i18n import current_locale

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

KEPT_PREFIXES = ("/tags/", "/stories/", "/articles/", "/outlets/")
KEPT_PAGES = frozenset({"/", "/outlets"})
FEED_FORMATS = frozenset({"atom", "rss", "json"})
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
UNKEPT_SUFFIXES = (".jsonl",)  # a tag's whole archive: rate-limited, and big
MAX_BODY = 2_000_000
MAX_BYTES = 64_000_000  # all kept bodies together, per process


@dataclass(frozen=True, slots=True)
class Kept:
    version: tuple[int, int]
    stored_at: float
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes


class PageCache:
    def __init__(
        self,
        app: ASGIApp,
        engine: Engine,
        *,
        private: bool = False,
        max_bytes: int = MAX_BYTES,
        max_age: float = 60.0,
    ) -> None:
        self.app = app
        self.engine = engine
        self.max_bytes = max_bytes
        self.max_age = max_age
        # Pages behind a login stay out of shared caches; readers' own caches ask again.
        self.cache_control = b"private, no-cache" if private else b"no-cache"
        self.hits = 0
        self._kept: OrderedDict[tuple[bytes, ...], Kept] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._keeps(scope):
            await self.app(scope, receive, send)
            return
        key = self._key(scope)
        version = await to_thread.run_sync(self._read_version, tag_slug(scope["path"]))
        kept = self._get(key, version)
        if kept is not None:
            self.hits += 1
            await self._replay(scope, kept, send)
        elif scope["method"] == "HEAD":
            await self.app(scope, receive, send)
        else:
            await self._render_and_keep(scope, receive, send, key, version)

    def _keeps(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return False
        path: str = scope["path"]
        if path not in KEPT_PAGES and not path.startswith(KEPT_PREFIXES):
            return False
        if path.endswith(UNKEPT_SUFFIXES) or CONTROL.search(path):
            return False  # a control character is no page (and PostgreSQL refuses NUL)
        session = SESSION_COOKIE.encode()
        for name, value in scope["headers"]:  # every Cookie header: a browser may send several
            if name == b"authorization" or (name == b"cookie" and session in value):
                return False
        return True

    @staticmethod
    def _key(scope: Scope) -> tuple[bytes, ...]:
        """What the page depends on: the site's own address (feeds and links are absolute),
        the path and query, and the language chosen for the reader (the layer outside this
        one chose it, from the switch, its cookie or Accept-Language)."""
        host = next((value for name, value in scope["headers"] if name == b"host"), b"")
        return (
            scope.get("scheme", "http").encode(),
            host,
            scope["path"].encode(),
            scope.get("query_string", b""),
            current_locale().encode(),
        )

    def _read_version(self, slug: str | None) -> tuple[int, int]:
        """What a kept page must have been rendered at to be served (module docstring)."""
        changed: ColumnElement[Any]
        if slug is None:
            changed = select(func.max(articles.c.id)).scalar_subquery()
        else:  # -1: no such tag (yet)
            count = select(tags.c.article_count).where(tags.c.slug == slug).scalar_subquery()
            changed = func.coalesce(count, -1)
        newest = select(changed, select(func.max(tag_changes.c.id)).scalar_subquery())
        with self.engine.connect() as conn:
            row = conn.execute(newest).one()
        return (row[0] or 0, row[1] or 0)

    def _get(self, key: tuple[bytes, ...], version: tuple[int, int]) -> Kept | None:
        with self._lock:
            kept = self._kept.get(key)
            if kept is None:
                return None
            if kept.version != version or time.monotonic() - kept.stored_at > self.max_age:
                del self._kept[key]
                self._bytes -= len(kept.body)
                return None
            self._kept.move_to_end(key)
            return kept

    def _put(self, key: tuple[bytes, ...], kept: Kept) -> None:
        with self._lock:
            old = self._kept.pop(key, None)
            self._bytes += len(kept.body) - (len(old.body) if old else 0)
            self._kept[key] = kept
            while self._bytes > self.max_bytes:  # the least recently asked for go first
                _, dropped = self._kept.popitem(last=False)
                self._bytes -= len(dropped.body)

    async def _replay(self, scope: Scope, kept: Kept, send: Send) -> None:
        if _etag_matches(scope, kept.etag):
            headers = [(n, v) for n, v in kept.headers if n in (b"etag", b"vary", b"cache-control")]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": kept.status, "headers": kept.headers})
        body = b"" if scope["method"] == "HEAD" else kept.body
        await send({"type": "http.response.body", "body": body})

    async def _render_and_keep(
        self, scope: Scope, receive: Receive, send: Send, key: tuple[bytes, ...], version: tuple
    ) -> None:
        """Renders as usual; a 200 is sent whole, with its ETag, and kept."""
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0

        async def capture(message: Message) -> None:
            nonlocal start, size
            if message["type"] == "http.response.start":
                start = message
                if not _keepable(message):
                    await send(message)
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)  # e.g. the test client's template debug message
                return
            if not _keepable(start) or size > MAX_BODY:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > MAX_BODY:  # too big to keep: sent as it comes from here on
                await send(start)
                more = message.get("more_body", False)
                await send({**message, "body": b"".join(chunks), "more_body": more})
                chunks.clear()
            if not message.get("more_body", False) and size <= MAX_BODY:
                await self._finish(scope, start, b"".join(chunks), key, version, send)

        await self.app(scope, receive, capture)

    async def _finish(
        self,
        scope: Scope,
        start: Message,
        body: bytes,
        key: tuple[bytes, ...],
        version: tuple,
        send: Send,
    ) -> None:
        etag = b'W/"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'
        headers = [(n, v) for n, v in start["headers"] if n.lower() != b"etag"]
        headers.append((b"etag", etag))
        if not any(n.lower() == b"cache-control" for n, _ in headers):
            headers.append((b"cache-control", self.cache_control))  # ask again, with the ETag
        kept = Kept(version, time.monotonic(), start["status"], headers, body, etag)
        self._put(key, kept)
        await self._replay(scope, kept, send)


def tag_slug(path: str) -> str | None:
    """The tag of ``/tags/{slug}`` and its feeds (``.atom`` ...), else None."""
    if not path.startswith("/tags/"):
        return None
    name = path.removeprefix("/tags/")
    if "/" in name:
        return None
    slug, _, fmt = name.rpartition(".")
    return slug if fmt in FEED_FORMATS else name


def _keepable(start: Message) -> bool:
    return start["status"] == 200 and not any(
        name.lower() == b"set-cookie" for name, _ in start.get("headers", [])
    )


def _etag_matches(scope: Scope, etag: bytes) -> bool:
    given = dict(scope["headers"]).get(b"if-none-match", b"")
    return given.strip() == b"*" or etag in [tag.strip() for tag in given.split(b",")]
