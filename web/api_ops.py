"""The JSON API's office operations: exports, the outbox's messages, the caller's API
tokens and calendar, and the file store's check -- the command line's `export`,
`activity export`, `outbox show`, `outbox retry --dead`, `user token ...`,
`calendar export` and `files verify`, over HTTP with the same services.

Authentication and refusals as in `web.api` (bearer token; 403 for a role, 404 for
an unknown id, 422 for bad input).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from documents.attachments import VerifyReport
from web.api import Day, User
from web.forms import RowId
from web.security import api_user
from web.state import hamkor
from workflow.accounts import TokenRow

router = APIRouter(prefix="/api", tags=["api"])

Format = Literal["csv", "xlsx"]


def _attachment(body: bytes, media_type: str, filename: str) -> Response:
    return Response(body, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Content-Type-Options": "nosniff"})


@router.get("/agreements/export.{fmt}", summary="The agreements as CSV or XLSX (all or filtered)")
def export_agreements(request: Request, fmt: Format, q: str | None = None,
                      state: str | None = None, partner: str | None = None,
                      country: str | None = None, department: str | None = None,
                      type: str | None = None, owner: str | None = None,
                      expiring_within: int | None = Query(None, ge=0),
                      user: User = Depends(api_user)) -> Response:
    """The import's columns (a file that imports back), for the agreements the filters of
    `GET /api/agreements` select; without filters, every agreement."""
    from web import exports
    from web.queries import agreements_by_id
    from workflow.search import search

    app = hamkor(request)
    _, ids = search(app.uow(), app.clock(), app.settings.institution, limit=None, q=q,
                    state=state, partner=partner, country=country, department=department,
                    type=type, owner=owner, expiring_within=expiring_within)
    refs = [a["ref"] for a in agreements_by_id(app.uow(), ids)] if ids else []
    records = exports.records_for(app.uow(), refs)
    body = exports.as_csv(records) if fmt == "csv" else exports.as_xlsx(records)
    return _attachment(body, exports.MEDIA[fmt], f"agreements-{app.clock().today.isoformat()}.{fmt}")


@router.get("/activities/export.csv", summary="Every cooperation activity as CSV")
def export_activities(request: Request, names: bool = Query(False, description=(
                          "Include participants' names (personal data; officers and above).")),
                      user: User = Depends(api_user)) -> Response:
    """Every activity as CSV: a file that `POST /api/activities/import` (or the Activities
    page) takes back."""
    import tempfile
    from pathlib import Path

    from workflow.activity_transfer import export_rows, write_export

    app = hamkor(request)
    rows = export_rows(app.uow(), with_names=names, by=user["email"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "activities.csv"
        write_export(path, rows, with_names=names)
        body = path.read_bytes()
    return _attachment(body, "text/csv; charset=utf-8",
                       f"activities-{app.clock().today.isoformat()}.csv")


class MessageOut(BaseModel):
    notification: dict[str, Any]
    headers: list[tuple[str, str]]
    text: str
    html: str | None


@router.get("/outbox/{row_id}", response_model=MessageOut,
            summary="One notification as it was (or will be) sent")
def outbox_message(request: Request, row_id: RowId, user: User = Depends(api_user)) -> dict[str, Any]:
    """Its record (status, attempts, why it was skipped or gave up), the headers, and
    the text and HTML parts."""
    from notifications.archive import headers, open_message, parts

    app = hamkor(request)
    row, msg = open_message(app.uow(), row_id, app.settings.mail_from, by=user["email"])
    text, html = parts(msg)
    return {"notification": row, "headers": list(headers(msg)), "text": text, "html": html}


class RetryDeadIn(BaseModel):
    since: Day | None = Field(None, description="Only those given up on or after this day.")


@router.post("/outbox/retry-dead", summary="Queue every dead notification again")
def outbox_retry_dead(request: Request, body: RetryDeadIn, user: User = Depends(api_user)) -> dict[str, int]:
    """With a fresh retry period; the worker's next run sends them."""
    from notifications.outbox import retry_dead

    app = hamkor(request)
    return {"requeued": retry_dead(app.uow(immediate=True), app.clock().utcnow, since=body.since,
                                   by=user["email"])}


class TokenIn(BaseModel):
    name: str = Field(description="What the token is for, e.g. 'reporting script'.")


@router.get("/me/tokens", summary="Your API tokens (never their secret)")
def my_tokens(request: Request, user: User = Depends(api_user)) -> list[TokenRow]:
    from workflow.accounts import list_tokens

    rows = list_tokens(hamkor(request).uow(), user["email"])
    return rows


@router.post("/me/tokens", status_code=201, summary="Create an API token (shown once)")
def create_my_token(request: Request, body: TokenIn, user: User = Depends(api_user)) -> TokenRow:
    from workflow.accounts import create_token

    app = hamkor(request)
    made = create_token(app.uow(), app.clock(), user["email"], body.name)
    return made


@router.post("/me/tokens/{token_id}/revoke", summary="Revoke one of your API tokens")
def revoke_my_token(request: Request, token_id: RowId, user: User = Depends(api_user)) -> TokenRow:
    """An admin may revoke anyone's token; others only their own."""
    from workflow.accounts import revoke_token

    app = hamkor(request)
    revoked = revoke_token(app.uow(), token_id, by=user["email"])
    return revoked


@router.get("/me/calendar.ics", summary="Your calendar of agreement dates (iCalendar)")
def my_calendar(request: Request, office: bool = Query(False, description=(
                    "The whole office's agreements instead of those you own.")),
                user: User = Depends(api_user)) -> Response:
    """The events of your `/calendar/<token>.ics` feed (or the whole office's)."""
    from notifications.calendar_feed import feed

    app = hamkor(request)
    s = app.settings
    data = feed(app.uow(), app.clock(), email=None if office else user["email"],
                window_days=s.renewal_window_days, base_url=s.base_url)
    return _attachment(data, "text/calendar; charset=utf-8", "hamkor.ics")


@router.post("/files/verify", summary="Re-hash every stored file (admins)")
def verify_files(request: Request, user: User = Depends(api_user)) -> VerifyReport:
    """Missing or altered files are listed with the agreements and files that use them.
    The worker also runs this check weekly and mails the admins."""
    from documents.attachments import verify
    from documents.service import file_store

    app = hamkor(request)
    return verify(app.uow(), file_store(app), by=user["email"])
