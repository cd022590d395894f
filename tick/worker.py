"""The worker's orchestration: the daily tick, retried and caught up, and the outbox sender.

`hamkor worker` and `python worker.py` run `run_worker`; `hamkor tick` and the demo
call `tick_once`. What it needs from the composition root is the `Wiring` below
(settings, units of work, the clock, the home institution, the mail transport and
templates); nothing here parses options or prints.

- The daily tick runs at HAMKOR_TICK_AT (APScheduler 3 cron job, office time zone)
  and is retried until it has run for the day: a failed tick (the database
  restarting, a stale connection) is retried with a backoff of 1, 2, 4 ... up to
  15 minutes, and the business days whose tick completed are recorded in
  `tick_days`, so a day missed while the worker or the database was down is caught
  up as soon as the worker runs again (at start too). The tick itself is idempotent
  and commits batch by batch: a tick that fails part-way leaves the rest to the retry.
- One message in flight per worker process: every sending run (the tick's and the
  minutely sender's) holds one process-wide lock, and the scheduler runs its jobs
  on a single thread.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from config import Settings
    from notifications.compose import Templates
    from notifications.sender import SendReport
    from notifications.transports import Transport
    from tick.run import TickReport
    from workflow.agreements import Office
    from workflow.clock import Clock
    from workflow.errors import Problem
    from workflow.uow import UnitOfWork

log = logging.getLogger("hamkor.worker")

#: A daily tick that starts late still runs if it is less than this late (APScheduler's
#: default of 1 s is how reminders get lost); later than that, the catch-up runs it.
MISFIRE_GRACE_S = 20 * 3600
SENDER_INTERVAL_S = 60.0
#: Retry waits of a failed daily tick: 1, 2, 4, 8, then every 15 minutes.
TICK_RETRY_BASE_S = 60.0
TICK_RETRY_MAX_S = 15 * 60.0

#: One sending run at a time in this process: one message in flight per worker.
_SENDING = threading.Lock()


class Wiring(Protocol):
    """What the orchestration takes from the composition root (`root.App`)."""

    @property
    def settings(self) -> Settings: ...

    def uow(self, *, immediate: bool = False) -> UnitOfWork: ...

    def clock(self, now: datetime | None = None) -> Clock: ...

    def office(self) -> Office: ...

    def transport(self) -> Transport: ...

    def mail_templates(self) -> Templates: ...


# --- sending -----------------------------------------------------------------------------


def send_outbox(app: Wiring, clock: Clock, *, live: bool = False, limit: int | None = None,
                transport: Transport | None = None) -> SendReport:
    """Deliver the due outbox rows with the configured backend, one message at a time
    in this process (a second caller waits for the first).

    `live`: times are read afresh for each message (the worker, a tick without
    `--now`); otherwise every decision uses `clock`, as a replayed day must.
    """
    from notifications.sender import send_due

    s = app.settings
    with _SENDING:
        return send_due(app.uow(immediate=True), clock, transport or app.transport(),
                        mail_from=s.mail_from, retry_for=s.mail_retry_for, limit=limit,
                        live=(lambda: datetime.now(UTC)) if live else None)


# --- the tick ----------------------------------------------------------------------------


def tick_once(app: Wiring, now: datetime | None = None, *, dry_run: bool = False,
              send: bool = True) -> TickReport:
    """One tick: the day's transitions and reminders, the day recorded as done, then
    sending (what `hamkor tick` runs; the worker and the demo too)."""
    from tick.run import run_tick

    clock = app.clock(now)
    report = run_tick(app.uow(immediate=True), clock, app.office(),
                      compose=app.mail_templates(), dry_run=dry_run)
    if dry_run:
        return report
    record_day(app.uow(immediate=True), clock.today, clock.utcnow)
    if send:
        delivered = send_outbox(app, clock, live=now is None)
        report.sent, report.failed, report.dead = delivered.sent, delivered.failed, delivered.dead
        report.errors = list(delivered.errors)
    return report


def record_day(uow: UnitOfWork, day: date, now: datetime) -> None:
    """Record that the tick of business day `day` completed (once; later runs keep the first)."""
    from models import TickDay

    with uow:
        if uow.session.get(TickDay, day) is None:
            uow.session.add(TickDay(day=day, completed_at=now))
            uow.commit()


def last_completed_day(uow: UnitOfWork) -> date | None:
    from sqlalchemy import func, select

    from models import TickDay

    with uow:
        return uow.session.scalar(select(func.max(TickDay.day)))


@dataclass
class TickStatus:
    """Whether the daily tick is behind: for the worker, `/healthz` and the dashboard."""

    today: date
    last_completed: date | None
    overdue: bool

    def problem(self) -> str | None:
        if not self.overdue:
            return None
        last = self.last_completed.isoformat() if self.last_completed else "never"
        return f"the daily tick has not run for {self.today.isoformat()} (last completed: {last})"

    def rule(self) -> Problem | None:
        """`problem` as a rule (workflow/rules.py `health.tick*`)."""
        from workflow.rules import problem

        if not self.overdue:
            return None
        if self.last_completed is None:
            return problem("health.tick_never", today=self.today.isoformat())
        return problem("health.tick", today=self.today.isoformat(), last=self.last_completed.isoformat())


def tick_status(app: Wiring, now: datetime | None = None) -> TickStatus:
    """Overdue when today's tick time has passed without today's tick, or a whole
    business day was missed. A database that never ticked is overdue only after
    today's tick time."""
    settings = app.settings
    clock = app.clock(now)
    local = clock.now.astimezone(settings.zone)
    today = local.date()
    last = last_completed_day(app.uow())
    past_tick_time = local.time() >= settings.tick_time
    overdue = (past_tick_time and (last is None or last < today)) or (
        last is not None and last < today - timedelta(days=1))
    return TickStatus(today, last, overdue)


def problems(app: Wiring, now: datetime | None = None) -> list[str]:
    """What an admin should know about reminders now: a mail backlog, dead mail, an
    overdue daily tick (for the dashboard, `/healthz` and `hamkor outbox list`)."""
    from notifications.outbox import health

    clock = app.clock(now)
    found = health(app.uow(), clock.utcnow).problems()
    tick = tick_status(app, now).problem()
    return found + ([tick] if tick else [])


def problem_rules(app: Wiring, now: datetime | None = None) -> list[Problem]:
    """`problems` as rules, for the dashboard to word in its reader's language."""
    from notifications.outbox import health

    clock = app.clock(now)
    found = health(app.uow(), clock.utcnow).rules()
    tick = tick_status(app, now).rule()
    return found + ([tick] if tick else [])


class DailyTick:
    """The daily tick with retries and catch-up, as the worker runs it.

    `run()` is the 08:00 job; `catch_up()` runs every minute (with the sender) and
    starts the tick when the day's has not completed and its retry wait has passed.
    Failures are logged with what to do; the next try waits 1, 2, 4 ... 15 minutes.
    """

    def __init__(self, app: Wiring, *, retry_base_s: float = TICK_RETRY_BASE_S,
                 retry_max_s: float = TICK_RETRY_MAX_S,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.retry_base_s, self.retry_max_s = retry_base_s, retry_max_s
        self.monotonic = monotonic
        self.failures = 0
        self.retry_at = 0.0
        self._lock = threading.Lock()

    def run(self) -> bool:
        """Run today's tick now; True when it completed."""
        with self._lock:
            log.info("daily tick starting")
            try:
                report = tick_once(self.app)
            except Exception as exc:  # noqa: BLE001 - logged; retried after a backoff
                self.failures += 1
                wait = min(self.retry_base_s * 2 ** (self.failures - 1), self.retry_max_s)
                self.retry_at = self.monotonic() + wait
                job_failed(f"daily tick (failure {self.failures}; retried in {wait:g} s)", exc)
                return False
            self.failures, self.retry_at = 0, 0.0
            log.info("daily tick done: %s", json.dumps(report.as_dict()))
            return True

    def catch_up(self) -> bool | None:
        """Run the tick if it is overdue and its retry wait is over; None when not run."""
        if self.monotonic() < self.retry_at:
            return None
        try:
            status = tick_status(self.app)
        except Exception as exc:  # noqa: BLE001 - the database is down: retried next minute
            job_failed("checking the daily tick", exc)
            return None
        if not status.overdue:
            return None
        log.info("catching up: %s", status.problem())
        return self.run()


def job_failed(what: str, exc: Exception) -> None:
    """Log a failed job in one line (a database URL's password hidden); a bug with its
    traceback."""
    from sqlalchemy.exc import DBAPIError

    from config import ConfigError, redact_url
    from workflow.errors import HamkorError

    if isinstance(exc, HamkorError | ConfigError):
        log.error("%s failed: %s", what, exc)
    elif isinstance(exc, DBAPIError | OSError):
        text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        log.error("%s failed: %s", what, redact_url(text[0]) if text else type(exc).__name__)
    else:
        log.exception("%s failed", what)


# --- the worker --------------------------------------------------------------------------


def send_job(app: Wiring, daily: DailyTick) -> None:
    """Every minute: catch up on the daily tick if it is behind, then send what is due."""
    daily.catch_up()
    try:
        report = send_outbox(app, app.clock(), live=True)
    except Exception as exc:  # noqa: BLE001 - logged; the next run retries
        job_failed("outbox sender", exc)
        return
    if report.sent or report.failed or report.dead:
        log.info("outbox run: sent %d, failed %d, dead %d", report.sent, report.failed, report.dead)
    for error in report.errors:
        log.warning("outbox: %s", error)


def build_scheduler(app: Wiring, now: datetime, *, sender_interval: float = SENDER_INTERVAL_S,
                    daily: DailyTick | None = None) -> Any:
    """The worker's APScheduler: the daily tick and the outbox sender, not started yet.

    One executor thread: jobs never run side by side, so the worker has at most one
    message in flight.
    """
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    settings = app.settings
    zone, at = settings.zone, settings.tick_time
    now = now.astimezone(zone)
    daily = daily or DailyTick(app)
    defaults = {"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_S}
    # A sender run that is late by more than its interval is simply the next one.
    minutely = {"coalesce": True, "max_instances": 1, "misfire_grace_time": max(int(sender_interval), 1)}
    scheduler = BlockingScheduler(timezone=zone, job_defaults=defaults,
                                  executors={"default": ThreadPoolExecutor(1)})
    scheduler.add_job(daily.run, CronTrigger(hour=at.hour, minute=at.minute, timezone=zone),
                      id="tick", name="daily tick", replace_existing=True, **defaults)
    # The first sender run comes at once: it catches up a missed or overdue tick (a
    # restart after today's tick time, days of downtime) before sending.
    scheduler.add_job(send_job, IntervalTrigger(seconds=sender_interval, timezone=zone),
                      args=[app, daily], id="outbox", name="outbox sender", replace_existing=True,
                      **minutely, next_run_time=now + timedelta(seconds=min(1.0, sender_interval)))
    from documents.watch import weekly_job  # `files verify` weekly; mails the admins on a failure

    scheduler.add_job(weekly_job, CronTrigger(day_of_week="sun", hour=at.hour, minute=at.minute,
                                              timezone=zone),
                      args=[app], id="files-verify", name="weekly file check", replace_existing=True,
                      **defaults)
    return scheduler


def run_worker(app: Wiring, *, sender_interval: float = SENDER_INTERVAL_S) -> None:
    """Run until SIGTERM or SIGINT (a running tick or send finishes first)."""
    import signal

    from config.logs import configure

    configure(logging.INFO, "%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = app.settings
    reschedule_at_start(app)
    scheduler = build_scheduler(app, datetime.now(settings.zone), sender_interval=sender_interval)
    stopping = False

    def _stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        log.info("received %s, stopping", signal.Signals(signum).name)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info("worker started: daily tick at %s %s, outbox sender every %gs",
             settings.tick_at, settings.timezone, sender_interval)
    try:
        scheduler.start()
    except SystemExit:
        pass
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)  # lets a running tick or send finish
        log.info("worker stopped")


def reschedule_at_start(app: Wiring) -> None:
    """Settings are read when the worker starts: a changed reminder policy takes effect
    on every live agreement's next due date now, not only as each comes due."""
    from tick.run import reschedule_all

    try:
        moved = reschedule_all(app.uow(immediate=True), app.clock(), app.office())
    except Exception as exc:  # noqa: BLE001 - logged; the ticks still run
        job_failed("rescheduling at start", exc)
        return
    if moved:
        log.info("rescheduled %d agreement(s) under the current reminder policy", moved)
