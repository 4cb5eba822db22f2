"""Plain text out of the HTML fragments feeds carry."""

from __future__ import annotations

import html
import re

import lxml.html
from lxml.etree import ParserError

_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def html_to_text(fragment: str) -> str:
    """Text of an HTML fragment, paragraphs kept as blank-line breaks."""
    if not fragment or "<" not in fragment:
        return normalise_space(html.unescape(fragment or ""))
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (ParserError, ValueError):
        return normalise_space(html.unescape(re.sub(r"<[^>]*>", " ", fragment)))
    for element in root.iter("script", "style"):
        element.drop_tree()
    for element in root.iter("p", "br", "div", "li", "h1", "h2", "h3", "h4", "blockquote"):
        element.tail = "\n\n" + (element.tail or "")
    return normalise_space(root.text_content())


def normalise_space(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\xa0", " ").split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
