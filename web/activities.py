"""Cooperation activities on the web: pages (`/activities`) and JSON API (`/api/activities`).

The same services as `hamkor activity ...`, as the signed-in user or the token's
user: officers and above record, edit and remove; everyone reads. Participant
names are shown only when asked for (`?with_names=1`), and only to officers and
above. Refusals: the page again with the reason, or `{"detail": ...}` with its status.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import FormData

from web import forms
from web.errors import humanize, row_message, status_for
from web.forms import RowId
from web.render import flash, redirect, render, translator
from web.security import api_user, checked_form, page_user
from web.state import hamkor
from workflow.activities import ActivityDetail, ActivityRow, RemovedActivity, UtilisationRow
from workflow.activity_transfer import ActivityImportSummary
from workflow.errors import HamkorError

if TYPE_CHECKING:
    from models import Agreement, MobilitySpec

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["api"])
User = dict[str, Any]

#: Form fields of an activity (the service's field names).
FIELDS = ("kind", "agreement", "partner", "department", "direction", "category", "people",
          "starts_on", "ends_on", "title", "purpose", "place", "funder", "amount", "currency",
          "role", "year", "doi", "academic_year", "notes")


def _raw(form: FormData, *, edit: bool) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for name in FIELDS:
        if name in form:
            value = forms.text(form, name)
            if value is not None or edit:
                raw[name] = value
    if "names" in form:
        text = form.get("names")
        names = [n.strip() for n in str(text or "").splitlines() if n.strip()]
        if names or edit:
            raw["names"] = names
    return raw


# --- pages ------------------------------------------------------------------------------------


def _list_page(request: Request, user: User, *, error: str | None = None, status_code: int = 200,
               values: dict[str, Any] | None = None) -> Response:
    from models.activities import ACTIVITY_KINDS, DIRECTIONS, MOBILITY_CATEGORIES, PROJECT_ROLES
    from workflow.activities import list_activities
    from workflow.activity_rules import KIND_FIELDS

    app = hamkor(request)
    q = request.query_params
    filters = {k: (q.get(k) or None) for k in ("ref", "partner", "year", "kind")}
    rows: list[ActivityRow] = []
    try:
        rows = list_activities(app.uow(), app.office().year_start, ref=filters["ref"],
                               partner=filters["partner"], year=filters["year"],
                               kind=filters["kind"])
    except HamkorError as exc:
        error, status_code = humanize(exc, translator(request)), status_for(exc)
    return render(request, "activities.html", {
        "rows": rows, "filters": filters, "error": error, "v": values or {},
        "kinds": ACTIVITY_KINDS, "directions": DIRECTIONS, "categories": MOBILITY_CATEGORIES,
        "roles": PROJECT_ROLES, "kind_fields": {k: sorted(v) for k, v in KIND_FIELDS.items()},
        "nav": "activities",
    }, status=status_code)


@pages.get("/activities", response_class=HTMLResponse)
def activity_list(request: Request, user: User = Depends(page_user)) -> Response:
    return _list_page(request, user)


@pages.post("/activities")
def activity_add(request: Request, user: User = Depends(page_user),
                 form: FormData = Depends(checked_form)) -> Response:
    from workflow.activities import add_activity

    app = hamkor(request)
    raw = _raw(form, edit=False)
    t = translator(request)
    try:
        out = add_activity(app.uow(), app.clock(), app.office(), app.office().year_start, raw,
                           by=user["email"])
    except HamkorError as exc:
        return _list_page(request, user, error=f"{humanize(exc, translator(request))}. {t('ag.nothing_changed')}",
                          status_code=status_for(exc), values=raw)
    flash(request, "ok", t("act.added", id=out["id"]))
    return redirect(f"/activities/{out['id']}")


@pages.post("/activities/import")
def activity_import(request: Request, user: User = Depends(page_user),
                    form: FormData = Depends(checked_form)) -> Response:
    """Upload a CSV, XLSX or JSON file of activities: all rows or nothing, every problem
    listed by row and column."""
    import tempfile
    from pathlib import Path

    from workflow.activity_transfer import import_activities, read_file
    from workflow.transfer import ImportRejected

    app = hamkor(request)
    t = translator(request)
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return _list_page(request, user, error=t("act.import_none"), status_code=422)
    dry_run = forms.text(form, "dry_run") is not None
    suffix = Path(upload.filename).suffix.lower()
    data = upload.file.read()
    with tempfile.TemporaryDirectory(prefix="hamkor-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            sheet = read_file(path)
            report = import_activities(app.uow(immediate=True), app.clock(), app.office(), sheet,
                                       source=upload.filename, by=user["email"], dry_run=dry_run)
        except ImportRejected as exc:
            t = translator(request)
            if t.lang == "en":  # the service's sentences, the file's column names
                error = f"{exc}: " + "; ".join(str(e) for e in exc.errors[:50])
            else:
                rejected = t("imp.rejected", n=len(exc.errors), rows=len({e.row for e in exc.errors}))
                error = f"{rejected} " + "; ".join(
                    f"{t('imp.row')} {e.row}, {t.field_name(e.column)}: {row_message(e, t)}"
                    for e in exc.errors[:50])
            return _list_page(request, user, error=error, status_code=422)
        except HamkorError as exc:
            return _list_page(request, user, error=f"{humanize(exc, translator(request))}. {t('ag.nothing_changed')}",
                              status_code=status_for(exc))
    counts = {k: report.count(k) for k in ("create", "update", "skip")}
    flash(request, "ok", t("act.imported_dry" if dry_run else "act.imported", **counts))
    return redirect("/activities")


def _activity_page(request: Request, user: User, activity_id: int, *, error: str | None = None,
                   status_code: int = 200) -> Response:
    from workflow.activities import show_activity

    app = hamkor(request)
    with_names = request.query_params.get("with_names") in ("1", "true", "yes")
    a = show_activity(app.uow(), activity_id, with_names=with_names, by=user["email"])
    return render(request, "activity.html", {"a": a, "with_names": with_names, "error": error,
                                             "nav": "activities"}, status=status_code)


@pages.get("/activities/{activity_id}", response_class=HTMLResponse)
def activity_show(request: Request, activity_id: RowId, user: User = Depends(page_user)) -> Response:
    return _activity_page(request, user, activity_id)


def _activity_change(request: Request, user: User, activity_id: int, change: Callable[[], Any],
                     done: str, then: str) -> Response:
    """Run one change of an activity: its refusal on the activity's page (nothing changed),
    or its message on the page `then` once done."""
    t = translator(request)
    try:
        change()
    except HamkorError as exc:
        return _activity_page(request, user, activity_id,
                              error=f"{humanize(exc, t)}. {t('ag.nothing_changed')}",
                              status_code=status_for(exc))
    flash(request, "ok", t(done))
    return redirect(then)


@pages.post("/activities/{activity_id}/edit")
def activity_edit(request: Request, activity_id: RowId, user: User = Depends(page_user),
                  form: FormData = Depends(checked_form)) -> Response:
    from workflow.activities import edit_activity

    app = hamkor(request)
    raw = _raw(form, edit=True)
    raw.pop("kind", None)
    raw = {k: v for k, v in raw.items() if k != "names"}  # names: only removed, never retyped here
    return _activity_change(request, user, activity_id, lambda: edit_activity(
        app.uow(), app.clock(), app.office(), app.office().year_start, activity_id, raw,
        by=user["email"], version=forms.integer(form, "version", "version")),
        "act.saved", f"/activities/{activity_id}")


@pages.post("/activities/{activity_id}/remove")
def activity_remove(request: Request, activity_id: RowId, user: User = Depends(page_user),
                    form: FormData = Depends(checked_form)) -> Response:
    from workflow.activities import remove_activity

    app = hamkor(request)
    return _activity_change(request, user, activity_id, lambda: remove_activity(
        app.uow(), app.clock(), activity_id, forms.text(form, "reason") or "", by=user["email"]),
        "act.removed", "/activities")


@pages.post("/activities/{activity_id}/remove-names")
def activity_remove_names(request: Request, activity_id: RowId, user: User = Depends(page_user),
                          form: FormData = Depends(checked_form)) -> Response:
    from workflow.activities import remove_names

    app = hamkor(request)
    return _activity_change(request, user, activity_id, lambda: remove_names(
        app.uow(), app.clock(), activity_id, forms.text(form, "reason") or "", by=user["email"]),
        "act.names_removed", f"/activities/{activity_id}")


def agreement_extras(app: Any, agreement: Agreement, specs: Sequence[MobilitySpec], *,
                     any_activities: bool = True) -> dict[str, Any]:
    """What the agreement page shows of activity: its activities and the utilisation of
    its quotas (agreed, used, gap). `agreement` and its conditions' rows (`specs`) were
    read by the page, in the session of `app.uow()`; `any_activities`: False when it is
    known to have none."""
    from workflow.activities import activities_of, utilisation_of

    s = app.settings
    with app.uow() as uow:
        return {
            "activities": activities_of(uow.session, agreement) if any_activities else [],
            "utilisation": utilisation_of(uow.session, app.office().year_start, agreement.id, specs,
                                          institution=s.institution, hei_id=s.institution_hei_id),
        }


def under_used_quotas(app: Any, user: User) -> list[dict[str, Any]]:
    """Dashboard: the user's agreements (all, for approvers) whose quota of the current
    academic year is less than half used three months before the year ends."""
    from workflow.quota_warnings import under_used_for

    return [{**w} for w in under_used_for(app.uow(), app.office(), app.clock().today,
                                          user["email"])]


# --- JSON API ---------------------------------------------------------------------------------


class ActivityIn(BaseModel):
    """An activity to record: the fields of the Activities page's form."""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(examples=["mobility"], description="mobility|visit|event|project|publication")
    agreement: str | None = Field(None, examples=["AGR-2020-0001"])
    partner: str | None = None
    department: str | None = None
    direction: str | None = Field(None, description="in|out (mobility, visit)")
    category: str | None = Field(None, description="student-studies|student-traineeship|"
                                                   "staff-teaching|staff-training|other")
    people: int | None = None
    starts_on: str | None = Field(None, description="mobility/project first day; visit/event date")
    ends_on: str | None = None
    title: str | None = None
    purpose: str | None = None
    place: str | None = None
    funder: str | None = None
    amount: str | None = None
    currency: str | None = None
    role: str | None = None
    year: int | None = None
    doi: str | None = None
    academic_year: str | None = None
    names: list[str] | None = Field(None, description="participants (personal data)")
    notes: str | None = None


class ActivityPatch(BaseModel):
    """The fields to change (null clears an optional one) and the version read."""

    model_config = ConfigDict(extra="forbid")
    agreement: str | None = None
    partner: str | None = None
    department: str | None = None
    direction: str | None = None
    category: str | None = None
    people: int | None = None
    starts_on: str | None = None
    ends_on: str | None = None
    title: str | None = None
    purpose: str | None = None
    place: str | None = None
    funder: str | None = None
    amount: str | None = None
    currency: str | None = None
    role: str | None = None
    year: int | None = None
    doi: str | None = None
    academic_year: str | None = None
    names: list[str] | None = None
    notes: str | None = None
    version: int | None = None


class ReasonIn(BaseModel):
    reason: str = Field(examples=["recorded twice"])


@api.get("/activities", summary="Cooperation activities")
def api_list(request: Request, ref: str | None = None, partner: str | None = None,
             year: str | None = None, kind: str | None = None, with_names: bool = False,
             user: User = Depends(api_user)) -> list[ActivityRow]:
    """Filters as `hamkor activity list`; `with_names` (officers and above) adds names."""
    from workflow.activities import list_activities

    app = hamkor(request)
    return list_activities(app.uow(), app.office().year_start, ref=ref, partner=partner,
                           year=year, kind=kind, with_names=with_names, by=user["email"])


@api.post("/activities", status_code=status.HTTP_201_CREATED, summary="Record an activity")
def api_add(request: Request, body: ActivityIn, user: User = Depends(api_user)) -> ActivityRow:
    from workflow.activities import add_activity

    app = hamkor(request)
    return add_activity(app.uow(), app.clock(), app.office(), app.office().year_start,
                        body.model_dump(exclude_none=True), by=user["email"])


@api.post("/activities/import", summary="Import activities (a list of objects): all or nothing")
def api_import(request: Request, body: list[dict[str, Any]], dry_run: bool = False,
               user: User = Depends(api_user)) -> ActivityImportSummary:
    """The columns of `hamkor activity export` as keys; refused with 422 and `errors`
    (row, column, message, code) when any row is wrong, and nothing is written."""
    from fastapi import HTTPException

    from workflow.activity_transfer import decode_objects, import_activities
    from workflow.transfer import ImportRejected

    app = hamkor(request)
    try:
        sheet = decode_objects(body, "request")
        report = import_activities(app.uow(immediate=True), app.clock(), app.office(), sheet,
                                   source="api", by=user["email"], dry_run=dry_run)
    except ImportRejected as exc:
        raise HTTPException(422, detail={"message": str(exc), "errors": [
            {"row": e.row, "column": e.column, "message": e.message,
             "code": e.problem.code if e.problem else "invalid"} for e in exc.errors]}) from None
    return report.as_dict()


@api.get("/activities/{activity_id}", summary="One activity with its audit trail")
def api_show(request: Request, activity_id: RowId, with_names: bool = False,
             user: User = Depends(api_user)) -> ActivityDetail:
    from workflow.activities import show_activity

    return show_activity(hamkor(request).uow(), activity_id, with_names=with_names,
                         by=user["email"])


@api.patch("/activities/{activity_id}", summary="Change an activity")
def api_edit(request: Request, activity_id: RowId, body: ActivityPatch,
             user: User = Depends(api_user)) -> ActivityRow:
    from workflow.activities import edit_activity

    app = hamkor(request)
    return edit_activity(app.uow(), app.clock(), app.office(), app.office().year_start,
                         activity_id, body.model_dump(exclude_unset=True, exclude={"version"}),
                         by=user["email"], version=body.version)


@api.post("/activities/{activity_id}/remove", summary="Remove an activity (audited)")
def api_remove(request: Request, activity_id: RowId, body: ReasonIn,
               user: User = Depends(api_user)) -> RemovedActivity:
    from workflow.activities import remove_activity

    app = hamkor(request)
    return remove_activity(app.uow(), app.clock(), activity_id, body.reason, by=user["email"])


@api.post("/activities/{activity_id}/remove-names",
          summary="Erase an activity's participant names (audited)")
def api_remove_names(request: Request, activity_id: RowId, body: ReasonIn,
                     user: User = Depends(api_user)) -> ActivityRow:
    from workflow.activities import remove_names

    app = hamkor(request)
    return remove_names(app.uow(), app.clock(), activity_id, body.reason, by=user["email"])


@api.get("/agreements/{ref}/utilisation",
         summary="Agreed and used mobility per academic year, direction and kind")
def api_utilisation(request: Request, ref: str, user: User = Depends(api_user)) -> list[UtilisationRow]:
    from workflow.activities import agreement_utilisation

    app = hamkor(request)
    return agreement_utilisation(app.uow(), app.office().year_start, ref,
                                 institution=app.settings.institution,
                                 hei_id=app.settings.institution_hei_id)
