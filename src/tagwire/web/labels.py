"""Stored values as a reader sees them, in the page's language: categories, tag kinds and
feed states are stored in English and translated only when shown; languages and countries
are stored as codes and named by Babel's locale data. Each is a template filter."""

from __future__ import annotations

from functools import cache

from babel import Locale

from tagwire.web.i18n import N_, current_locale, gettext

# The taxonomy of tagwire.enrich.category, as marked for the catalog (a test checks that
# the two lists agree).
CATEGORY_NAMES = (
    N_("Arts & Entertainment"),
    N_("Crime & Law"),
    N_("Disaster"),
    N_("Business"),
    N_("Education"),
    N_("Environment"),
    N_("Health"),
    N_("Human Interest"),
    N_("Labour"),
    N_("Lifestyle"),
    N_("Politics"),
    N_("Religion"),
    N_("Science & Tech"),
    N_("Society"),
    N_("Sport"),
    N_("Conflict"),
    N_("Weather"),
)
# tagwire.store.curation.KINDS
KIND_NAMES = (
    N_("person"),
    N_("organisation"),
    N_("place"),
    N_("group"),
    N_("event"),
    N_("work"),
    N_("product"),
    N_("other"),
)
# The states a feed's last check leaves (tagwire.store.feeds), and "new" before any.
FEED_STATES = (N_("new"), N_("ok"), N_("not-modified"), N_("error"), N_("stopped"))


def category_name(category: str | None) -> str | None:
    return gettext(category) if category in CATEGORY_NAMES else category


def kind_name(kind: str | None) -> str | None:
    return gettext(kind) if kind in KIND_NAMES else kind


def feed_state(state: str | None) -> str | None:
    return gettext(state) if state in FEED_STATES else state


def language_name(code: str | None) -> str | None:
    """``fr`` as "French" for an English reader, "français" for a French one; ``pt-BR``
    by its own name if Babel has one, else its language's; an unknown code as it is."""
    if not code:
        return code
    names = reader_locale().languages
    tag = code.replace("-", "_")
    return names.get(tag) or names.get(tag.split("_")[0].lower()) or code


def country_name(code: str | None) -> str | None:
    """An ISO alpha-2 code (``ML``) as the country's name in the reader's language."""
    if not code:
        return code
    return reader_locale().territories.get(code.upper(), code)


def reader_locale() -> Locale:
    return locale_data(current_locale())


@cache
def locale_data(locale: str) -> Locale:
    return Locale.parse(locale)


FILTERS = {
    "category_name": category_name,
    "kind_name": kind_name,
    "feed_state": feed_state,
    "language_name": language_name,
    "country_name": country_name,
}
