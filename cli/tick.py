"""`hamkor tick`, `hamkor worker` and `hamkor outbox list|retry`: options in, text out.

The tick's orchestration, the sender and the worker's scheduler live in
`tick.worker`; these commands parse and print. Jinja2, smtplib and APScheduler are
imported inside the commands so `hamkor --help` does not pay for them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import click

from cli.output import emit_json, table
from root import App

if TYPE_CHECKING:
    from notifications.outbox import OutboxRow
    from tick.run import TickReport

JSON = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


def parse_now(value: str | None) -> datetime | None:
    from workflow import rules

    return rules.moment(value, "now")


def checked_now(app: App, value: str | None, *, writes: bool, allow_future: bool) -> datetime | None:
    """`--now`, refused beyond the real today unless nothing is written or it is confirmed."""
    from workflow import rules

    now = parse_now(value)
    if now is not None:
        rules.replay_day(app.clock(now).today, app.clock().today, writes=writes,
                         confirmed=allow_future)
    return now


# --- hamkor tick -----------------------------------------------------------------------------


@click.command()
@click.option("--now", metavar="ISO_DATETIME",
              help="Run as if it were this moment (naive: read in HAMKOR_TIMEZONE).")
@click.option("--dry-run", is_flag=True, help="Report what would happen; write and send nothing.")
@click.option("--allow-future", is_flag=True,
              help="Let --now be after today and still write and send (a test system's replay).")
@click.option("--reschedule", is_flag=True,
              help="First recompute every live agreement's next due date (after changing "
                   "HAMKOR_REMINDER_DAYS or HAMKOR_SIGNATURE_NUDGE_DAYS; the worker does it "
                   "when it starts).")
@JSON
@click.pass_obj
def tick(app: App, now: str | None, dry_run: bool, allow_future: bool, reschedule: bool,
         as_json: bool) -> None:
    """Run the daily pass: automatic transitions, reminders, sending.

    Exits 0 when mail could not be sent (the failures are reported and retried
    later); exits 1 only when the pass itself could not be done.
    """
    from tick.worker import tick_once

    if reschedule and dry_run:
        raise click.UsageError("--reschedule writes: it cannot be combined with --dry-run")
    moment = checked_now(app, now, writes=not dry_run, allow_future=allow_future)
    if reschedule:
        from tick.run import reschedule_all

        moved = reschedule_all(app.uow(immediate=True), app.clock(moment), app.office())
        if not as_json:
            click.echo(f"rescheduled: {moved} agreement(s) have a new next due date")
    report = tick_once(app, moment, dry_run=dry_run)
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
    click.echo(f"  queued:         {_counts(d['enqueued'])}"
               + (f" (+ {d['copies']} approvers' copies)" if d["copies"] else ""))
    click.echo(f"  skipped:        {d['skipped']} (missed reminders recorded, not sent)")
    click.echo(f"  cancelled:      {d['cancelled']}")
    click.echo(f"  digests:        {d['digests']}")
    if r.dry_run:
        click.echo(f"  would send:     {r.to_send}")
    else:
        click.echo(f"  sent:           {r.sent}   failed: {r.failed}   dead: {r.dead}")


# --- hamkor worker ---------------------------------------------------------------------------


@click.command()
@click.pass_obj
def worker(app: App) -> None:
    """Run the scheduler: the daily tick at HAMKOR_TICK_AT (retried, and caught up after
    downtime) and the outbox sender every minute.

    Stops cleanly on SIGTERM or SIGINT (a running tick finishes first).
    """
    from tick.worker import run_worker

    app.engine  # noqa: B018 - an unusable database fails now, not in the first job
    run_worker(app)


# --- hamkor outbox ---------------------------------------------------------------------------


@click.group()
def outbox() -> None:
    """List or retry outgoing notifications."""


def _recipients(r: OutboxRow) -> str:
    states = r.get("recipients") or {}
    assert isinstance(states, dict)
    odd = [f"{a} {v['state']}" for a, v in states.items() if v["state"] != "sent"]
    return "; ".join(odd)


@outbox.command("list")
@click.option("--status", metavar="S",
              help="pending, sending, sent, failed, dead, skipped or cancelled.")
@click.option("--kind", metavar="K", help="reminder, workflow or digest.")
@click.option("--limit", type=int)
@JSON
@click.pass_obj
def list_cmd(app: App, status: str | None, kind: str | None, limit: int | None,
             as_json: bool) -> None:
    """List notifications, oldest first (`hamkor outbox show ID` opens one)."""
    from notifications.outbox import health, list_rows

    rows = list_rows(app.uow(), status=status, limit=limit, kind=kind)
    if as_json:
        emit_json(rows)
    else:
        table([(r["id"], r["status"], r["kind"], r["agreement"] or "-", r["rule"], r["offset"],
                r["due_on"], r["to"], r["attempts"], r["next_attempt_at"] or "",
                (_recipients(r) + "  " if _recipients(r) else "") + (r["last_error"] or r["subject"])[:60])
               for r in rows],
              ["id", "status", "kind", "agreement", "message", "offset", "due", "to", "attempts",
               "next attempt", "subject / last error"])
    for problem in health(app.uow(), app.clock().utcnow).problems():
        click.echo(f"warning: {problem}", err=True)


@outbox.command("show")
@click.argument("row_id", metavar="ID", type=int)
@click.option("--html", "as_html", is_flag=True, help="Print the HTML part instead of the text.")
@click.option("--eml", is_flag=True, help="Print the whole message as sent (RFC 5322, .eml).")
@click.pass_obj
def show_cmd(app: App, row_id: int, as_html: bool, eml: bool) -> None:
    """Open notification ID as it was (or will be) sent: headers and text."""
    from notifications.archive import headers, open_message, parts

    row, msg = open_message(app.uow(), row_id, app.settings.mail_from, reveal_links=True)
    if eml:
        click.echo(msg.as_string(), nl=False)
        return
    click.echo(f"# {row['kind']} {row['rule']} · {row['status']}"
               + (f" · sent {row['sent_at']}" if row["sent_at"] else ""))
    for name, value in headers(msg):
        if name.lower() in ("from", "to", "cc", "subject", "date", "message-id"):
            click.echo(f"{name}: {value}")
    click.echo()
    text, html = parts(msg)
    click.echo(html or "" if as_html else text, nl=False)


@outbox.command()
@click.argument("row_id", metavar="ID", type=int, required=False)
@click.option("--dead", "all_dead", is_flag=True, help="Queue every dead notification again.")
@click.option("--since", metavar="DATE", help="With --dead: only those given up on or after DATE.")
@JSON
@click.pass_obj
def retry(app: App, row_id: int | None, all_dead: bool, since: str | None, as_json: bool) -> None:
    """Queue a failed or dead notification again (ID), or every dead one (--dead),
    with a fresh retry period."""
    from cli.agreement import parse_date
    from notifications.outbox import retry as retry_row, retry_dead

    if all_dead == (row_id is not None):
        raise click.UsageError("give a notification ID or --dead")
    if since is not None and not all_dead:
        raise click.UsageError("--since goes with --dead")
    if all_dead:
        count = retry_dead(app.uow(immediate=True), app.clock().utcnow,
                           since=parse_date(since, "--since"))
        if as_json:
            emit_json({"requeued": count})
        else:
            click.echo(f"{count} dead notification(s) queued again; the next tick or worker "
                       "run sends them")
        return
    assert row_id is not None
    row = retry_row(app.uow(immediate=True), row_id, app.clock().utcnow)
    if as_json:
        emit_json(row)
    else:
        click.echo(f"notification {row['id']} ({row['agreement'] or row['kind']} {row['rule']}) queued again; "
                   "the next tick or worker run sends it")
