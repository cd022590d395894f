"""The quota warning: an agreed Erasmus+ quota still less than half used three months
before its academic year ends.

From that day to the year's last day, the daily tick queues one message per
agreement and academic year to the owner (the approvers without one), listing
every direction and kind under half used. Its key `<agreement>:0:quota:<year>`
is unique in the outbox, so it goes out exactly once, whichever tick or
process gets there first (`tick.quota` queues it). The dashboard shows the same
rows (`under_used_for`: an officer's own agreements, every agreement for approvers).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Agreement
from workflow.activities import UtilisationRow, home_org_ids, read_quotas, read_usage, utilisation
from workflow.activity_rules import MonthDay, academic_year_end, academic_year_of, first_year
from workflow.agreements import Office
from workflow.dates import add_months
from workflow.lifecycle import IN_FORCE, Role
from workflow.registry import actor
from workflow.uow import UnitOfWork

RULE = "quota"
#: A quota is under-used below this share of its mobilities.
THRESHOLD = 0.5
#: The warning comes this many months before the academic year ends.
MONTHS_BEFORE_END = 3


def warning_window(label: str, start: MonthDay) -> tuple[date, date]:
    """First and last day on which academic year `label`'s warning may go out."""
    end = academic_year_end(label, start)
    return add_months(end + timedelta(days=1), -MONTHS_BEFORE_END), end


def key(agreement_id: int, label: str) -> str:
    """`12:0:quota:2025`: the outbox's `agreement:term:rule:offset` shape, with term 0 (the
    warning belongs to the academic year, not to a term: a renewal does not repeat it) and
    the academic year's first calendar year as the offset."""
    return f"{agreement_id}:0:{RULE}:{first_year(label)}"


def under_used(s: Session, office: Office, today: date, *,
               agreement_ids: list[int] | None = None) -> dict[int, list[UtilisationRow]]:
    """Per agreement in force, the utilisation rows of the academic year of `today`
    used less than half, when that year's warning window is open (else nothing)."""
    label = academic_year_of(today, office.year_start)
    first_day, last_day = warning_window(label, office.year_start)
    if not first_day <= today <= last_day:
        return {}
    stmt = select(Agreement.id).where(Agreement.state.in_(IN_FORCE))
    if agreement_ids is not None:
        stmt = stmt.where(Agreement.id.in_(agreement_ids))
    live = set(s.scalars(stmt))
    quotas = [q for q in read_quotas(s, home_org_ids(s, office.institution, office.hei_id))
              if q.agreement_id in live]
    if not quotas:
        return {}
    rows = utilisation(quotas, read_usage(s, {q.agreement_id for q in quotas}),
                       office.year_start, years=[first_year(label)])
    out = {}
    for aid, items in rows.items():
        low = [r for r in items if r["used"]["mobilities"] < THRESHOLD * r["agreed"]["mobilities"]]
        if low:
            out[aid] = low
    return out


class QuotaWarning(UtilisationRow):
    """A dashboard row: an under-used quota with its agreement's reference."""

    ref: str


def under_used_for(uow: UnitOfWork, office: Office, today: date, by: str) -> list[QuotaWarning]:
    """The under-used quotas `by` is shown: those of their own agreements, or of every
    agreement for approvers and admins (oldest agreement first)."""
    with uow:
        s = uow.session
        rows = under_used(s, office, today)
        if not rows:
            return []
        refs = dict(s.execute(select(Agreement.id, Agreement.ref).where(
            Agreement.id.in_(sorted(rows)))).tuples().all())
        mine = set(rows)
        who = actor(s, by)
        if Role.parse(who.role) < Role.APPROVER:
            mine = set(s.scalars(select(Agreement.id).where(Agreement.id.in_(sorted(rows)),
                                                            Agreement.owner_id == who.id)))
    return [{"ref": refs[aid], **r} for aid in sorted(mine) for r in rows[aid]]
