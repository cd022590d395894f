"""Deliver due outbox rows: one message in flight at a time, fenced, recorded durably.

For each claimed row the sender (1) records the previous message's outcome and
fences this one in one durable statement (`deliveries.DeliveryLog.submit`: extend
its lease to cover the whole send, charge the attempt, check it is still ours
and still wanted), (2) writes the message and sends the envelope, DATA and the
message's lines meanwhile, (3) waits for that statement before the end of the
data (the final ".") and ends the data only if the fence held and enough of the
lease is left for the rest of the send; otherwise it closes the connection
before the end of the data, and the server discards the unfinished message. So a sender killed at any point leaves at
most the one in-flight message to be sent again (same Message-ID) once its
lease expires, a frozen sender that resumes after losing its rows sends none
of them, and a cancelled message is not sent. Every time decision (due,
backoff, leases) uses the time it is given: the tick's clock when a day is
replayed with `--now`, or a live one the worker passes in; this module never
reads the wall clock (only a monotonic one, to measure what is left of a lease).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.errors import MessageError
from email.message import Message

from notifications import deliveries, outbox
from notifications.message import build_message, envelope_sender
from notifications.transports import ConnectionFailed, Outcome, Transport
from workflow.clock import Clock
from workflow.uow import UnitOfWork

log = logging.getLogger(f"hamkor.{__name__}")

#: Rows claimed at a time (one of them is sent at a time).
BATCH_SIZE = 20


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0  # attempts that failed (or whose outcome is unknown) and will be retried
    dead: int = 0  # rows given up (permanent failure, retry period over, unknown twice)
    unknown: int = 0  # attempts with no reply to the end of the data (among failed/dead)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "failed": self.failed, "dead": self.dead}

    def count(self, st: deliveries.Settlement) -> None:
        if st.delivered:
            self.sent += 1
        elif st.status == "dead":
            self.dead += 1
        else:
            self.failed += 1
        error = st.values.get("s_error")
        if not st.delivered and error and error not in self.errors:
            self.errors.append(error)


def send_due(uow: UnitOfWork, clock: Clock, transport: Transport, *, mail_from: str,
             retry_for: timedelta = outbox.RETRY_FOR, batch_size: int = BATCH_SIZE,
             lease: timedelta | None = None, limit: int | None = None,
             live: Callable[[], datetime] | None = None) -> SendReport:
    """Send every due row (up to `limit` tried); stop early when the backend is unusable.

    `lease`: how long claimed rows wait for their turn before another sender may
    take them (default: one message's worst case, `transport.budget`). Times come
    from `clock` (a replayed `--now` stays fixed for the whole run) or, given
    `live`, from it for each message.
    """
    report = SendReport()
    run = _Run(uow, clock, transport, mail_from, retry_for, live, report)
    try:
        with deliveries.DeliveryLog(uow.bind) as records:
            run.deliveries = records
            try:
                while limit is None or run.tried < limit:
                    size = batch_size if limit is None else min(batch_size, limit - run.tried)
                    claim_lease = lease or timedelta(seconds=transport.budget(2))
                    run.flush()  # the last outcome is recorded before claiming more
                    with uow:
                        batch = outbox.claim(uow.session, run.now(), size, claim_lease)
                        uow.commit()
                    if not batch or not run.batch(batch):
                        break
            finally:
                run.flush()
    finally:
        transport.close()
    return report


class _Run:
    def __init__(self, uow: UnitOfWork, clock: Clock, transport: Transport, mail_from: str,
                 retry_for: timedelta, live: Callable[[], datetime] | None,
                 report: SendReport) -> None:
        self.uow, self.clock, self.transport = uow, clock, transport
        self.mail_from, self.sender = mail_from, envelope_sender(mail_from)
        self.retry_for, self.live, self.report = retry_for, live, report
        self.deliveries: deliveries.DeliveryLog
        #: The last attempt's outcome, recorded with the next fence (or at the end).
        self.pending: deliveries.Settlement | None = None
        #: The next row's message, written while the server read the current one.
        self.ahead: tuple[outbox.Claimed, Message | Exception] | None = None
        self.tried = 0

    def now(self) -> datetime:
        return self.live().astimezone(UTC) if self.live is not None else self.clock.utcnow

    def flush(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            self.deliveries.submit(pending).result()

    def _written(self, row: outbox.Claimed) -> Message | Exception:
        """Row `row`'s message, or why it cannot be written; prepared ahead if it was."""
        ahead, self.ahead = self.ahead, None
        if ahead is not None and ahead[0] is row:
            return ahead[1]
        try:
            return build_message(row, self.mail_from)
        except (ValueError, TypeError, MessageError) as exc:  # UnicodeError too
            return exc

    def _ahead(self, row: outbox.Claimed) -> Callable[[], None]:
        """The transport's `meanwhile`: write (and flatten) `row`'s message while the server
        reads the current one -- off the critical path of the exchange. Never raises: a
        message that cannot be written is found so again in its turn."""
        def prepare() -> None:
            written = self._written(row)
            self.ahead = (row, written)
            if isinstance(written, Message):
                try:
                    self.transport.prepare(written)
                except Exception:  # noqa: BLE001 - raised again, in its turn, by deliver
                    log.debug("notification %s: preparing it ahead failed", row.id, exc_info=True)
        return prepare

    def batch(self, batch: list[outbox.Claimed]) -> bool:
        """Send a claimed batch; False when the run must stop (the backend is down)."""
        for i, row in enumerate(batch):
            now = self.now()
            rcpts = row.recipients()
            budget = self.transport.budget(len(rcpts))
            fence = deliveries.Fence(row, now + timedelta(seconds=budget))
            pending, self.pending = self.pending, None
            fenced_at = time.monotonic()
            # The round trip (and its durable commit) runs while the message is written
            # and its envelope and lines sent; the transport waits for it before the end
            # of the data.
            result = self.deliveries.submit(pending, fence)
            go = _Go(result, fenced_at, budget, self.transport.final_budget())
            msg = self._written(row)
            if not isinstance(msg, Message):
                if go.attempts() is not None:  # still ours and wanted: it never can be sent
                    st = deliveries.give_up(row, f"cannot write the message: {msg}", now)
                    self.deliveries.submit(st).result()
                    self.report.count(st)
                log.error("notification %s (%s) cannot be written: %s", row.id, row.key, msg)
                continue
            meanwhile = self._ahead(batch[i + 1]) if i + 1 < len(batch) else None
            try:
                outcome = self.transport.deliver(msg, self.sender, rcpts, go, meanwhile)
            except ConnectionFailed as exc:
                attempts = go.attempts()
                if attempts is not None:  # it was ours and wanted: tried, and failed
                    self.tried += 1
                    st = deliveries.settlement(row, attempts, Outcome(False, error=str(exc)),
                                           now, self.retry_for)
                    self.deliveries.submit(st).result()
                    self.report.count(st)
                    retry_at = st.values["s_next"] or now + outbox.BACKOFF_BASE
                else:
                    retry_at = now + outbox.BACKOFF_BASE
                rest = batch[i + 1:]
                self.deliveries.release(rest, retry_at, f"not tried: {exc}")
                log.warning("mail backend unusable, %d message(s) postponed: %s", len(rest) + 1, exc)
                return False
            attempts = go.attempts()
            if go.late:
                # Frozen or stuck past its lease: its claims may be another sender's now.
                # It sends nothing more; what is still its own is handed back.
                self.deliveries.release(batch[i:], now, "not tried: its sender was late")
                log.warning("notification %s not sent: the sender's lease ran out before it "
                            "could be sent; this run stops", row.id)
                return False
            if attempts is None or outcome.fenced_out:
                log.warning("notification %s not sent: it was cancelled or another sender "
                            "has taken it over", row.id)
                continue
            self.tried += 1
            self.pending = deliveries.settlement(row, attempts, outcome, now, self.retry_for)
            self.report.count(self.pending)
            if outcome.delivered is None:
                self.report.unknown += 1
                log.warning("notification %s (%s): %s", row.id, row.key, outcome.error)
            elif outcome.delivered is False:
                log.warning("notification %s (%s) not delivered: %s", row.id, row.key, outcome.error)
        return True


class _Go:
    """The transport's `go()`: waits for the fence (and the previous record), then says
    whether this message may be sent: the row is still ours and wanted, and what is
    left of its lease covers the rest of the send."""

    def __init__(self, result: deliveries.Pending, fenced_at: float, lease_s: float,
                 rest_s: float) -> None:
        self.result, self.fenced_at, self.lease_s, self.rest_s = result, fenced_at, lease_s, rest_s
        self.late = False

    def attempts(self) -> int | None:
        return self.result.result()[1]

    def __call__(self) -> bool:
        if self.attempts() is None:
            return False
        if time.monotonic() - self.fenced_at + self.rest_s >= self.lease_s:
            self.late = True  # frozen (SIGSTOP, a VM pause) or stuck past its lease
            return False
        return True
