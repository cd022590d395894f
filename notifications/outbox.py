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
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from models import Agreement, Notification
from workflow.errors import ConcurrentUpdate, Invalid, NotFound, TransitionRefused
from workflow.uow import UnitOfWork, is_lock_error

STATUSES = ("pending", "sending", "sent", "failed", "dead", "skipped", "cancelled")
#: Rows a sender may pick up (when due).
OPEN = ("pending", "failed")
#: How long a claimed row belongs to its sender before another may take it over.
LEASE = timedelta(minutes=5)
BACKOFF_BASE = timedelta(minutes=15)
BACKOFF_MAX = timedelta(hours=24)
_TABLE: Table = Notification.__table__  # type: ignore[assignment]


def message_id_for(key: str) -> str:
    """A stable Message-ID from the idempotency key: a resend is recognisably the same mail."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@hamkor>"


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt after `attempts` failed ones: 15 min, 30 min, 1 h, ... 24 h."""
    factor: int = 2 ** max(attempts - 1, 0)
    return min(BACKOFF_BASE * factor, BACKOFF_MAX)


@dataclass(frozen=True)
class Outgoing:
    """A notification to queue (or record as skipped)."""

    key: str
    agreement_id: int
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

    def values(self, now: datetime) -> dict[str, Any]:
        return {
            "key": self.key, "agreement_id": self.agreement_id, "term": self.term,
            "rule": self.rule, "offset_days": self.offset_days, "due_on": self.due_on,
            "to_addr": self.to_addr, "cc": list(self.cc), "subject": self.subject[:500],
            "body_text": self.body_text, "body_html": self.body_html, "status": self.status,
            "attempts": 0, "last_error": self.last_error, "message_id": message_id_for(self.key),
            "created_at": utc(now),
        }


def enqueue(s: Session, rows: Sequence[Outgoing], now: datetime) -> list[tuple[str, str]]:
    """Insert the rows whose key is new; return (rule, status) of those really inserted.

    One executemany per call (multi-row VALUES underneath); RETURNING lists
    exactly the rows inserted, the others' keys existed already.
    """
    if not rows:
        return []
    dialect = s.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = (module.insert(Notification.__table__)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(Notification.rule, Notification.status))
    result = s.connection().execute(stmt, [row.values(now) for row in rows])
    return [(rule, status) for rule, status in result]


def utc(now: datetime) -> datetime:
    """Times are stored and compared in UTC (SQLite keeps them as naive text)."""
    if now.tzinfo is None:
        raise ValueError("outbox times must be timezone-aware")
    return now.astimezone(UTC)


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
    #: The lease this claim set: with `attempts`, the fencing token (see `_settling`).
    lease_until: datetime | None = None


@cache
def _claiming() -> Any:
    """`claim`'s statement, built once (bind parameters: now, lease_until, n)."""
    t = _TABLE
    picked = (select(t.c.id).where(due_clause(bindparam("now"))).order_by(t.c.id)
              .limit(bindparam("n")).with_for_update(skip_locked=True)
              .cte("picked").prefix_with("MATERIALIZED", dialect="postgresql"))
    return (update(t).where(t.c.id.in_(select(picked.c.id)))
            .values(status="sending", lease_until=bindparam("lease_until"),
                    attempts=func.coalesce(t.c.attempts, 0) + 1)
            .returning(t.c.id, t.c.key, t.c.attempts, t.c.to_addr, t.c.cc, t.c.subject,
                       t.c.body_text, t.c.body_html, t.c.message_id, t.c.created_at))


def claim(s: Session, now: datetime, limit: int, lease: timedelta = LEASE) -> list[Claimed]:
    """Take up to `limit` due rows: status sending, lease until now + lease, attempts + 1.

    One statement: `WITH picked AS MATERIALIZED (SELECT ... FOR UPDATE SKIP LOCKED)
    UPDATE ... WHERE id IN (SELECT id FROM picked) RETURNING ...` -- on PostgreSQL
    rows another sender is claiming are skipped, not waited for, and the
    materialised CTE runs the locking LIMIT once (inlined as a subquery, a plan could
    run it again and take more than `limit` rows); SQLite's BEGIN IMMEDIATE has
    already serialised the claim.
    """
    if limit <= 0:
        return []
    if s.get_bind().dialect.name == "postgresql":
        # As `DeliveryLog`: a claim lost to a database crash only means a resend.
        s.connection().exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
    until = utc(now) + lease
    rows = s.connection().execute(_claiming(), {"now": utc(now), "lease_until": until,
                                                "n": limit}).all()
    return sorted((Claimed(r.id, r.key, r.attempts, r.to_addr, tuple(r.cc or ()), r.subject,
                           r.body_text, r.body_html, r.message_id, r.created_at, until)
                   for r in rows), key=lambda c: c.id)


def _settling(c: Claimed, **values: Any) -> Any:
    """The UPDATE that settles a claimed row (a plain Core UPDATE: nothing of it is
    loaded in a session). Only the sender holding this claim may settle it: `attempts`
    and the lease it set are the fencing token (a manual retry starts `attempts` again
    from 0, so a later claim could repeat a stalled sender's count, never its lease)."""
    return update(_TABLE).where(
        _TABLE.c.id == c.id, _TABLE.c.status == "sending", _TABLE.c.attempts == c.attempts,
        _TABLE.c.lease_until == c.lease_until,
    ).values(**values)


def _settle(s: Session, c: Claimed, **values: Any) -> bool:
    return bool(s.connection().execute(_settling(c, **values)).rowcount)


@cache
def _marking_sent() -> Any:
    """`_settling` as sent, built once (building it costs more than running it)."""
    return update(_TABLE).where(
        _TABLE.c.id == bindparam("row_id"), _TABLE.c.status == "sending",
        _TABLE.c.attempts == bindparam("claimed_attempts"),
        _TABLE.c.lease_until == bindparam("claimed_lease"),
    ).values(status="sent", sent_at=bindparam("now"), lease_until=None, next_attempt_at=None,
             last_error=bindparam("note"))


class DeliveryLog:
    """Records deliveries as they happen, each committed on its own before the next
    message goes out, on one connection held for a sender's run.

    On PostgreSQL the connection is in autocommit mode with `synchronous_commit` off
    for its session (reset when the run ends): each record is a single round trip
    that does not wait for its WAL flush. If the database server itself crashes in
    the next instant, the row is resent with the same Message-ID after its lease --
    a duplicate, never a loss; a crash of the sender process loses nothing either
    way. On SQLite each record is its own short write transaction.
    """

    def __init__(self, bind: Any) -> None:
        self._bind = bind
        self._conn: Connection | None = None
        self._pg = False

    def __enter__(self) -> DeliveryLog:
        return self

    def _connection(self) -> Connection:
        if self._conn is None:  # on the first delivery: a run with nothing to send needs none
            conn = self._bind.connect()
            try:
                self._pg = conn.dialect.name == "postgresql"
                if self._pg:
                    conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                    conn.exec_driver_sql("SET synchronous_commit TO OFF")
            except BaseException:
                conn.invalidate()  # never back to the pool half-configured
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def sent(self, c: Claimed, now: datetime, note: str | None = None) -> bool:
        """Record `c` as delivered; False if another sender has taken the row over."""
        conn = self._connection()
        try:
            settled = bool(conn.execute(_marking_sent(), {
                "row_id": c.id, "claimed_attempts": c.attempts, "claimed_lease": c.lease_until,
                "now": utc(now), "note": note,
            }).rowcount)
            conn.commit()
        except BaseException as exc:
            conn.rollback()
            if isinstance(exc, OperationalError) and is_lock_error(exc):
                raise ConcurrentUpdate(f"notification {c.id}") from exc
            raise
        return settled

    def __exit__(self, *exc: object) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if self._pg and not conn.invalidated:
                conn.exec_driver_sql("RESET synchronous_commit")
        except BaseException:
            conn.invalidate()  # its session settings are unknown: discard, do not pool it
            raise
        finally:
            conn.close()


def mark_failed(s: Session, c: Claimed, now: datetime, error: str, *, max_attempts: int,
                permanent: bool = False) -> str | None:
    """Record a failed attempt: `failed` with a backoff, or `dead` after the last one;
    None if another sender has taken the row over meanwhile (nothing recorded)."""
    status = "dead" if permanent or c.attempts >= max_attempts else "failed"
    now = utc(now)
    settled = _settle(s, c, status=status, lease_until=None, last_error=error[:2000],
                      next_attempt_at=None if status == "dead" else now + backoff(c.attempts))
    return status if settled else None


# --- listing and manual retry ------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def row_dict(n: Notification, ref: str) -> dict[str, Any]:
    return {
        "id": n.id, "key": n.key, "rule": n.rule, "agreement": ref, "term": n.term,
        "offset": n.offset_days, "due_on": n.due_on.isoformat(), "to": n.to_addr,
        "cc": list(n.cc or []), "subject": n.subject, "status": n.status, "attempts": n.attempts,
        "next_attempt_at": _iso(n.next_attempt_at), "lease_until": _iso(n.lease_until),
        "last_error": n.last_error, "message_id": n.message_id, "sent_at": _iso(n.sent_at),
    }


def list_rows(uow: UnitOfWork, *, status: str | None = None,
              limit: int | None = None) -> list[dict[str, Any]]:
    if status is not None and status not in STATUSES:
        raise Invalid(f"status {status!r} is not one of {', '.join(STATUSES)}")
    with uow:
        stmt = (select(Notification, Agreement.ref)
                .join(Agreement, Agreement.id == Notification.agreement_id)
                .order_by(Notification.id))
        if status:
            stmt = stmt.where(Notification.status == status)
        if limit:
            stmt = stmt.limit(limit)
        return [row_dict(n, ref) for n, ref in uow.session.execute(stmt)]


RETRYABLE = ("failed", "dead", "sending")


def retry(uow: UnitOfWork, row_id: int, now: datetime) -> dict[str, Any]:
    """Queue a failed or dead row again with a fresh set of attempts."""
    now = utc(now)
    with uow:
        s = uow.session
        n = s.get(Notification, row_id, with_for_update=True)
        if n is None:
            raise NotFound("notification", row_id)
        ref = s.scalar(select(Agreement.ref).where(Agreement.id == n.agreement_id)) or "?"
        lease = n.lease_until
        if lease is not None and lease.tzinfo is None:  # SQLite returns naive UTC
            lease = lease.replace(tzinfo=UTC)
        if n.status not in RETRYABLE or (n.status == "sending" and lease is not None and lease > now):
            why = {
                "sent": "it was sent already",
                "pending": "it is queued already",
                "sending": "a sender is delivering it now",
                "skipped": "it was a missed reminder recorded as skipped",
                "cancelled": "its term ended before it was sent",
            }.get(n.status, n.status)
            raise TransitionRefused(f"notification {row_id}", "retry", n.status, why)
        n.status = "pending"
        n.attempts = 0
        n.next_attempt_at = None
        n.lease_until = None
        uow.commit()
        return row_dict(n, ref)
