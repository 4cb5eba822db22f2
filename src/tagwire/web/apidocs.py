"""The interactive API docs at /docs: FastAPI's Swagger UI page, loaded from its CDN.

Its one inline script (which starts Swagger UI) is allowed by its SHA-256 in this page's
Content-Security-Policy, so no page of the site allows inline scripts at all.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from tagwire.web import urls

router = APIRouter(include_in_schema=False)
CDN = "https://cdn.jsdelivr.net"
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


@router.get(urls.api_docs_url())
def api_docs(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "").rstrip("/")
    page = get_swagger_ui_html(
        openapi_url=root + urls.openapi_url(), title=f"{request.app.title} - Swagger UI"
    )
    page.headers["Content-Security-Policy"] = docs_policy(bytes(page.body).decode())
    return page


def docs_policy(html: str) -> str:
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'self'; img-src 'self' data: https:; style-src 'self' {CDN};"
        f" script-src 'self' {hashes} {CDN}; connect-src 'self'; object-src 'none';"
        " frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
