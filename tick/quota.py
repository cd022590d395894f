"""The tick's quota rule: queue the warning of `workflow.quota_warnings` (one message per
agreement and academic year, unique key in the outbox: exactly once)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Agreement, User
from notifications import outbox
from workflow.activity_rules import academic_year_of, first_year
from workflow.agreements import Office
from workflow.clock import Clock
from workflow.quota_warnings import RULE, key, under_used, warning_window


def warnings(s: Session, clock: Clock, office: Office, compose: Any) -> list[outbox.Outgoing]:
    """The quota warnings due today (already-sent ones are dropped by their key on insert)."""
    today = clock.today
    due = under_used(s, office, today)
    if not due:
        return []
    label = academic_year_of(today, office.year_start)
    first_day, last_day = warning_window(label, office.year_start)
    approvers = list(s.scalars(select(User.email).where(User.role == "approver",
                                                         User.active.is_(True))
                               .order_by(User.email)))
    out = []
    agreements = {a.id: a for a in s.scalars(select(Agreement).where(Agreement.id.in_(sorted(due))))}
    for aid in sorted(due):
        a = agreements[aid]
        owner = a.owner if a.owner is not None and a.owner.active else None
        to = owner.email if owner else (approvers[0] if approvers else "")
        partners = [p.organization.name for p in a.parties
                    if p.organization.name.casefold() != office.institution.casefold()]
        ctx = {
            "institution": office.institution, "today": today, "academic_year": label,
            "year_ends_on": last_day,
            "agreement": {"ref": a.ref, "title": a.title, "type": a.type.replace("_", " "),
                          "term": a.term, "partners": partners or [p.organization.name for p in a.parties],
                          "department": a.department, "starts_on": a.starts_on,
                          "expires_on": a.expires_on},
            "owner": {"name": owner.name if owner else "colleague",
                      "email": owner.email if owner else None},
            "rows": due[aid],
        }
        subject, text, html = compose(RULE, ctx)
        out.append(outbox.Outgoing(
            key=key(aid, label), agreement_id=aid, term=a.term, rule=RULE,
            offset_days=first_year(label), due_on=first_day, to_addr=to, subject=subject,
            body_text=text, body_html=html, status="pending" if to else "skipped",
            last_error=None if to else "no recipient: the agreement has no active owner "
                                       "and there is no approver"))
    return out
