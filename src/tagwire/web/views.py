"""HTML pages and their feed variants. Each view: parse parameters, one store call, render."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine

from tagwire.enrich.names import slugify
from tagwire.settings import Settings
from tagwire.store import reads
from tagwire.store.reads import Cursor, TagInfo
from tagwire.web import urls
from tagwire.web.feeds_out import atom_feed, json_feed

router = APIRouter()
ATOM_TYPE = "application/atom+xml; charset=utf-8"
JSON_FEED_TYPE = "application/feed+json"


def engine_of(request: Request) -> Engine:
    return request.app.state.engine


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def parse_cursor(token: str | None) -> Cursor | None:
    if not token:
        return None
    cursor = Cursor.decode(token)
    if cursor is None:
        raise HTTPException(400, "invalid cursor")
    return cursor


@router.get("/", include_in_schema=False)
def home(request: Request, cursor: str | None = None) -> Response:
    engine, settings = engine_of(request), settings_of(request)
    page = reads.latest_articles(engine, parse_cursor(cursor), settings.page_size)
    context = {
        "page": page,
        "top_tags": reads.top_tags(engine, limit=40),
        "excerpt_chars": settings.excerpt_chars,
        "next_url": urls.home_url(page.next_cursor) if page.next_cursor else None,
    }
    return request.app.state.templates.TemplateResponse(request, "home.html", context)


@router.get("/tags/{slug}.json", include_in_schema=False)
def tag_json(request: Request, slug: str, cursor: str | None = None) -> Response:
    tag, page = tag_page_data(request, slug, cursor, "json")
    next_url = (
        absolute(request, urls.tag_url(tag.slug, "json", page.next_cursor))
        if page.next_cursor
        else None
    )
    body = json_feed(
        tag_title(tag),
        absolute(request, urls.tag_url(tag.slug)),
        absolute(request, urls.tag_url(tag.slug, "json")),
        page.articles,
        next_url,
    )
    return JSONResponse(body, media_type=JSON_FEED_TYPE)


@router.get("/tags/{slug}.atom", include_in_schema=False)
def tag_atom(request: Request, slug: str, cursor: str | None = None) -> Response:
    tag, page = tag_page_data(request, slug, cursor, "atom")
    body = atom_feed(
        tag_title(tag),
        absolute(request, urls.tag_url(tag.slug)),
        absolute(request, urls.tag_url(tag.slug, "atom")),
        page.articles,
    )
    return Response(body, media_type=ATOM_TYPE)


@router.get("/tags/{slug}", include_in_schema=False)
def tag_page(request: Request, slug: str, cursor: str | None = None) -> Response:
    tag, page = tag_page_data(request, slug, cursor, None)
    context = {
        "tag": tag,
        "title": tag_title(tag),
        "page": page,
        "excerpt_chars": settings_of(request).excerpt_chars,
        "next_url": urls.tag_url(tag.slug, None, page.next_cursor) if page.next_cursor else None,
    }
    return request.app.state.templates.TemplateResponse(request, "tag.html", context)


@router.get("/articles/{article_id}", include_in_schema=False)
def article_page(request: Request, article_id: int) -> Response:
    article = reads.get_article(engine_of(request), article_id)
    if article is None:
        raise HTTPException(404, "No such article")
    return request.app.state.templates.TemplateResponse(
        request, "article.html", {"article": article}
    )


def tag_page_data(
    request: Request, slug: str, cursor: str | None, fmt: str | None
) -> tuple[TagInfo, reads.Page]:
    engine = engine_of(request)
    tag = reads.find_tag(engine, slug)
    if tag is None:
        redirect_to_canonical(request, engine, slug, fmt)
        raise HTTPException(404, f"No articles are tagged #{slug} yet")
    page = reads.tag_articles(engine, tag.id, parse_cursor(cursor), settings_of(request).page_size)
    return tag, page


def redirect_to_canonical(request: Request, engine: Engine, slug: str, fmt: str | None) -> None:
    """``/tags/Azawad`` and ``/tags/Kiev`` lead to ``/tags/azawad`` and ``/tags/kyiv``."""
    canonical = slugify(slug)
    if canonical == slug or reads.find_tag(engine, canonical) is None:
        canonical = reads.find_tag_slug_by_alias(engine, slug.lstrip("#").replace("-", " ")) or ""
    if canonical and canonical != slug:
        target = urls.tag_url(canonical, fmt)
        if request.url.query:
            target += "?" + request.url.query
        raise _Redirect(target)


class _Redirect(HTTPException):
    """Raised from deep in a view; the app's error handler turns it into a redirect."""

    def __init__(self, location: str) -> None:
        super().__init__(301, "Moved Permanently", headers={"Location": location})


def tag_title(tag: TagInfo) -> str:
    return f"Latest news with #{tag.label}"


def absolute(request: Request, path: str) -> str:
    return str(request.base_url).rstrip("/") + path
