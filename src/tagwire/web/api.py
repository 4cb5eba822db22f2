"""JSON API under ``/api/v1/``: tags, a tag's articles, an article, feeds (see /openapi.json)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel

from tagwire.store import reads
from tagwire.store.feeds import list_feeds
from tagwire.web import urls
from tagwire.web.views import engine_of, parse_cursor, settings_of

router = APIRouter(prefix="/api/v1", tags=["api"])


class TagOut(BaseModel):
    label: str
    slug: str
    kind: str
    article_count: int
    aliases: list[str] = []
    url: str


class ArticleTagOut(BaseModel):
    label: str
    slug: str
    kind: str
    salience: float


class ArticleOut(BaseModel):
    id: int
    title: str
    url: str
    outlet: str
    published_at: datetime
    category: str | None
    section: str | None
    language: str | None
    author: str | None
    text: str
    extraction: str
    tags: list[ArticleTagOut]


class ArticlePageOut(BaseModel):
    tag: TagOut | None = None
    articles: list[ArticleOut]
    next: str | None


class FeedOut(BaseModel):
    id: int
    url: str
    title: str | None
    outlet: str
    last_status: str | None
    last_error: str | None
    error_count: int
    last_checked_at: datetime | None
    next_check_at: datetime
    article_count: int


def tag_out(tag: reads.TagInfo) -> TagOut:
    return TagOut(
        label=tag.label,
        slug=tag.slug,
        kind=tag.kind,
        article_count=tag.article_count,
        aliases=list(tag.aliases),
        url=urls.tag_url(tag.slug),
    )


def article_out(a: reads.ArticleView) -> ArticleOut:
    return ArticleOut(
        id=a.id,
        title=a.title,
        url=a.url,
        outlet=a.outlet,
        published_at=a.published_at,
        category=a.category,
        section=a.section,
        language=a.language,
        author=a.author,
        text=a.text,
        extraction=a.extraction_status,
        tags=[
            ArticleTagOut(label=t.label, slug=t.slug, kind=t.kind, salience=t.salience)
            for t in a.tags
        ],
    )


@router.get("/tags", response_model=list[TagOut])
def api_tags(request: Request, limit: int = Query(50, ge=1, le=500)) -> list[TagOut]:
    return [tag_out(t) for t in reads.top_tags(engine_of(request), limit=limit)]


@router.get("/tags/{slug}", response_model=TagOut)
def api_tag(request: Request, slug: str) -> TagOut:
    tag = reads.find_tag(engine_of(request), slug)
    if tag is None:
        raise HTTPException(404, f"no tag {slug!r}")
    return tag_out(tag)


@router.get("/tags/{slug}/articles", response_model=ArticlePageOut)
def api_tag_articles(
    request: Request, slug: str, cursor: str | None = None, limit: int = Query(0, ge=0, le=100)
) -> ArticlePageOut:
    engine = engine_of(request)
    tag = reads.find_tag(engine, slug)
    if tag is None:
        raise HTTPException(404, f"no tag {slug!r}")
    page = reads.tag_articles(
        engine, tag.id, parse_cursor(cursor), limit or settings_of(request).page_size
    )
    next_url = urls.api_tag_articles_url(tag.slug, page.next_cursor) if page.next_cursor else None
    return ArticlePageOut(
        tag=tag_out(tag), articles=[article_out(a) for a in page.articles], next=next_url
    )


@router.get("/articles/{article_id}", response_model=ArticleOut)
def api_article(request: Request, article_id: int) -> ArticleOut:
    article = reads.get_article(engine_of(request), article_id)
    if article is None:
        raise HTTPException(404, f"no article {article_id}")
    return article_out(article)


@router.get("/feeds", response_model=list[FeedOut])
def api_feeds(request: Request) -> list[FeedOut]:
    return [FeedOut.model_validate(f, from_attributes=True) for f in list_feeds(engine_of(request))]
