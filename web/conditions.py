"""Cooperation conditions on the agreement page and in the JSON API.

The services of `hamkor agreement conditions ...` (ewp/conditions.py), which check the
role (officers and above) and the state: a draft or an agreement in review is edited
freely; once signed a change is an amendment, recorded with Hamkor's iia-hash before
and after, and both are shown. A refusal changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import FormData

from ewp.conditions import Condition, ConditionRemoved
from web import forms
from web.errors import humanize, status_for
from web.render import flash, redirect, translator
from web.security import api_user, checked_form, page_user
from web.state import hamkor
from workflow.errors import HamkorError
from workflow.lifecycle import FROZEN
from workflow.rules import integer

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["api"])
User = dict[str, Any]

#: The form's fields (the rule book's field names, as the refusals name them).
FIELDS = ("kind", "sending", "receiving", "first_year", "last_year", "mobilities", "total_months",
          "total_days", "isced", "languages", "eqf", "blended", "info", "sending_ounit",
          "receiving_ounit")


def _split(value: str | None) -> tuple[str, ...]:
    """A list typed in one box: separated by commas, semicolons or new lines."""
    if not value:
        return ()
    return tuple(v.strip() for v in value.replace(";", ",").replace("\n", ",").split(",") if v.strip())


def _split_isced(value: str | None) -> tuple[str, ...]:
    """ISCED codes typed in one box: a comma starts a new entry only before a 4-digit code,
    so a clarification may contain commas (`0714:Mechatronics, robotics, 0613`)."""
    if not value:
        return ()
    parts = re.split(r"\s*[,;\n]\s*(?=\d{4}(?:[:,;\n]|\s*$))", value.strip())
    return tuple(p.strip() for p in parts if p.strip())


def condition_input(values: dict[str, Any]) -> Any:
    """The service's input from the form's or the API's values (the rule book checks them)."""
    from ewp.conditions import ConditionInput

    first, last = values.get("first_year") or "", values.get("last_year") or ""
    years = f"{first}:{last}" if last and last != first else first
    eqf = values.get("eqf") or ()
    return ConditionInput(
        kind=values.get("kind") or "", sending=values.get("sending") or "",
        receiving=values.get("receiving") or "", years=years,
        mobilities=values["mobilities"] if values.get("mobilities") is not None else 0,
        months=values.get("total_months"), days=values.get("total_days"),
        isced=tuple(values.get("isced") or ()), languages=tuple(values.get("languages") or ()),
        eqf=tuple(integer(str(x), "eqf") or 0 for x in eqf), blended=bool(values.get("blended")),
        info=values.get("info"), sending_ounit=values.get("sending_ounit"),
        receiving_ounit=values.get("receiving_ounit"))


def _form_values(form: FormData) -> dict[str, Any]:
    raw = {name: forms.text(form, name) for name in FIELDS}
    return {**raw, "blended": forms.flag(form, "blended")}


def _typed(raw: dict[str, Any]) -> dict[str, Any]:
    return {**raw, "mobilities": integer(raw.get("mobilities"), "mobilities"),
            "isced": _split_isced(raw.get("isced")), "languages": _split(raw.get("languages")),
            "eqf": _split(raw.get("eqf"))}


def _as_form(c: dict[str, Any]) -> dict[str, Any]:
    """A listed condition as its change form's values."""
    return {
        "kind": c["kind"], "sending": c["from"], "receiving": c["to"],
        "first_year": c["first_year"],
        "last_year": c["last_year"] if c["last_year"] != c["first_year"] else "",
        "mobilities": c["mobilities_per_year"], "total_months": c["total_months"],
        "total_days": c["total_days"],
        "isced": ", ".join(sa["code"] + (f":{sa['clarification']}" if sa.get("clarification") is not None
                                         else "") for sa in c["subject_areas"]),
        "languages": ", ".join(lang["language"] + (f":{lang['level']}" if lang.get("level") else "")
                               for lang in c["languages"]),
        "eqf": ", ".join(str(x) for x in c["eqf_levels"]), "blended": c["blended"],
        "info": c["other_info"], "sending_ounit": c["sending_ounit_id"],
        "receiving_ounit": c["receiving_ounit_id"],
    }


def page_extras(state: str, conditions: list[dict[str, Any]]) -> dict[str, Any]:
    """What the agreement page needs for its conditions' forms: whether a change is an
    edit, an amendment, or not possible now (frozen for signature, closed)."""
    from ewp.conditions import AMENDABLE, EDITABLE
    from ewp.model import KINDS

    mode = "edit" if state in EDITABLE else "amend" if state in AMENDABLE else (
        "frozen" if state in FROZEN else "closed")
    return {"cond_mode": mode, "cond_kinds": KINDS,
            "cond_values": {c["n"]: _as_form(c) for c in conditions}}


# --- pages ------------------------------------------------------------------------------------


def _done(request: Request, ref: str, out: Any, key: str, n: int) -> Response:
    t = translator(request)
    message = t(key, n=n)
    if out["amended"]:
        message += " " + t("cond.amended", old=out["old_hash"] or "–", new=out["hash"] or "–")
    flash(request, "ok", message)
    return redirect(f"/agreements/{ref.upper()}#conditions")


def _refused(request: Request, user: User, ref: str, exc: HamkorError,
             values: dict[str, Any]) -> Response:
    from web.pages import agreement_page

    t = translator(request)
    message = f"{humanize(exc, t)}. {t('ag.nothing_changed')}"
    return agreement_page(request, user, ref, error=message, status=status_for(exc),
                          values={"condition": values})


def _typed_change(request: Request, ref: str, user: User, form: FormData, n: int | None) -> Response:
    """Add (`n` None) or replace the `n`-th condition with the values of the form; refused,
    the agreement's page shows the form again with what was typed."""
    from ewp.conditions import add_condition, edit_condition

    app = hamkor(request)
    raw = _form_values(form)
    try:
        ci = condition_input(_typed(raw))
        out: Mapping[str, Any]
        if n is None:
            out = add_condition(app.uow(), app.clock(), app.home(), ref, ci, by=user["email"])
        else:
            out = edit_condition(app.uow(), app.clock(), app.home(), ref, n, ci, by=user["email"])
    except HamkorError as exc:
        return _refused(request, user, ref, exc, {**raw, "n": n})
    return _done(request, ref, out, "cond.added" if n is None else "cond.changed", out["n"])


@pages.post("/agreements/{ref}/conditions")
def condition_add(request: Request, ref: str, user: User = Depends(page_user),
                  form: FormData = Depends(checked_form)) -> Response:
    return _typed_change(request, ref, user, form, None)


@pages.post("/agreements/{ref}/conditions/{n}/edit")
def condition_edit(request: Request, ref: str, n: int, user: User = Depends(page_user),
                   form: FormData = Depends(checked_form)) -> Response:
    return _typed_change(request, ref, user, form, n)


@pages.post("/agreements/{ref}/conditions/{n}/move")
def condition_move(request: Request, ref: str, n: int, user: User = Depends(page_user),
                   form: FormData = Depends(checked_form)) -> Response:
    from ewp.conditions import move_condition

    app = hamkor(request)
    direction = forms.text(form, "direction") or ""
    try:
        out = move_condition(app.uow(), app.clock(), app.home(), ref, n,
                             direction, by=user["email"])  # type: ignore[arg-type]
    except HamkorError as exc:
        return _refused(request, user, ref, exc, {})
    return _done(request, ref, out, "cond.moved", out["n"])


@pages.post("/agreements/{ref}/conditions/{n}/remove")
def condition_remove(request: Request, ref: str, n: int, user: User = Depends(page_user),
                     form: FormData = Depends(checked_form)) -> Response:
    from ewp.conditions import remove_condition

    app = hamkor(request)
    try:
        out = remove_condition(app.uow(), app.clock(), app.home(), ref, n, by=user["email"])
    except HamkorError as exc:
        return _refused(request, user, ref, exc, {})
    return _done(request, ref, out, "cond.removed", n)


# --- JSON API ---------------------------------------------------------------------------------


class ConditionIn(BaseModel):
    """One direction of mobility: the values of a cooperation condition."""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(examples=["student-studies"],
                      description="student-studies|student-traineeship|staff-teacher|staff-training")
    sending: str = Field(examples=["Turin Polytechnic University in Tashkent"],
                         description="Sending party: name, id or hei-id")
    receiving: str = Field(examples=["Politecnico di Torino"], description="Receiving party")
    first_year: str = Field(examples=["2025/2026"], description="First academic year")
    last_year: str | None = Field(None, examples=["2029/2030"], description="Last academic year")
    mobilities: int = Field(examples=[2], description="Mobilities per academic year")
    total_months: str | None = Field(None, examples=["10"], description="Total months a year (students)")
    total_days: str | None = Field(None, description="Total days a year (staff)")
    isced: list[str] = Field(default_factory=list, examples=[["0613:software"]],
                             description="ISCED-F 2013 codes, CODE[:CLARIFICATION]")
    languages: list[str] = Field(default_factory=list, examples=[["en:B2"]],
                                 description="LANG[:CEFR level]")
    eqf: list[int] = Field(default_factory=list, description="EQF levels 1-8 (students)")
    blended: bool = False
    info: str | None = Field(None, description="Other terms")
    sending_ounit: str | None = Field(None, description="Sending organisational unit id (EWP)")
    receiving_ounit: str | None = Field(None, description="Receiving organisational unit id (EWP)")


class ChangeOut(BaseModel):
    """What a change did: the condition (as numbered after it), and for an amendment of a
    signed agreement Hamkor's iia-hash before and after."""

    ref: str
    n: int
    condition: dict[str, Any]
    amended: bool
    old_hash: str | None
    hash: str | None


class MoveIn(BaseModel):
    direction: Literal["up", "down"] = Field(description="Among the conditions of its kind")


@api.get("/agreements/{ref}/conditions", summary="An agreement's cooperation conditions")
def api_list(request: Request, ref: str, user: User = Depends(api_user)) -> list[Condition]:
    """Numbered as the other condition endpoints take them (by kind, then stored order)."""
    from ewp.conditions import list_conditions

    app = hamkor(request)
    return list_conditions(app.uow(), app.home(), ref)


@api.post("/agreements/{ref}/conditions", response_model=ChangeOut,
          status_code=status.HTTP_201_CREATED, summary="Add a cooperation condition")
def api_add(request: Request, ref: str, body: ConditionIn, user: User = Depends(api_user)) -> Any:
    """Officers and above; an amendment (with old and new iia-hash) once signed."""
    from ewp.conditions import add_condition

    app = hamkor(request)
    return add_condition(app.uow(), app.clock(), app.home(), ref,
                         condition_input(body.model_dump()), by=user["email"])


@api.put("/agreements/{ref}/conditions/{n}", response_model=ChangeOut,
         summary="Replace a cooperation condition")
def api_edit(request: Request, ref: str, n: int, body: ConditionIn,
             user: User = Depends(api_user)) -> Any:
    from ewp.conditions import edit_condition

    app = hamkor(request)
    return edit_condition(app.uow(), app.clock(), app.home(), ref, n,
                          condition_input(body.model_dump()), by=user["email"])


@api.post("/agreements/{ref}/conditions/{n}/move", response_model=ChangeOut,
          summary="Move a cooperation condition up or down")
def api_move(request: Request, ref: str, n: int, body: MoveIn, user: User = Depends(api_user)) -> Any:
    from ewp.conditions import move_condition

    app = hamkor(request)
    return move_condition(app.uow(), app.clock(), app.home(), ref, n, body.direction,
                          by=user["email"])


@api.delete("/agreements/{ref}/conditions/{n}", summary="Remove a cooperation condition")
def api_remove(request: Request, ref: str, n: int, user: User = Depends(api_user)) -> ConditionRemoved:
    """Returns `removed` (the condition), `amended`, `old_hash` and `hash`."""
    from ewp.conditions import remove_condition

    app = hamkor(request)
    return remove_condition(app.uow(), app.clock(), app.home(), ref, n, by=user["email"])
