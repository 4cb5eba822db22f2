"""Article text and metadata out of a page, with trafilatura (``favor_precision=True``).

Publisher metadata that trafilatura reduces (a full publication timestamp, the section,
the canonical URL) is read from the page's ``<meta>`` and ``<link>`` first. trafilatura's
failures become ``ExtractError`` here.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urljoin

import trafilatura
from lxml.html import HtmlElement
from trafilatura.settings import Document, set_date_params

from tagwire.errors import ExtractError
from tagwire.feeds.limits import MAX_ID_BYTES, MAX_TEXT_CHARS, MAX_TITLE_CHARS, clip
from tagwire.feeds.text import normalise_space
from tagwire.models import ExtractedPage
from tagwire.timestamps import parse_timestamp

log = logging.getLogger("tagwire.extract")
MIN_TEXT_CHARS = 80
_CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.I)
_META_KEYS = {
    "article:published_time": "published",
    "og:published_time": "published",
    "datepublished": "published",
    "date": "published",
    "dc.date.issued": "published",
    "article:section": "section",
    "og:site_name": "sitename",
    "article:tag": "tag",
    "news_keywords": "tag",
}


def extract_page(body: bytes, *, url: str, content_type: str = "") -> ExtractedPage:
    """Extract one page; raise ``ExtractError`` when no article text is found."""
    tree = trafilatura.load_html(decode_body(body, content_type))
    if tree is None:
        raise ExtractError("page is not parseable HTML")
    meta = read_meta(tree, url)
    published = parse_timestamp(meta.get("published"))
    try:
        doc = trafilatura.bare_extraction(
            tree,
            url=url,
            favor_precision=True,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            deduplicate=False,
            # The page's own date wins over trafilatura's: its search for one can be short.
            date_extraction_params=set_date_params(extensive=False) if published else None,
        )
    except (ValueError, TypeError, AttributeError) as exc:  # trafilatura on broken trees
        raise ExtractError(f"extraction failed: {exc}") from exc
    text = normalise_space(doc.text or "") if isinstance(doc, Document) else ""
    if not isinstance(doc, Document) or len(text) < MIN_TEXT_CHARS:
        raise ExtractError("no article text found on the page")
    if len(text) > MAX_TEXT_CHARS:
        log.warning("url=%s chars=%d: article text cut to %d", url, len(text), MAX_TEXT_CHARS)
    return ExtractedPage(
        text=clip(text, MAX_TEXT_CHARS),
        title=clip(normalise_space(doc.title or ""), MAX_TITLE_CHARS) or None,
        author=doc.author or None,
        published_at=published or parse_timestamp(doc.date),
        sitename=meta.get("sitename") or doc.sitename or None,
        section=meta.get("section") or _first(doc.categories),
        tags=tuple(meta.get("tags", ())) or tuple(doc.tags or ()),
        language=doc.language or None,
        canonical_url=meta.get("canonical"),
        description=doc.description or None,
    )


def decode_body(body: bytes, content_type: str) -> str | bytes:
    """UTF-8 when the bytes are valid UTF-8 (servers often mislabel it as Latin-1, which
    never fails to decode); else the declared charset; else let trafilatura detect."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    match = _CHARSET.search(content_type)
    if match:
        try:
            return body.decode(match.group(1))
        except (LookupError, UnicodeDecodeError):
            pass
    return body


def read_meta(tree: HtmlElement, url: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"tags": []}
    for node in tree.iter("meta"):
        key = (node.get("property") or node.get("name") or node.get("itemprop") or "").lower()
        field = _META_KEYS.get(key)
        value = normalise_space(node.get("content") or "")
        if not field or not value:
            continue
        if field == "tag":
            meta["tags"].extend(t.strip() for t in value.split(",") if t.strip())
        else:
            meta.setdefault(field, value)
    for node in tree.iter("link"):
        if (node.get("rel") or "").lower() == "canonical" and node.get("href"):
            canonical = urljoin(url, node.get("href", "").strip())
            # The database indexes canonical URLs: one too long for an index entry is ignored.
            if len(canonical.encode()) <= MAX_ID_BYTES:
                meta["canonical"] = canonical
            break
    return meta


def _first(values: list[str] | None) -> str | None:
    return next((v for v in values or () if v and v.strip()), None)
