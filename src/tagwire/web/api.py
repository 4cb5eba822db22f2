"""JSON API under ``/api/v1/``: tags, a tag's articles, an article, feeds, webhook alerts
(see /openapi.json).

The store's records are the response models: FastAPI documents and serialises the
dataclasses as they are, so the API cannot drift from what the store returns.

Reading is open unless ``TAGWIRE_READ_PASSWORD`` is set (see ``access``). Changing tags
(merge, rename, aliases, block) needs the API token of ``TAGWIRE_API_TOKEN`` as a bearer
token, or an admin session with its CSRF token; without that setting those endpoints are
off. So does anything about alerts, reading them too. Every client has its allowance of
requests a minute (``ratelimit``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as FastPath
from fastapi.responses import RedirectResponse
from pydantic import Field

from tagwire.alerts.subscribe import MAX_TARGET, MAX_URL, subscribe
from tagwire.errors import InvalidInput, UnknownTag
from tagwire.store import alerts as alert_store
from tagwire.store import curation, reads
from tagwire.store.alerts import AlertView, DeliveryView
from tagwire.store.curation import MAX_LABEL, CurationResult
from tagwire.store.feeds import FeedRow, list_feeds
from tagwire.store.reads import MAX_ID, ArticleView, RelatedTag, StoryView, TagInfo, TagSuggestion
from tagwire.web import urls
from tagwire.web.access import require_admin
from tagwire.web.ratelimit import limit_api, limit_search
from tagwire.web.sanitise import redacted_alert, redacted_delivery, redacted_feed
from tagwire.web.views import (
    PRINTABLE,
    ArticleId,
    Slug,
    StoryId,
    engine_of,
    parse_cursor,
    settings_of,
)


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    status: int
    message: str


@dataclass(frozen=True, slots=True)
class ErrorBody:
    """Every error but a malformed request (422) has this body."""

    error: ErrorDetail


def errors(described: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for error statuses: ``{404: "why"}``."""
    return {status: {"model": ErrorBody, "description": why} for status, why in described.items()}


router = APIRouter(
    prefix="/api/v1",
    tags=["api"],
    dependencies=[Depends(limit_api)],
    responses=errors(
        {
            401: "Reading needs a login (TAGWIRE_READ_PASSWORD) and none was given",
            429: "Too many requests from this client; see Retry-After",
        }
    ),
)
NOT_FOUND = errors({404: "No such tag, article or story"})


@dataclass(frozen=True, slots=True)
class ArticlePage:
    tag: TagInfo
    articles: list[ArticleView]
    next: str | None


@router.get("/tags", response_model=list[TagInfo])
def api_tags(request: Request, limit: int = Query(50, ge=1, le=500)) -> list[TagInfo]:
    return reads.top_tags(engine_of(request), limit=limit)


Name = Annotated[str, Field(min_length=1, max_length=MAX_LABEL, pattern=PRINTABLE)]
Kind = Literal["person", "organisation", "place", "group", "event", "work", "product", "other"]


@dataclass(frozen=True, slots=True)
class MergeRequest:
    into: Name


@dataclass(frozen=True, slots=True)
class RenameRequest:
    label: Name


@dataclass(frozen=True, slots=True)
class AliasRequest:
    aliases: Annotated[list[Name], Field(min_length=1, max_length=100)]
    kind: Kind | None = None


Writer = [Depends(require_admin)]
CHANGE_ERRORS = errors(
    {
        400: "The change makes no sense (a label without letters, a tag merged into itself...)",
        401: "No valid API token",
        403: "Changing is off (no TAGWIRE_API_TOKEN), or an admin session sent no CSRF token",
        404: "No such tag",
    }
)


@router.get(
    "/tags/suggest", response_model=list[TagSuggestion], dependencies=[Depends(limit_search)]
)
def api_suggest(
    request: Request,
    q: str = Query(max_length=200, pattern=PRINTABLE),
    limit: int = Query(10, ge=1, le=50),
) -> list[TagSuggestion]:
    """Tags whose label or an alias starts with ``q`` (case and accents ignored)."""
    return reads.suggest_tags(engine_of(request), q, limit)


@router.get("/tags/{slug}", response_model=TagInfo, responses=NOT_FOUND)
def api_tag(request: Request, slug: Slug) -> TagInfo:
    return find_tag_or_404(request, slug)


@router.get("/tags/{slug}/related", response_model=list[RelatedTag], responses=NOT_FOUND)
def api_related(request: Request, slug: Slug) -> list[RelatedTag]:
    tag = find_tag_or_404(request, slug)
    return reads.related_tags(engine_of(request), tag.id)


@router.post(
    "/tags/{slug}/merge",
    response_model=CurationResult,
    dependencies=Writer,
    responses=CHANGE_ERRORS,
)
def api_merge(request: Request, slug: Slug, body: MergeRequest) -> CurationResult:
    """Fold this tag into ``into``; this tag's URL then redirects there."""
    return curate(curation.merge_tags, request, slug, body.into)


@router.post(
    "/tags/{slug}/rename",
    response_model=CurationResult,
    dependencies=Writer,
    responses=CHANGE_ERRORS,
)
def api_rename(request: Request, slug: Slug, body: RenameRequest) -> CurationResult:
    return curate(curation.rename_tag, request, slug, body.label)


@router.post(
    "/tags/{slug}/aliases",
    response_model=CurationResult,
    dependencies=Writer,
    responses=CHANGE_ERRORS,
)
def api_aliases(request: Request, slug: Slug, body: AliasRequest) -> CurationResult:
    """Add aliases; ``articles`` counts the stored articles to be tagged again."""
    return curate(curation.add_tag_aliases, request, slug, body.aliases, body.kind)


@router.post(
    "/tags/{slug}/block",
    response_model=CurationResult,
    dependencies=Writer,
    responses=CHANGE_ERRORS,
)
def api_block(request: Request, slug: Slug) -> CurationResult:
    return curate(curation.block_tag, request, slug)


@router.delete(
    "/tags/{slug}/block",
    response_model=CurationResult,
    dependencies=Writer,
    responses=CHANGE_ERRORS,
)
def api_unblock(request: Request, slug: Slug) -> CurationResult:
    return curate(curation.unblock_tag, request, slug)


def curate(change, request: Request, *args) -> CurationResult:
    """Run one curation change; a bad request is a 400 that says why."""
    try:
        return change(engine_of(request), *args)
    except UnknownTag as exc:
        raise HTTPException(404, str(exc)) from None
    except InvalidInput as exc:
        raise HTTPException(400, str(exc)) from None


@router.get(
    "/tags/{slug}/articles",
    response_model=ArticlePage,
    responses={**NOT_FOUND, **errors({400: "The cursor is not one this API gave"})},
)
def api_tag_articles(
    request: Request,
    slug: Slug,
    cursor: str | None = None,
    limit: int = Query(0, ge=0, le=100),
) -> ArticlePage:
    tag = find_tag_or_404(request, slug)
    size = limit or settings_of(request).page_size
    page = reads.tag_articles(engine_of(request), tag.id, parse_cursor(cursor), size)
    next_url = urls.api_tag_articles_url(tag.slug, page.next_cursor) if page.next_cursor else None
    return ArticlePage(tag=tag, articles=page.articles, next=next_url)


@router.get("/articles/{article_id}", response_model=ArticleView, responses=NOT_FOUND)
def api_article(request: Request, article_id: int = ArticleId) -> ArticleView:
    article = reads.get_article(engine_of(request), article_id)
    if article is None:
        raise HTTPException(404, f"no article {article_id}")
    return article


@router.get("/stories/{story_id}", response_model=StoryView, responses=NOT_FOUND)
def api_story(request: Request, story_id: int = StoryId) -> StoryView | RedirectResponse:
    story = reads.story_page(engine_of(request), story_id)
    if story is None:
        raise HTTPException(404, f"no story {story_id}")
    if story.id != story_id:  # absorbed by another story
        moved = request.url.path.removesuffix(str(story_id)) + str(story.id)
        return RedirectResponse(moved, status_code=301)
    return story


@router.get("/feeds", response_model=list[FeedRow])
def api_feeds(request: Request) -> list[FeedRow]:
    """Every feed's health; credentials in feed URLs are masked."""
    return [redacted_feed(row) for row in list_feeds(engine_of(request))]


def find_tag_or_404(request: Request, slug: str) -> TagInfo:
    tag = reads.find_tag(engine_of(request), slug)
    if tag is None:
        raise HTTPException(404, f"no tag {slug!r}")
    return tag


@dataclass(frozen=True, slots=True)
class AlertRequest:
    """An alert on a tag (its slug or label) or a search (in the search box's syntax)."""

    kind: Literal["tag", "search"]
    target: Annotated[str, Field(min_length=1, max_length=MAX_TARGET, pattern=PRINTABLE)]
    url: Annotated[str, Field(min_length=8, max_length=MAX_URL, pattern=r"^https?://\S+$")]


@dataclass(frozen=True, slots=True)
class NewAlertBody:
    """The alert just made, and the secret that signs its POSTs: never shown again."""

    alert: AlertView
    secret: str


ALERT_ERRORS = errors(
    {
        401: "No valid API token",
        403: "Changing is off (no TAGWIRE_API_TOKEN), or an admin session sent no CSRF token",
        404: "No such alert",
    }
)
AlertId = FastPath(ge=1, lt=MAX_ID)


@router.post(
    "/alerts",
    response_model=NewAlertBody,
    status_code=201,
    dependencies=Writer,
    responses={
        **ALERT_ERRORS,
        **errors({400: "The URL cannot be posted to, or the tag or search matches nothing"}),
    },
)
def api_add_alert(request: Request, body: AlertRequest) -> NewAlertBody:
    """POST each new story on the tag or search to ``url``, signed with the secret that
    this answer alone shows (see docs/alerts.md)."""
    try:
        made = subscribe(settings_of(request), engine_of(request), body.kind, body.target, body.url)
    except InvalidInput as exc:
        raise HTTPException(400, str(exc)) from None
    return NewAlertBody(alert=redacted_alert(made.alert), secret=made.secret)


@router.get("/alerts", response_model=list[AlertView], dependencies=Writer, responses=ALERT_ERRORS)
def api_alerts(request: Request) -> list[AlertView]:
    """Every alert with its delivery counts; credentials in URLs are masked."""
    return [redacted_alert(a) for a in alert_store.list_alerts(engine_of(request))]


@router.delete(
    "/alerts/{alert_id}", response_model=AlertView, dependencies=Writer, responses=ALERT_ERRORS
)
def api_remove_alert(request: Request, alert_id: int = AlertId) -> AlertView:
    """Stop the alert and forget its deliveries; the alert as it was."""
    removed = alert_store.remove_alert(engine_of(request), alert_id)
    if removed is None:
        raise HTTPException(404, f"no alert {alert_id}")
    return redacted_alert(removed)


@router.get(
    "/alerts/{alert_id}/deliveries",
    response_model=list[DeliveryView],
    dependencies=Writer,
    responses=ALERT_ERRORS,
)
def api_alert_deliveries(
    request: Request, alert_id: int = AlertId, limit: int = Query(100, ge=1, le=500)
) -> list[DeliveryView]:
    """The alert's latest deliveries, newest first: status, attempts, last error."""
    engine = engine_of(request)
    if alert_store.find_alert(engine, alert_id) is None:
        raise HTTPException(404, f"no alert {alert_id}")
    return [redacted_delivery(d) for d in alert_store.delivery_log(engine, alert_id, limit)]
