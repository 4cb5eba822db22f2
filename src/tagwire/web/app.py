"""The FastAPI application: templates, security headers, the error handlers, the views."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.exceptions import HTTPException

from tagwire import __version__
from tagwire.schedule import run_scheduler
from tagwire.settings import Settings
from tagwire.web import api, urls, views, websub
from tagwire.web.dates import human_date
from tagwire.web.views import Redirect
from tagwire.websub.push import PushInbox

HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self';"
    " script-src 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
# FastAPI's interactive docs load Swagger UI from its CDN with an inline bootstrap script.
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect"})
DOCS_HEADERS = {
    **SECURITY_HEADERS,
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: https:;"
    " style-src 'self' https://cdn.jsdelivr.net; frame-ancestors 'none';"
    " script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
}
log = logging.getLogger("tagwire.web")


def create_app(
    settings: Settings, engine: Engine, *, workers: bool = False, banner: str | None = None
) -> FastAPI:
    """The site over ``engine``; with ``workers`` the in-process scheduler runs alongside."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(run_scheduler(settings, engine, stop)) if workers else None
        pushes = start_push_inbox(app, stop) if workers else None
        yield
        stop.set()
        if task is not None:
            await task
        if pushes is not None:
            await pushes

    app = FastAPI(title="tagwire", version=__version__, lifespan=lifespan, docs_url="/docs")
    app.state.settings = settings
    app.state.engine = engine
    app.state.templates = make_templates(banner)
    app.state.push_inbox = None  # WebSub pushes go to the in-process workers, when running
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        headers = DOCS_HEADERS if request.url.path in DOCS_PATHS else SECURITY_HEADERS
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if isinstance(exc, Redirect):
            return exc.response()
        return render_error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)
        return render_error(request, 404, "No such page")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("error serving %s", request.url.path)
        return render_error(request, 500, "Something went wrong on our side; it has been logged.")

    app.include_router(api.router)
    app.include_router(websub.router)
    app.include_router(views.router)
    return app


def start_push_inbox(app: FastAPI, stop: asyncio.Event) -> asyncio.Task[None]:
    """WebSub pushes are stored by this process's workers, beside the scheduler."""
    inbox = PushInbox(app.state.settings, app.state.engine)
    app.state.push_inbox = inbox
    return asyncio.create_task(inbox.run(stop))


def make_templates(banner: str | None) -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals.update(
        urls=urls, human_date=human_date, banner=banner, version=__version__
    )
    return templates


def render_error(request: Request, status: int, message: str) -> Response:
    """One handler for every error: JSON for API and feed URLs, HTML for pages."""
    path = request.url.path
    if path.startswith("/api/") or path.endswith((".json", ".atom")):
        return JSONResponse({"error": {"status": status, "message": message}}, status_code=status)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request, "error.html", {"status": status, "message": message}, status_code=status
    )
