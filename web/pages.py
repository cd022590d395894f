"""The HTML pages. Each route calls the same services as the CLI, as the signed-in user.

The services decide (roles, guards, four eyes); a page only hides the buttons a
role cannot use. A refusal re-renders the page with the service's reason and
the HTTP status of the refusal; a success redirects (POST, then GET).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from starlette.datastructures import FormData

from models import normalize_name
from web import forms
from web.errors import humanize, status_for
from web.forms import RowId
from web.i18n import Translator
from web.render import flash, redirect, render, role_of, safe_next, translator
from web.security import checked_form, page_user, session_user, sign_in, sign_out
from web.state import hamkor
from workflow.errors import ConcurrentUpdate, HamkorError, Invalid, PermissionDenied
from workflow.lifecycle import TERMINAL, TRANSITIONS, Event as Ev, Role, State, transition_for

if TYPE_CHECKING:
    from notifications.outbox import OutboxRow
    from workflow.accounts import TokenRow
    from workflow.agreements import AgreementDetail

log = logging.getLogger("hamkor.web")
router = APIRouter(include_in_schema=False)

User = dict[str, Any]


# --- sign-in --------------------------------------------------------------------------------


class _Throttle:
    """At most `limit` failed sign-ins per (address, email) in `window` seconds, per process."""

    def __init__(self, limit: int = 10, window: float = 900.0) -> None:
        self.limit, self.window = limit, window
        self._fails: dict[tuple[str, str], deque[float]] = defaultdict(deque)

    def blocked(self, key: tuple[str, str]) -> bool:
        q = self._fails[key]
        while q and q[0] < time.monotonic() - self.window:
            q.popleft()
        return len(q) >= self.limit

    def fail(self, key: tuple[str, str]) -> None:
        self._fails[key].append(time.monotonic())

    def clear(self, key: tuple[str, str]) -> None:
        self._fails.pop(key, None)


throttle = _Throttle()


@router.get("/healthz")
def healthz(request: Request) -> PlainTextResponse:
    """`ok`, or `degraded` with one line per problem (a mail backlog, dead mail, an
    overdue daily tick: the web itself still works, so still 200); 503 without a database."""
    from tick.worker import problems

    try:
        found = problems(hamkor(request))
    except Exception as exc:  # noqa: BLE001 - reported, not raised: this is the health check
        log.warning("health check: %s", type(exc).__name__)
        return PlainTextResponse("error: the database cannot be reached\n", status_code=503)
    if found:
        return PlainTextResponse("degraded\n" + "".join(f"- {p}\n" for p in found))
    return PlainTextResponse("ok")


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    if session_user(request) is not None:
        return redirect(safe_next(next))
    return render(request, "login.html", {"next": safe_next(next), "email": "", **_login_extras(request)})


def _login_extras(request: Request) -> dict[str, Any]:
    from web.people import mail_configured  # "Forgot password?" needs mail

    return {"forgot": mail_configured(hamkor(request))}


@router.post("/login")
def login(request: Request, form: FormData = Depends(checked_form)) -> Response:
    from workflow.accounts import SignInFailed, verify_password

    email = (forms.text(form, "email") or "").lower()
    target = safe_next(forms.text(form, "next"))
    key = (request.client.host if request.client else "?", email)
    t = translator(request)
    if throttle.blocked(key):
        return render(request, "login.html", {"next": target, "email": email,
                                              "error": t("auth.too_many"), **_login_extras(request)},
                      status=429)
    try:
        user = verify_password(hamkor(request).uow(), email, forms.text(form, "password") or "")
    except SignInFailed:
        throttle.fail(key)
        log.info("failed sign-in for %s from %s", email, key[0])
        return render(request, "login.html", {"next": target, "email": email,
                                              "error": t("auth.failed"), **_login_extras(request)},
                      status=401)
    throttle.clear(key)
    sign_in(request, user)
    flash(request, "ok", f"{t('auth.signed_in_as')} {user['name']} ({user['role']})")
    return redirect(target)


@router.post("/logout")
def logout(request: Request, form: FormData = Depends(checked_form)) -> Response:
    """This browser only: the user's other sessions (another computer, the phone) go on."""
    sign_out(request)
    return redirect("/login")


@router.post("/logout/everywhere")
def logout_everywhere(request: Request, form: FormData = Depends(checked_form)) -> Response:
    """Every session of the user, on every device (a lost phone, a shared computer)."""
    sign_out(request, everywhere=True)
    return redirect("/login")


@router.post("/lang")
def set_language(request: Request, form: FormData = Depends(checked_form)) -> Response:
    lang = forms.text(form, "lang")
    if lang in ("en", "uz", "ru"):
        request.session["lang"] = lang
    return redirect(safe_next(forms.text(form, "next")))


# --- create and edit ------------------------------------------------------------------------


def _form_page(request: Request, *, values: dict[str, Any], mode: str, error: str | None = None,
               status: int = 200, ref: str | None = None, version: int | None = None) -> Response:
    from workflow.agreements import FORMS, TYPES
    from workflow.registry import list_partners, list_users

    app = hamkor(request)
    home = normalize_name(app.settings.institution)
    partners = list_partners(app.uow())
    if mode == "create":
        partners = [p for p in partners if normalize_name(p["name"]) != home]
    users = [u for u in list_users(app.uow()) if u["active"] and u["role"] != Role.VIEWER.label]
    return render(request, "agreement_form.html", {
        "v": values, "mode": mode, "error": error, "ref": ref, "version": version,
        "types": TYPES, "form_choices": FORMS, "partners": partners, "users": users,
        "today": app.clock().today.isoformat(), "nav": "new" if mode == "create" else "agreements",
    }, status=status)


@router.get("/agreements/new", response_class=HTMLResponse)
def new_form(request: Request, user: User = Depends(page_user)) -> Response:
    from workflow.agreements import check_may_create

    try:
        check_may_create(hamkor(request).uow(), user["email"])
    except PermissionDenied as exc:
        return error_page(request, exc)
    return _form_page(request, values={"owner": user["email"], "type": "exchange", "forms": [],
                                       "partner_keys": []}, mode="create")


@router.post("/agreements/new")
def create(request: Request, user: User = Depends(page_user),
           form: FormData = Depends(checked_form)) -> Response:
    from workflow.agreements import NewAgreement, create as create_agreement

    app = hamkor(request)
    t = translator(request)
    try:
        f = forms.agreement_fields(form)
        spec = NewAgreement(
            title=f["title"], partners=f["partners"], type=f["type"], owner=f["owner"],
            department=f["department"], starts=f["starts"], expires=f["expires"],
            months=f["months"], indefinite=f["indefinite"], auto_renew=f["auto_renew"],
            renewal_months=f["renewal_months"], notice_days=f["notice_days"], forms=f["forms"],
            no_institution=forms.flag(form, "no_institution"), notes=f["notes"],
        )
        a = create_agreement(app.uow(), app.clock(), app.office(), spec, by=user["email"],
                             on=forms.day(form, "on", "Created on"))
    except HamkorError as exc:
        return _form_page(request, values=forms.refill(form), mode="create", error=humanize(exc, translator(request)),
                          status=status_for(exc))
    flash(request, "ok", t("ag.created", ref=a["ref"]))
    return redirect(f"/agreements/{a['ref']}")


@router.get("/agreements/{ref}/edit", response_class=HTMLResponse)
def edit_form(request: Request, ref: str, user: User = Depends(page_user)) -> Response:
    """A draft: every field. Past draft and not ended: the correctable ones."""
    from workflow.agreements import show

    app = hamkor(request)
    a = show(app.uow(), app.clock(), app.office(), ref)
    if role_of(user) is None or Role.parse(user["role"]) < Role.OFFICER or State(a["state"]) in TERMINAL:
        return redirect(f"/agreements/{a['ref']}")
    if a["state"] != State.DRAFT.value:
        return _correct_page(request, values=a, ref=a["ref"], version=a["version"])
    ids = _party_ids(request, [p["name"] for p in a["parties"]])
    values = {**a, "partner_keys": ids, "months": None}
    return _form_page(request, values=values, mode="edit", ref=a["ref"], version=a["version"])


def _party_ids(request: Request, names: list[str]) -> list[str]:
    from workflow.registry import list_partners

    by_key = {normalize_name(p["name"]): str(p["id"]) for p in list_partners(hamkor(request).uow())}
    return [by_key[normalize_name(n)] for n in names if normalize_name(n) in by_key]


@router.post("/agreements/{ref}/edit")
def edit(request: Request, ref: str, user: User = Depends(page_user),
         form: FormData = Depends(checked_form)) -> Response:
    from workflow.agreements import show
    from workflow.drafts import update_draft

    app = hamkor(request)
    t = translator(request)
    version = forms.integer(form, "version", "version")
    try:
        f = forms.agreement_fields(form)
        # Parties that stay keep their order; newly ticked ones follow.
        current = _party_ids(request, [p["name"] for p in show(app.uow(), app.clock(), app.office(),
                                                                  ref)["parties"]])
        ticked = f["partners"]
        f["partners"] = [i for i in current if i in ticked] + [i for i in ticked if i not in current]
        a = update_draft(app.uow(), app.clock(), app.office(), ref, f, by=user["email"],
                         expected_version=version)
    except ConcurrentUpdate as exc:
        return _refused(request, user, ref, exc)
    except HamkorError as exc:
        return _form_page(request, values=forms.refill(form), mode="edit", error=humanize(exc, translator(request)),
                          status=status_for(exc), ref=ref.upper(), version=version)
    flash(request, "ok", t("ag.saved", ref=a["ref"]))
    return redirect(f"/agreements/{a['ref']}")


def _correct_page(request: Request, *, values: Mapping[str, Any], ref: str, version: int | None,
                  error: str | None = None, status: int = 200) -> Response:
    from web.queries import departments
    from workflow.agreements import FORMS
    from workflow.registry import list_users

    app = hamkor(request)
    users = [u for u in list_users(app.uow()) if u["active"] and u["role"] != Role.VIEWER.label]
    return render(request, "agreement_correct.html", {
        "v": values, "ref": ref, "version": version, "error": error, "users": users,
        "form_choices": FORMS, "departments": departments(app.uow()), "nav": "agreements",
    }, status=status)


@router.post("/agreements/{ref}/correct")
def correct(request: Request, ref: str, user: User = Depends(page_user),
            form: FormData = Depends(checked_form)) -> Response:
    """Correct an agreement past draft: title, owner, department, notes, forms (audited)."""
    from workflow.corrections import correct as correct_agreement

    app = hamkor(request)
    t = translator(request)
    version = forms.integer(form, "version", "version")
    ticked = [str(f) for f in form.getlist("forms")]
    changes: dict[str, Any] = {
        "title": forms.text(form, "title") or "", "owner": forms.text(form, "owner"),
        "department": forms.text(form, "department"), "notes": forms.text(form, "notes"),
        "forms": ticked}
    try:
        a = correct_agreement(app.uow(), app.clock(), ref, changes, by=user["email"],
                              expected_version=version)
    except ConcurrentUpdate as exc:
        return _refused(request, user, ref, exc)
    except HamkorError as exc:
        return _correct_page(request, values=changes, ref=ref.upper(), version=version,
                             error=humanize(exc, translator(request)), status=status_for(exc))
    flash(request, "ok", t("ag.saved", ref=a["ref"]))
    return redirect(f"/agreements/{a['ref']}")


# --- one agreement --------------------------------------------------------------------------


def _actions(a: AgreementDetail, user: User, tr: Translator) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The events this user's role may fire, split into possible now / not now (with why,
    worded for the page)."""
    role = Role.parse(user["role"])
    now: list[dict[str, Any]] = []
    later: list[dict[str, Any]] = []
    for ev in a["next_events"]:
        t = transition_for(Ev(ev["event"]))
        if role < t.role:
            continue  # never shown: the role cannot do it
        reason = ev["reason"].text(tr.field_name, tr.rule(ev["reason"])) if ev["reason"] else None
        item = {**ev, "note_required": t.note_required, "reason": reason}
        (now if ev["allowed"] else later).append(item)
    return now, later


def agreement_page(request: Request, user: User, ref: str, *, error: str | None = None,
                   status: int = 200, values: dict[str, Any] | None = None) -> Response:
    from web.unit import one_unit

    # Every part of the page reads in one session and one transaction (web/unit.py).
    with one_unit(hamkor(request)) as app:
        context = _agreement_context(app, request, user, ref)
    return render(request, "agreement.html", {
        **context, "error": error, "values": values or {},
    }, status=status)


def _agreement_context(app: Any, request: Request, user: User, ref: str) -> dict[str, Any]:
    """Everything the page shows. The agreement (with its parties, owner, surroundings and
    successors) is read once, and each part is given it: eight statements in all, on
    the page's one session (`app.uow()`)."""
    from ewp.isced import label as isced_label
    from web.activities import agreement_extras  # cooperation activity (issue 21)
    from web.conditions import page_extras  # cooperation conditions' forms (issue 18)
    from web.files import files_context  # the agreement's files and documents (issue 20)
    from web.iia import ewp_details_and_rows
    from web.people import agreement_contacts  # the parties' contact persons
    from web.queries import activation_day
    from workflow.agreements import detail, history_of, read_shown
    from workflow.corrections import EDIT_EVENT, parse

    today = app.clock().today
    with app.uow() as uow:
        s = uow.session
        shown = read_shown(s, ref, user["email"], related=True)
        row, has = shown.agreement, shown.related
        assert has is not None
        a = detail(s, shown, today, app.office())
        events = [{**e, "changes": parse(e["note"]) if e["event"] == EDIT_EVENT else None}
                  for e in history_of(s, row.id)]
    iia, specs = ewp_details_and_rows(app, a["ref"], agreement=row, any_conditions=has.conditions)
    now, later = _actions(a, user, translator(request))
    unsigned = [p["name"] for p in a["parties"] if not p["signed_on"]]
    starts = date.fromisoformat(a["starts_on"]) if a["starts_on"] else None
    activates_on = activation_day(starts, today) if a["state"] == State.SIGNED.value else None
    events.reverse()
    return {
        **files_context(app, row, any_files=has.files),
        "activates_on": activates_on,
        "a": a, "events": events, "actions": now, "not_now": later,
        "renewable": any(x["event"] == Ev.RENEW.value for x in now),
        "unsigned": unsigned,
        "conditions": iia["conditions"], "ewp": iia["ewp"], "isced": isced_label,
        "ewp_configured": bool(app.settings.institution_hei_id),
        "today": today.isoformat(), "nav": "agreements",
        **agreement_extras(app, row, specs, any_activities=has.activities),
        **agreement_contacts(app, row, any_contacts=has.contacts),
        **page_extras(a["state"], iia["conditions"]),
    }


@router.get("/agreements/{ref}", response_class=HTMLResponse)
def agreement(request: Request, ref: str, act: str | None = None,
              user: User = Depends(page_user)) -> Response:
    # A mail's action link (?act=renew#act-renew) opens that action's form.
    return agreement_page(request, user, ref, values={"event": act} if act else None)


def _refused(request: Request, user: User, ref: str, exc: HamkorError,
             values: dict[str, Any] | None = None) -> Response:
    t = translator(request)
    if isinstance(exc, ConcurrentUpdate):
        from workflow.agreements import show

        app = hamkor(request)
        a = show(app.uow(), app.clock(), app.office(), ref)
        message = t("ag.conflict", ref=a["ref"], state=t.state(a["state"]), version=a["version"])
    else:
        message = f"{humanize(exc, translator(request))}. {t('ag.nothing_changed')}"
    return agreement_page(request, user, ref, error=message, status=status_for(exc), values=values)


@router.post("/agreements/{ref}/events/{event}")
def advance(request: Request, ref: str, event: str, user: User = Depends(page_user),
            form: FormData = Depends(checked_form)) -> Response:
    from workflow.agreements import advance as advance_agreement

    app = hamkor(request)
    t = translator(request)
    values = {"event": event, "note": forms.text(form, "note"), "on": forms.text(form, "on"),
              "party": forms.text(form, "party"), "effective": forms.text(form, "effective")}
    try:
        a = advance_agreement(app.uow(), app.clock(), app.office(), ref, event, by=user["email"],
                              note=forms.text(form, "note"), on=forms.day(form, "on", "Date"),
                              party=forms.text(form, "party"),
                              effective=forms.day(form, "effective", "Last day in force"),
                              expected_version=forms.integer(form, "version", "version"))
    except HamkorError as exc:
        return _refused(request, user, ref, exc, values)
    flash(request, "ok", t("ag.done", ref=a["ref"], event=t.event(event), state=t.state(a["state"])))
    return redirect(f"/agreements/{a['ref']}")


@router.post("/agreements/{ref}/renew")
def renew(request: Request, ref: str, user: User = Depends(page_user),
          form: FormData = Depends(checked_form)) -> Response:
    from workflow.agreements import renew as renew_agreement

    app = hamkor(request)
    t = translator(request)
    try:
        a = renew_agreement(app.uow(), app.clock(), app.office(), ref, by=user["email"],
                            starts=forms.day(form, "starts", "Starts on"),
                            expires=forms.day(form, "expires", "Last day in force"),
                            months=forms.integer(form, "months", "Length in months"),
                            on=forms.day(form, "on", "Date"),
                            expected_version=forms.integer(form, "version", "version"))
    except HamkorError as exc:
        return _refused(request, user, ref, exc, {"event": "renew"})
    flash(request, "ok", t("ag.renewed", ref=a["ref"]))
    return redirect(f"/agreements/{a['ref']}")


# --- partners -------------------------------------------------------------------------------


@router.get("/partners", response_class=HTMLResponse)
def partners(request: Request, q: str = "", user: User = Depends(page_user)) -> Response:
    return _partners_page(request, q=q)


def _partners_page(request: Request, *, error: str | None = None, status: int = 200,
                   values: dict[str, Any] | None = None, q: str = "") -> Response:
    from workflow.registry import KINDS, list_partners
    from workflow.search import partner_matches

    found = [p for p in list_partners(hamkor(request).uow()) if partner_matches(p, q)]
    return render(request, "partners.html", {
        "partners": found, "kinds": KINDS, "error": error, "q": q,
        "v": values or {"kind": "university"}, "nav": "partners",
    }, status=status)


@router.post("/partners")
def add_partner(request: Request, user: User = Depends(page_user),
                form: FormData = Depends(checked_form)) -> Response:
    from workflow.registry import add_partner as add

    app = hamkor(request)
    values = {k: forms.text(form, k) for k in ("name", "country", "kind", "city", "erasmus_code")}
    try:
        p = add(app.uow(), app.clock(), values["name"] or "", by=user["email"], country=values["country"],
                kind=values["kind"] or "university", city=values["city"],
                erasmus_code=values["erasmus_code"])
    except HamkorError as exc:
        return _partners_page(request, error=humanize(exc, translator(request)), status=status_for(exc), values=values)
    flash(request, "ok", translator(request)("p.added", name=p["name"]))
    return redirect("/partners")


# --- outbox ---------------------------------------------------------------------------------


@router.get("/outbox", response_class=HTMLResponse)
def outbox_page(request: Request, status: str | None = None, kind: str | None = None,
                user: User = Depends(page_user)) -> Response:
    return _outbox(request, status, kind=kind)


def _outbox(request: Request, status: str | None, *, error: str | None = None, code: int = 200,
            kind: str | None = None) -> Response:
    from notifications import outbox

    rows: list[OutboxRow] = []
    try:
        rows = outbox.list_rows(hamkor(request).uow(), status=status or None, kind=kind or None)
    except HamkorError as exc:
        error, code = humanize(exc, translator(request)), status_for(exc)
    rows.reverse()  # newest first
    return render(request, "outbox.html", {
        "rows": rows, "statuses": list(outbox.STATUSES), "status": status or "",
        "dead": sum(1 for r in rows if r["status"] == "dead"),
        "kinds": outbox.KINDS, "kind": kind or "",
        "retryable": outbox.RETRYABLE, "error": error, "nav": "outbox",
    }, status=code)


@router.post("/outbox/{row_id}/retry")
def outbox_retry(request: Request, row_id: RowId, user: User = Depends(page_user),
                 form: FormData = Depends(checked_form)) -> Response:
    from notifications import outbox

    try:
        outbox.retry(hamkor(request).uow(), row_id, datetime.now(UTC), by=user["email"])
    except HamkorError as exc:
        return _outbox(request, None, error=humanize(exc, translator(request)), code=status_for(exc))
    flash(request, "ok", translator(request)("o.retried", id=row_id))
    back = form.get("next")  # the message's own page, when retried from there
    return redirect(back if isinstance(back, str) and back == f"/outbox/{row_id}" else "/outbox")


@router.post("/outbox/retry-dead")
def outbox_retry_dead(request: Request, user: User = Depends(page_user),
                      form: FormData = Depends(checked_form)) -> Response:
    """Queue every dead notification again (as `hamkor outbox retry --dead`)."""
    from notifications.outbox import retry_dead

    try:
        count = retry_dead(hamkor(request).uow(immediate=True), datetime.now(UTC), by=user["email"])
    except HamkorError as exc:
        return _outbox(request, None, error=humanize(exc, translator(request)), code=status_for(exc))
    flash(request, "ok", translator(request)("o.retried_dead", n=count))
    return redirect("/outbox")


# --- lifecycle ------------------------------------------------------------------------------


@router.get("/lifecycle", response_class=HTMLResponse)
def lifecycle(request: Request, user: User = Depends(page_user)) -> Response:
    from web.diagram import svg
    from workflow import diagram

    return render(request, "lifecycle.html", {
        "transitions": TRANSITIONS, "terminal": {s.value for s in TERMINAL},
        "states": [s.value for s in State], "mermaid": diagram.mermaid(), "dot": diagram.dot(),
        "svg": svg(translator(request)), "nav": "lifecycle",
    })


# --- account --------------------------------------------------------------------------------


def _account_page(request: Request, user: User, *, token: TokenRow | None = None,
                  error: str | None = None, status: int = 200,
                  calendar_url: str | None = None) -> Response:
    from web.mail_pages import account_extras
    from workflow.accounts import list_tokens

    tokens = list_tokens(hamkor(request).uow(), user["email"])
    return render(request, "account.html", {"tokens": tokens, "new_token": token, "error": error,
                                            "calendar_url": calendar_url,
                                            **account_extras(request, user),
                                            "nav": "account"}, status=status)


account_page = _account_page


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, user: User = Depends(page_user)) -> Response:
    return _account_page(request, user)


@router.post("/account/tokens")
def create_token(request: Request, user: User = Depends(page_user),
                 form: FormData = Depends(checked_form)) -> Response:
    from workflow.accounts import create_token as create

    app = hamkor(request)
    try:
        token = create(app.uow(), app.clock(), user["email"], forms.text(form, "name") or "")
    except HamkorError as exc:
        return _account_page(request, user, error=humanize(exc, translator(request)), status=status_for(exc))
    # Shown in this response only: never put in the (signed, not encrypted) session cookie.
    return _account_page(request, user, token=token, status=201)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: RowId, user: User = Depends(page_user),
                 form: FormData = Depends(checked_form)) -> Response:
    from workflow.accounts import revoke_token as revoke

    try:
        revoke(hamkor(request).uow(), token_id, owner=user["email"])
    except HamkorError as exc:
        return _account_page(request, user, error=humanize(exc, translator(request)), status=status_for(exc))
    flash(request, "ok", translator(request)("a.token_revoked", id=token_id))
    return redirect("/account")


@router.post("/account/password")
def change_password(request: Request, user: User = Depends(page_user),
                    form: FormData = Depends(checked_form)) -> Response:
    from workflow.accounts import set_password, verify_password

    app = hamkor(request)
    t = translator(request)
    new = forms.text(form, "new") or ""
    try:
        verify_password(app.uow(), user["email"], forms.text(form, "current") or "")
        if new != (forms.text(form, "repeat") or ""):
            raise Invalid(t("a.mismatch"))
        set_password(app.uow(), user["email"], new)
        fresh = verify_password(app.uow(), user["email"], new)
    except HamkorError as exc:
        return _account_page(request, user, error=humanize(exc, translator(request)), status=status_for(exc))
    sign_in(request, fresh)  # this session goes on; every other one ends
    flash(request, "ok", t("a.password_changed"))
    return redirect("/account")


# --- errors ---------------------------------------------------------------------------------


def error_page(request: Request, exc: HamkorError) -> Response:
    t = translator(request)
    return render(request, "error.html", {"title": t("e.title"), "message": humanize(exc, translator(request))},
                  status=status_for(exc))
