"""Every error tagwire raises on purpose.

    TagwireError
     +-- ConfigError            a setting is missing or malformed (stops start-up)
     +-- InvalidInput           a URL, file or name given by the user cannot be used
     |    +-- UnknownTag        no tag has that label, slug or alias
     +-- FetchError             the HTTP fetch failed
     |    +-- BlockedAddress    the host is or resolves to a non-public address (SSRF)
     |    +-- FetchTimeout      connect, read or total time limit
     |    +-- TooManyRedirects  more hops than allowed, or a redirect loop
     |    +-- ResponseTooLarge  the body passed the size cap
     |    +-- HTTPStatusError   the server answered 4xx or 5xx
     |    +-- RobotsDisallowed  the site's robots.txt forbids the page
     +-- FeedError              the body is not a feed we can read
     |    +-- NotAFeed          HTML or another document where a feed was expected
     +-- ExtractError           no article text could be extracted from a page
     +-- StoreError             the database refused an operation
     |    +-- DatabaseUnavailable  it cannot be opened or written at all: read-only, disk full
     +-- WorkerDied             a worker process building articles died, again and again

Foreign errors (httpx, feedparser, trafilatura, SQLAlchemy) are translated into these at
exactly one boundary each, with ``raise ... from exc``.
"""

from __future__ import annotations


class TagwireError(Exception):
    """Root of every error tagwire raises on purpose."""


class ConfigError(TagwireError):
    """A setting is missing or malformed."""


class InvalidInput(TagwireError):
    """A URL, file or name given by the user cannot be used."""


class UnknownTag(InvalidInput):
    """No tag has the label, slug or alias given."""


class FetchError(TagwireError):
    """An HTTP fetch failed."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class BlockedAddress(FetchError):
    """The host is, or resolves to, an address tagwire refuses to contact: loopback,
    private, link-local, cloud metadata and the like (see ``fetch.guard``)."""


class FetchTimeout(FetchError):
    """A connect, read or total time limit was reached."""


class TooManyRedirects(FetchError):
    """Too many redirect hops, or a redirect loop."""


class ResponseTooLarge(FetchError):
    """The body grew past the configured cap."""


class HTTPStatusError(FetchError):
    """The server answered with an error status (``retry_after``: seconds it asked for)."""

    def __init__(
        self,
        message: str,
        *,
        url: str = "",
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, url=url, status=status)
        self.retry_after = retry_after


class RobotsDisallowed(FetchError):
    """The site's robots.txt forbids fetching the page."""


class FeedError(TagwireError):
    """The body could not be read as a feed."""


class NotAFeed(FeedError):
    """The body is a document of another kind, typically an HTML page."""


class ExtractError(TagwireError):
    """No article text could be extracted from a page."""


class StoreError(TagwireError):
    """The database refused an operation."""


class DatabaseUnavailable(StoreError):
    """The database cannot be opened or written at all (read-only, disk full, damaged):
    no one feed's or article's fault, so no reason to go on with the others."""


class WorkerDied(TagwireError):
    """A worker process building articles died each time it was given the article."""
