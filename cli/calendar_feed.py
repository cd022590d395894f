"""`hamkor calendar export`: the calendar feed as a file."""

from __future__ import annotations

from pathlib import Path

import click

from root import App


@click.group()
def calendar() -> None:
    """Export agreement dates as an iCalendar (.ics) file."""


@calendar.command("export")
@click.option("--user", "email", metavar="EMAIL",
              help="Whose feed (default HAMKOR_USER; without either, the whole office's).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE instead of standard output.")
@click.pass_obj
def export(app: App, email: str | None, out: Path | None) -> None:
    """Write the calendar feed: the same events as the user's /calendar/<token>.ics."""
    from notifications.calendar_feed import feed
    from workflow.errors import Invalid

    s = app.settings
    data = feed(app.uow(), app.clock(), email=email or s.user, window_days=s.renewal_window_days,
                base_url=s.base_url)
    if out is None:
        click.echo(data.decode("utf-8"), nl=False)
        return
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise Invalid(f"--out {out}: {exc.strerror or exc}") from None
    click.echo(f"wrote {out} ({data.count(b'BEGIN:VEVENT')} events)")
