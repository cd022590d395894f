"""Reading HTML form fields into the values the services take."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Path as FastApiPath
from starlette.datastructures import FormData

from workflow.errors import Invalid


def text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def integer(form: FormData, name: str, label: str) -> int | None:
    value = text(form, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise Invalid(f"{label}: {value!r} is not a whole number") from None


#: A row id in a path: a 64-bit integer (a larger one is a 422, not a database error).
RowId = Annotated[int, FastApiPath(ge=1, le=2**63 - 1)]


def day(form: FormData, name: str, label: str) -> date | None:
    value = text(form, name)
    if value is None:
        return None
    from workflow.dates import out_of_range

    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{label}: {value!r} is not a date (YYYY-MM-DD)") from None
    if why := out_of_range(parsed):
        raise Invalid(f"{label}: {why}")
    return parsed


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
