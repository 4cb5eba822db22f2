"""The FastAPI application: templates, security headers, the reading gate, the error
handler, the views."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy import Engine
from starlette.exceptions import HTTPException
from starlette.routing import Match

from tagwire import __version__
from tagwire.settings import Settings
from tagwire.web import (
    access,
    alerts,
    api,
    apidocs,
    exports,
    i18n,
    labels,
    login,
    urls,
    views,
    websub,
)
from tagwire.web.cache import PageCache
from tagwire.web.dates import human_date
from tagwire.web.highlight import highlighted_excerpt
from tagwire.web.layers import ReaderLanguage, ReadingGate, SecurityHeaders, security_headers
from tagwire.web.ratelimit import RateLimiter
from tagwire.web.sanitise import clean_html, outbound_url
from tagwire.web.views import Redirect

HERE = Path(__file__).parent
# Pages run only our own static script; /docs sets its own policy (see apidocs).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self';"
    " script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none';"
    " form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
log = logging.getLogger("tagwire.web")
# Starlette's own error details, shown on error pages: translated there like ours.
STARLETTE_DETAILS = (i18n.N_("Not Found"), i18n.N_("Method Not Allowed"))


def create_app(
    settings: Settings, engine: Engine, *, workers: bool = False, banner: str | None = None
) -> FastAPI:
    """The site over ``engine``; with ``workers`` the in-process scheduler runs alongside."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(run_workers(settings, engine, stop)) if workers else None
        pushes = start_push_inbox(app, stop) if workers else None
        yield
        stop.set()
        if task is not None:
            await task
        if pushes is not None:
            await pushes

    app = FastAPI(
        title="tagwire",
        version=__version__,
        lifespan=lifespan,
        openapi_url=urls.openapi_url(),
        docs_url=None,  # served by apidocs, under a policy of its own
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.templates = make_templates(banner)
    app.state.rate_limiter = RateLimiter.from_settings(settings)
    app.state.push_inbox = None  # WebSub pushes go to the in-process workers, when running
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    if settings.page_cache:  # the innermost layer: behind the reading gate
        app.add_middleware(PageCache, engine=engine, private=bool(settings.read_password))

    # Outermost last: the language, the security headers, the reading gate, the cache.
    app.add_middleware(ReadingGate, settings=settings, refusal=refuse_reader)
    app.add_middleware(SecurityHeaders, headers=security_headers(settings, SECURITY_HEADERS))
    app.add_middleware(ReaderLanguage)  # every message translated, errors included

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if isinstance(exc, Redirect):
            return exc.response()
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # Starlette names only the first route's methods
            headers["Allow"] = ", ".join(allowed_methods(request))
        return render_error(request, exc.status_code, str(exc.detail), headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)
        return render_error(request, 404, i18n.gettext("No such page"))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("error serving %s", request.url.path)
        message = i18n.gettext("Something went wrong on our side; it has been logged.")
        return render_error(request, 500, message)

    app.include_router(api.router)
    app.include_router(websub.router)
    app.include_router(login.router)
    app.include_router(apidocs.router)
    app.include_router(exports.router)  # before views: /tags/{slug} would take /tags/x.rss
    app.include_router(views.router)
    app.include_router(alerts.router)
    return app


def app_from_environment() -> FastAPI:
    """The site, web only, for one process of ``tagwire serve --web-processes N``: its
    settings from the environment the command prepared."""
    from tagwire.store import open_store

    settings = Settings.from_env()
    return create_app(settings, open_store(settings.database_url))


async def run_workers(settings: Settings, engine: Engine, stop: asyncio.Event) -> None:
    """The in-process scheduler; imported here, so that a web-only process never loads the
    extraction and NLP stack (seconds of start-up, a hundred MB)."""
    from tagwire.schedule import run_scheduler

    await run_scheduler(settings, engine, stop)


def start_push_inbox(app: FastAPI, stop: asyncio.Event) -> asyncio.Task[None]:
    """WebSub pushes are stored by this process's workers, beside the scheduler."""
    from tagwire.websub.push import PushInbox

    inbox = PushInbox(app.state.settings, app.state.engine)
    app.state.push_inbox = inbox
    return asyncio.create_task(inbox.run(stop))


def make_templates(banner: str | None) -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")
    i18n.catalogs()  # read now: a broken catalog stops the start, not a page
    templates.env.add_extension("jinja2.ext.i18n")
    templates.env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True
    )
    templates.env.globals.update(
        urls=urls,
        human_date=reader_date,
        page_language=i18n.current_locale,
        interface_languages=i18n.LANGUAGES,
        highlighted_excerpt=highlighted_excerpt,
        banner=banner,
        version=__version__,
        country_name=labels.country_name,
        language_name=labels.language_name,
    )
    templates.env.filters.update(outbound_url=outbound_url, sanitised_html=sanitised_html)
    templates.env.filters.update(labels.FILTERS)
    return templates


def reader_date(when: datetime) -> str:
    """``human_date`` in the language of the page: "4 days ago", "il y a 4 jours"."""
    return human_date(when, locale=i18n.current_locale())


def sanitised_html(html: str) -> Markup:
    """The one way third-party HTML enters a template: through the allowlist."""
    return Markup(clean_html(html))


def refuse_reader(request: Request) -> Response:
    """A page asks the reader to log in; feeds and the API answer 401."""
    path = request.url.path
    if request.method == "GET" and not wants_json(path):
        target = path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(urls.login_url(target), status_code=303)
    message = i18n.gettext(
        "Reading needs a login: the API token, a session from /login, or a feed key"
    )
    return render_error(request, 401, message, {"WWW-Authenticate": "Bearer"})


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of this path answers."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


def wants_json(path: str) -> bool:
    return path.startswith("/api/") or path.endswith(access.FEED_SUFFIXES)


def render_error(
    request: Request, status: int, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """One handler for every error: JSON for API and feed URLs, HTML for pages. It carries
    the security headers itself: a 500 is answered outside the middleware that adds them."""
    headers = {**SECURITY_HEADERS, **(headers or {})}
    if wants_json(request.url.path):
        body = {"error": {"status": status, "message": message}}
        return JSONResponse(body, status_code=status, headers=headers)
    templates: Jinja2Templates = request.app.state.templates
    context = {"status": status, "message": i18n.gettext(message)}  # Starlette's own too
    return templates.TemplateResponse(
        request, "error.html", context, status_code=status, headers=headers
    )
