"""Plain text out of the HTML fragments feeds carry."""

from __future__ import annotations

import html
import re

import lxml.html
from lxml.etree import ParserError

_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffe\uffff]")
WEB_SCHEMES = ("http://", "https://")


def web_link(url: str) -> str:
    """``url`` when it is an http(s) link, else "": a feed may carry ``javascript:`` links."""
    url = url.strip()
    return url if url.lower().startswith(WEB_SCHEMES) else ""


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


def strip_control(text: str) -> str:
    """Without the control characters that XML and PostgreSQL text cannot carry."""
    return _CONTROL.sub("", text)


def normalise_space(text: str) -> str:
    """Collapse spaces, keep line breaks, drop control characters XML cannot carry."""
    text = _CONTROL.sub("", text.replace("\xa0", " "))
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
