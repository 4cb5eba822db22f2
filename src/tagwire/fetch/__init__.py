"""Fetch stage: polite, capped, guarded HTTP. Hands on a ``FetchResult``."""

from tagwire.fetch.client import Fetcher
from tagwire.fetch.guard import check_url

__all__ = ["Fetcher", "check_url"]
