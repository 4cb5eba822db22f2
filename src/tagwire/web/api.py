"""JSON API under ``/api/v1/``: tags, a tag's articles, an article, feeds (see /openapi.json).

The store's records are the response models: FastAPI documents and serialises the
dataclasses as they are, so the API cannot drift from what the store returns.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, HTTPException, Query, Request

from tagwire.store import reads
from tagwire.store.feeds import FeedRow, list_feeds
from tagwire.store.reads import ArticleView, TagInfo
from tagwire.web import urls
from tagwire.web.views import ArticleId, engine_of, parse_cursor, settings_of

router = APIRouter(prefix="/api/v1", tags=["api"])


@dataclass(frozen=True, slots=True)
class ArticlePage:
    tag: TagInfo
    articles: list[ArticleView]
    next: str | None


@router.get("/tags", response_model=list[TagInfo])
def api_tags(request: Request, limit: int = Query(50, ge=1, le=500)) -> list[TagInfo]:
    return reads.top_tags(engine_of(request), limit=limit)


@router.get("/tags/{slug}", response_model=TagInfo)
def api_tag(request: Request, slug: str) -> TagInfo:
    return find_tag_or_404(request, slug)


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


@router.get("/feeds", response_model=list[FeedRow])
def api_feeds(request: Request) -> list[FeedRow]:
    return list_feeds(engine_of(request))


def find_tag_or_404(request: Request, slug: str) -> TagInfo:
    tag = reads.find_tag(engine_of(request), slug)
    if tag is None:
        raise HTTPException(404, f"no tag {slug!r}")
    return tag
