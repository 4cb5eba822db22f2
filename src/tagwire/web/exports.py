"""The news going out in more forms: RSS 2.0 of a tag and of a search (and Atom of a
search), every subscription as OPML, and a tag's whole archive as JSON Lines.

Each shares its page's parameters and query (``views``) and differs only in the renderer;
behind a read password each opens with the feed key of ``access.feed_key``. Included in
the app before ``views``, whose ``/tags/{slug}`` would otherwise take ``/tags/x.rss``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import Engine

from tagwire.feeds.opml import OpmlFeed, write_opml
from tagwire.store import reads
from tagwire.store.exports import subscribed_feeds, tag_archive
from tagwire.store.reads import TagInfo
from tagwire.web import urls
from tagwire.web.access import feed_key
from tagwire.web.feeds_out import archive_line
from tagwire.web.ratelimit import limit_search
from tagwire.web.sanitise import outbound_url, redact_url
from tagwire.web.views import (
    Filters,
    Redirect,
    SearchText,
    Slug,
    engine_of,
    list_feed,
    outlet_page_data,
    outlet_title,
    search_page_data,
    search_title,
    settings_of,
    tag_page_data,
    tag_title,
)

router = APIRouter()
OPML_TYPE = "text/x-opml; charset=utf-8"
JSON_LINES_TYPE = "application/x-ndjson"


@router.get("/tags/{slug}.rss", include_in_schema=False)
def tag_rss(request: Request, slug: Slug, filters: Filters, cursor: str | None = None) -> Response:
    data = tag_page_data(request, slug, cursor, "rss", filters)
    key, tag = feed_key(settings_of(request)), data.tag.slug
    return list_feed(
        request,
        "rss",
        tag_title(data.tag, filters),
        urls.tag_url(tag, filters=filters),
        urls.tag_url(tag, "rss", key=key, filters=filters),
        data.page.articles,
    )


@router.get("/outlets/{slug}.rss", include_in_schema=False)
def outlet_rss(request: Request, slug: Slug, cursor: str | None = None) -> Response:
    data = outlet_page_data(request, slug, cursor, details=False)
    key, outlet = feed_key(settings_of(request)), data.outlet.slug
    return list_feed(
        request,
        "rss",
        outlet_title(data.outlet),
        urls.outlet_url(outlet),
        urls.outlet_url(outlet, "rss", key=key),
        data.page.articles,
    )


@router.get("/search.rss", include_in_schema=False, dependencies=[Depends(limit_search)])
def search_rss(request: Request, q: SearchText = "", cursor: str | None = None) -> Response:
    return search_feed(request, "rss", q, cursor)


@router.get("/search.atom", include_in_schema=False, dependencies=[Depends(limit_search)])
def search_atom(request: Request, q: SearchText = "", cursor: str | None = None) -> Response:
    return search_feed(request, "atom", q, cursor)


def search_feed(request: Request, fmt: str, q: str, cursor: str | None) -> Response:
    _, page = search_page_data(request, q, cursor)
    key = feed_key(settings_of(request))
    feed_path = urls.search_url(q, fmt, key=key)
    return list_feed(request, fmt, search_title(q), urls.search_url(q), feed_path, page.articles)


@router.get("/subscriptions.opml", include_in_schema=False)
def subscriptions(request: Request) -> Response:
    """Every feed, grouped by outlet; keys and passwords in feed URLs masked as on /feeds."""
    return Response(subscriptions_opml(engine_of(request), redact=True), media_type=OPML_TYPE)


def subscriptions_opml(engine: Engine, *, redact: bool) -> str:
    """The subscriptions as OPML 2.0; ``redact`` masks the secrets some feed URLs carry
    (the web's copy: the command line's is whole, to subscribe elsewhere)."""
    feeds = [
        OpmlFeed(
            redact_url(f.url) if redact else f.url,
            f.title or f.outlet,
            outbound_url(f.site_url),
            group=f.outlet,
        )
        for f in subscribed_feeds(engine)
    ]
    return write_opml(feeds, title="tagwire subscriptions", created=datetime.now(UTC))


@router.get(
    "/tags/{slug}/export.jsonl", include_in_schema=False, dependencies=[Depends(limit_search)]
)
def tag_export(
    request: Request, slug: Slug, since: date | None = None, until: date | None = None
) -> Response:
    """Every article carrying the tag, newest first, one JSON object a line, duplicates
    and every story's articles included, streamed a batch at a time."""
    tag = archived_tag(request, slug)
    lines = archive_lines(engine_of(request), tag, since, until)
    disposition = f"attachment; filename*=UTF-8''{quote(tag.slug)}.jsonl"
    return StreamingResponse(
        lines, media_type=JSON_LINES_TYPE, headers={"Content-Disposition": disposition}
    )


def archive_lines(
    engine: Engine, tag: TagInfo, since: date | None, until: date | None
) -> Iterator[str]:
    """A batch of lines at a time: one write to the client for each read of the store."""
    for batch in tag_archive(engine, tag.id, since, until):
        yield "".join(archive_line(a) for a in batch)


def archived_tag(request: Request, slug: str) -> TagInfo:
    """The tag; another spelling of a known tag redirects to its export's canonical URL."""
    engine = engine_of(request)
    tag = reads.find_tag(engine, slug)
    if tag is not None:
        return tag
    canonical = reads.canonical_tag_slug(engine, slug)
    if canonical:
        query = "?" + request.url.query if request.url.query else ""
        raise Redirect(urls.tag_export_url(canonical) + query)
    raise HTTPException(404, f"No articles are tagged #{slug} yet")
