"""The language of the page being rendered: templates mark every string a reader sees with
``_()`` (or ``ngettext()``), and both look up the reader's language for this request.

The language is set once per request (``use_locale``, see ``tagwire.web.language``). The
catalogs are the ``.po`` files under ``locale/``, read once at start-up and compiled in
memory: no binary ``.mo`` is kept in the repository or needs a build step. English is the
source language and has no catalog. How to add strings: docs/translating.md."""

from __future__ import annotations

import gettext as stdlib_gettext
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

DEFAULT_LOCALE = "en"
# Each language in its own name, for the switch at the foot of every page.
LANGUAGES = {"en": "English", "fr": "Français"}
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
_locale: ContextVar[str] = ContextVar("tagwire_locale", default=DEFAULT_LOCALE)


def current_locale() -> str:
    return _locale.get()


def use_locale(locale: str) -> None:
    _locale.set(locale if locale in LANGUAGES else DEFAULT_LOCALE)


def gettext(message: str) -> str:
    return catalogs()[current_locale()].gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalogs()[current_locale()].ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a message for the catalog that is translated later, where it is shown."""
    return message


@cache
def catalogs() -> dict[str, stdlib_gettext.NullTranslations]:
    """Every language's translations; English reads the source strings."""
    found: dict[str, stdlib_gettext.NullTranslations] = {
        DEFAULT_LOCALE: stdlib_gettext.NullTranslations()
    }
    for locale in LANGUAGES:
        if locale != DEFAULT_LOCALE:
            found[locale] = read_catalog(catalog_path(locale), locale)
    return found


def catalog_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(path: Path, locale: str) -> Translations:
    """A ``.po`` file compiled in memory; fuzzy entries are left out, as ``pybabel compile``
    would, so a guessed translation never reaches a reader."""
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)
