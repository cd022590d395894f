"""The audit log across all agreements: every recorded event, newest first, filtered by
person, event, date range and agreement, a page at a time.

Everyone signed in may read it (as every agreement's history). The filters use the
indexes on events (actor, id), (event, occurred_on), (occurred_on, id) and
(agreement_id, id); a page is found by keyset on the id when it can be, else by offset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select

from models import Agreement, Event
from workflow.corrections import EDIT_EVENT
from workflow.errors import Invalid, Problem
from workflow.lifecycle import Event as Ev, RecordEvent
from workflow.rules import MAX_INT64
from workflow.uow import UnitOfWork

__all__ = ["AuditEntry", "AuditFilters", "AuditPage", "PAGE_SIZE", "audit_log"]

PAGE_SIZE = 50
#: Every event the history records (the filter's choices).
EVENT_NAMES = sorted({*(e.value for e in Ev), *(e.value for e in RecordEvent), EDIT_EVENT})
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class AuditFilters:
    actor: str | None = None  # an email, matched whole and case-insensitively
    event: str | None = None
    since: date | None = None  # occurred on or after
    until: date | None = None  # occurred on or before
    ref: str | None = None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    ref: str
    title: str
    event: str
    from_state: str | None
    to_state: str | None
    actor: str
    occurred_on: date
    recorded_at: datetime
    note: str | None
    party: str | None


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    page: int
    size: int
    total: int
    filters: AuditFilters
    events: list[str] = field(default_factory=list)  # every event name recorded, for a filter

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def audit_log(uow: UnitOfWork, filters: AuditFilters, *, page: int = 1,
              size: int = PAGE_SIZE) -> AuditPage:
    """One page of the events matching ``filters``, newest first (by id)."""
    if not 1 <= page <= MAX_INT64:
        raise Invalid(Problem("integer.min", "page", "{field} must be at least {minimum}", {"minimum": 1}))
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise Invalid(Problem("integer.max", "size", "{field} must be at most {maximum}",
                              {"maximum": MAX_PAGE_SIZE}))
    if filters.since and filters.until and filters.since > filters.until:
        raise Invalid(Problem("audit.range", "since", "{f_since} {since} is after {f_until} {until}",
                              {"since": filters.since.isoformat(), "until": filters.until.isoformat()}))
    where = []
    if filters.actor:
        where.append(Event.actor == filters.actor.strip().lower())
    if filters.event:
        where.append(Event.event == filters.event)
    if filters.since:
        where.append(Event.occurred_on >= filters.since)
    if filters.until:
        where.append(Event.occurred_on <= filters.until)
    with uow:
        s = uow.session
        if filters.ref:
            aid = s.scalar(select(Agreement.id).where(Agreement.ref == filters.ref.strip().upper()))
            where.append(Event.agreement_id == (aid if aid is not None else -1))
        total = s.scalar(select(func.count()).select_from(Event).where(*where)) or 0
        rows = s.execute(
            select(Event, Agreement.ref, Agreement.title)
            .join(Agreement, Agreement.id == Event.agreement_id)
            .where(*where).order_by(Event.id.desc())
            .limit(size).offset((page - 1) * size)).all()
        entries = [AuditEntry(id=e.id, ref=ref, title=title, event=e.event, from_state=e.from_state,
                              to_state=e.to_state, actor=e.actor, occurred_on=e.occurred_on,
                              recorded_at=e.recorded_at, note=e.note, party=e.party)
                   for e, ref, title in rows]
    return AuditPage(entries, page, size, total, filters, EVENT_NAMES)
