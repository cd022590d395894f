"""The daily tick: automatic transitions, reminders, then sending (README "The
lifecycle" and "Reminders, the tick and the worker").

One idempotent pass for the business day `clock.today`:

1. Agreements whose indexed `next_due_on` has come are read in batches, locked
   `FOR NO KEY UPDATE SKIP LOCKED` on PostgreSQL so several ticks share the work
   without waiting on each other (a plain FOR UPDATE would block the KEY SHARE
   lock that inserting a notification takes on its agreement); SQLite writers
   serialise on BEGIN IMMEDIATE. Signed agreements go first, so a successor
   that starts today supersedes its predecessor before that one could expire.
2. Each agreement's due transitions run in the table's order (activate, open
   renewal, auto-renew, end by notice, expire), each dated when its rule fell
   due, looping until none is due: a tick that runs late catches up.
3. Its due reminders are queued, per rule the most recent one, older missed
   ones recorded as `skipped`; an expiry queues the expired notice. Inserts are
   `ON CONFLICT DO NOTHING` on the idempotency key: a second tick, or a second
   process, queues nothing twice.
4. `next_due_on` moves to the next date with work, and the batch commits:
   state, audit and outbox rows in one transaction.

Then the caller's `deliver` sends the outbox. A dry run does all of it in one
transaction that is rolled back, and sends nothing.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import (
    NotRequired,  # pydantic: API responses on Python 3.11
    Protocol,
)

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from typing_extensions import TypedDict

from models import Agreement, Event as Event_, Notification, User
from notifications import digest, messages, outbox
from notifications.context import AgreementView, Occasion
from notifications.links import Links
from notifications.messages import Compose
from tick import quota
from workflow.agreements import SUCCESSOR_SIGNED, Office, apply, facts
from workflow.clock import Clock
from workflow.errors import ConcurrentUpdate
from workflow.lifecycle import LIVE, TERMINAL, Event, State
from workflow.registry import SYSTEM_ACTOR
from workflow.reminders import Reminder, Rule, due_reminders
from workflow.schedule import due_transition, next_due_on
from workflow.signed_copy import without_signed_copy
from workflow.uow import UnitOfWork

log = logging.getLogger(f"hamkor.{__name__}")


#: Automatic events the report always lists (zero when none happened).
AUTOMATIC = (Event.ACTIVATE, Event.SUPERSEDE, Event.OPEN_RENEWAL, Event.AUTO_RENEW,
             Event.TERMINATE, Event.EXPIRE)
#: The event that brought a predecessor into its final state.
_ENDED_BY = {State.SUPERSEDED.value: Event.SUPERSEDE, State.EXPIRED.value: Event.EXPIRE,
             State.TERMINATED.value: Event.TERMINATE}
BATCH_SIZE = 200
#: A batch that lost a race (deadlock, stale version) is redone this many times.
RETRIES = 5
#: Catch-up bound: more automatic steps than this for one agreement is a bug, not history.
MAX_STEPS = 10_000
NO_RECIPIENT = messages.NO_RECIPIENT


class Delivery(Protocol):
    """What sending reports back (notifications.sender.SendReport)."""

    sent: int
    failed: int
    dead: int
    errors: list[str]


Deliver = Callable[[Clock], Delivery]


class TickSummary(TypedDict):
    """What a daily run did: transitions, messages queued and sent, errors."""

    now: str
    today: str
    dry_run: bool
    agreements: int
    transitions: dict[str, int]  # per automatic event
    enqueued: dict[str, int]  # per reminder rule (and `quota` when any)
    skipped: int
    cancelled: int
    copies: int
    digests: int
    sent: int
    failed: int
    dead: int
    to_send: NotRequired[int]  # dry run only
    errors: NotRequired[list[str]]  # only when sending failed


@dataclass
class TickReport:
    now: datetime
    today: date
    dry_run: bool = False
    agreements: int = 0  # agreements that had something due
    transitions: Counter[str] = field(default_factory=Counter)
    enqueued: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    cancelled: int = 0
    copies: int = 0  # approvers' copies of reminders queued
    digests: int = 0  # weekly digests queued
    sent: int = 0
    failed: int = 0
    dead: int = 0
    to_send: int = 0  # dry run: messages the sender would attempt now
    errors: list[str] = field(default_factory=list)  # why sending failed, once each

    def merge(self, other: TickReport) -> None:
        self.agreements += other.agreements
        self.transitions.update(other.transitions)
        self.enqueued.update(other.enqueued)
        self.skipped += other.skipped
        self.cancelled += other.cancelled
        self.copies += other.copies

    def as_dict(self) -> TickSummary:
        out: TickSummary = {
            "now": self.now.isoformat(),
            "today": self.today.isoformat(),
            "dry_run": self.dry_run,
            "agreements": self.agreements,
            "transitions": {e.value: self.transitions[e.value] for e in AUTOMATIC},
            "enqueued": {r.value: self.enqueued[r.value] for r in Rule}
            | ({"quota": self.enqueued["quota"]} if self.enqueued["quota"] else {}),
            "skipped": self.skipped,
            "cancelled": self.cancelled,
            "copies": self.copies,
            "digests": self.digests,
            "sent": self.sent,
            "failed": self.failed,
            "dead": self.dead,
        }
        if self.dry_run:
            out["to_send"] = self.to_send
        if self.errors:
            out["errors"] = list(self.errors)
        return out


def run_tick(uow: UnitOfWork, clock: Clock, office: Office, *, compose: Compose,
             deliver: Deliver | None = None, dry_run: bool = False,
             batch_size: int = BATCH_SIZE) -> TickReport:
    """Run the tick for `clock.today`. `uow` should be a writer's (BEGIN IMMEDIATE on SQLite)."""
    return _Tick(uow, clock, office, compose, dry_run, batch_size).run(deliver)


@dataclass(frozen=True)
class _Progress:
    """Where the next batch starts: signed agreements first, then all, after `cursor`."""

    signed_only: bool = True
    cursor: tuple[date, int] | None = None  # (next_due_on, id) of the last row taken


class _Tick:
    def __init__(self, uow: UnitOfWork, clock: Clock, office: Office, compose: Compose,
                 dry_run: bool, batch_size: int) -> None:
        self.uow, self.clock, self.office, self.compose = uow, clock, office, compose
        self.dry_run, self.batch_size = dry_run, batch_size
        self.today = clock.today
        self.policy = office.policy
        self._approvers: list[User] | None = None
        self._blocked: set[int] = set()  # this batch's signed agreements without a signed copy

    # --- the pass -------------------------------------------------------------------------

    def run(self, deliver: Deliver | None) -> TickReport:
        report = TickReport(self.clock.now, self.today, self.dry_run)
        start: _Progress | None = _Progress()
        if self.dry_run:
            with self.uow:  # one transaction, never committed: the rollback undoes it all
                s = self.uow.session
                while start is not None:
                    start = self._batch(s, start, report)
                    s.flush()
                    s.expunge_all()  # memory stays flat; flushed state stays visible
                self._enqueue(s, quota.warnings(s, self.clock, self.office, self.compose), report)
                report.digests = self._digests(s)
                report.to_send = outbox.count_due(s, self.clock.utcnow)
        else:
            while start is not None:
                start = self._committed_batch(start, report)
            with self.uow:  # cooperation activity (issue 21): quotas less than half used
                s = self.uow.session
                self._enqueue(s, quota.warnings(s, self.clock, self.office, self.compose), report)
                self.uow.commit()
            if digest.due_week(self.today, self.office.mail.digest_weekday) is not None:
                with self.uow:
                    self.uow.subject = "this week's digests"
                    report.digests = self._digests(self.uow.session)
                    self.uow.commit()
            if deliver is not None:
                delivered = deliver(self.clock)
                report.sent, report.failed, report.dead = delivered.sent, delivered.failed, delivered.dead
                report.errors = list(delivered.errors)
        log.info("tick %s%s: %s", self.today.isoformat(), " (dry run)" if self.dry_run else "",
                 report.as_dict())
        return report

    def _digests(self, s: Session) -> int:
        mail = self.office.mail
        return digest.queue_digests(s, self.today, self.clock.utcnow, weekday=mail.digest_weekday,
                                    window_days=self.policy.window_days, compose=self.compose,
                                    links=Links(mail.base_url), institution=self.office.institution)

    def _committed_batch(self, start: _Progress, report: TickReport) -> _Progress | None:
        for attempt in range(1, RETRIES + 1):
            part = TickReport(report.now, report.today)
            try:
                with self.uow:
                    self.uow.subject = "an agreement due today"  # for ConcurrentUpdate's message
                    after = self._batch(self.uow.session, start, part)
                    if after is None:
                        return None
                    self.uow.commit()
            except ConcurrentUpdate as exc:
                busy = exc.__cause__
                if isinstance(busy, OperationalError) and "database is locked" in str(busy):
                    # SQLite waited its busy timeout already: say so rather than retry.
                    raise busy from None
                # Another tick changed a row we touched (a predecessor both of us reach) or
                # PostgreSQL broke a deadlock: nothing of this batch was committed; redo it.
                if attempt == RETRIES:
                    raise
                log.info("tick batch lost a race (attempt %d); redoing it", attempt)
                continue
            report.merge(part)
            return after
        raise AssertionError("unreachable")  # pragma: no cover

    def _due(self, cursor: tuple[date, int] | None, signed_only: bool) -> Select[tuple[Agreement]]:
        stmt = select(Agreement).where(Agreement.next_due_on.is_not(None),
                                       Agreement.next_due_on <= self.today)
        if signed_only:
            stmt = stmt.where(Agreement.state == State.SIGNED.value)
        if cursor is not None:
            day, last_id = cursor
            stmt = stmt.where(or_(Agreement.next_due_on > day,
                                  and_(Agreement.next_due_on == day, Agreement.id > last_id)))
        return (stmt.order_by(Agreement.next_due_on, Agreement.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True, key_share=True))

    def _batch(self, s: Session, start: _Progress, part: TickReport) -> _Progress | None:
        """Process the next batch from `start`; return where the next one starts, None when done.

        Per-batch queries (last event dates, cancellation counts, one multi-row
        insert into the outbox) keep the statements per agreement few.
        """
        rows = s.scalars(self._due(start.cursor, start.signed_only)).all()
        if not rows and start.signed_only:  # signed ones done: now everything due
            start = _Progress(signed_only=False)
            rows = s.scalars(self._due(None, False)).all()
        if not rows:
            return None
        last = rows[-1]
        assert last.next_due_on is not None
        after = _Progress(start.signed_only, (last.next_due_on, last.id))  # before processing moves it
        ids = [a.id for a in rows]
        watched = sorted(set(ids) | {a.renews_id for a in rows if a.renews_id is not None})
        last_on = _last_event_dates(s, ids)
        succ_signed, succ_waiting = _with_signed_successor(s, ids, self.today,
                                                           self.office.require_signed_copy)
        self._blocked = (without_signed_copy(s, [a.id for a in rows if a.state == State.SIGNED.value])
                         if self.office.require_signed_copy else set())
        cancelled_before = _count_cancelled(s, watched)
        outgoing: list[outbox.Outgoing] = []
        # No autoflush: nothing read while processing depends on this batch's unwritten
        # changes (facts read other rows), so each agreement is written once, at the end.
        with s.no_autoflush:
            for a in rows:
                if a.id in succ_waiting:
                    # Its successor's activation, due but not done (another tick holds the
                    # row: SKIP LOCKED), supersedes it; ending it here would race that.
                    log.info("%s waits for its successor's activation", a.ref)
                    continue
                self._process(s, a, last_on.get(a.id), a.id in succ_signed, outgoing, part)
        s.flush()
        part.cancelled += _count_cancelled(s, watched) - cancelled_before
        self._enqueue(s, outgoing, part)
        part.agreements += len(rows)
        return after

    # --- one agreement --------------------------------------------------------------------

    def _process(self, s: Session, a: Agreement, last_on: date | None, successor_signed: bool,
                 outgoing: list[outbox.Outgoing], part: TickReport) -> None:
        # Whether a successor is signed cannot change during a tick (signing is a
        # staff action), so the batch looked it up once for every agreement.
        f = facts(s, a, last_on=last_on, successor_is_signed=successor_signed)
        if a.id in self._blocked:  # HAMKOR_REQUIRE_SIGNED_COPY: no activation without one
            f = replace(f, activation_blocked=True)
        started_as = a.state
        steps = 0
        while (due := due_transition(f, self.today, self.policy)) is not None:
            event, on = due
            pred, pred_was = None, None
            if event is Event.ACTIVATE and a.renews_id is not None:
                pred = _lock(s, a.renews_id)
                pred_was = pred.state if pred is not None else None
            apply(s, a, event, actor=SYSTEM_ACTOR, on=on, clock=self.clock, office=self.office)
            part.transitions[event.value] += 1
            if pred is not None and pred.state != pred_was and pred.state in _ENDED_BY:
                part.transitions[_ENDED_BY[pred.state].value] += 1
                if pred.state == State.EXPIRED.value:
                    # It lapsed before its successor began.
                    outgoing += self._expired(s, pred)
            f = facts(s, a, last_on=on, successor_is_signed=successor_signed)
            steps += 1
            if steps > MAX_STEPS:
                raise RuntimeError(f"{a.ref}: automatic transitions do not settle")
        if a.state == State.EXPIRED.value and started_as != State.EXPIRED.value:
            outgoing += self._expired(s, a)
        send, skip = due_reminders(f, self.today, self.policy)
        if send or skip:
            view = self._view(s, a)
            for r in send:
                outgoing += self._reminder(s, a, view, r, "pending")
            for r in skip:
                outgoing += self._reminder(s, a, view, r, "skipped")
        # As workflow.agreements.reschedule does, from the facts already at hand.
        a.next_due_on = None if State(a.state) in TERMINAL else next_due_on(f, self.today, self.policy)

    def _reminder(self, s: Session, a: Agreement, view: AgreementView, r: Reminder,
                  status: str) -> list[outbox.Outgoing]:
        # A missed reminder is recorded as it would have read on its own day.
        day = self.today if status == "pending" else r.due_on
        # The last reminder nobody acted on (no successor started, no notice given)
        # goes to the approvers too.
        escalated = (r.cc_approvers and self.office.mail.escalate and a.notice_given_on is None
                     and not messages.successor_started(s, a))
        occasion = Occasion(r.rule, r.offset, day, r.deadline, final=r.cc_approvers,
                            escalated=escalated)
        return self._outgoing(s, a, view, occasion, r.due_on, status, cc_approvers=escalated)

    def _expired(self, s: Session, a: Agreement) -> list[outbox.Outgoing]:
        occasion = Occasion(Rule.EXPIRED, 0, self.today)
        return self._outgoing(s, a, self._view(s, a), occasion, a.state_since or self.today,
                              "pending", cc_approvers=True)

    def _outgoing(self, s: Session, a: Agreement, view: AgreementView, o: Occasion, due_on: date,
                  status: str, *, cc_approvers: bool) -> list[outbox.Outgoing]:
        """The owner's message and, when asked, a copy per approver, each in its reader's
        language; with no active owner, the approvers."""
        if self._approvers is None:  # read once per tick, when first needed
            self._approvers = messages.approvers(s)
        owner = messages.active_owner(a)
        copies = self._approvers if (cc_approvers or owner is None) else []
        if owner is None and not cc_approvers:
            copies = copies[:1]
        return messages.reminder_rows(a, view, o, due_on, status, owner=owner, copies=copies,
                                      compose=self.compose, links=Links(self.office.mail.base_url),
                                      institution=self.office.institution)

    def _enqueue(self, s: Session, rows: list[outbox.Outgoing], part: TickReport) -> None:
        """Queue the batch's rows; the report counts reminders, and approvers' copies apart."""
        mains = [r for r in rows if not messages.is_copy(r.key)]
        for rule, status in outbox.enqueue(s, mains, self.clock.utcnow):
            if status == "pending":
                part.enqueued[rule] += 1
            else:
                part.skipped += 1
        copies = [r for r in rows if messages.is_copy(r.key)]
        part.copies += sum(1 for _, status in outbox.enqueue(s, copies, self.clock.utcnow)
                           if status == "pending")

    def _view(self, s: Session, a: Agreement) -> AgreementView:
        return messages.agreement_view(s, a)


def _lock(s: Session, agreement_id: int) -> Agreement | None:
    """The predecessor a successor's activation changes, locked (waiting) unless ours already.

    Locking before reading means we never update it from a stale version read
    while another tick was changing it.
    """
    mine = s.identity_map.get(Session.identity_key(Agreement, agreement_id))
    if isinstance(mine, Agreement):
        return mine
    return s.get(Agreement, agreement_id, with_for_update={"key_share": True},
                 populate_existing=True)


def _with_signed_successor(s: Session, ids: list[int], today: date,
                           require_signed_copy: bool = False) -> tuple[set[int], set[int]]:
    """Which of `ids` have a successor that is signed (or in force), and which of those
    have one still waiting to activate although its start has come: one query per batch.
    A successor that cannot activate for want of a signed copy is not waited for."""
    signed = SUCCESSOR_SIGNED
    rows = s.execute(select(Agreement.renews_id, Agreement.state, Agreement.starts_on, Agreement.id)
                     .where(Agreement.renews_id.in_(ids), Agreement.state.in_(signed))).all()
    due = [(rid, sid) for rid, state, starts, sid in rows
           if state == State.SIGNED.value and starts is not None and starts <= today]
    blocked = without_signed_copy(s, [sid for _, sid in due]) if require_signed_copy else set()
    waiting = {rid for rid, sid in due if sid not in blocked}
    return {rid for rid, _, _, _ in rows}, waiting


def _last_event_dates(s: Session, ids: list[int]) -> dict[int, date]:
    """Each agreement's latest audit date, for the whole batch in one query."""
    latest = select(func.max(Event_.id)).where(Event_.agreement_id.in_(ids)).group_by(Event_.agreement_id)
    return {aid: on for aid, on in s.execute(
        select(Event_.agreement_id, Event_.occurred_on).where(Event_.id.in_(latest)))}


def _count_cancelled(s: Session, agreement_ids: list[int]) -> int:
    return int(s.scalar(select(func.count()).select_from(Notification).where(
        Notification.agreement_id.in_(agreement_ids), Notification.status == "cancelled")) or 0)


def reschedule_all(uow: UnitOfWork, clock: Clock, office: Office, *, batch_size: int = 500) -> int:
    """Recompute when the tick next has work for every live agreement -- after the
    reminder policy changed (HAMKOR_REMINDER_DAYS, HAMKOR_SIGNATURE_NUDGE_DAYS): dates
    stored under the old policy could otherwise let a new, earlier reminder pass
    unsent. Batched by id; returns how many dates changed (only those rows are written).
    """
    from workflow.dates import ONE_DAY

    live = LIVE
    changed, last_id = 0, 0
    while True:
        with uow:
            s = uow.session
            rows = s.scalars(select(Agreement).where(Agreement.id > last_id,
                                                     Agreement.state.in_(live))
                             .order_by(Agreement.id).limit(batch_size)).all()
            if not rows:
                return changed
            ids = [a.id for a in rows]
            last_on = _last_event_dates(s, ids)
            signed, _waiting = _with_signed_successor(s, ids, clock.today)
            with s.no_autoflush:
                for a in rows:
                    f = facts(s, a, last_on=last_on.get(a.id), successor_is_signed=a.id in signed)
                    due = next_due_on(f, clock.today - ONE_DAY, office.policy)
                    if due != a.next_due_on:
                        a.next_due_on = due
                        changed += 1
            uow.subject = "an agreement being rescheduled"
            uow.commit()
            last_id = ids[-1]
