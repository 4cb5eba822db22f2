"""The layers every request goes through before the views, outermost first: the reader's
language, the security headers, the reading gate (then the page cache, ``web.cache``).

Plain ASGI middleware rather than ``@app.middleware("http")``: that form runs each layer
in a task of its own with the response streamed between them, which cost a kept page more
than rendering it did. Here a layer reads the request, and edits the response's first
message on its way out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import Request, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tagwire.settings import Settings
from tagwire.web import access, i18n, language

Refusal = Callable[[Request], Response]


class ReaderLanguage:
    """Sets the page language for the request (``web.language``) and marks HTML pages with
    it: ``Content-Language``, ``Vary``, and the switch's cookie when ``?hl=`` chose it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if language.english_only(request.url.path):
            i18n.use_locale(i18n.DEFAULT_LOCALE)
            await self.app(scope, receive, send)
            return
        switched = language.supported(request.query_params.get(language.SWITCH))
        locale = (
            switched
            or language.supported(request.cookies.get(language.COOKIE))
            or language.preferred_locale(request.headers.get("accept-language", ""))
        )
        i18n.use_locale(locale)
        cookie = language.switch_cookie(switched, request.url.scheme) if switched else None

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if cookie:
                    headers.append("set-cookie", cookie)
                if headers.get("content-type", "").startswith("text/html"):
                    headers["Content-Language"] = locale
                    language.add_vary(headers, "Accept-Language", "Cookie")
            await send(message)

        await self.app(scope, receive, marked)


class SecurityHeaders:
    """``headers`` on every response that does not set them itself."""

    def __init__(self, app: ASGIApp, headers: Mapping[str, str]) -> None:
        self.app = app
        self.headers = dict(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, secured)


class ReadingGate:
    """The request's session (and CSRF token) for the views; a reader who may not read
    gets ``refusal`` (``web.access.may_read``)."""

    def __init__(self, app: ASGIApp, settings: Settings, refusal: Refusal) -> None:
        self.app = app
        self.settings = settings
        self.refusal = refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        session = access.session_of(request)
        request.state.session = session
        request.state.csrf = access.csrf_token(self.settings, session) if session else None
        if not access.may_read(request):
            await self.refusal(request)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def security_headers(settings: Settings, base: Mapping[str, str]) -> dict[str, Any]:
    """The headers every response carries; pages behind a login stay out of shared caches."""
    headers = dict(base)
    if settings.read_password:
        headers["Cache-Control"] = "private"
    return headers
