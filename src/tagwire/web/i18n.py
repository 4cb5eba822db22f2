"""The language of the page being rendered: templates mark every string a reader sees with
``_()`` (or ``ngettext()``), and both look up the reader's language for this request.

The language is set once per request (``use_locale``); until catalogs are added, every
language reads the English source strings."""

from __future__ import annotations

from contextvars import ContextVar

DEFAULT_LOCALE = "en"
_locale: ContextVar[str] = ContextVar("tagwire_locale", default=DEFAULT_LOCALE)


def current_locale() -> str:
    return _locale.get()


def use_locale(locale: str) -> None:
    _locale.set(locale)


def gettext(message: str) -> str:
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural
