"""The register: the list of agreements with its search box, filters and sortable
columns, its CSV/XLSX download, and the partner box's suggestions (the dashboard is
`web.dashboard`; an agreement's own page `web.pages`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from web.errors import humanize, status_for
from web.render import render, translator
from web.security import page_user
from web.state import hamkor
from workflow.errors import HamkorError, Invalid
from workflow.lifecycle import State

router = APIRouter(include_in_schema=False)

User = dict[str, Any]

# --- the list ---------------------------------------------------------------------


LIST_FILTERS = ("q", "state", "partner", "country", "department", "type", "owner",
                "expiring_within", "sort")


@router.get("/agreements", response_class=HTMLResponse)
def agreement_list(request: Request, page: int = 1, user: User = Depends(page_user)) -> Response:
    """The register: one search box over everything an agreement says, filters, sortable
    columns; the same query downloads as CSV or XLSX (`/agreements/export`)."""
    from web.queries import (
        COUNT_LIMIT,
        countries,
        departments,
        owners,
        partner_filter,
        search_agreements,
    )
    from web.unit import one_unit
    from workflow.agreements import TYPES
    from workflow.search import pending, refresh

    app = hamkor(request)
    filters = {k: (request.query_params.get(k) or "").strip() for k in LIST_FILTERS}
    error, status, result = None, 200, None
    # The whole page reads in one session: the search, the partner box, the filters' choices.
    with one_unit(app) as reading:
        uow = reading.uow()
        if pending(uow.session):
            # New agreements to index first (a unit of work of its own: it writes); then a
            # fresh snapshot, which has them.
            refresh(app.uow(), app.settings.institution)
            uow.session.rollback()
        try:
            result = search_agreements(uow, reading.clock(), institution=app.settings.institution,
                                       page=page, count_limit=COUNT_LIMIT, refreshed=True,
                                       **_search_args(request, filters))
        except HamkorError as exc:
            error, status = humanize(exc, translator(request)), status_for(exc)
        # The partner box takes a name (any part of it) or, from a link, an id: what it
        # found is shown by name.
        partner = partner_filter(uow, filters["partner"])
        choices = {"countries": countries(uow), "departments": departments(uow),
                   "owners": owners(uow)}
    return render(request, "agreements.html", {
        "result": result, "filters": filters, "error": error, "states": [s.value for s in State],
        "partner_shown": partner["shown"], "types": TYPES, **choices,
        "query": _query_string(filters),
        "query_with_sort": lambda key: _query_string(filters, sort=key), "nav": "agreements",
    }, status=status)


@router.get("/partners/suggest")
def partner_suggestions(request: Request, q: str = "", user: User = Depends(page_user)) -> Response:
    """The partner box's suggestions as the user types: the first partners whose name
    contains what is typed (JSON: id, name, country)."""
    from fastapi.responses import JSONResponse

    from web.queries import partners_named

    return JSONResponse(partners_named(hamkor(request).uow(), q, limit=20))


@router.get("/agreements/export.{fmt}")
def export_list(request: Request, fmt: str, user: User = Depends(page_user)) -> Response:
    """The filtered, sorted list (every page) as CSV or XLSX, in `hamkor export`'s columns."""
    from web import exports
    from web.pages import error_page
    from web.queries import search_agreements

    if fmt not in exports.MEDIA:
        return error_page(request, Invalid(translator(request)("list.bad_format", fmt=fmt)))
    app = hamkor(request)
    filters = {k: (request.query_params.get(k) or "").strip() for k in LIST_FILTERS}
    try:
        found = search_agreements(app.uow(), app.clock(), institution=app.settings.institution,
                                  size=None, **_search_args(request, filters))
        records = exports.records_for(app.uow(), [a["ref"] for a in found.rows])
        body = exports.as_csv(records) if fmt == "csv" else exports.as_xlsx(records)
    except HamkorError as exc:
        return error_page(request, exc)
    stamp = app.clock().today.isoformat()
    return Response(body, media_type=exports.MEDIA[fmt], headers={
        "Content-Disposition": f'attachment; filename="agreements-{stamp}.{fmt}"'})


def _search_args(request: Request, filters: dict[str, str]) -> dict[str, Any]:
    """The list's filters as the search takes them; a bad number is refused (422)."""
    t = translator(request)
    days = filters["expiring_within"]
    if days and not days.isdigit():
        raise Invalid(t("list.bad_days", value=days))
    args: dict[str, Any] = {k: (filters[k] or None) for k in LIST_FILTERS if k != "expiring_within"}
    if args["partner"] and not args["partner"].isdigit():
        # A name or part of one: the agreements of every partner whose name contains it.
        args["partner_name"], args["partner"] = args["partner"], None
    args["expiring_within"] = int(days) if days else None
    return args


def _query_string(filters: dict[str, str], **override: str) -> str:
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in {**filters, **override}.items() if v})


