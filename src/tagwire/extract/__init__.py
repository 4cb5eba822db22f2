"""Extract stage: an article page's HTML -> ``ExtractedPage`` (text and metadata)."""

from tagwire.extract.article import extract_page

__all__ = ["extract_page"]
