"""`hamkor tick`, `hamkor worker` and `hamkor outbox list|retry`.

The templates, the mail transport and the units of work come from the
composition root (`root.App`) and are handed to the tick and the sender.
Jinja2, smtplib and APScheduler are imported inside the commands so `hamkor
--help` does not pay for them.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

from cli.output import emit_json, table
from root import App

if TYPE_CHECKING:
    from notifications.sender import SendReport
    from tick.run import TickReport
    from workflow.clock import Clock

log = logging.getLogger("hamkor.worker")

JSON = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
#: A daily tick that starts late still runs if it is less than this late (APScheduler's
#: default of 1 s is how reminders get lost); later than that, the next day's tick catches up.
MISFIRE_GRACE_S = 20 * 3600
SENDER_INTERVAL_S = 60


# --- composition -----------------------------------------------------------------------------


def parse_now(value: str | None) -> datetime | None:
    from workflow.errors import Invalid

    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(f"--now {value!r} is not an ISO date-time (e.g. 2026-03-01T08:00)") from None


def send_outbox(app: App, clock: Clock, *, live: bool = False, limit: int | None = None) -> SendReport:
    """Deliver the due outbox rows with the configured backend.

    `live`: times are read afresh for each batch (the worker, a tick without `--now`);
    otherwise every decision uses `clock`, as a replayed day must.
    """
    from datetime import UTC

    from notifications.sender import BATCH_SIZE, lease_for, send_due

    s = app.settings
    return send_due(app.uow(immediate=True), clock, app.transport(), mail_from=s.mail_from,
                    max_attempts=s.mail_max_attempts, limit=limit,
                    lease=lease_for(BATCH_SIZE, s.smtp_timeout),
                    live=(lambda: datetime.now(UTC)) if live else None)


def tick_once(app: App, now: datetime | None = None, *, dry_run: bool = False,
              send: bool = True) -> TickReport:
    """One tick as `hamkor tick` runs it (the demo and the worker call this too)."""
    from tick.run import run_tick

    return run_tick(app.uow(immediate=True), app.clock(now), app.office(),
                    compose=app.mail_templates(),
                    deliver=(lambda clock: send_outbox(app, clock, live=now is None)) if send else None,
                    dry_run=dry_run)


# --- hamkor tick -----------------------------------------------------------------------------


@click.command()
@click.option("--now", metavar="ISO_DATETIME",
              help="Run as if it were this moment (naive: read in HAMKOR_TIMEZONE).")
@click.option("--dry-run", is_flag=True, help="Report what would happen; write and send nothing.")
@click.option("--reschedule", is_flag=True,
              help="First recompute every live agreement's next due date (after changing "
                   "HAMKOR_REMINDER_DAYS or HAMKOR_SIGNATURE_NUDGE_DAYS; the worker does it "
                   "when it starts).")
@JSON
@click.pass_obj
def tick(app: App, now: str | None, dry_run: bool, reschedule: bool, as_json: bool) -> None:
    """Run the daily pass: automatic transitions, reminders, sending.

    Exits 0 when mail could not be sent (the failures are reported and retried
    later); exits 1 only when the pass itself could not be done.
    """
    if reschedule and dry_run:
        raise click.UsageError("--reschedule writes: it cannot be combined with --dry-run")
    if reschedule:
        from tick.run import reschedule_all

        moved = reschedule_all(app.uow(immediate=True), app.clock(parse_now(now)), app.office())
        if not as_json:
            click.echo(f"rescheduled: {moved} agreement(s) have a new next due date")
    report = tick_once(app, parse_now(now), dry_run=dry_run)
    if as_json:
        emit_json(report.as_dict())
    else:
        _print_report(report)
    for error in report.errors[:5]:
        click.echo(f"warning: {error}", err=True)
    if report.failed or report.dead:
        click.echo(f"warning: {report.failed + report.dead} message(s) not sent "
                   f"({report.failed} will be retried, {report.dead} dead); "
                   "see `hamkor outbox list --status failed`", err=True)


def _counts(counts: dict[str, int]) -> str:
    shown = [f"{k} {v}" for k, v in counts.items() if v]
    return ", ".join(shown) if shown else "none"


def _print_report(r: TickReport) -> None:
    d = r.as_dict()
    head = f"tick {d['today']} (now {d['now']})" + ("  DRY RUN: nothing written or sent" if r.dry_run else "")
    click.echo(head)
    click.echo(f"  agreements due: {d['agreements']}")
    click.echo(f"  transitions:    {_counts(d['transitions'])}")
    click.echo(f"  queued:         {_counts(d['enqueued'])}")
    click.echo(f"  skipped:        {d['skipped']} (missed reminders recorded, not sent)")
    click.echo(f"  cancelled:      {d['cancelled']}")
    if r.dry_run:
        click.echo(f"  would send:     {r.to_send}")
    else:
        click.echo(f"  sent:           {r.sent}   failed: {r.failed}   dead: {r.dead}")


# --- hamkor worker ---------------------------------------------------------------------------


@click.command()
@click.pass_obj
def worker(app: App) -> None:
    """Run the scheduler: the daily tick at HAMKOR_TICK_AT and the outbox sender every minute.

    Stops cleanly on SIGTERM or SIGINT (a running tick finishes first).
    """
    run_worker(app)


def build_scheduler(app: App, now: datetime, *, sender_interval: float = SENDER_INTERVAL_S) -> Any:
    """The worker's APScheduler: the daily tick and the outbox sender, not started yet."""
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    settings = app.settings
    zone, at = settings.zone, settings.tick_time
    now = now.astimezone(zone)
    daily = {"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_S}
    # A sender run that is late by more than its interval is simply the next one.
    minutely = {"coalesce": True, "max_instances": 1, "misfire_grace_time": max(int(sender_interval), 1)}
    scheduler = BlockingScheduler(timezone=zone, job_defaults=daily)
    todays_run = now.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    # Started after today's tick time (a restart, a deploy): tick now rather than tomorrow.
    # Correctness does not depend on it, the tick catches up on missed days anyway.
    scheduler.add_job(_tick_job, CronTrigger(hour=at.hour, minute=at.minute, timezone=zone),
                      args=[app], id="tick", name="daily tick", replace_existing=True, **daily,
                      **({"next_run_time": now} if now >= todays_run else {}))
    scheduler.add_job(_send_job, IntervalTrigger(seconds=sender_interval, timezone=zone),
                      args=[app], id="outbox", name="outbox sender", replace_existing=True, **minutely,
                      next_run_time=now + timedelta(seconds=min(5.0, sender_interval)))
    from documents.watch import weekly_job  # `files verify` weekly; mails the admins on a failure

    scheduler.add_job(weekly_job, CronTrigger(day_of_week="sun", hour=at.hour, minute=at.minute,
                                              timezone=zone),
                      args=[app], id="files-verify", name="weekly file check", replace_existing=True,
                      **daily)
    return scheduler


def run_worker(app: App, *, sender_interval: float = SENDER_INTERVAL_S) -> None:
    import signal

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = app.settings
    app.engine  # noqa: B018 - an unusable database fails now, not in the first job
    _reschedule_at_start(app)
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


def _reschedule_at_start(app: App) -> None:
    """Settings are read when the worker starts: a changed reminder policy takes effect
    on every live agreement's next due date now, not only as each comes due."""
    from tick.run import reschedule_all

    try:
        moved = reschedule_all(app.uow(immediate=True), app.clock(), app.office())
    except Exception as exc:  # noqa: BLE001 - logged; the ticks still run
        _job_failed("rescheduling at start", exc)
        return
    if moved:
        log.info("rescheduled %d agreement(s) under the current reminder policy", moved)


def _job_failed(what: str, exc: Exception) -> None:
    from cli.errors import message_for

    msg = message_for(exc)
    if msg is None:
        log.exception("%s failed", what)
    else:
        log.error("%s failed: %s", what, msg)


def _tick_job(app: App) -> None:
    log.info("daily tick starting")
    try:
        report = tick_once(app)
    except Exception as exc:  # noqa: BLE001 - logged; the next run retries
        _job_failed("daily tick", exc)
        return
    log.info("daily tick done: %s", json.dumps(report.as_dict()))


def _send_job(app: App) -> None:
    try:
        report = send_outbox(app, app.clock(), live=True)
    except Exception as exc:  # noqa: BLE001 - logged; the next run retries
        _job_failed("outbox sender", exc)
        return
    log.info("outbox run: sent %d, failed %d, dead %d", report.sent, report.failed, report.dead)
    for error in report.errors:
        log.warning("outbox: %s", error)


# --- hamkor outbox ---------------------------------------------------------------------------


@click.group()
def outbox() -> None:
    """List or retry outgoing notifications."""


@outbox.command("list")
@click.option("--status", metavar="S",
              help="pending, sending, sent, failed, dead, skipped or cancelled.")
@click.option("--limit", type=int)
@JSON
@click.pass_obj
def list_cmd(app: App, status: str | None, limit: int | None, as_json: bool) -> None:
    """List notifications, oldest first."""
    from notifications.outbox import list_rows

    rows = list_rows(app.uow(), status=status, limit=limit)
    if as_json:
        emit_json(rows)
        return
    table([(r["id"], r["status"], r["agreement"], r["rule"], r["offset"], r["due_on"], r["to"],
            r["attempts"], r["next_attempt_at"] or "", (r["last_error"] or r["subject"])[:60])
           for r in rows],
          ["id", "status", "agreement", "rule", "offset", "due", "to", "attempts", "next attempt",
           "subject / last error"])


@outbox.command()
@click.argument("row_id", metavar="ID", type=int)
@JSON
@click.pass_obj
def retry(app: App, row_id: int, as_json: bool) -> None:
    """Queue a failed or dead notification again (with a fresh set of attempts)."""
    from notifications.outbox import retry as retry_row

    row = retry_row(app.uow(immediate=True), row_id, app.clock().utcnow)
    if as_json:
        emit_json(row)
    else:
        click.echo(f"notification {row['id']} ({row['agreement']} {row['rule']}) queued again; "
                   "the next tick or worker run sends it")
