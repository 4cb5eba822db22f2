"""JSON API under ``/api/v1/``: tags, a tag's articles, an article, feeds (see /openapi.json).

The store's records are the response models: FastAPI documents and serialises the
dataclasses as they are, so the API cannot drift from what the store returns.

Reading is open. Changing tags (merge, rename, aliases, block) needs the API token of
``TAGWIRE_API_TOKEN`` as a bearer token; without that setting those endpoints are off.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request

from tagwire.errors import InvalidInput, UnknownTag
from tagwire.store import curation, reads
from tagwire.store.curation import CurationResult
from tagwire.store.feeds import FeedRow, list_feeds
from tagwire.store.reads import ArticleView, RelatedTag, StoryView, TagInfo, TagSuggestion
from tagwire.web import urls
from tagwire.web.views import ArticleId, StoryId, engine_of, parse_cursor, settings_of

router = APIRouter(prefix="/api/v1", tags=["api"])


@dataclass(frozen=True, slots=True)
class ArticlePage:
    tag: TagInfo
    articles: list[ArticleView]
    next: str | None


@router.get("/tags", response_model=list[TagInfo])
def api_tags(request: Request, limit: int = Query(50, ge=1, le=500)) -> list[TagInfo]:
    return reads.top_tags(engine_of(request), limit=limit)


@dataclass(frozen=True, slots=True)
class MergeRequest:
    into: str


@dataclass(frozen=True, slots=True)
class RenameRequest:
    label: str


@dataclass(frozen=True, slots=True)
class AliasRequest:
    aliases: list[str]
    kind: str | None = None


def require_token(request: Request, authorization: str | None = Header(None)) -> None:
    """The API token as ``Authorization: Bearer ...``, compared in constant time."""
    token = settings_of(request).api_token
    if not token:
        raise HTTPException(403, "changing tags through the API is off: set TAGWIRE_API_TOKEN")
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
        raise HTTPException(401, "a valid API token is required (Authorization: Bearer ...)")


Writer = [Depends(require_token)]


@router.get("/tags/suggest", response_model=list[TagSuggestion])
def api_suggest(
    request: Request, q: str = Query(max_length=200), limit: int = Query(10, ge=1, le=50)
) -> list[TagSuggestion]:
    """Tags whose label or an alias starts with ``q`` (case and accents ignored)."""
    return reads.suggest_tags(engine_of(request), q, limit)


@router.get("/tags/{slug}", response_model=TagInfo)
def api_tag(request: Request, slug: str) -> TagInfo:
    return find_tag_or_404(request, slug)


@router.get("/tags/{slug}/related", response_model=list[RelatedTag])
def api_related(request: Request, slug: str) -> list[RelatedTag]:
    tag = find_tag_or_404(request, slug)
    return reads.related_tags(engine_of(request), tag.id)


@router.post("/tags/{slug}/merge", response_model=CurationResult, dependencies=Writer)
def api_merge(request: Request, slug: str, body: MergeRequest) -> CurationResult:
    """Fold this tag into ``into``; this tag's URL then redirects there."""
    return curate(curation.merge_tags, request, slug, body.into)


@router.post("/tags/{slug}/rename", response_model=CurationResult, dependencies=Writer)
def api_rename(request: Request, slug: str, body: RenameRequest) -> CurationResult:
    return curate(curation.rename_tag, request, slug, body.label)


@router.post("/tags/{slug}/aliases", response_model=CurationResult, dependencies=Writer)
def api_aliases(request: Request, slug: str, body: AliasRequest) -> CurationResult:
    """Add aliases; ``articles`` counts the stored articles to be tagged again."""
    return curate(curation.add_tag_aliases, request, slug, body.aliases, body.kind)


@router.post("/tags/{slug}/block", response_model=CurationResult, dependencies=Writer)
def api_block(request: Request, slug: str) -> CurationResult:
    return curate(curation.block_tag, request, slug)


@router.delete("/tags/{slug}/block", response_model=CurationResult, dependencies=Writer)
def api_unblock(request: Request, slug: str) -> CurationResult:
    return curate(curation.unblock_tag, request, slug)


def curate(change, request: Request, *args) -> CurationResult:
    """Run one curation change; a bad request is a 400 that says why."""
    try:
        return change(engine_of(request), *args)
    except UnknownTag as exc:
        raise HTTPException(404, str(exc)) from None
    except InvalidInput as exc:
        raise HTTPException(400, str(exc)) from None


@router.get("/tags/{slug}/articles", response_model=ArticlePage)
def api_tag_articles(
    request: Request, slug: str, cursor: str | None = None, limit: int = Query(0, ge=0, le=100)
) -> ArticlePage:
    tag = find_tag_or_404(request, slug)
    size = limit or settings_of(request).page_size
    page = reads.tag_articles(engine_of(request), tag.id, parse_cursor(cursor), size)
    next_url = urls.api_tag_articles_url(tag.slug, page.next_cursor) if page.next_cursor else None
    return ArticlePage(tag=tag, articles=page.articles, next=next_url)


@router.get("/articles/{article_id}", response_model=ArticleView)
def api_article(request: Request, article_id: int = ArticleId) -> ArticleView:
    article = reads.get_article(engine_of(request), article_id)
    if article is None:
        raise HTTPException(404, f"no article {article_id}")
    return article


@router.get("/stories/{story_id}", response_model=StoryView)
def api_story(request: Request, story_id: int = StoryId) -> StoryView:
    story = reads.story_page(engine_of(request), story_id)
    if story is None:
        raise HTTPException(404, f"no story {story_id}")
    return story


@router.get("/feeds", response_model=list[FeedRow])
def api_feeds(request: Request) -> list[FeedRow]:
    return list_feeds(engine_of(request))


def find_tag_or_404(request: Request, slug: str) -> TagInfo:
    tag = reads.find_tag(engine_of(request), slug)
    if tag is None:
        raise HTTPException(404, f"no tag {slug!r}")
    return tag
