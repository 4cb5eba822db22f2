"""Category: each article gets one top-level section of tagwire's fixed taxonomy, aligned
with the IPTC Media Topics, or none.

The publisher's own section wins when it maps cleanly: the feed entry's ``<category>``,
then the page's ``article:section``, then the URL path (``/politics/2025/...``). Otherwise
the classifier (``enrich.classify``) reads the headline and text, in English or French;
below its confidence threshold the article gets no category rather than a wrong one.
Hands on a ``CategoryChoice``: the category, where it came from and how sure it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from tagwire.enrich.classify import load_category_model
from tagwire.enrich.names import strip_accents


@dataclass(frozen=True, slots=True)
class Category:
    name: str  # shown to readers
    iptc: str  # IPTC Media Topic code of the top-level topic


TAXONOMY = (
    Category("Arts & Entertainment", "medtop:01000000"),
    Category("Crime & Law", "medtop:02000000"),
    Category("Disaster", "medtop:03000000"),
    Category("Business", "medtop:04000000"),
    Category("Education", "medtop:05000000"),
    Category("Environment", "medtop:06000000"),
    Category("Health", "medtop:07000000"),
    Category("Human Interest", "medtop:08000000"),
    Category("Labour", "medtop:09000000"),
    Category("Lifestyle", "medtop:10000000"),
    Category("Politics", "medtop:11000000"),
    Category("Religion", "medtop:12000000"),
    Category("Science & Tech", "medtop:13000000"),
    Category("Society", "medtop:14000000"),
    Category("Sport", "medtop:15000000"),
    Category("Conflict", "medtop:16000000"),
    Category("Weather", "medtop:17000000"),
)
CATEGORY_NAMES = frozenset(c.name for c in TAXONOMY)

# Names of the first taxonomy that changed, for stored articles (migration 0003). "World"
# is a place, not a topic: such articles lose the category.
RENAMED = {
    "Technology": "Science & Tech",
    "Science": "Science & Tech",
    "Entertainment": "Arts & Entertainment",
    "Culture": "Arts & Entertainment",
    "Crime": "Crime & Law",
}
DROPPED = ("World",)

# Publisher sections, folded (lowercase, no accents), English and French.
_SECTIONS = {
    "Politics": "politics politic political politique politiques elections election government"
    " parliament gouvernement diplomacy diplomatie",
    "Business": "business economy economie economics finance markets market money companies"
    " industry entreprises bourse marches argent affaires",
    "Science & Tech": "tech technology technologies technologie technologies digital numerique"
    " internet science sciences research space espace recherche innovation",
    "Health": "health sante medicine medical healthcare medecine",
    "Sport": "sport sports football soccer athletics basketball rugby tennis cricket golf cyclisme",
    "Arts & Entertainment": "entertainment showbiz celebrity celebrities film films movies"
    " cinema tv television people culture cultures arts art books livres music musique"
    " media medias",
    "Lifestyle": "lifestyle style travel voyage voyages food cuisine gastronomie fashion mode"
    " leisure loisirs",
    "Society": "society societe",
    "Education": "education schools ecole enseignement universities universite",
    "Religion": "religion religions faith religious",
    "Crime & Law": "crime crimes justice law courts police faits-divers judiciaire",
    "Conflict": "security securite defence defense military conflict conflicts war terrorism"
    " guerre terrorisme",
    "Environment": "environment environnement climate climat nature planet planete",
    "Weather": "weather meteo",
    "Disaster": "disasters disaster catastrophes catastrophe",
    "Labour": "labour labor jobs emploi travail",
}
SECTION_TO_CATEGORY = {
    word: category for category, words in _SECTIONS.items() for word in words.split()
}
_SPLIT = re.compile(r"\s*[/>|,;:&]\s*|\s+and\s+|\s+et\s+")
CLASSIFIED_LANGUAGES = frozenset({"en", "fr"})


@dataclass(frozen=True, slots=True)
class CategoryChoice:
    """An article's category, where it came from ("publisher", "classifier") and the
    classifier's confidence; all None when nothing decided."""

    name: str | None = None
    source: str | None = None
    confidence: float | None = None


def categorise(
    feed_categories: Iterable[str],
    page_section: str | None,
    url: str,
    title: str = "",
    text: str = "",
    language: str | None = None,
) -> CategoryChoice:
    """The publisher's section when it maps, else the classifier's guess if sure enough."""
    published = publisher_category(feed_categories, page_section, url)
    if published:
        return CategoryChoice(published, "publisher")
    if not (title or text) or (language and language not in CLASSIFIED_LANGUAGES):
        return CategoryChoice()
    return classify_article(title, text)


def classify_article(title: str, text: str) -> CategoryChoice:
    model = load_category_model()
    guess = model.guess(title, text)
    confidence = round(guess.confidence, 4)
    if confidence < model.threshold:
        return CategoryChoice(confidence=confidence)
    return CategoryChoice(guess.category, "classifier", confidence)


def publisher_category(
    feed_categories: Iterable[str], page_section: str | None, url: str
) -> str | None:
    """The first publisher source that maps onto the taxonomy wins."""
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
    return strip_accents(text.strip().lower())
