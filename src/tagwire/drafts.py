"""Building an article: from a feed entry and its fetched page to the ``ArticleDraft`` the
store writes (extraction, language, tags, category, story features).

This is the CPU-bound part of a feed update. ``draft_article`` is a pure function of a
tagger and a picklable ``ArticleJob``, so it runs in a thread of the fetching process or in
a worker process (``tagwire.cpu_pool``) with the same result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from tagwire.enrich.category import categorise
from tagwire.enrich.duplicates import text_signature
from tagwire.enrich.language import detect_language
from tagwire.enrich.stories import story_features
from tagwire.enrich.tagging import Tagger
from tagwire.errors import ExtractError, InvalidInput
from tagwire.extract import extract_page
from tagwire.models import ArticleDraft, ExtractedPage, FeedEntry, FetchResult, TagScore

FUTURE_TOLERANCE = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ArticleJob:
    """What building one article reads: its feed, its entry, and its page as fetched (or
    why there is none, and the feed's text stands in)."""

    feed_id: int
    feed_url: str
    outlet_name: str
    feed_language: str | None
    entry: FeedEntry
    page: FetchResult | None
    page_error: str | None = None

    def without_page(self, reason: str) -> ArticleJob:
        return ArticleJob(
            self.feed_id,
            self.feed_url,
            self.outlet_name,
            self.feed_language,
            self.entry,
            None,
            reason,
        )


def draft_article(tagger: Tagger, job: ArticleJob) -> ArticleDraft:
    """The article of ``job``: the page's text and metadata when it could be extracted,
    else the feed's, then language, tags, category and story features."""
    entry = job.entry
    page, error = extracted_page(job)
    now = datetime.now(UTC)
    title = entry.title or (page.title if page else "") or "(untitled)"
    text = strip_headline(page.text, title) if page else entry.summary
    outlet = entry.source or (page.sitename if page else None) or job.outlet_name
    language = detect_language(text, (page.language if page else None) or job.feed_language)
    tags = tagger.tag(title, text, language, outlet)
    section = page.section if page else None
    category = categorise(entry.categories, section, entry.url, title, text, language)
    published_at = publication_date(entry.published_at, page.published_at if page else None, now)
    story, signature = describe_story(title, text, language, tags, published_at, outlet)
    return ArticleDraft(
        feed_id=job.feed_id,
        outlet_name=outlet,
        guid=entry.guid,
        url=entry.url or job.feed_url,
        canonical_url=canonical_url(page.canonical_url if page else None, entry.url),
        title=title,
        text=text,
        summary=entry.summary,
        published_at=published_at,
        author=entry.author or (page.author if page else None),
        language=language,
        section=next(iter(entry.categories), None) or section,
        category=category.name,
        category_source=category.source,
        category_confidence=category.confidence,
        publisher_tags=page.tags if page else (),
        extraction_status="full" if page else "feed",
        extraction_error=error,
        entry_hash=entry_hash(entry),
        tags=tags,
        tagged_with=tagger.version or None,
        story_features=story,
        signature=signature,
    )


def extracted_page(job: ArticleJob) -> tuple[ExtractedPage | None, str | None]:
    """The page's article, or why there is none (the feed's text is used instead)."""
    if job.page is None:
        return None, job.page_error
    try:
        page = job.page
        return extract_page(page.body, url=page.url, content_type=page.content_type), None
    except (ExtractError, InvalidInput) as exc:
        return None, str(exc)


def entry_hash(entry: FeedEntry) -> str:
    stamp = entry.published_at.isoformat() if entry.published_at else ""
    raw = "\x1f".join((entry.title, entry.url, stamp, entry.summary))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def canonical_url(page_canonical: str | None, entry_url: str) -> str:
    """The page's canonical URL when it names an article (not the site's home page)."""
    if page_canonical and urlsplit(page_canonical).path.strip("/"):
        return page_canonical
    return entry_url


def strip_headline(text: str, title: str) -> str:
    """Pages repeat the headline as the body's first line; the page shows it once."""
    first, _, rest = text.partition("\n")
    if rest and " ".join(first.split()).casefold() == " ".join(title.split()).casefold():
        return rest.lstrip()
    return text


def publication_date(
    feed_date: datetime | None, page_date: datetime | None, now: datetime
) -> datetime:
    """Feed date first, then page metadata; a date over a day in the future is not trusted."""
    for candidate in (feed_date, page_date):
        if candidate is not None and candidate <= now + FUTURE_TOLERANCE:
            return candidate.astimezone(UTC)
    return now


def describe_story(
    title: str,
    text: str,
    language: str | None,
    tags: Sequence[TagScore],
    published_at: datetime,
    outlet: str,
) -> tuple[str, tuple[int, ...]]:
    """What the store needs to place the article in its story: its features as JSON and
    the MinHash of its text (for duplicates)."""
    features = story_features(title, text, language, tags, published_at, outlet)
    return features.to_json(), text_signature(f"{title}\n{text}")
