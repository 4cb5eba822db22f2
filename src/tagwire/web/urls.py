"""Every URL the site links to, built in one place (templates never build URLs by hand)."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl, quote, urlencode

from tagwire.store.reads import Cursor
from tagwire.store.tag_filters import TagFilters
from tagwire.web.tag_filters import filter_params


def tag_url(
    slug: str,
    fmt: str | None = None,
    cursor: Cursor | None = None,
    key: str | None = None,
    filters: TagFilters | None = None,
) -> str:
    """A tag's page or feed, of the articles ``filters`` let through; ``key`` is the feed
    key of a site that needs a login."""
    path = f"/tags/{slug}" + (f".{fmt}" if fmt else "")
    query = filter_params(filters)
    query.update({"cursor": cursor.encode()} if cursor else {})
    query.update({"key": key} if key and fmt else {})
    return path + (f"?{urlencode(query)}" if query else "")


def tag_search_url(query: str | None = None) -> str:
    return "/tags" + (f"?{urlencode({'q': query})}" if query else "")


def search_url(
    query: str | None = None,
    fmt: str | None = None,
    cursor: Cursor | None = None,
    key: str | None = None,
) -> str:
    """The article search page, or its feed; ``key`` as for ``tag_url``."""
    params = {"q": query} if query else {}
    params.update({"cursor": cursor.encode()} if cursor else {})
    params.update({"key": key} if key and fmt else {})
    return "/search" + (f".{fmt}" if fmt else "") + (f"?{urlencode(params)}" if params else "")


def tag_suggest_url() -> str:
    return "/api/v1/tags/suggest"


def article_url(article_id: int) -> str:
    return f"/articles/{article_id}"


def story_url(story_id: int, fmt: str | None = None) -> str:
    return f"/stories/{story_id}" + (f".{fmt}" if fmt else "")


def home_url(cursor: Cursor | None = None) -> str:
    return "/" + (f"?{urlencode({'cursor': cursor.encode()})}" if cursor else "")


def api_tag_articles_url(slug: str, cursor: Cursor | None = None) -> str:
    path = f"/api/v1/tags/{slug}/articles"
    return path + (f"?{urlencode({'cursor': cursor.encode()})}" if cursor else "")


def feeds_url() -> str:
    return "/feeds"


def static_url(name: str) -> str:
    return f"/static/{name}"


def api_docs_url() -> str:
    return "/docs"


def openapi_url() -> str:
    return "/openapi.json"


def login_url(next_page: str | None = None) -> str:
    return "/login" + (f"?{urlencode({'next': next_page})}" if next_page else "")


def logout_url() -> str:
    return "/logout"


def language_url(path: str, query: str, locale: str) -> str:
    """The page at ``path`` (as decoded) with its query kept, in the interface language
    ``locale``; a path of leading slashes stays on this site."""
    params = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "hl"]
    return "/" + quote(path.lstrip("/")) + "?" + urlencode([*params, ("hl", locale)])


def subscriptions_opml_url(key: str | None = None) -> str:
    """Every subscription as OPML; ``key`` as for ``tag_url``."""
    return "/subscriptions.opml" + (f"?{urlencode({'key': key})}" if key else "")


def tag_export_url(
    slug: str, since: date | None = None, until: date | None = None, key: str | None = None
) -> str:
    """Every article of a tag as JSON Lines, from ``since`` to ``until`` (days, included)."""
    query = {"since": since.isoformat()} if since else {}
    query.update({"until": until.isoformat()} if until else {})
    query.update({"key": key} if key else {})
    return f"/tags/{slug}/export.jsonl" + (f"?{urlencode(query)}" if query else "")


def alerts_url() -> str:
    return "/alerts"


def outlet_url(
    slug: str, fmt: str | None = None, cursor: Cursor | None = None, key: str | None = None
) -> str:
    """An outlet's page or feed; ``key`` as for ``tag_url``."""
    path = f"/outlets/{quote(slug)}" + (f".{fmt}" if fmt else "")
    query = {"cursor": cursor.encode()} if cursor else {}
    query.update({"key": key} if key and fmt else {})
    return path + (f"?{urlencode(query)}" if query else "")


def outlets_url() -> str:
    return "/outlets"
