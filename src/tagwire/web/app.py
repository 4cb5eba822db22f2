"""The FastAPI application: templates, security headers, one error handler, the views."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.exceptions import HTTPException

from tagwire import __version__
from tagwire.schedule import run_scheduler
from tagwire.settings import Settings
from tagwire.web import urls
from tagwire.web.dates import human_date

HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self';"
    " script-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def create_app(
    settings: Settings, engine: Engine, *, workers: bool = False, banner: str | None = None
) -> FastAPI:
    """The site over ``engine``; with ``workers`` the in-process scheduler runs alongside."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(run_scheduler(settings, engine, stop)) if workers else None
        yield
        stop.set()
        if task is not None:
            await task

    app = FastAPI(title="tagwire", version=__version__, lifespan=lifespan, docs_url="/docs")
    app.state.settings = settings
    app.state.engine = engine
    app.state.templates = make_templates(banner)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if 300 <= exc.status_code < 400 and exc.headers and "Location" in exc.headers:
            return RedirectResponse(exc.headers["Location"], status_code=exc.status_code)
        return render_error(request, exc.status_code, str(exc.detail))

    from tagwire.web import api, views  # routes register on import of the app's routers

    app.include_router(api.router)
    app.include_router(views.router)
    return app


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
