"""Feeds stage: read RSS, Atom, RDF and JSON Feed into a ``ParsedFeed``; OPML in and out;
find a site's feeds through its ``<link rel="alternate">``."""

from tagwire.feeds.discover import find_feed_links
from tagwire.feeds.opml import read_opml, write_opml
from tagwire.feeds.parse import parse_feed, parse_fetched_feed

__all__ = ["find_feed_links", "parse_feed", "parse_fetched_feed", "read_opml", "write_opml"]
