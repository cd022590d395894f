"""Delivering claimed outbox rows: fence each right before it is sent, and record how
its attempt ended -- durably, on one connection held for a sender's run (`DeliveryLog`).

The queue, the claim, listing and retrying are in `notifications.outbox`; the sender
(`notifications.sender`) uses both.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    Integer,
    and_,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from notifications.outbox import (
    _TABLE,
    MAX_UNKNOWN,
    RETRY_FOR,
    Claimed,
    backoff,
    utc,
)
from workflow.errors import ConcurrentUpdate
from workflow.uow import is_lock_error

log = logging.getLogger(f"hamkor.{__name__}")


@dataclass(frozen=True)
class Fence:
    """Right before a message is sent: extend its lease to cover the whole send, charge
    the attempt, and check -- in the same statement -- that this claim still holds the
    row and that it is still wanted (`sending`: cancelling an agreement's reminders
    cancels claimed ones too)."""

    row: Claimed
    lease_until: datetime


@dataclass(frozen=True)
class Settlement:
    """How an attempt ended, to record: the row's new status and columns."""

    row: Claimed
    status: str
    delivered: bool
    values: dict[str, Any]


def settlement(c: Claimed, attempts: int, outcome: Any, now: datetime,
               retry_for: timedelta = RETRY_FOR) -> Settlement:
    """The record of one tried attempt (`outcome`: a transports.Outcome).

    Per recipient: accepted ones are `sent` (and never sent again), those refused with
    a 4xx are `deferred` (retried alone), with a 5xx `refused` (recorded, given up);
    after an unknown outcome the accepted ones are `unknown`. The row is `sent` once
    no recipient is left to try; otherwise `failed` with a backoff, or `dead` once
    HAMKOR_MAIL_RETRY_FOR has passed, after a permanent failure, or after a second
    unknown outcome.
    """
    now = utc(now)
    state = {k: list(v) for k, v in c.rcpt_state.items()}
    delivered = outcome.delivered
    for rcpt, (code, text) in outcome.refused.items():
        state[rcpt] = ["refused" if code >= 500 else "deferred", f"{code} {text}"[:300]]
    if delivered is True:
        for rcpt in outcome.accepted:
            state[rcpt] = ["sent", now.isoformat(timespec="seconds")]
    elif delivered is None:
        for rcpt in outcome.accepted:
            state[rcpt] = ["unknown", (outcome.error or "")[:300]]
    unknown = c.unknown_outcomes + (1 if delivered is None else 0)
    left = [a for a in c.all_recipients() if state.get(a, ["pending"])[0] not in ("sent", "refused")]
    refused = [f"{a}: {d}" for a, (st, d) in state.items() if st == "refused"]
    if delivered is True and not left:
        status, error = "sent", ("refused by " + "; ".join(refused)) if refused else None
    elif not left:  # every recipient refused for good
        status, error = "dead", outcome.error or "refused by " + "; ".join(refused)
    else:
        if delivered is True:
            deferred = "; ".join(f"{a}: {state[a][1]}" for a in left if a in state)
            error = f"delivered to {', '.join(outcome.accepted)}; deferred: {deferred}"
        else:
            error = outcome.error or "not delivered"
        status = "failed"
        if delivered is None and unknown >= MAX_UNKNOWN:
            status = "dead"
            error = (f"{error}; the outcome was unknown {unknown} times: check with the "
                     "recipient before retrying it by hand")
        elif delivered is False and outcome.permanent:
            status = "dead"
        elif now >= c.give_up_at(retry_for):
            status = "dead"
            error = f"gave up after retrying for {_span(now - c.give_up_at(retry_for) + retry_for)}: {error}"
        elif delivered is None:
            error += "; it is sent once more, with the same Message-ID, after the backoff"
    values: dict[str, Any] = {
        "s_status": status, "s_sent_at": now if delivered is True else None,
        "s_next": now + backoff(attempts) if status == "failed" else None,
        "s_error": error[:2000] if error else None, "s_rcpt": state or None,
        "s_unknown": unknown, "s_dead_at": now if status == "dead" else None,
    }
    return Settlement(c, status, delivered is True, values)


def _span(d: timedelta) -> str:
    hours = d.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} hours"


def give_up(c: Claimed, error: str, now: datetime) -> Settlement:
    """A message that can never go out (it cannot be written): dead at once."""
    return Settlement(c, "dead", False, {
        "s_status": "dead", "s_sent_at": None, "s_next": None, "s_error": error[:2000],
        "s_rcpt": c.rcpt_state or None, "s_unknown": c.unknown_outcomes, "s_dead_at": utc(now)})


def _settle_stmt() -> Any:
    t = _TABLE
    return update(t).where(
        t.c.id == bindparam("s_id"), t.c.claim_token == bindparam("s_token"),
        # A delivered message is recorded as sent even if it was cancelled while it went out.
        or_(t.c.status == "sending",
            and_(bindparam("s_delivered", type_=Boolean), t.c.status == "cancelled")),
    ).values(status=bindparam("s_status"), lease_until=None, claim_token=None,
             sent_at=func.coalesce(bindparam("s_sent_at", type_=t.c.sent_at.type), t.c.sent_at),
             next_attempt_at=bindparam("s_next", type_=t.c.next_attempt_at.type),
             last_error=bindparam("s_error", type_=t.c.last_error.type),
             rcpt_state=bindparam("s_rcpt", type_=t.c.rcpt_state.type),
             unknown_outcomes=bindparam("s_unknown", type_=Integer),
             dead_at=bindparam("s_dead_at", type_=t.c.dead_at.type))


def _fence_stmt() -> Any:
    t = _TABLE
    return update(t).where(
        t.c.id == bindparam("f_id"), t.c.claim_token == bindparam("f_token"),
        t.c.status == "sending",
    ).values(lease_until=bindparam("f_lease", type_=t.c.lease_until.type),
             attempts=func.coalesce(t.c.attempts, 0) + 1)


@cache
def _statements() -> tuple[Any, Any]:
    """(settle, fence) as SQLite runs them, built once."""
    return _settle_stmt(), _fence_stmt().returning(_TABLE.c.attempts)


def _params(settle: Settlement | None, fence: Fence | None) -> dict[str, Any]:
    p: dict[str, Any] = {"s_id": 0, "s_token": "", "s_delivered": False, "s_status": "sending",
                         "s_sent_at": None, "s_next": None, "s_error": None, "s_rcpt": None,
                         "s_unknown": 0, "s_dead_at": None, "f_id": 0, "f_token": "", "f_lease": None}
    if settle is not None:
        p.update(settle.values, s_id=settle.row.id, s_token=settle.row.token,
                 s_delivered=settle.delivered)
    if fence is not None:
        p.update(f_id=fence.row.id, f_token=fence.row.token, f_lease=utc(fence.lease_until))
    return p


def _driver(conn: Connection) -> Any:
    driver = conn.connection.driver_connection
    assert driver is not None
    return driver


#: The combined statement's name, prepared once on a `DeliveryLog`'s connection.
_STATEMENT = b"hamkor_delivery"


@cache
def _pg_wire(dialect: Any) -> tuple[bytes, tuple[str, ...], Any]:
    """The combined statement as libpq takes it ($1, $2, ... for SQLAlchemy's named
    parameters, each with its type cast), the parameters' names in that order, and the
    compiled statement (for its bind processors). Two data-modifying CTEs: the settlement
    and the fence in one statement."""
    settled = _settle_stmt().returning(_TABLE.c.id).cte("settled")
    fenced = _fence_stmt().returning(_TABLE.c.attempts).cte("fenced")
    both = select(select(func.count()).select_from(settled).scalar_subquery().label("settled"),
                  select(fenced.c.attempts).scalar_subquery().label("attempts"))
    compiled = both.compile(dialect=dialect)
    sql = str(compiled)
    assert "%%" not in sql
    names: list[str] = []

    def number(m: re.Match[str]) -> str:
        if m.group(1) not in names:
            names.append(m.group(1))
        return f"${names.index(m.group(1)) + 1}"

    return re.sub(r"%\((\w+)\)s", number, sql).encode(), tuple(names), compiled


class Pending:
    """A delivery statement's result, read when first asked for: on PostgreSQL the
    statement is sent at once and runs on the server while the caller goes on."""

    def __init__(self, read: Callable[[], tuple[bool, int | None]]) -> None:
        self._read: Callable[[], tuple[bool, int | None]] | None = read
        self._value: tuple[bool, int | None] = (False, None)
        self._error: BaseException | None = None

    @classmethod
    def now(cls, run: Callable[[], tuple[bool, int | None]]) -> Pending:
        done = cls(run)
        done.settle()
        return done

    @property
    def done(self) -> bool:
        return self._read is None

    def settle(self) -> None:
        """Read the result (once); an error is kept for `result()`."""
        if self._read is not None:
            read, self._read = self._read, None
            try:
                self._value = read()
            except BaseException as exc:  # noqa: BLE001 - raised again by result()
                self._error = exc

    def result(self) -> tuple[bool, int | None]:
        """(settled, attempts after the fence or None when the row is no longer ours
        or no longer wanted); raises what the statement raised."""
        self.settle()
        if self._error is not None:
            raise self._error
        return self._value


class DeliveryLog:
    """Records attempts as they end, durably, on one connection held for a sender's run.

    `submit(settle, fence)` records the previous message's outcome and fences the next
    one in a single statement and commit (on PostgreSQL one round trip: two
    data-modifying CTEs in autocommit). The commit waits for its WAL flush: a
    delivery recorded as sent stays sent after a crash of the database server. On
    PostgreSQL the statement is sent at once (libpq's asynchronous API, a server-side
    prepared statement) and its result read only when the caller asks for it, so the
    caller talks SMTP (MAIL FROM, RCPT TO, DATA and the message's lines) while it runs
    on the server -- on the caller's own thread, with no thread to hand over to -- and
    waits for it before the end of the data: a message is never sent before the
    previous one's record is durable, which is what limits a kill -9 to resending
    the one message in flight. On SQLite the statements run at once in one write
    transaction on a connection that syncs each commit (`synchronous=FULL`).
    """

    def __init__(self, bind: Any, *, overlap: bool = True) -> None:
        self._bind = bind
        self._conn: Connection | None = None
        self._pg = bind.dialect.name == "postgresql"
        self._overlap = overlap
        self._prepared_on: Any = None  # the driver connection the statement is prepared on
        self._inflight: Pending | None = None

    def __enter__(self) -> DeliveryLog:
        return self

    def _connection(self) -> Connection:
        if self._conn is not None and self._conn.invalidated:
            self._conn.close()
            self._conn = None
        if self._conn is None:  # on the first delivery: a run with nothing to send needs none
            conn = self._bind.connect()
            try:
                if self._pg:
                    conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                else:  # outside a transaction (SQLite refuses it inside one)
                    _driver(conn).execute("PRAGMA synchronous=FULL")
            except BaseException:
                conn.invalidate()  # never back to the pool half-configured
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _failed(self, conn: Connection, exc: BaseException) -> BaseException:
        """What to raise for `exc`: a lock conflict as `ConcurrentUpdate`, else `exc`."""
        if not conn.invalidated and not self._pg:
            conn.rollback()
        if isinstance(exc, OperationalError) and is_lock_error(exc):
            return ConcurrentUpdate("a notification being sent")
        return exc

    def _sqlite_run(self, settle: Settlement | None, fence: Fence | None) -> tuple[bool, int | None]:
        conn = self._connection()
        settle_stmt, fence_stmt = _statements()
        params = _params(settle, fence)
        try:
            settled = bool(conn.execute(settle_stmt, params).rowcount) if settle else False
            attempts = conn.execute(fence_stmt, params).scalar() if fence else None
            conn.commit()
        except BaseException as exc:
            raise self._failed(conn, exc) from exc
        _warn_unsettled(settle, settled)
        return settled, attempts

    def _pg_error(self, conn: Connection, sql: str, args: Any, exc: Exception) -> BaseException:
        """A driver error as SQLAlchemy's, as from any other statement; a broken
        connection is invalidated (the next statement takes a new one)."""
        import psycopg

        driver = _driver(conn)
        broken = bool(driver.closed or driver.broken or driver.pgconn.status != 0)
        if broken:
            conn.invalidate(exc)
        err = DBAPIError.instance(sql, args, exc, psycopg.Error,
                                  connection_invalidated=broken, dialect=conn.dialect)
        return self._failed(conn, err)

    def _pg_send(self, settle: Settlement | None, fence: Fence | None) -> Pending:
        """Send the combined statement and return its result to read later. One message's
        record costs one round trip and a few dozen µs of this process's CPU."""
        import psycopg
        from psycopg import pq
        from psycopg.adapt import PyFormat, Transformer

        conn = self._connection()
        wire, names, compiled = _pg_wire(conn.dialect)
        args = compiled.construct_params(_params(settle, fence))
        for name, process in compiled._bind_processors.items():
            args[name] = process(args[name])
        driver = _driver(conn)
        try:
            pgconn = driver.pgconn
            if self._prepared_on is not driver:
                res = pgconn.prepare(_STATEMENT, wire, None)
                if res.status != pq.ExecStatus.COMMAND_OK and res.error_field(
                        pq.DiagnosticField.SQLSTATE) != b"42P05":  # prepared before: fine
                    raise psycopg.errors.error_from_result(res, encoding=driver.info.encoding)
                self._prepared_on = driver
            tx = Transformer.from_context(driver)
            values = tx.dump_sequence([args[n] for n in names], [PyFormat.TEXT] * len(names))
            pgconn.send_query_prepared(_STATEMENT, values)
        except psycopg.Error as exc:
            raise self._pg_error(conn, wire.decode(), args, exc) from exc

        def read() -> tuple[bool, int | None]:
            try:
                results = []
                while (res := driver.pgconn.get_result()) is not None:
                    results.append(res)
                for res in results:
                    if res.status != pq.ExecStatus.TUPLES_OK:
                        raise psycopg.errors.error_from_result(res, encoding=driver.info.encoding)
                if len(results) != 1:
                    raise psycopg.OperationalError(
                        f"the delivery record got no result: {driver.pgconn.get_error_message()}")
            except psycopg.Error as exc:
                raise self._pg_error(conn, wire.decode(), args, exc) from exc
            settled_raw, attempts_raw = results[0].get_value(0, 0), results[0].get_value(0, 1)
            settled = bool(int(bytes(settled_raw or b"0")))
            _warn_unsettled(settle, settled)
            return settled, int(bytes(attempts_raw)) if attempts_raw is not None else None

        return Pending(read)

    def _drain(self) -> None:
        """Read the statement still under way before the connection is used again."""
        inflight, self._inflight = self._inflight, None
        if inflight is not None:
            inflight.settle()

    def submit(self, settle: Settlement | None, fence: Fence | None = None) -> Pending:
        """Record `settle` and fence `fence`; the result is (settled, attempts after the
        fence or None when the row is no longer ours or no longer wanted)."""
        self._drain()
        if not self._pg:
            return Pending.now(lambda: self._sqlite_run(settle, fence))
        try:
            pending = self._pg_send(settle, fence)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the result
            error = exc

            def fail() -> tuple[bool, int | None]:
                raise error
            return Pending.now(fail)
        if self._overlap:
            self._inflight = pending
        else:
            pending.settle()
        return pending

    def sent(self, c: Claimed, now: datetime) -> bool:
        """Record `c` as delivered to all its recipients (no fence); False if `c`'s claim
        no longer holds the row (another sender has taken it over)."""
        from notifications.transports import Outcome

        st = settlement(c, c.attempts, Outcome(True, accepted=c.recipients()), now)
        return self.submit(st).result()[0]

    def fence(self, c: Claimed, lease_until: datetime) -> int | None:
        """Fence `c` alone: its attempt count after the fence, None if not ours or unwanted."""
        return self.submit(None, Fence(c, lease_until)).result()[1]

    def release(self, rows: Sequence[Claimed], next_attempt_at: datetime, note: str) -> None:
        """Hand back claimed rows that were not tried (the backend is down): no attempt
        charged, claimable again at `next_attempt_at`."""
        if not rows:
            return
        self._drain()
        conn = self._connection()
        t = _TABLE
        try:
            for c in rows:
                conn.execute(update(t).where(t.c.id == c.id, t.c.claim_token == c.token,
                                             t.c.status == "sending").values(
                    status="failed" if c.attempts else "pending", lease_until=None,
                    claim_token=None, next_attempt_at=utc(next_attempt_at),
                    last_error=note[:2000]))
            conn.commit()
        except BaseException as exc:
            raise self._failed(conn, exc) from exc

    def __exit__(self, *exc: object) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            self._drain()
            if not conn.invalidated:
                if self._pg:
                    if self._prepared_on is not None:  # the pooled connection is reused
                        _driver(conn).execute("DEALLOCATE hamkor_delivery")
                else:
                    if conn.in_transaction():
                        conn.rollback()
                    _driver(conn).execute("PRAGMA synchronous=NORMAL")
        except BaseException:
            conn.invalidate()  # its session settings are unknown: discard, do not pool it
            raise
        finally:
            self._prepared_on = None
            conn.close()


def _warn_unsettled(settle: Settlement | None, settled: bool) -> None:
    if settle is not None and not settled:
        log.warning("notification %s: its outcome (%s) was not recorded: another sender "
                    "had taken it over", settle.row.id, settle.status)


def mark_failed(s: Session, c: Claimed, now: datetime, error: str, *,
                retry_for: timedelta = RETRY_FOR, permanent: bool = False) -> str | None:
    """Record a failed attempt of `c` in session `s`: `failed` with a backoff, or `dead`;
    None if another sender has taken the row over meanwhile (nothing recorded)."""
    from notifications.transports import Outcome

    st = settlement(c, c.attempts, Outcome(False, error=error, permanent=permanent), now, retry_for)
    settled = s.connection().execute(_settle_stmt(), _params(st, None)).rowcount
    return st.status if settled else None
