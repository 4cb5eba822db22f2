"""Category: the publisher's own section mapped onto tagwire's fixed taxonomy.

Sources, in order of trust: the feed entry's ``<category>``, the page's
``article:section``, then the URL path (``/politics/2025/...``). Anything that does not
map cleanly gives no category rather than a wrong one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import urlsplit

TAXONOMY = (
    "Politics",
    "Business",
    "Technology",
    "Science",
    "Health",
    "Sport",
    "Entertainment",
    "Culture",
    "Society",
    "Crime",
    "Conflict",
    "Environment",
    "World",
)

_SECTIONS = {
    "Politics": "politics politic political politique politiques elections election government"
    " parliament gouvernement",
    "Business": "business economy economie economics finance markets market money companies"
    " industry entreprises bourse",
    "Technology": "tech technology technologies technologie technologies digital numerique"
    " internet",
    "Science": "science sciences research space",
    "Health": "health sante medicine medical healthcare",
    "Sport": "sport sports football soccer athletics basketball rugby tennis",
    "Entertainment": "entertainment showbiz celebrity celebrities film films movies cinema tv"
    " television people",
    "Culture": "culture cultures arts art books livres music musique lifestyle",
    "Society": "society societe education religion",
    "Crime": "crime crimes justice law courts police faits-divers",
    "Conflict": "security securite defence defense military conflict conflicts war terrorism",
    "Environment": "environment environnement climate climat nature planet weather meteo",
    "World": "world international monde africa afrique europe asia americas middle-east global",
}
SECTION_TO_CATEGORY = {
    word: category for category, words in _SECTIONS.items() for word in words.split()
}
_SPLIT = re.compile(r"\s*[/>|,;:&]\s*|\s+and\s+|\s+et\s+")


def categorise(feed_categories: Iterable[str], page_section: str | None, url: str) -> str | None:
    """The first source that maps onto the taxonomy wins."""
    for label in (*feed_categories, page_section or ""):
        category = category_of_section(label)
        if category:
            return category
    return category_of_url(url)


def category_of_section(section: str) -> str | None:
    for part in _SPLIT.split(fold(section)):
        category = SECTION_TO_CATEGORY.get(part.strip().replace(" ", "-"))
        if category:
            return category
    return None


def category_of_url(url: str) -> str | None:
    segments = [s for s in urlsplit(url).path.split("/") if s]
    for segment in segments[:-1]:  # the last segment is the article's own slug
        category = SECTION_TO_CATEGORY.get(fold(segment))
        if category:
            return category
    return None


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
