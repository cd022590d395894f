"""Reading HTML form fields into the values the services take."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Path as FastApiPath
from starlette.datastructures import FormData

from workflow import rules


def text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def integer(form: FormData, name: str, label: str | None = None) -> int | None:
    """A whole number field by the rule book (64-bit at most); `name` is its field."""
    return rules.integer(text(form, name), name)


#: A row id in a path: a 64-bit integer (a larger one is a 422, not a database error).
RowId = Annotated[int, FastApiPath(ge=1, le=rules.MAX_INT64)]


def day(form: FormData, name: str, label: str | None = None) -> date | None:
    """A date field by the rule book; `name` is its field (the page names it by its label)."""
    return rules.day(text(form, name), name)


def flag(form: FormData, name: str) -> bool:
    return text(form, name) in ("1", "on", "true", "yes")


def many(form: FormData, name: str) -> list[str]:
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def agreement_fields(form: FormData) -> dict[str, Any]:
    """The create/edit form as the services' keyword names (drafts' `EDITABLE` names)."""
    return {
        "title": text(form, "title") or "",
        "type": text(form, "type") or "",
        "owner": text(form, "owner"),
        "department": text(form, "department"),
        "starts": day(form, "starts", "Starts on"),
        "expires": day(form, "expires", "Last day in force"),
        "months": integer(form, "months", "Length in months"),
        "indefinite": flag(form, "indefinite"),
        "auto_renew": flag(form, "auto_renew"),
        "renewal_months": integer(form, "renewal_months", "Renewal period"),
        "notice_days": integer(form, "notice_days", "Notice period"),
        "forms": many(form, "forms"),
        "notes": text(form, "notes"),
        "partners": many(form, "partners"),
    }


def refill(form: FormData) -> dict[str, Any]:
    """What was submitted, shaped like an agreement dict, to fill a refused form again."""
    return {
        "title": text(form, "title"), "type": text(form, "type"), "owner": text(form, "owner"),
        "department": text(form, "department"), "starts_on": text(form, "starts"),
        "expires_on": text(form, "expires"), "months": text(form, "months"),
        "indefinite": flag(form, "indefinite"), "auto_renew": flag(form, "auto_renew"),
        "renewal_months": text(form, "renewal_months"), "notice_days": text(form, "notice_days"),
        "forms": many(form, "forms"), "notes": text(form, "notes"),
        "partner_keys": many(form, "partners"), "no_institution": flag(form, "no_institution"),
        "on": text(form, "on"),
    }
