"""The audit log across all agreements: a page (`/audit`) and the JSON API (`/api/audit`).

The service `workflow.audit.audit_log`: every recorded event, newest first, filtered by
person, event, date range and agreement, a page at a time.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from web.errors import humanize, status_for
from web.render import render, translator
from web.security import api_user, page_user
from web.state import hamkor
from workflow import rules
from workflow.errors import HamkorError

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["api"])
User = dict[str, Any]
FILTERS = ("actor", "event", "since", "until", "ref")


@pages.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, user: User = Depends(page_user)) -> Response:
    from urllib.parse import urlencode

    from workflow import audit
    from workflow.audit import EVENT_NAMES, AuditFilters, audit_log

    app = hamkor(request)
    q = request.query_params
    raw = {k: (q.get(k) or "").strip() for k in FILTERS}
    error, status, result = None, 200, None
    try:
        page = rules.integer(q.get("page") or "1", "page") or 1
        filters = AuditFilters(actor=raw["actor"] or None, event=raw["event"] or None,
                               since=rules.day(raw["since"] or None, "since"),
                               until=rules.day(raw["until"] or None, "until"), ref=raw["ref"] or None)
        result = audit_log(app.uow(), filters, page=page, size=audit.PAGE_SIZE)
    except HamkorError as exc:
        error, status = humanize(exc, translator(request)), status_for(exc)
    query = urlencode({k: v for k, v in raw.items() if v})
    return render(request, "audit.html", {
        "result": result, "raw": raw, "error": error, "events": EVENT_NAMES, "query": query,
        "nav": "audit",
    }, status=status)


@api.get("/audit", summary="The audit log across all agreements (filtered, paginated)")
def api_audit(request: Request, actor: str | None = Query(None, description="Email of the person"),
              event: str | None = None, since: date | None = Query(None, description="On or after"),
              until: date | None = Query(None, description="On or before"),
              ref: str | None = None, page: int = Query(1, ge=1, le=rules.MAX_INT64),
              size: int = Query(50, ge=1, le=500), user: User = Depends(api_user)) -> dict[str, Any]:
    """Events newest first: `entries`, `page`, `size`, `total`, `pages`."""
    from workflow.audit import AuditFilters, audit_log

    app = hamkor(request)
    result = audit_log(app.uow(), AuditFilters(actor=actor, event=event, since=since, until=until,
                                                ref=ref), page=page, size=size)
    return {"entries": [asdict(e) for e in result.entries], "page": result.page,
            "size": result.size, "total": result.total, "pages": result.pages}
