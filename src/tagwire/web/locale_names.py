"""Country and language names in the reader's language (babel's CLDR data), for codes the
store keeps: ``ML`` -> "Mali", ``fr`` -> "French". An unknown code reads as itself."""

from __future__ import annotations

from functools import cache

from babel import Locale, UnknownLocaleError

from tagwire.web import i18n


@cache
def _locale(code: str) -> Locale:
    try:
        return Locale.parse(code.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale.parse(i18n.DEFAULT_LOCALE)


def country_name(code: str) -> str:
    """An ISO 3166-1 alpha-2 code's name."""
    return str(_locale(i18n.current_locale()).territories.get(code.upper(), code))


def language_name(code: str) -> str:
    """An ISO 639 code's name, with a capital as in a list ("français" -> "Français")."""
    name = _locale(i18n.current_locale()).languages.get(code.lower())
    return str(name[:1].upper() + name[1:]) if name else code
