"""A list of articles as a feed for other readers: Atom and RSS 2.0 (feedgen), JSON Feed
1.1; and a tag's whole archive as JSON Lines for analysts.

Text goes out as text; a link to an outlet goes out only when it is http(s)."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from feedgen.feed import FeedGenerator
from lxml import etree

from tagwire.feeds.text import strip_control
from tagwire.store.exports import ArchivedArticle
from tagwire.store.reads import ArticleView
from tagwire.web import i18n
from tagwire.web.sanitise import outbound_url

ATOM = "{http://www.w3.org/2005/Atom}"
EXCERPT_CHARS = 1000


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
        entry.link(href=outbound_url(article.url) or own_url)
        entry.published(article.published_at)
        entry.updated(article.published_at)
        entry.author({"name": strip_control(article.author or article.outlet)})
        entry.summary(strip_control(article.text[:1000] or article.summary))
        if article.category:
            entry.category(term=article.category)
        for tag in article.tags:
            entry.category(term=tag.label, label="#" + tag.label)
    return with_coverage(generator.atom_str(pretty=True), dict(articles))


def with_coverage(atom: bytes, articles: dict[str, ArticleView]) -> bytes:
    """Each entry's story from other outlets as ``<link rel="related">`` (feedgen drops the
    ``rel`` and ``title`` of entry links, so they are added to its output here)."""
    if not any(a.coverage for a in articles.values()):
        return atom
    root = etree.fromstring(atom)
    for entry in root.iterfind(f"{ATOM}entry"):
        article = articles.get(entry.findtext(f"{ATOM}id") or "")
        for other in article.coverage if article else ():
            href = outbound_url(other.url)
            if href is None:
                continue
            link = etree.SubElement(entry, f"{ATOM}link", href=href, rel="related")
            link.set("title", strip_control(other.outlet))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


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
    link = outbound_url(article.url)
    return {
        "id": str(article.id),
        **({"url": link} if link else {}),
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
            "story": json_story(article),
        },
    }


def json_story(article: ArticleView) -> dict[str, Any] | None:
    """The article's story: its id and the other outlets' articles, oldest first."""
    if article.story_id is None:
        return None
    return {
        "id": article.story_id,
        "also_covered_by": [
            {
                "outlet": c.outlet,
                "title": c.title,
                "url": outbound_url(c.url),
                "date_published": c.published_at.isoformat(),
                "language": c.language,
                "duplicate": c.duplicate,
            }
            for c in article.coverage
        ],
    }


def rss_feed(
    title: str,
    page_url: str,
    feed_url: str,
    articles: list[tuple[str, ArticleView]],
    description: str | None = None,
) -> bytes:
    """RSS 2.0 of ``(our URL of the article, article)`` pairs, newest first as given; our
    URL is each item's permalink guid. Any list of articles (a tag's, a search's, an
    outlet's) goes out this way."""
    generator = FeedGenerator()
    generator.load_extension("dc")
    generator.title(strip_control(title))
    generator.description(strip_control(description or title))
    generator.link(href=feed_url, rel="self")
    generator.link(href=page_url, rel="alternate")  # feedgen's channel <link>: the last one
    newest = max((a.published_at for _, a in articles), default=None)
    if newest is not None:
        generator.lastBuildDate(newest)
    for own_url, article in articles:
        item = generator.add_entry(order="append")
        item.title(strip_control(article.title))
        item.link(href=outbound_url(article.url) or own_url)
        item.guid(own_url, permalink=True)
        item.pubDate(article.published_at)
        item.dc.dc_creator(strip_control(article.author or article.outlet))
        item.description(rss_description(article))
        if article.category:
            item.category(term=strip_control(article.category))
        for tag in article.tags:
            item.category(term=strip_control("#" + tag.label))
    return with_rss_coverage(generator.rss_str(pretty=True), dict(articles))


def rss_description(article: ArticleView) -> str:
    """The opening of the text, escaped: readers take an RSS description for HTML, so the
    text is shown as written rather than read as markup. Then the story's other outlets."""
    text = strip_control(article.text[:EXCERPT_CHARS] or article.summary)
    parts = [f"<p>{escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip()]
    others = [
        f'<a href="{escape(href)}">{escape(strip_control(other.outlet))}</a>'
        for other in article.coverage
        if (href := outbound_url(other.url))
    ]
    if others:
        parts.append(f"<p>{escape(i18n.gettext('Also covered by:'))} {', '.join(others)}</p>")
    return "\n".join(parts)


def with_rss_coverage(rss: bytes, articles: dict[str, ArticleView]) -> bytes:
    """Each item's story from other outlets as ``<atom:link rel="related">``, as in the
    Atom feed (RSS items have one link of their own)."""
    if not any(a.coverage for a in articles.values()):
        return rss
    root = etree.fromstring(rss)
    for item in root.iterfind("channel/item"):
        article = articles.get(item.findtext("guid") or "")
        for other in article.coverage if article else ():
            href = outbound_url(other.url)
            if href is not None:
                link = etree.SubElement(item, f"{ATOM}link", href=href, rel="related")
                link.set("title", strip_control(other.outlet))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def archive_line(article: ArchivedArticle) -> str:
    """One article of a tag's archive as a line of JSON Lines."""
    record = {
        "id": article.id,
        "url": article.url,
        "outlet": article.outlet,
        "outlet_slug": article.outlet_slug,
        "language": article.language,
        "published_at": article.published_at.isoformat(),
        "category": article.category,
        "category_source": article.category_source,
        "category_confidence": article.category_confidence,
        "title": article.title,
        "author": article.author,
        "text": article.text,
        "tags": [
            {"label": t.label, "slug": t.slug, "kind": t.kind, "salience": t.salience}
            for t in article.tags
        ],
        "story_id": article.story_id,
        "duplicate_of": article.duplicate_of,
    }
    return json.dumps(record, ensure_ascii=False) + "\n"
