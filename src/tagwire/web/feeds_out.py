"""A list of articles as a feed for other readers: Atom (feedgen) and JSON Feed 1.1."""

from __future__ import annotations

from typing import Any

from feedgen.feed import FeedGenerator

from tagwire.feeds.text import strip_control
from tagwire.store.reads import ArticleView


def atom_feed(
    title: str, page_url: str, feed_url: str, articles: list[tuple[str, ArticleView]]
) -> bytes:
    """Atom 1.0 of ``(our URL of the article, article)`` pairs; our URL is the entry id."""
    generator = FeedGenerator()
    generator.id(page_url)
    generator.title(strip_control(title))
    generator.link(href=page_url, rel="alternate")
    generator.link(href=feed_url, rel="self")
    updated = max((a.published_at for _, a in articles), default=None)
    if updated is not None:
        generator.updated(updated)
    for own_url, article in reversed(articles):  # feedgen prepends each entry
        entry = generator.add_entry()
        entry.id(own_url)
        entry.title(strip_control(article.title))
        entry.link(href=article.url)
        entry.published(article.published_at)
        entry.updated(article.published_at)
        entry.author({"name": strip_control(article.author or article.outlet)})
        entry.summary(strip_control(article.text[:1000] or article.summary))
        if article.category:
            entry.category(term=article.category)
        for tag in article.tags:
            entry.category(term=tag.label, label="#" + tag.label)
    return generator.atom_str(pretty=True)


def json_feed(
    title: str, page_url: str, feed_url: str, articles: list[ArticleView], next_url: str | None
) -> dict[str, Any]:
    feed: dict[str, Any] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "home_page_url": page_url,
        "feed_url": feed_url,
        "items": [json_item(a) for a in articles],
    }
    if next_url:
        feed["next_url"] = next_url
    return feed


def json_item(article: ArticleView) -> dict[str, Any]:
    return {
        "id": str(article.id),
        "url": article.url,
        "title": article.title,
        "content_text": article.text,
        "summary": article.summary,
        "date_published": article.published_at.isoformat(),
        "authors": [{"name": article.author}] if article.author else [],
        "language": article.language,
        "tags": ["#" + t.label for t in article.tags],
        "_tagwire": {
            "outlet": article.outlet,
            "category": article.category,
            "section": article.section,
            "extraction": article.extraction_status,
            "tags": [
                {"label": t.label, "slug": t.slug, "kind": t.kind, "salience": t.salience}
                for t in article.tags
            ],
        },
    }
