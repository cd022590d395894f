"""Deliver due outbox rows: claim a batch, send each, settle each in its own commit.

Each message is marked `sent` in a commit right after the server accepted it
(`outbox.DeliveryLog`: one connection held for the run, one round trip each),
so a sender killed at any point leaves at most the one in-flight message to be
sent again (with the same Message-ID) once its lease expires; everything else
is either settled or still claimable. Every time decision (due, backoff,
lease) uses the time it is given: the tick's clock when a day is replayed with
`--now`, or a live one the worker passes in; this module never reads the clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.errors import MessageError

from notifications import outbox
from notifications.message import build_message, envelope_sender, recipients
from notifications.transports import ConnectionFailed, DeliveryError, Transport
from workflow.clock import Clock
from workflow.uow import UnitOfWork

log = logging.getLogger(__name__)

#: Rows claimed at a time; the lease must outlast sending them (see `lease_for`).
BATCH_SIZE = 20


def lease_for(batch_size: int, timeout_s: float) -> timedelta:
    """A lease long enough to send a whole batch even when every message takes the timeout."""
    return max(outbox.LEASE, timedelta(seconds=batch_size * timeout_s))


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0  # attempts that failed and will be retried
    dead: int = 0  # rows that used their last attempt (or failed permanently)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "failed": self.failed, "dead": self.dead}


def send_due(uow: UnitOfWork, clock: Clock, transport: Transport, *, mail_from: str,
             max_attempts: int, batch_size: int = BATCH_SIZE, lease: timedelta = outbox.LEASE,
             limit: int | None = None, live: Callable[[], datetime] | None = None) -> SendReport:
    """Send every due row (up to `limit`); stop early when the backend is unusable.

    Times come from `clock` (a replayed `--now` stays fixed for the whole run) or,
    given `live`, from it at each batch, so a long run's leases are measured from
    when each batch was claimed.
    """
    report = SendReport()
    sender = envelope_sender(mail_from)
    try:
        with outbox.DeliveryLog(uow.bind) as deliveries:
            while limit is None or report.sent + report.failed + report.dead < limit:
                now = live().astimezone(UTC) if live is not None else clock.utcnow
                size = batch_size if limit is None else min(batch_size, limit - report.sent - report.failed - report.dead)
                with uow:
                    batch = outbox.claim(uow.session, now, size, lease)
                    uow.commit()
                if not batch:
                    break
                for i, row in enumerate(batch):
                    try:
                        msg = build_message(row, mail_from)
                    except (ValueError, TypeError, MessageError) as exc:  # UnicodeError too
                        _settle_failed(uow, report, [row], now, f"cannot write the message: {exc}",
                                       max_attempts, permanent=True)
                        log.error("notification %s (%s) cannot be written: %s", row.id, row.key, exc)
                        continue
                    try:
                        refused = transport.send(msg, sender, recipients(row))
                    except ConnectionFailed as exc:
                        # The server is down or refuses us: every claimed row of the batch
                        # has failed this attempt; stop and let the backoff space retries.
                        _settle_failed(uow, report, batch[i:], now, str(exc), max_attempts)
                        log.warning("mail backend unusable, %d message(s) postponed: %s",
                                    len(batch) - i, exc)
                        return report
                    except DeliveryError as exc:
                        _settle_failed(uow, report, [row], now, str(exc), max_attempts,
                                       permanent=exc.permanent)
                        log.warning("notification %s (%s) not delivered: %s", row.id, row.key, exc)
                        continue
                    note = None
                    if refused:
                        note = "refused by some recipients: " + ", ".join(sorted(refused))
                    if deliveries.sent(row, now, note):
                        report.sent += 1
                    else:  # our lease expired and another sender took the row over
                        log.warning("notification %s was taken over by another sender", row.id)
    finally:
        transport.close()
    return report


def _settle_failed(uow: UnitOfWork, report: SendReport, rows: list[outbox.Claimed], now: datetime,
                   error: str, max_attempts: int, *, permanent: bool = False) -> None:
    with uow:
        for row in rows:
            status = outbox.mark_failed(uow.session, row, now, error, max_attempts=max_attempts,
                                        permanent=permanent)
            if status == "dead":
                report.dead += 1
            elif status == "failed":
                report.failed += 1
            else:  # our lease expired and another sender took the row over
                log.warning("notification %s was taken over by another sender", row.id)
        uow.commit()
    if error not in report.errors:
        report.errors.append(error)
