"""The /alerts page: every webhook alert and the latest deliveries, for admins only (the
API token, or a session opened with it). Alerts are made and removed with the CLI or
the API; this page shows how their deliveries stand."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from tagwire.store.alerts import delivery_log, list_alerts
from tagwire.web import access, urls
from tagwire.web.sanitise import redacted_alert, redacted_delivery
from tagwire.web.views import engine_of, settings_of

router = APIRouter(include_in_schema=False)
LOG_ROWS = 100


@router.get("/alerts")
def alerts_page(request: Request) -> Response:
    if not settings_of(request).api_token:
        raise HTTPException(403, "Alerts are for admins: set TAGWIRE_API_TOKEN and log in with it")
    if not access.is_admin(request):
        return RedirectResponse(urls.login_url(urls.alerts_url()), status_code=303)
    engine = engine_of(request)
    context = {
        "alerts": [redacted_alert(a) for a in list_alerts(engine)],
        "deliveries": [redacted_delivery(d) for d in delivery_log(engine, limit=LOG_ROWS)],
    }
    return request.app.state.templates.TemplateResponse(request, "alerts.html", context)
