"""The tick's quota rule: queue the warning of `workflow.quota_warnings` (one message per
agreement and academic year, unique key in the outbox: exactly once)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Agreement
from notifications import messages, outbox
from notifications.context import Recipient, quota_context
from notifications.links import Links
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
    approvers = messages.approvers(s)
    links = Links(office.mail.base_url)
    out = []
    agreements = {a.id: a for a in s.scalars(select(Agreement).where(Agreement.id.in_(sorted(due))))}
    for aid in sorted(due):
        a = agreements[aid]
        reader = messages.active_owner(a) or (approvers[0] if approvers else None)
        to = reader.email if reader is not None else ""
        r = messages.recipient_of(reader) if reader is not None else Recipient("", "")
        ctx = quota_context(messages.agreement_view(s, a), today, office.institution, links, r,
                            academic_year=label, year_ends_on=last_day, rows=due[aid])
        subject, text, html = compose(RULE, ctx, r.lang)
        out.append(outbox.Outgoing(
            key=key(aid, label), agreement_id=aid, term=a.term, rule=RULE,
            offset_days=first_year(label), due_on=first_day, to_addr=to, subject=subject,
            body_text=text, body_html=html, status="pending" if to else "skipped",
            last_error=None if to else "no recipient: the agreement has no active owner "
                                       "and there is no approver"))
    return out
