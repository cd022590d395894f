"""The transactional outbox: queue, claim, settle, list and retry notifications.

Rows are queued in the transaction of the change they come from, with
`INSERT ... ON CONFLICT (key) DO NOTHING`: the unique key
(agreement, term, rule, offset) makes a second queueing a no-op, whoever does
it. Senders claim rows with `FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite's
BEGIN IMMEDIATE serialises claims) and a lease: a row left in `sending` by a
dead process is claimed again once its lease has expired. Each claim bumps
`attempts`, which doubles as the fencing token when the row is settled.

Statuses: pending -> sending -> sent | failed (retried after a backoff) ->
dead after the last attempt; skipped (a missed reminder recorded, not sent)
and cancelled (its term ended before it went out) are final.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    Table,
    and_,
    bindparam,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session
from typing_extensions import TypedDict  # pydantic: API responses on Python 3.11

from models import Agreement, Notification
from workflow import rules
from workflow.dates import iso
from workflow.errors import NotFound, Problem, TransitionRefused
from workflow.lifecycle import Role
from workflow.registry import acting_as
from workflow.uow import UnitOfWork

log = logging.getLogger(f"hamkor.{__name__}")

STATUSES = ("pending", "sending", "sent", "failed", "dead", "skipped", "cancelled")
#: Rows a sender may pick up (when due).
OPEN = ("pending", "failed")
#: How long claimed rows that are not being sent yet belong to their sender (a row being
#: sent gets a lease covering its whole send: `Fence`).
LEASE = timedelta(minutes=5)
#: Retry waits: 15 min, 30 min, then every hour (as mail servers queue), until
#: HAMKOR_MAIL_RETRY_FOR has passed since the row was queued (or retried by hand).
BACKOFF_BASE = timedelta(minutes=15)
BACKOFF_MAX = timedelta(hours=1)
RETRY_FOR = timedelta(days=5)
#: An attempt whose outcome was unknown is retried once more, then left to an operator.
MAX_UNKNOWN = 2
_TABLE: Table = Notification.__table__  # type: ignore[assignment]


def message_id_for(key: str) -> str:
    """A stable Message-ID from the idempotency key: a resend is recognisably the same mail."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@hamkor>"


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt after `attempts` tried ones: 15 min, 30 min, 1 h, 1 h ..."""
    factor: int = 2 ** min(max(attempts - 1, 0), 16)
    return min(BACKOFF_BASE * factor, BACKOFF_MAX)


@dataclass(frozen=True)
class Outgoing:
    """A notification to queue (or record as skipped)."""

    key: str
    agreement_id: int | None  # None: a digest (about several agreements)
    term: int
    rule: str
    offset_days: int
    due_on: date
    to_addr: str
    subject: str
    body_text: str
    body_html: str | None
    cc: list[str] = field(default_factory=list)
    status: str = "pending"
    last_error: str | None = None
    kind: str = "reminder"  # reminder, workflow or digest

    def values(self, now: datetime) -> dict[str, Any]:
        return {
            "key": self.key, "kind": self.kind, "agreement_id": self.agreement_id, "term": self.term,
            "rule": self.rule, "offset_days": self.offset_days, "due_on": self.due_on,
            "to_addr": self.to_addr, "cc": list(self.cc), "subject": self.subject[:500],
            "body_text": self.body_text, "body_html": self.body_html, "status": self.status,
            "attempts": 0, "last_error": self.last_error, "message_id": message_id_for(self.key),
            "created_at": utc(now), "unknown_outcomes": 0,
        }


def enqueue(s: Session, rows: Sequence[Outgoing], now: datetime) -> list[tuple[str, str]]:
    """Insert the rows whose key is new; return (rule, status) of those really inserted.

    One statement per call (on PostgreSQL the rows as arrays, `unnest`; on SQLite an
    executemany, multi-row VALUES underneath); RETURNING lists exactly the rows
    inserted, the others' keys existed already.
    """
    if not rows:
        return []
    values = [row.values(now) for row in rows]
    if s.get_bind().dialect.name == "postgresql":
        columns = tuple(values[0])
        arrays: dict[str, list[Any]] = {k: [v[k] for v in values] for k in columns}
        arrays["cc"] = [json.dumps(cc) for cc in arrays["cc"]]  # as the JSON type writes it
        result = s.connection().execute(_postgresql_enqueue(columns), arrays)
        return [(rule, status) for rule, status in result]
    table: Table = Notification.__table__  # type: ignore[assignment]
    stmt = (sqlite.insert(table)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(Notification.rule, Notification.status))
    result = s.connection().execute(stmt, values)
    return [(rule, status) for rule, status in result]


@cache
def _postgresql_enqueue(columns: tuple[str, ...]) -> Any:
    """`enqueue`'s statement on PostgreSQL for `columns` (`Outgoing.values`' keys): the
    rows as one array per column, so one short statement of the same text however many
    rows, compiled once by SQLAlchemy and prepared by the server. (A dialect
    `insert().on_conflict_do_nothing()` is compiled again on every execution, and its
    many-row text is too long for psycopg to keep.)"""
    from sqlalchemy.dialects import postgresql

    t: Table = Notification.__table__  # type: ignore[assignment]
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    # Without a length (VARCHAR, not VARCHAR(200)): a cast would cut a value too long for
    # its column, where the INSERT refuses it.
    types = {k: re.sub(r"\(\d+\)", "", t.c[k].type.compile(dialect=dialect)) for k in columns}
    arrays = ", ".join(f"CAST(:{k} AS {types[k]}[])" for k in columns)
    return text(f"INSERT INTO notifications ({', '.join(columns)}) SELECT * FROM unnest({arrays}) "
                "ON CONFLICT (key) DO NOTHING RETURNING rule, status")


def utc(now: datetime) -> datetime:
    """Times are stored and compared in UTC (SQLite keeps them as naive text)."""
    if now.tzinfo is None:
        raise ValueError("outbox times must be timezone-aware")
    return now.astimezone(UTC)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:  # SQLite returns naive UTC
        return value.replace(tzinfo=UTC)
    return value


def due_clause(now: Any) -> Any:
    """Rows due at `now` (a datetime, or a bind parameter for a statement built once)."""
    now = utc(now) if isinstance(now, datetime) else now
    # The first condition is implied by the rest; stated, it lets the planner use the
    # partial index `ix_notifications_open` (sent rows pile up, open ones do not).
    return and_(Notification.status.in_((*OPEN, "sending")), or_(
        and_(Notification.status.in_(OPEN),
             or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now)),
        and_(Notification.status == "sending", Notification.lease_until < now),
    ))


def count_due(s: Session, now: datetime) -> int:
    return int(s.scalar(select(func.count()).select_from(Notification).where(due_clause(now))) or 0)


@dataclass(frozen=True)
class Claimed:
    """A claimed row, detached from its session: what a sender needs to deliver and settle it."""

    id: int
    key: str
    attempts: int
    to_addr: str
    cc: tuple[str, ...]
    subject: str
    body_text: str
    body_html: str | None
    message_id: str
    created_at: datetime
    #: The lease this claim set (the row is claimable again after it).
    lease_until: datetime | None = None
    #: This claim's fencing token: only its holder may send or settle the row.
    token: str = ""
    #: Per recipient [state, detail] from earlier attempts (sent, deferred, refused, unknown).
    rcpt_state: dict[str, list[str]] = field(default_factory=dict)
    unknown_outcomes: int = 0
    retry_since: datetime | None = None

    def all_recipients(self) -> list[str]:
        seen: list[str] = []
        for addr in (self.to_addr, *self.cc):
            if addr and addr.lower() not in (a.lower() for a in seen):
                seen.append(addr)
        return seen

    def recipients(self) -> list[str]:
        """Those still to deliver to: not already sent to, not refused for good."""
        return [a for a in self.all_recipients()
                if self.rcpt_state.get(a, ["pending"])[0] not in ("sent", "refused")]

    def give_up_at(self, retry_for: timedelta) -> datetime:
        since = _aware(self.retry_since) or _aware(self.created_at)
        assert since is not None
        return since + retry_for


@cache
def _claiming() -> Any:
    """`claim`'s statement, built once (bind parameters: now, lease_until, n, token)."""
    t = _TABLE
    picked = (select(t.c.id).where(due_clause(bindparam("now"))).order_by(t.c.id)
              .limit(bindparam("n")).with_for_update(skip_locked=True)
              .cte("picked").prefix_with("MATERIALIZED", dialect="postgresql"))
    return (update(t).where(t.c.id.in_(select(picked.c.id)))
            .values(status="sending", lease_until=bindparam("lease_until"),
                    claim_token=bindparam("token"))
            .returning(t.c.id, t.c.key, t.c.attempts, t.c.to_addr, t.c.cc, t.c.subject,
                       t.c.body_text, t.c.body_html, t.c.message_id, t.c.created_at,
                       t.c.rcpt_state, t.c.unknown_outcomes, t.c.retry_since))


def claim(s: Session, now: datetime, limit: int, lease: timedelta = LEASE) -> list[Claimed]:
    """Take up to `limit` due rows: status sending, a lease until now + lease, a new token.

    One statement: `WITH picked AS MATERIALIZED (SELECT ... FOR UPDATE SKIP LOCKED)
    UPDATE ... WHERE id IN (SELECT id FROM picked) RETURNING ...` -- on PostgreSQL
    rows another sender is claiming are skipped, not waited for, and the
    materialised CTE runs the locking LIMIT once (inlined as a subquery, a plan could
    run it again and take more than `limit` rows); SQLite's BEGIN IMMEDIATE has
    already serialised the claim. A claim charges no attempt: only a message the
    sender really tries does (`Fence`).
    """
    if limit <= 0:
        return []
    if s.get_bind().dialect.name == "postgresql":
        # A claim lost to a database crash only means the rows are claimed again.
        s.connection().exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
    until = utc(now) + lease
    token = secrets.token_hex(16)
    rows = s.connection().execute(_claiming(), {"now": utc(now), "lease_until": until,
                                                "n": limit, "token": token}).all()
    return sorted((Claimed(r.id, r.key, r.attempts or 0, r.to_addr, tuple(r.cc or ()), r.subject,
                           r.body_text, r.body_html, r.message_id, r.created_at, until, token,
                           dict(r.rcpt_state or {}), r.unknown_outcomes or 0, r.retry_since)
                   for r in rows), key=lambda c: c.id)


# --- listing, health and manual retry ------------------------------------------------------


KINDS = ("reminder", "workflow", "digest", "account")


class RecipientState(TypedDict):
    state: str  # pending, sent, deferred, refused, unknown
    detail: str


class OutboxRow(TypedDict):
    """A notification in the outbox: its state, recipients and delivery attempts."""

    id: int
    key: str
    kind: str
    rule: str
    agreement: str | None
    term: int
    offset: int
    due_on: str
    to: str
    cc: list[str]
    subject: str
    status: str
    attempts: int
    next_attempt_at: str | None
    lease_until: str | None
    last_error: str | None
    message_id: str
    sent_at: str | None
    recipients: dict[str, RecipientState]
    unknown_outcomes: int


class HealthRow(TypedDict):
    waiting: int
    backlog: int
    oldest: str | None
    dead: int
    last_error: str | None
    degraded: bool


def row_dict(n: Notification, ref: str | None) -> OutboxRow:
    return {
        "id": n.id, "key": n.key, "kind": n.kind, "rule": n.rule, "agreement": ref, "term": n.term,
        "offset": n.offset_days, "due_on": n.due_on.isoformat(), "to": n.to_addr,
        "cc": list(n.cc or []), "subject": n.subject, "status": n.status, "attempts": n.attempts,
        "next_attempt_at": iso(n.next_attempt_at), "lease_until": iso(n.lease_until),
        "last_error": n.last_error, "message_id": n.message_id, "sent_at": iso(n.sent_at),
        "recipients": {a: {"state": st, "detail": d} for a, (st, d) in (n.rcpt_state or {}).items()},
        "unknown_outcomes": n.unknown_outcomes or 0,
    }


def list_rows(uow: UnitOfWork, *, status: str | None = None, limit: int | None = None,
              kind: str | None = None) -> list[OutboxRow]:
    if status is not None and status not in STATUSES:
        rules.refuse("choice", "status", value=status, choices=", ".join(STATUSES))
    if kind is not None and kind not in KINDS:
        rules.refuse("choice", "kind", value=kind, choices=", ".join(KINDS))
    with uow:
        stmt = (select(Notification, Agreement.ref)  # a digest has no agreement
                .outerjoin(Agreement, Agreement.id == Notification.agreement_id)
                .order_by(Notification.id))
        if status:
            stmt = stmt.where(Notification.status == status)
        if kind:
            stmt = stmt.where(Notification.kind == kind)
        if limit:
            stmt = stmt.limit(limit)
        return [row_dict(n, ref) for n, ref in uow.session.execute(stmt)]


#: Mail due longer than this and still not sent is a backlog worth an admin's attention.
BACKLOG_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class Health:
    """The outbox at a glance: what is waiting, for how long, and what was given up."""

    waiting: int  # pending, failed or sending
    backlog: int  # of those, queued more than BACKLOG_AFTER ago
    oldest: datetime | None  # when the oldest waiting one was queued
    dead: int
    last_error: str | None  # the latest error among waiting or dead rows

    @property
    def degraded(self) -> bool:
        return self.backlog > 0 or self.dead > 0

    def problems(self) -> list[str]:
        out = []
        if self.backlog:
            age = f" (oldest queued {self.oldest:%Y-%m-%d %H:%M} UTC)" if self.oldest else ""
            out.append(f"{self.backlog} message(s) waiting for more than an hour{age}")
        if self.dead:
            out.append(f"{self.dead} dead message(s): see `hamkor outbox list --status dead`, "
                       "`hamkor outbox retry --dead`")
        return out

    def rules(self) -> list[Problem]:
        """`problems` as rules (workflow/rules.py `health.*`) for a page to word in its
        reader's language, without the command line's commands."""
        problem = rules.problem
        out = []
        if self.backlog:
            out.append(problem("health.backlog_since", count=self.backlog,
                               oldest=f"{self.oldest:%Y-%m-%d %H:%M}") if self.oldest
                       else problem("health.backlog", count=self.backlog))
        if self.dead:
            out.append(problem("health.dead", count=self.dead))
        return out

    def as_dict(self) -> HealthRow:
        return {"waiting": self.waiting, "backlog": self.backlog, "oldest": iso(self.oldest),
                "dead": self.dead, "last_error": self.last_error, "degraded": self.degraded}


def health(uow: UnitOfWork, now: datetime) -> Health:
    now = utc(now)
    open_ = Notification.status.in_((*OPEN, "sending"))
    with uow:
        s = uow.session
        # One pass over the open and dead rows (the admins' dashboard asks on every visit).
        waiting, oldest, backlog, dead = s.execute(
            select(func.count().filter(open_), func.min(Notification.created_at).filter(open_),
                   func.count().filter(open_, Notification.created_at < now - BACKLOG_AFTER),
                   func.count().filter(Notification.status == "dead"))
            .where(Notification.status.in_((*OPEN, "sending", "dead")))).one()
        last_error = s.scalar(select(Notification.last_error).where(
            Notification.status.in_(("failed", "dead")), Notification.last_error.is_not(None))
            .order_by(Notification.id.desc()).limit(1)) if (waiting or dead) else None
    return Health(int(waiting or 0), int(backlog or 0), _aware(oldest), int(dead or 0), last_error)


RETRYABLE = ("failed", "dead", "sending")


def _requeue(n: Notification, now: datetime) -> None:
    """Queued again with a fresh retry period; recipients already served stay served."""
    n.status = "pending"
    n.attempts = 0
    n.unknown_outcomes = 0
    n.next_attempt_at = None
    n.lease_until = None
    n.claim_token = None
    n.retry_since = now
    n.dead_at = None
    if n.rcpt_state:
        n.rcpt_state = {a: v for a, v in n.rcpt_state.items() if v[0] == "sent"}


def retry(uow: UnitOfWork, row_id: int, now: datetime, *, by: str | None = None) -> OutboxRow:
    """Queue a failed or dead row again with a fresh retry period; a named actor (`by`)
    must be an officer or above."""
    now = utc(now)
    with uow:
        s = uow.session
        acting_as(s, by, Role.OFFICER, "retry notifications")
        n = s.get(Notification, row_id, with_for_update=True)
        if n is None:
            raise NotFound("notification", row_id)
        ref = s.scalar(select(Agreement.ref).where(Agreement.id == n.agreement_id))
        lease = _aware(n.lease_until)
        if n.status not in RETRYABLE or (n.status == "sending" and lease is not None and lease > now):
            known = ("sent", "pending", "sending", "skipped", "cancelled")
            why = (rules.problem(f"retry.{n.status}") if n.status in known
                   else rules.problem("retry.status", status=n.status))
            raise TransitionRefused(f"notification {row_id}", "retry", n.status, why)
        _requeue(n, now)
        uow.commit()
        return row_dict(n, ref)


def retry_dead(uow: UnitOfWork, now: datetime, *, since: date | None = None,
               by: str | None = None) -> int:
    """Queue every dead row again (those given up on or after `since`, a date in UTC);
    returns how many. A named actor (`by`) must be an officer or above."""
    now = utc(now)
    with uow:
        s = uow.session
        acting_as(s, by, Role.OFFICER, "retry notifications")
        stmt = select(Notification).where(Notification.status == "dead").with_for_update()
        if since is not None:
            start = datetime(since.year, since.month, since.day, tzinfo=UTC)
            stmt = stmt.where(Notification.dead_at >= start)
        rows = s.scalars(stmt.order_by(Notification.id)).all()
        for n in rows:
            _requeue(n, now)
        uow.commit()
        return len(rows)
