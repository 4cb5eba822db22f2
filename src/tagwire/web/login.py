"""The login and logout forms. The decisions (passwords, cookies, tokens) are in
``access``; these views parse the form, ask, and answer with a cookie or the form again."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from tagwire.settings import Settings
from tagwire.web import access, i18n, urls
from tagwire.web.ratelimit import limit_login
from tagwire.web.websub import read_capped_body

router = APIRouter(include_in_schema=False)
MAX_FORM_BYTES = 4096


@router.get("/login")
def login_form(request: Request, next_page: str = Query("/", alias="next")) -> Response:
    open_login(request)
    return show_form(request, access.safe_next(next_page), None, 200)


@router.post("/login", dependencies=[Depends(limit_login)])
async def log_in(request: Request) -> Response:
    settings = open_login(request)
    form = await read_form(request)
    target = access.safe_next(form.get("next"))
    if not access.same(form.get("csrf_token"), request.cookies.get(access.LOGIN_COOKIE, "")):
        return show_form(request, target, i18n.gettext("The form had expired; try again."), 403)
    role = access.role_for_password(settings, form.get("password", ""))
    if role is None:
        return show_form(request, target, i18n.gettext("Wrong password."), 401)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        access.SESSION_COOKIE,
        access.new_session_cookie(settings, role),
        max_age=access.SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(access.LOGIN_COOKIE)
    return response


@router.post("/logout")
async def log_out(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    session = access.session_of(request)
    form = await read_form(request)
    if session is None or not access.same(
        form.get("csrf_token"), access.csrf_token(settings, session)
    ):
        raise HTTPException(403, i18n.gettext("Logging out needs the form of a page of this site"))
    response = RedirectResponse(urls.home_url(), status_code=303)
    response.delete_cookie(access.SESSION_COOKIE)
    return response


def open_login(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    if not access.login_enabled(settings):
        raise HTTPException(
            403,
            i18n.gettext("Logging in is off: set TAGWIRE_READ_PASSWORD or TAGWIRE_API_TOKEN"),
        )
    return settings


async def read_form(request: Request) -> dict[str, str]:
    """The url-encoded form (its first value of each field), at most 4 KB."""
    body = await read_capped_body(request, MAX_FORM_BYTES)
    if body is None:
        raise HTTPException(413, i18n.gettext("The form is too large"))
    try:
        fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10)
    except ValueError:
        raise HTTPException(400, i18n.gettext("The form has too many fields")) from None
    return {name: values[0] for name, values in fields.items()}


def show_form(request: Request, target: str, problem: str | None, status: int) -> Response:
    """The form with a fresh double-submit token (in the cookie and in the form)."""
    token = secrets.token_urlsafe(24)
    context = {"next": target, "problem": problem, "login_token": token}
    response = request.app.state.templates.TemplateResponse(
        request, "login.html", context, status_code=status
    )
    response.set_cookie(
        access.LOGIN_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response
