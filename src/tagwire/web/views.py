"""HTML pages and their feed variants. Each view: parse parameters, one store call, render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import Engine

from tagwire.enrich.names import fold
from tagwire.search.query import SearchQuery, parse_query
from tagwire.settings import Settings
from tagwire.store import outlet_reads, reads
from tagwire.store.feeds import list_feeds
from tagwire.store.reads import MAX_ID, ArticleView, Cursor, Page, TagInfo, TagPage
from tagwire.store.search import search_articles
from tagwire.store.tag_filters import TagFilters
from tagwire.store.tag_stats import tag_coverage, tag_daily_counts
from tagwire.web import i18n, urls
from tagwire.web.access import feed_key
from tagwire.web.chart import day_chart
from tagwire.web.feeds_out import atom_feed, json_feed, rss_feed
from tagwire.web.i18n import gettext
from tagwire.web.ratelimit import limit_search
from tagwire.web.sanitise import redacted_feed
from tagwire.web.tag_filters import parse_tag_filters

router = APIRouter()
ATOM_TYPE = "application/atom+xml; charset=utf-8"
RSS_TYPE = "application/rss+xml; charset=utf-8"
JSON_FEED_TYPE = "application/feed+json"
ArticleId = Path(ge=1, lt=MAX_ID)
StoryId = Path(ge=1, lt=MAX_ID)
# No name, slug or search holds control characters (PostgreSQL refuses NUL in text).
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
Slug = Annotated[str, Path(min_length=1, max_length=300, pattern=PRINTABLE)]
Filters = Annotated[TagFilters, Depends(parse_tag_filters)]


def engine_of(request: Request) -> Engine:
    return request.app.state.engine


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def parse_cursor(token: str | None) -> Cursor | None:
    if not token:
        return None
    cursor = Cursor.decode(token)
    if cursor is None:
        raise HTTPException(400, i18n.gettext("invalid cursor"))
    return cursor


@router.get("/", include_in_schema=False)
def home(request: Request, cursor: str | None = None) -> Response:
    settings = settings_of(request)
    data = reads.home_page(engine_of(request), parse_cursor(cursor), settings.page_size)
    context = {
        "page": data.page,
        "top_tags": data.top_tags,
        "excerpt_chars": settings.excerpt_chars,
        "next_url": urls.home_url(data.page.next_cursor) if data.page.next_cursor else None,
    }
    return request.app.state.templates.TemplateResponse(request, "home.html", context)


@router.get("/tags/{slug}.json", include_in_schema=False)
def tag_json(request: Request, slug: Slug, filters: Filters, cursor: str | None = None) -> Response:
    data = tag_page_data(request, slug, cursor, "json", filters)
    tag, page, key = data.tag, data.page, feed_key(settings_of(request))
    next_cursor = page.next_cursor
    next_url = urls.tag_url(tag.slug, "json", next_cursor, key, filters) if next_cursor else None
    body = json_feed(
        tag_title(tag, filters),
        absolute(request, urls.tag_url(tag.slug, filters=filters)),
        absolute(request, urls.tag_url(tag.slug, "json", key=key, filters=filters)),
        page.articles,
        absolute(request, next_url) if next_url else None,
    )
    return JSONResponse(body, media_type=JSON_FEED_TYPE)


@router.get("/tags/{slug}.atom", include_in_schema=False)
def tag_atom(request: Request, slug: Slug, filters: Filters, cursor: str | None = None) -> Response:
    data = tag_page_data(request, slug, cursor, "atom", filters)
    key, tag = feed_key(settings_of(request)), data.tag.slug
    return list_feed(
        request,
        "atom",
        tag_title(data.tag, filters),
        urls.tag_url(tag, filters=filters),
        urls.tag_url(tag, "atom", key=key, filters=filters),
        data.page.articles,
    )


@router.get("/tags/{slug}", include_in_schema=False)
def tag_page(request: Request, slug: Slug, filters: Filters, cursor: str | None = None) -> Response:
    """A tag's articles; above the first page, its chart of the last 90 days, who covered
    it and the form that filters the list (the chart and the coverage are the whole tag's)."""
    data = tag_page_data(request, slug, cursor, None, filters)
    tag, page, engine = data.tag, data.page, engine_of(request)
    next_cursor = page.next_cursor
    next_url = urls.tag_url(tag.slug, None, next_cursor, None, filters) if next_cursor else None
    context = {
        "tag": tag,
        "title": tag_title(tag, filters),
        "page": page,
        "related": data.related,
        "excerpt_chars": settings_of(request).excerpt_chars,
        "feed_key": feed_key(settings_of(request)),
        "next_url": next_url,
        "filters": filters,
        "chart": day_chart(tag_daily_counts(engine, tag.id)) if cursor is None else None,
        "coverage": tag_coverage(engine, tag.id) if cursor is None else None,
    }
    return request.app.state.templates.TemplateResponse(request, "tag.html", context)


@router.get("/tags", include_in_schema=False, dependencies=[Depends(limit_search)])
def tag_search(request: Request, q: str = Query("", max_length=200, pattern=PRINTABLE)) -> Response:
    """Find a tag by label or alias; a name that is exactly one tag's goes to its page."""
    engine = engine_of(request)
    found = reads.suggest_tags(engine, q, limit=50) if q.strip() else []
    exact = [t for t in found if fold(t.matched) == fold(q.strip().lstrip("#"))]
    if len(exact) == 1:
        return RedirectResponse(urls.tag_url(exact[0].slug), status_code=303)
    context = {
        "query": q,
        "found": found,
        "top_tags": [] if q.strip() else reads.top_tags(engine, limit=100),
    }
    return request.app.state.templates.TemplateResponse(request, "tags.html", context)


SearchText = Annotated[str, Query(max_length=200, pattern=PRINTABLE)]


@router.get("/search.json", include_in_schema=False, dependencies=[Depends(limit_search)])
def search_json(request: Request, q: SearchText = "", cursor: str | None = None) -> Response:
    _, page = search_page_data(request, q, cursor)
    key = feed_key(settings_of(request))
    next_url = urls.search_url(q, "json", page.next_cursor, key) if page.next_cursor else None
    body = json_feed(
        search_title(q),
        absolute(request, urls.search_url(q)),
        absolute(request, urls.search_url(q, "json", key=key)),
        page.articles,
        absolute(request, next_url) if next_url else None,
    )
    return JSONResponse(body, media_type=JSON_FEED_TYPE)


@router.get("/search", include_in_schema=False, dependencies=[Depends(limit_search)])
def search_page(request: Request, q: SearchText = "", cursor: str | None = None) -> Response:
    """Articles matching a query in the search box's syntax (see tagwire.search.query)."""
    query, page = search_page_data(request, q, cursor)
    context = {
        "search_query": q,
        "parsed_query": query,  # "query" is the tag box's text (base.html)
        "title": search_title(q),
        "page": page,
        "excerpt_chars": settings_of(request).excerpt_chars,
        "feed_key": feed_key(settings_of(request)),
        "next_url": urls.search_url(q, None, page.next_cursor) if page.next_cursor else None,
    }
    return request.app.state.templates.TemplateResponse(request, "search.html", context)


def search_page_data(request: Request, q: str, cursor: str | None) -> tuple[SearchQuery, Page]:
    query = parse_query(q)
    limit = settings_of(request).page_size
    return query, search_articles(engine_of(request), query, parse_cursor(cursor), limit)


def search_title(q: str) -> str:
    if not q.strip():
        return i18n.gettext("Search")
    return i18n.gettext("Search: %(query)s") % {"query": q.strip()}


@router.get("/feeds", include_in_schema=False)
def feeds_page(request: Request) -> Response:
    """Every feed's health, so a reader sees when an outlet's feed broke (keys masked)."""
    rows = [redacted_feed(row) for row in list_feeds(engine_of(request))]
    return request.app.state.templates.TemplateResponse(request, "feeds.html", {"feeds": rows})


@router.get("/stories/{story_id}", include_in_schema=False)
def story_page(request: Request, story_id: int = StoryId) -> Response:
    """One story's whole coverage, oldest first: outlet, language, date, headline."""
    story = reads.story_page(engine_of(request), story_id)
    if story is None:
        raise HTTPException(404, i18n.gettext("No such story"))
    if story.id != story_id:  # absorbed by another story
        return RedirectResponse(urls.story_url(story.id), status_code=301)
    return request.app.state.templates.TemplateResponse(request, "story.html", {"story": story})


@router.get("/articles/{article_id}", include_in_schema=False)
def article_page(request: Request, article_id: int = ArticleId) -> Response:
    article = reads.get_article(engine_of(request), article_id)
    if article is None:
        raise HTTPException(404, i18n.gettext("No such article"))
    return request.app.state.templates.TemplateResponse(
        request, "article.html", {"article": article}
    )


def tag_page_data(
    request: Request,
    slug: str,
    cursor: str | None,
    fmt: str | None,
    filters: TagFilters | None = None,
) -> TagPage:
    """The tag's page; another spelling of a known tag redirects to its canonical URL."""
    engine = engine_of(request)
    size = settings_of(request).page_size
    data = reads.tag_page(engine, slug, parse_cursor(cursor), size, filters)
    if data is not None:
        return data
    canonical = reads.canonical_tag_slug(engine, slug)
    if canonical:
        target = urls.tag_url(canonical, fmt)
        raise Redirect(target + ("?" + request.url.query if request.url.query else ""))
    message = i18n.gettext("No articles are tagged #%(slug)s yet") % {"slug": slug}
    raise HTTPException(404, message)


class Redirect(HTTPException):
    """Raised from deep in a view; the app's error handler turns it into a redirect."""

    def __init__(self, location: str) -> None:
        super().__init__(301, "Moved Permanently")
        self.location = location

    def response(self) -> RedirectResponse:
        return RedirectResponse(self.location, status_code=self.status_code)


def tag_title(tag: TagInfo, filters: TagFilters | None = None) -> str:
    """The page's and its feeds' title; a filtered list says what it holds."""
    title = i18n.gettext("Latest news with #%(label)s") % {"label": tag.label}
    return f"{title} ({filters_summary(filters)})" if filters else title


def filters_summary(filters: TagFilters) -> str:
    """``fr, le-monde, Politics, 2026-01-01 to 2026-01-31``"""
    days = " – ".join(d.isoformat() if d else "…" for d in (filters.since, filters.until))
    named = (filters.language, filters.outlet, filters.category)
    parts = [p for p in named if p] + ([days] if filters.since or filters.until else [])
    return ", ".join(parts)


def absolute(request: Request, path: str) -> str:
    return str(request.base_url).rstrip("/") + path


@router.get("/outlets", include_in_schema=False)
def outlets_page(request: Request) -> Response:
    """Every outlet: its name, country and number of articles, each linking to its page."""
    rows = outlet_reads.list_outlets(engine_of(request))
    return request.app.state.templates.TemplateResponse(request, "outlets.html", {"outlets": rows})


@router.get("/outlets/{slug}.json", include_in_schema=False)
def outlet_json(request: Request, slug: Slug, cursor: str | None = None) -> Response:
    data = outlet_page_data(request, slug, cursor, details=False)
    outlet, page, key = data.outlet, data.page, feed_key(settings_of(request))
    next_url = (
        urls.outlet_url(outlet.slug, "json", page.next_cursor, key) if page.next_cursor else None
    )
    body = json_feed(
        outlet_title(outlet),
        absolute(request, urls.outlet_url(outlet.slug)),
        absolute(request, urls.outlet_url(outlet.slug, "json", key=key)),
        page.articles,
        absolute(request, next_url) if next_url else None,
    )
    return JSONResponse(body, media_type=JSON_FEED_TYPE)


@router.get("/outlets/{slug}.atom", include_in_schema=False)
def outlet_atom(request: Request, slug: Slug, cursor: str | None = None) -> Response:
    data = outlet_page_data(request, slug, cursor, details=False)
    key, outlet = feed_key(settings_of(request)), data.outlet.slug
    return list_feed(
        request,
        "atom",
        outlet_title(data.outlet),
        urls.outlet_url(outlet),
        urls.outlet_url(outlet, "atom", key=key),
        data.page.articles,
    )


@router.get("/outlets/{slug}", include_in_schema=False)
def outlet_page(request: Request, slug: Slug, cursor: str | None = None) -> Response:
    """An outlet: who it is (its facts), its feeds' health, how much it published and how
    well its pages were read lately, then its latest articles."""
    data = outlet_page_data(request, slug, cursor, details=True)
    outlet, page = data.outlet, data.page
    context = {
        "outlet": outlet,
        "title": outlet_title(outlet),
        "page": page,
        "feeds": [redacted_feed(row) for row in data.feeds],
        "activity": data.activity,
        "excerpt_chars": settings_of(request).excerpt_chars,
        "feed_key": feed_key(settings_of(request)),
        "next_url": urls.outlet_url(outlet.slug, None, page.next_cursor)
        if page.next_cursor
        else None,
    }
    return request.app.state.templates.TemplateResponse(request, "outlet.html", context)


def outlet_page_data(
    request: Request, slug: str, cursor: str | None, *, details: bool
) -> outlet_reads.OutletPage:
    limit = settings_of(request).page_size
    data = outlet_reads.outlet_page(
        engine_of(request), slug, parse_cursor(cursor), limit, details=details
    )
    if data is None:
        raise HTTPException(404, "No such outlet")
    return data


def outlet_title(outlet: outlet_reads.OutletInfo) -> str:
    return gettext("Latest news from %(outlet)s") % {"outlet": outlet.name}


FEED_WRITERS = {"atom": (atom_feed, ATOM_TYPE), "rss": (rss_feed, RSS_TYPE)}


def list_feed(
    request: Request,
    fmt: str,
    title: str,
    page_path: str,
    feed_path: str,
    articles: list[ArticleView],
) -> Response:
    """A list of articles as an Atom or RSS feed: the page it mirrors, its own URL, and each
    article with the URL of its page here (the entry's id)."""
    write, media_type = FEED_WRITERS[fmt]
    own = [(absolute(request, urls.article_url(a.id)), a) for a in articles]
    body = write(title, absolute(request, page_path), absolute(request, feed_path), own)
    return Response(body, media_type=media_type)
