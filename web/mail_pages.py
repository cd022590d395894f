"""Mail and calendar on the web: the calendar feed, the account's mail language and feed
address, and an outbox message opened as it was sent.

`GET /calendar/<token>.ics` needs no session: the secret token is the credential
(only its SHA-256 is stored); an unknown or revoked token is a plain 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from starlette.datastructures import FormData

from web import forms
from web.errors import humanize, status_for
from web.forms import RowId
from web.render import flash, redirect, render, translator
from web.security import checked_form, page_user
from web.state import hamkor
from workflow.errors import HamkorError

router = APIRouter(include_in_schema=False)
User = dict[str, Any]


@router.get("/calendar/{token}.ics")
def calendar_feed(request: Request, token: str) -> Response:
    from notifications.calendar_feed import feed, user_for_token

    app = hamkor(request)
    email = user_for_token(app.uow(), app.clock(), token)
    if email is None:
        return PlainTextResponse("no such calendar (the address was revoked or mistyped)\n",
                                 status_code=404)
    s = app.settings
    data = feed(app.uow(), app.clock(), email=email, window_days=s.renewal_window_days,
                base_url=s.base_url)
    return Response(data, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'inline; filename="hamkor.ics"'})


def account_extras(request: Request, user: User) -> dict[str, Any]:
    """What the account page shows about mail: the language and the calendar address."""
    from notifications.calendar_feed import token_status
    from workflow.registry import list_users

    app = hamkor(request)
    me = next((u for u in list_users(app.uow()) if u["email"] == user["email"]), None)
    return {"mail_lang": me["lang"] if me is not None else "en",
            "calendar": token_status(app.uow(), user["email"])}


def _account(request: Request, user: User, **extra: Any) -> Response:
    from web.pages import account_page

    return account_page(request, user, **extra)


@router.post("/account/language")
def set_mail_language(request: Request, user: User = Depends(page_user),
                      form: FormData = Depends(checked_form)) -> Response:
    from web.i18n import LANGUAGES
    from workflow.registry import edit_user

    try:
        u = edit_user(hamkor(request).uow(), user["email"], lang=forms.text(form, "lang") or "")
    except HamkorError as exc:
        return _account(request, user, error=humanize(exc, translator(request)), status=status_for(exc))
    flash(request, "ok", translator(request)("m.lang_saved", lang=LANGUAGES[u["lang"]]))
    return redirect("/account")


@router.post("/account/calendar")
def create_calendar(request: Request, user: User = Depends(page_user),
                    form: FormData = Depends(checked_form)) -> Response:
    from notifications.calendar_feed import create_token
    from notifications.links import Links

    app = hamkor(request)
    try:
        made = create_token(app.uow(), app.clock(), user["email"])
    except HamkorError as exc:
        return _account(request, user, error=humanize(exc, translator(request)), status=status_for(exc))
    base = app.settings.base_url or str(request.base_url).rstrip("/")
    # Shown in this response only, as API tokens are.
    return _account(request, user, calendar_url=Links(base).calendar(made["token"]), status=201)


@router.post("/account/calendar/revoke")
def revoke_calendar(request: Request, user: User = Depends(page_user),
                    form: FormData = Depends(checked_form)) -> Response:
    from notifications.calendar_feed import revoke_tokens

    revoke_tokens(hamkor(request).uow(), user["email"])
    flash(request, "ok", translator(request)("m.calendar_revoked"))
    return redirect("/account")


@router.get("/outbox/{row_id}", response_class=HTMLResponse)
def outbox_message(request: Request, row_id: RowId, user: User = Depends(page_user)) -> Response:
    from notifications.archive import headers, open_message, parts

    app = hamkor(request)
    # An account message's body holds a working set-password link: admins only.
    row, msg = open_message(app.uow(), row_id, app.settings.mail_from, by=user["email"])
    text, html = parts(msg)
    shown = [(k, v) for k, v in headers(msg)
             if k.lower() in ("from", "to", "cc", "subject", "date", "message-id")]
    from notifications.outbox import RETRYABLE

    return render(request, "outbox_message.html", {
        "r": row, "headers": shown, "text": text, "html": html, "nav": "outbox",
        "retryable": RETRYABLE,
    })

