"""Correcting an agreement after it left draft: title, owner, department, notes, forms.

An officer may correct these on any agreement that has not ended; the terms
(dates, renewal, parties) change after signing only through the lifecycle
(notice, renewal, the conditions' amendment flow). Each correction is one `edit`
event whose note lists every changed field as `field: old → new`, one a line,
so the history says exactly what was corrected and from what. The owner must be
an active officer, approver or admin: a viewer can never own an agreement.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workflow.agreements import AgreementRow

from sqlalchemy.orm.attributes import flag_modified

from models import User
from workflow import rules
from workflow.clock import Clock
from workflow.errors import ConcurrentUpdate, Invalid, TransitionRefused
from workflow.lifecycle import TERMINAL, Role, State
from workflow.uow import UnitOfWork

EDIT_EVENT = "edit"
#: What `correct` accepts on an agreement past draft; a key left out keeps its value.
CORRECTABLE = ("title", "owner", "department", "notes", "forms")
ARROW = " → "
EMPTY = "—"


def shown(value: Any) -> str:
    """A value as the history shows it: one line, `—` when empty."""
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or EMPTY
    return " ".join(str(value).split())


def describe(changes: list[tuple[str, Any, Any]]) -> str:
    """The `edit` event's note: `field: old → new`, a line per changed field."""
    return "\n".join(f"{field}: {shown(old)}{ARROW}{shown(new)}" for field, old, new in changes)


def parse(note: str | None) -> list[tuple[str, str, str]] | None:
    """The changes of an `edit` note written by `describe`, or None for another note."""
    out = []
    for line in (note or "").splitlines():
        field, sep, rest = line.partition(": ")
        old, arrow, new = rest.partition(ARROW)
        if not (sep and arrow and field.replace("_", "").isalpha()):
            return None
        out.append((field, old, new))
    return out or None


def check_owner(user: User) -> User:
    """An agreement's owner receives its reminders and acts on it: never a viewer."""
    if Role.parse(user.role) < Role.OFFICER:
        raise Invalid(rules.problem("owner.viewer", "owner", email=user.email))
    if not user.active:
        raise Invalid(rules.problem("owner.inactive", "owner", email=user.email))
    return user


def _text(value: Any) -> str | None:
    clean = " ".join(str(value).split()) if value is not None else ""
    return clean or None


def _notes(value: Any) -> str | None:
    clean = str(value).strip() if value is not None else ""
    return clean or None


def correct(uow: UnitOfWork, clock: Clock, ref: str, changes: dict[str, Any], *, by: str | None,
            expected_version: int | None = None) -> AgreementRow:
    """Apply `changes` (keys of `CORRECTABLE`) to an agreement that has not ended."""
    from workflow.agreements import _validate_forms, agreement_dict, agreement_to_change, record
    from workflow.registry import get_user

    unknown = set(changes) - set(CORRECTABLE)
    if unknown:
        raise Invalid(rules.problem("correct.unknown", fields=", ".join(sorted(unknown)),
                                    correctable=", ".join(CORRECTABLE)))
    with uow:
        s = uow.session
        a, who = agreement_to_change(uow, ref, by, Role.OFFICER, "correct agreements")
        if State(a.state) in TERMINAL:
            raise TransitionRefused(a.ref, EDIT_EVENT, a.state, rules.problem("correct.ended"))
        if expected_version is not None and expected_version != a.version:
            raise ConcurrentUpdate(a.ref)
        new: dict[str, Any] = {}
        if "title" in changes:
            new["title"] = _text(changes["title"])
            if not new["title"]:
                raise Invalid(rules.problem("title.required", "title"))
        if "department" in changes:
            new["department"] = _text(changes["department"])
        if "notes" in changes:
            new["notes"] = _notes(changes["notes"])
        if "forms" in changes:
            new["forms"] = _validate_forms(list(changes["forms"] or []))
        owner = a.owner
        if "owner" in changes:
            email = _text(changes["owner"])
            if email is None:
                raise Invalid(rules.problem("owner.required", "owner"))
            owner = check_owner(get_user(s, email))
        diffs = [(k, getattr(a, k), v) for k, v in new.items() if (getattr(a, k) or None) != (v or None)]
        if owner is not a.owner:
            diffs.append(("owner", a.owner.email if a.owner else None, owner.email if owner else None))
        if not diffs:
            return agreement_dict(a)
        for k, v in new.items():
            setattr(a, k, v)
        a.owner = owner
        flag_modified(a, "title")
        record(s, a, EDIT_EVENT, actor=who.email, on=clock.today, clock=clock,
               from_state=a.state, to_state=a.state, note=describe(diffs))
        uow.commit()
        return agreement_dict(a)
