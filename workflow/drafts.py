"""Editing a draft agreement: its terms, parties and owner, before it is submitted.

The same validation as `agreements.create` (one copy of each rule); one unit
of work, one commit; the version goes up and the history records an `edit`
listing each changed field with its old and new value. Only a draft can be edited: once submitted, an
agreement changes only through the lifecycle's events.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from models import Agreement, AgreementParty, Organization
from workflow import rules
from workflow.agreements import (
    TYPES,
    AgreementRow,
    Office,
    _validate_forms,
    _validate_terms,
    agreement_dict,
    agreement_to_change,
    record,
    reschedule,
)
from workflow.clock import Clock
from workflow.corrections import check_owner, describe
from workflow.errors import ConcurrentUpdate, Invalid, TransitionRefused
from workflow.lifecycle import RecordEvent, Role, State
from workflow.registry import get_partner, get_user
from workflow.uow import UnitOfWork

EDIT_EVENT = RecordEvent.EDIT
#: What `update_draft` accepts; a key left out keeps its value.
EDITABLE = frozenset({
    "title", "type", "partners", "owner", "department", "starts", "expires", "months",
    "indefinite", "auto_renew", "renewal_months", "notice_days", "forms", "notes",
})
_TERM_KEYS = ("expires", "months", "indefinite")


def update_draft(uow: UnitOfWork, clock: Clock, office: Office, ref: str, changes: dict[str, Any],
                 *, by: str | None, expected_version: int | None = None) -> AgreementRow:
    """Apply `changes` (keys of `EDITABLE`) to the draft `ref`.

    `expected_version` is the version the editor saw: if someone changed the
    agreement since, nothing is written and `ConcurrentUpdate` says so.
    `partners` is the complete list of parties in order (names or ids),
    the home institution included when it is a party.
    """
    unknown = set(changes) - EDITABLE
    if unknown:
        raise Invalid(rules.problem("draft.unknown", fields=", ".join(sorted(unknown)),
                                    editable=", ".join(sorted(EDITABLE))))
    with uow.writing():
        s = uow.session
        a, who = agreement_to_change(uow, ref, by, Role.OFFICER, "edit drafts")
        if a.state != State.DRAFT.value:
            raise TransitionRefused(a.ref, EDIT_EVENT, a.state, rules.problem("draft.only_draft"))
        if expected_version is not None and expected_version != a.version:
            raise ConcurrentUpdate(a.ref)

        title = rules.name(changes.get("title", a.title), "title")
        type_ = rules.choice(changes.get("type", a.type), "type", TYPES)
        auto_renew = bool(changes.get("auto_renew", a.auto_renew))
        renewal_months = changes.get("renewal_months", a.renewal_months)
        notice_days = changes.get("notice_days", a.notice_days)
        starts: date | None = changes.get("starts", a.starts_on)
        if any(k in changes for k in _TERM_KEYS):
            expires = changes.get("expires")
            months = changes.get("months")
            indefinite = bool(changes.get("indefinite", False))
        else:
            expires, months, indefinite = a.expires_on, None, a.indefinite
        expires = _validate_terms(starts, expires, months, indefinite, auto_renew,
                                  renewal_months, notice_days)
        forms = _validate_forms(list(changes.get("forms", a.forms or [])))
        owner = a.owner
        if "owner" in changes:
            owner_email = rules.email(changes["owner"], "owner", required=False)
            owner = check_owner(get_user(s, owner_email)) if owner_email else None

        new: dict[str, Any] = {
            "title": title, "type": type_,
            "department": rules.text(changes.get("department", a.department), "department"),
            "starts_on": starts, "expires_on": expires, "indefinite": indefinite,
            "auto_renew": auto_renew, "renewal_months": renewal_months, "notice_days": notice_days,
            "forms": forms,
            "notes": rules.text(changes.get("notes", a.notes), "notes", multiline=True),
        }
        changed = [(k, getattr(a, k), v) for k, v in new.items() if getattr(a, k) != v]
        if owner is not a.owner:
            changed.append(("owner", a.owner.email if a.owner else None,
                            owner.email if owner else None))
        if "partners" in changes:
            orgs = _parties(s, changes["partners"])
            if [p.organization_id for p in a.parties] != [o.id for o in orgs]:
                changed.append(("parties", [p.organization.name for p in a.parties],
                                [o.name for o in orgs]))
                _replace_parties(a.parties, orgs, a)
        if not changed:
            return agreement_dict(a)

        for k, v in new.items():
            setattr(a, k, v)
        a.owner = owner
        flag_modified(a, "title")  # a change of parties alone still bumps the version
        record(s, a, EDIT_EVENT, actor=who.email, on=clock.today, clock=clock,
               from_state=a.state, to_state=a.state, note=describe(changed))
        reschedule(s, a, office.policy, clock.today - timedelta(days=1), last_on=clock.today)
        uow.commit()
        return agreement_dict(a)


def _parties(s: Session, names: list[str]) -> list[Organization]:
    orgs: list[Organization] = []
    for name in names:
        org = get_partner(s, rules.name(name, "partners"))
        if org in orgs:
            rules.refuse("partners.twice", "partners", name=org.name)
        orgs.append(org)
    if len(orgs) < 2:
        rules.refuse("partners.two_parties", "partners")
    return orgs


def _replace_parties(current: list[AgreementParty], orgs: list[Organization], a: Agreement) -> None:
    """Keep the rows of parties that stay (their ids and signatures), add the new, drop the rest."""
    by_org = {p.organization_id: p for p in current}
    rows = []
    for i, org in enumerate(orgs):
        row = by_org.pop(org.id, None) or AgreementParty(organization=org)
        row.position = i
        rows.append(row)
    a.parties = rows
