"""Partners (edit every field, contact persons), user administration and the one-time
set-password links, as pages and as JSON API endpoints.

The services (`workflow.partners`, `workflow.users`) decide who may do what:
officers and above change partners and their contacts, admins administer users.
A page only hides the buttons a role cannot use; a refusal re-renders the page
with the reason in the reader's language and changes nothing.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from web import forms
from web.errors import humanize, status_for
from web.forms import RowId
from web.render import flash, redirect, render, translator
from web.security import api_user, checked_form, page_user, session_user
from web.state import hamkor
from workflow.errors import HamkorError

if TYPE_CHECKING:
    from models import Agreement

log = logging.getLogger("hamkor.web")
pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["api"])
User = dict[str, Any]

PARTNER_FIELDS = ("name", "country", "kind", "city", "erasmus_code", "pic", "website", "hei_id")
CONTACT_FIELDS = ("name", "role", "position", "email", "phone")


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def mail_configured(app: Any) -> bool:
    """Links can be mailed: the mail needs the address they point to (HAMKOR_BASE_URL)."""
    return bool(app.settings.base_url)


# --- partners: pages --------------------------------------------------------------------------


def _partner_page(request: Request, partner: str, *, error: str | None = None, status_: int = 200,
                  values: dict[str, Any] | None = None, contact: dict[str, Any] | None = None
                  ) -> Response:
    from models import CONTACT_ROLES
    from workflow.corrections import parse
    from workflow.partners import partner_detail
    from workflow.registry import KINDS

    d = partner_detail(hamkor(request).uow(), partner)
    history = [{**e, "changes": parse(e["note"]) if e["event"] == "edit" else None}
               for e in reversed(d["history"])]
    return render(request, "partner.html", {
        "p": d["partner"], "contacts": d["contacts"], "history": history,
        "kinds": KINDS, "contact_roles": CONTACT_ROLES, "error": error,
        "v": values or dict(d["partner"]), "c": contact or {"role": "signatory"},
        "nav": "partners",
    }, status=status_)


@pages.get("/partners/{partner_id}", response_class=HTMLResponse)
def partner_page(request: Request, partner_id: RowId, user: User = Depends(page_user)) -> Response:
    return _partner_page(request, str(partner_id))


@pages.post("/partners/{partner_id}/edit")
def partner_edit(request: Request, partner_id: RowId, user: User = Depends(page_user),
                 form: FormData = Depends(checked_form)) -> Response:
    from workflow.partners import edit_partner

    app = hamkor(request)
    values = {k: forms.text(form, k) or "" for k in PARTNER_FIELDS}
    try:
        done = edit_partner(app.uow(), app.clock(), str(partner_id), values,
                            actor_email=user["email"], home=app.settings.institution)
    except HamkorError as exc:
        return _partner_page(request, str(partner_id), error=humanize(exc, translator(request)),
                             status_=status_for(exc), values=values)
    t = translator(request)
    flash(request, "ok", t("pp.saved", n=len(done["changes"])) if done["changes"]
          else t("pp.unchanged"))
    return redirect(f"/partners/{partner_id}")


def _contact_values(form: FormData) -> dict[str, str]:
    return {k: forms.text(form, k) or "" for k in CONTACT_FIELDS}


def _contact_change(request: Request, partner_id: RowId, change: Callable[[], Any], done: str,
                    contact: dict[str, Any] | None = None) -> Response:
    """Run one change of a partner's contact persons: its refusal on the partner's page (with
    the values typed, if any), or its message there once done."""
    try:
        c = change()
    except HamkorError as exc:
        return _partner_page(request, str(partner_id), error=humanize(exc, translator(request)),
                             status_=status_for(exc), contact=contact)
    flash(request, "ok", translator(request)(done, name=c["name"]))
    return redirect(f"/partners/{partner_id}#contacts")


@pages.post("/partners/{partner_id}/contacts")
def contact_add(request: Request, partner_id: RowId, user: User = Depends(page_user),
                form: FormData = Depends(checked_form)) -> Response:
    from workflow.partners import add_contact

    app = hamkor(request)
    v = _contact_values(form)
    return _contact_change(request, partner_id, lambda: add_contact(
        app.uow(), app.clock(), str(partner_id), name=v["name"], role=v["role"] or "other",
        email=v["email"], phone=v["phone"], position=v["position"], actor_email=user["email"]),
        "pp.contact_added", contact=v)


@pages.post("/partners/{partner_id}/contacts/{contact_id}/edit")
def contact_edit(request: Request, partner_id: RowId, contact_id: RowId,
                 user: User = Depends(page_user), form: FormData = Depends(checked_form)) -> Response:
    from workflow.partners import edit_contact

    app = hamkor(request)
    return _contact_change(request, partner_id, lambda: edit_contact(
        app.uow(), app.clock(), contact_id, _contact_values(form), partner=str(partner_id),
        actor_email=user["email"]), "pp.contact_saved")


@pages.post("/partners/{partner_id}/contacts/{contact_id}/remove")
def contact_remove(request: Request, partner_id: RowId, contact_id: RowId,
                   user: User = Depends(page_user), form: FormData = Depends(checked_form)) -> Response:
    from workflow.partners import remove_contact

    app = hamkor(request)
    return _contact_change(request, partner_id, lambda: remove_contact(
        app.uow(), app.clock(), contact_id, partner=str(partner_id), actor_email=user["email"]),
        "pp.contact_removed")


def agreement_contacts(app: Any, agreement: Agreement, *, any_contacts: bool = True) -> dict[str, Any]:
    """For the agreement page: each party's page and contact persons (`agreement`: read
    with its parties by the page, in the session of `app.uow()`; `any_contacts`: False
    when none of them has contact persons)."""
    from workflow.partners import party_contacts

    with app.uow() as uow:
        return {"party_contacts": party_contacts(uow.session, agreement, any_contacts=any_contacts)}


# --- users: pages (admins) --------------------------------------------------------------------


def _users_page(request: Request, user: User, *, error: str | None = None, status_: int = 200,
                values: dict[str, Any] | None = None, link: dict[str, Any] | None = None
                ) -> Response:
    from web.i18n import LANGUAGES
    from workflow.registry import ROLES
    from workflow.users import list_users

    rows = list_users(hamkor(request).uow(), actor_email=user["email"])
    return render(request, "users.html", {
        "users": [asdict(u) for u in rows], "roles": ROLES, "mail_languages": LANGUAGES,
        "error": error, "v": values or {"role": "officer", "lang": translator(request).lang},
        "link": link, "mail_configured": mail_configured(hamkor(request)), "nav": "users",
    }, status=status_)


def _link_shown(request: Request, issued: Any) -> dict[str, Any]:
    return {"email": issued.email, "url": hamkor(request).password_link(issued.token, _base_url(request)),
            "expires_at": issued.expires_at, "mailed": issued.mailed}


@pages.get("/users", response_class=HTMLResponse)
def users_page(request: Request, user: User = Depends(page_user)) -> Response:
    return _users_page(request, user)


@pages.post("/users")
def users_add(request: Request, user: User = Depends(page_user),
              form: FormData = Depends(checked_form)) -> Response:
    from workflow.users import add_user

    app = hamkor(request)
    clock = app.clock()
    v = {k: forms.text(form, k) or "" for k in ("email", "name", "role", "lang")}
    try:
        added = add_user(app.uow(), clock, v["email"], v["name"], v["role"], v["lang"] or "en",
                         actor_email=user["email"], mailer=app.password_mailer(clock))
    except HamkorError as exc:
        return _users_page(request, user, error=humanize(exc, translator(request)),
                           status_=status_for(exc), values=v)
    # The link is shown in this response only (its token is not kept).
    return _users_page(request, user, link=_link_shown(request, added.link), status_=201)


@pages.post("/users/{email}/link")
def users_link(request: Request, email: str, user: User = Depends(page_user),
               form: FormData = Depends(checked_form)) -> Response:
    from workflow.users import issue_link

    app = hamkor(request)
    clock = app.clock()
    try:
        issued = issue_link(app.uow(), clock, email, actor_email=user["email"],
                            mailer=app.password_mailer(clock))
    except HamkorError as exc:
        return _users_page(request, user, error=humanize(exc, translator(request)),
                           status_=status_for(exc))
    return _users_page(request, user, link=_link_shown(request, issued))


@pages.post("/users/{email}/edit")
def users_edit(request: Request, email: str, user: User = Depends(page_user),
               form: FormData = Depends(checked_form)) -> Response:
    from workflow.users import change_user

    app = hamkor(request)
    try:
        u = change_user(app.uow(), email, role=forms.text(form, "role"),
                        lang=forms.text(form, "lang"), actor_email=user["email"])
    except HamkorError as exc:
        return _users_page(request, user, error=humanize(exc, translator(request)),
                           status_=status_for(exc))
    flash(request, "ok", translator(request)("us.saved", email=u.email))
    return redirect("/users")


@pages.post("/users/{email}/active")
def users_active(request: Request, email: str, user: User = Depends(page_user),
                 form: FormData = Depends(checked_form)) -> Response:
    from workflow.users import set_active

    app = hamkor(request)
    active = forms.text(form, "active") == "true"
    try:
        u = set_active(app.uow(), app.clock(), email, active, actor_email=user["email"])
    except HamkorError as exc:
        return _users_page(request, user, error=humanize(exc, translator(request)),
                           status_=status_for(exc))
    t = translator(request)
    flash(request, "ok", t("us.reactivated" if u.active else "us.deactivated", email=u.email))
    return redirect("/users")


# --- set-password links and "forgot password?" (no sign-in) ----------------------------------


class _Throttle:
    """At most `limit` "forgot password" requests per client address in `window` seconds,
    per process (the service also makes at most one link per user per cooldown)."""

    def __init__(self, limit: int = 5, window: float = 900.0) -> None:
        self.limit, self.window = limit, window
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def hit(self, key: str) -> bool:
        """Count a request; False once over the limit."""
        q = self._hits[key]
        now = time.monotonic()
        while q and q[0] < now - self.window:
            q.popleft()
        if len(q) >= self.limit:
            return False
        q.append(now)
        return True


forgot_throttle = _Throttle()


@pages.get("/password/forgot", response_class=HTMLResponse)
def forgot_form(request: Request) -> Response:
    if not mail_configured(hamkor(request)):
        raise HTTPException(404, translator(request)("pw.no_mail"))
    return render(request, "password_forgot.html", {"sent": False})


@pages.post("/password/forgot")
def forgot(request: Request, form: FormData = Depends(checked_form)) -> Response:
    from workflow.users import request_reset

    app = hamkor(request)
    if not mail_configured(app):
        raise HTTPException(404, translator(request)("pw.no_mail"))
    client = request.client.host if request.client else "?"
    if not forgot_throttle.hit(client):
        return render(request, "password_forgot.html",
                      {"sent": False, "error": translator(request)("pw.too_many")}, status=429)
    clock = app.clock()
    mailer = app.password_mailer(clock)
    assert mailer is not None
    mailed = request_reset(app.uow(), clock, forms.text(form, "email") or "", mailer)
    log.info("forgot-password request from %s: %s", client, "mailed" if mailed else "nothing sent")
    # The same answer whether or not the address is a user's (no account enumeration).
    return render(request, "password_forgot.html", {"sent": True})


@pages.get("/password/{token}", response_class=HTMLResponse)
def password_form(request: Request, token: str) -> Response:
    from workflow.users import link_user

    app = hamkor(request)
    try:
        who = link_user(app.uow(), app.clock(), token)
    except HamkorError as exc:
        return _link_refused(request, exc)
    return render(request, "password_set.html", {"who": who, "token": token})


def _link_refused(request: Request, exc: HamkorError) -> Response:
    """A link that cannot be used (any more): 410 Gone, with what to do instead."""
    return render(request, "password_set.html", {
        "who": None, "token": "", "error": humanize(exc, translator(request)),
        "forgot": mail_configured(hamkor(request))}, status=410)


def _raw(form: FormData, name: str) -> str:
    """A password as typed (spaces are part of it)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


@pages.post("/password/{token}")
def password_set(request: Request, token: str, form: FormData = Depends(checked_form)) -> Response:
    from workflow.users import link_user, use_link

    app = hamkor(request)
    t = translator(request)
    password, repeat = _raw(form, "password"), _raw(form, "repeat")
    try:
        who = link_user(app.uow(), app.clock(), token)
    except HamkorError as exc:
        return _link_refused(request, exc)
    if password != repeat:
        return render(request, "password_set.html", {"who": who, "token": token,
                                                     "error": t("pw.mismatch")}, status=422)
    try:
        use_link(app.uow(), app.clock(), token, password)
    except HamkorError as exc:
        return render(request, "password_set.html", {"who": who, "token": token,
                                                     "error": humanize(exc, t)},
                      status=status_for(exc))
    if session_user(request) is not None:
        from web.security import sign_out

        sign_out(request)
    flash(request, "ok", t("pw.done"))
    return redirect("/login")


# --- the JSON API -----------------------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class PartnerFull(_Out):
    id: int
    name: str
    country: str | None
    kind: str
    city: str | None
    erasmus_code: str | None
    pic: str | None
    website: str | None
    hei_id: str | None


class ContactOut(_Out):
    id: int
    partner_id: int
    partner: str
    name: str
    email: str | None
    phone: str | None
    role: Literal["signatory", "coordinator", "other"]
    position: str | None


class PartnerEventOut(_Out):
    id: int
    event: str
    actor: str
    recorded_at: str
    note: str | None


class PartnerDetailOut(_Out):
    partner: PartnerFull
    contacts: list[ContactOut]
    history: list[PartnerEventOut]


class ChangeOut(_Out):
    field: str
    old: str | None
    new: str | None


class PartnerEditedOut(_Out):
    partner: PartnerFull
    changes: list[ChangeOut]


class PartnerPatch(BaseModel):
    """Only the fields given change; an empty string or null clears an optional field."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    country: str | None = Field(None, examples=["IT"])
    kind: str | None = None
    city: str | None = None
    erasmus_code: str | None = None
    pic: str | None = None
    website: str | None = None
    hei_id: str | None = Field(None, examples=["polito.it"])


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    role: Literal["signatory", "coordinator", "other"] = "other"
    position: str | None = Field(None, examples=["Rector"])
    email: str | None = None
    phone: str | None = None


class ContactPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    role: Literal["signatory", "coordinator", "other"] | None = None
    position: str | None = None
    email: str | None = None
    phone: str | None = None


class UserAdminOut(_Out):
    email: str
    name: str
    role: Literal["viewer", "officer", "approver", "admin"]
    lang: str
    active: bool
    has_password: bool


class LinkOut(_Out):
    email: str
    link: str
    expires_at: str
    mailed: bool


class AddedUserOut(_Out):
    user: UserAdminOut
    link: LinkOut


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str
    name: str
    role: Literal["viewer", "officer", "approver", "admin"]
    lang: Literal["en", "uz", "ru"] = "en"


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    role: Literal["viewer", "officer", "approver", "admin"] | None = None
    lang: Literal["en", "uz", "ru"] | None = None


def _given(body: BaseModel) -> dict[str, Any]:
    """The fields the request named (null or "" clears an optional one)."""
    return {k: ("" if v is None else v) for k, v in body.model_dump(exclude_unset=True).items()}


@api.get("/partners/{partner}", response_model=PartnerDetailOut,
         summary="A partner with its contact persons and history (by id, name or hei-id)")
def api_partner(request: Request, partner: str, user: User = Depends(api_user)) -> Any:
    from workflow.partners import partner_detail

    return partner_detail(hamkor(request).uow(), partner)


@api.patch("/partners/{partner}", response_model=PartnerEditedOut,
           summary="Change a partner's fields (officer or above)")
def api_partner_edit(request: Request, partner: str, body: PartnerPatch,
                     user: User = Depends(api_user)) -> Any:
    from workflow.partners import edit_partner

    app = hamkor(request)
    return edit_partner(app.uow(), app.clock(), partner, _given(body), actor_email=user["email"],
                        home=app.settings.institution)


@api.get("/partners/{partner}/contacts", response_model=list[ContactOut],
         summary="A partner's contact persons")
def api_contacts(request: Request, partner: str, user: User = Depends(api_user)) -> Any:
    from workflow.partners import list_contacts

    return list_contacts(hamkor(request).uow(), partner)


@api.post("/partners/{partner}/contacts", response_model=ContactOut,
          status_code=status.HTTP_201_CREATED,
          summary="Add a contact person (officer or above)")
def api_contact_add(request: Request, partner: str, body: ContactIn,
                    user: User = Depends(api_user)) -> Any:
    from workflow.partners import add_contact

    app = hamkor(request)
    return add_contact(app.uow(), app.clock(), partner, **body.model_dump(),
                       actor_email=user["email"])


@api.patch("/partners/{partner}/contacts/{contact_id}", response_model=ContactOut,
           summary="Change a contact person (officer or above)")
def api_contact_edit(request: Request, partner: str, contact_id: RowId, body: ContactPatch,
                     user: User = Depends(api_user)) -> Any:
    from workflow.partners import edit_contact

    app = hamkor(request)
    return edit_contact(app.uow(), app.clock(), contact_id, _given(body), partner=partner,
                        actor_email=user["email"])


@api.delete("/partners/{partner}/contacts/{contact_id}", response_model=ContactOut,
            summary="Remove a contact person (officer or above)")
def api_contact_remove(request: Request, partner: str, contact_id: RowId,
                       user: User = Depends(api_user)) -> Any:
    from workflow.partners import remove_contact

    app = hamkor(request)
    return remove_contact(app.uow(), app.clock(), contact_id, partner=partner,
                          actor_email=user["email"])


def _link_out(request: Request, issued: Any) -> dict[str, Any]:
    shown = _link_shown(request, issued)
    return {"email": shown["email"], "link": shown["url"], "mailed": shown["mailed"],
            "expires_at": issued.expires_at.isoformat()}


@api.get("/admin/users", response_model=list[UserAdminOut],
         summary="Users with their language and status (admin)")
def api_users(request: Request, user: User = Depends(api_user)) -> Any:
    from workflow.users import list_users

    return [asdict(u) for u in list_users(hamkor(request).uow(), actor_email=user["email"])]


@api.post("/admin/users", response_model=AddedUserOut, status_code=status.HTTP_201_CREATED,
          summary="Add a user and make their one-time set-password link (admin)")
def api_user_add(request: Request, body: UserIn, user: User = Depends(api_user)) -> Any:
    from workflow.users import add_user

    app = hamkor(request)
    clock = app.clock()
    added = add_user(app.uow(), clock, body.email, body.name, body.role, body.lang,
                     actor_email=user["email"], mailer=app.password_mailer(clock))
    return {"user": asdict(added.user), "link": _link_out(request, added.link)}


@api.patch("/admin/users/{email}", response_model=UserAdminOut,
           summary="Change a user's name, role or mail language (admin)")
def api_user_edit(request: Request, email: str, body: UserPatch,
                  user: User = Depends(api_user)) -> Any:
    from workflow.users import change_user

    return asdict(change_user(hamkor(request).uow(), email, **body.model_dump(exclude_unset=True),
                              actor_email=user["email"]))


@api.post("/admin/users/{email}/deactivate", response_model=UserAdminOut,
          summary="Deactivate a user: sessions, API tokens and links stop working (admin)")
def api_user_deactivate(request: Request, email: str, user: User = Depends(api_user)) -> Any:
    from workflow.users import set_active

    app = hamkor(request)
    return asdict(set_active(app.uow(), app.clock(), email, False, actor_email=user["email"]))


@api.post("/admin/users/{email}/reactivate", response_model=UserAdminOut,
          summary="Reactivate a user (admin)")
def api_user_reactivate(request: Request, email: str, user: User = Depends(api_user)) -> Any:
    from workflow.users import set_active

    app = hamkor(request)
    return asdict(set_active(app.uow(), app.clock(), email, True, actor_email=user["email"]))


@api.post("/admin/users/{email}/link", response_model=LinkOut,
          summary="Make a new one-time set-password link, replacing older ones (admin)")
def api_user_link(request: Request, email: str, user: User = Depends(api_user)) -> Any:
    from workflow.users import issue_link

    app = hamkor(request)
    clock = app.clock()
    issued = issue_link(app.uow(), clock, email, actor_email=user["email"],
                        mailer=app.password_mailer(clock))
    return _link_out(request, issued)
