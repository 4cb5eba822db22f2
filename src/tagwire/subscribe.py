"""Subscribing: a feed URL, a site URL (autodiscovered), or an OPML list -> feed rows.

A feed that cannot be checked right now (the host is down, an HTTP error) is still
subscribed and retried by the schedule; input that can never work (not a URL, a page that
advertises no feed, unreadable OPML) is refused with ``InvalidInput``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from tagwire.errors import BlockedAddress, FeedError, FetchError, InvalidInput, NotAFeed
from tagwire.feeds import find_feed_links, parse_fetched_feed, read_opml
from tagwire.fetch import Fetcher, check_url
from tagwire.models import FetchResult, ParsedFeed
from tagwire.settings import Settings
from tagwire.store.feeds import add_feed
from tagwire.store.outlets import outlet_name_from

OPML_SNIFF = b"<opml"


@dataclass(frozen=True, slots=True)
class Subscription:
    url: str
    feed_id: int | None  # None: an OPML outline that could not be subscribed (see warning)
    created: bool
    title: str | None
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class Source:
    url: str
    title: str | None = None
    listed: bool = False  # from an OPML list: a bad one is skipped, not fatal


async def subscribe_all(
    settings: Settings, engine: Engine, sources: list[str]
) -> list[Subscription]:
    """Subscribe to every source: ``InvalidInput`` for a bad URL given directly; a bad
    outline of an OPML list is skipped with a warning so the rest of the list is kept."""
    async with Fetcher(settings) as fetcher:
        expanded: list[Source] = []
        for source in sources:
            expanded.extend(await expand_source(fetcher, source))
        limit = asyncio.Semaphore(settings.concurrency)

        async def one(source: Source) -> Subscription:
            async with limit:
                try:
                    return await subscribe(fetcher, engine, source.url, source.title)
                except InvalidInput as exc:
                    if not source.listed:
                        raise
                    return Subscription(source.url, None, False, source.title, f"skipped: {exc}")

        return list(await asyncio.gather(*(one(s) for s in expanded)))


async def expand_source(fetcher: Fetcher, source: str) -> list[Source]:
    """A local OPML file -> its feed URLs; a URL -> itself (or its outlines if it is OPML)."""
    path = Path(source).expanduser()
    if "://" not in source:
        if not path.is_file():
            raise InvalidInput(f"not a URL and not a readable file: {source!r}")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InvalidInput(f"cannot read {source}: {exc.strerror}") from None
        return [Source(o.url, o.title, listed=True) for o in read_opml(data, source=source)]
    url = check_url(source)
    if url.lower().endswith(".opml"):
        try:
            result = await fetcher.fetch_feed(url)
        except FetchError as exc:
            raise InvalidInput(f"cannot fetch OPML {url}: {exc}") from None
        return [Source(o.url, o.title, listed=True) for o in read_opml(result.body, source=url)]
    return [Source(url)]


async def subscribe(
    fetcher: Fetcher, engine: Engine, url: str, title: str | None = None
) -> Subscription:
    url = check_url(url)
    try:
        result = await fetcher.fetch_feed(url)
    except BlockedAddress as exc:
        raise InvalidInput(str(exc)) from None
    except FetchError as exc:
        return _store(engine, url, title, None, warning=f"not checked now ({exc}); will retry")
    if result.body.lstrip()[:200].lower().find(OPML_SNIFF) >= 0:
        raise InvalidInput(f"{url} is an OPML list; add the file itself or a URL ending in .opml")
    try:
        parsed = await parse_fetched_feed(result)
    except NotAFeed:
        return await subscribe_discovered(fetcher, engine, result, title)
    except FeedError as exc:
        return _store(engine, url, title, None, warning=f"{exc}; subscribed, will retry")
    return _store(engine, result.url, title, parsed)


async def subscribe_discovered(
    fetcher: Fetcher, engine: Engine, page: FetchResult, title: str | None
) -> Subscription:
    """A site URL: follow its ``<link rel="alternate">`` to the first feed that parses."""
    for candidate in find_feed_links(page.body, page.url):
        try:
            result = await fetcher.fetch_feed(candidate)
            parsed = await parse_fetched_feed(result)
        except (FetchError, FeedError):
            continue
        return _store(engine, result.url, title, parsed)
    raise InvalidInput(f"no feed found at {page.url}: the page advertises none")


def _store(
    engine: Engine,
    url: str,
    title: str | None,
    parsed: ParsedFeed | None,
    warning: str | None = None,
) -> Subscription:
    feed_title = (parsed.title if parsed else None) or title
    feed_id, created = add_feed(
        engine,
        url,
        title=feed_title,
        site_url=parsed.site_url if parsed else None,
        kind=parsed.kind if parsed else None,
        outlet_name=outlet_name_from(feed_title, url),
        language=parsed.language if parsed else None,
    )
    return Subscription(url, feed_id, created, feed_title, warning)
