"""Turn every refusal into one `error: ...` line and exit code 1 (usage: 2)."""

from __future__ import annotations

import sys

import click

#: Fields whose option (or argument) is not simply `--field-name`.
_OPTIONS = {
    "partners": "--partner", "forms": "--form", "email": "EMAIL", "partner_name": "NAME",
    "token_name": "--name", "event": "EVENT", "ref": "REF", "password": "the password",
    "id": "ID", "contact_email": "--email", "document_lang": "--lang",
    # activities (workflow/activity_rules.py)
    "agreement": "REF", "starts_on": "--starts/--date", "ends_on": "--ends", "names": "--name",
    # cooperation conditions (ewp/rules.py)
    "sending": "--from", "receiving": "--to", "total_months": "--months", "total_days": "--days",
    "languages": "--language", "sending_ounit": "--from-unit", "receiving_ounit": "--to-unit",
}


def option_name(field: str) -> str:
    """How the command line calls a field of the rule book (workflow/rules.py)."""
    return _OPTIONS.get(field) or "--" + field.replace("_", "-")


def message_for(exc: BaseException) -> str | None:
    """The one line a user reads for a known failure, or None for a bug."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    from config import ConfigError, redact_url
    from workflow.errors import HamkorError
    from workflow.uow import is_lock_error

    if isinstance(exc, HamkorError):
        return exc.describe(option_name)
    if isinstance(exc, ConfigError):
        return str(exc)
    if isinstance(exc, OperationalError):
        if is_lock_error(exc):
            return "the database is busy (another process holds the lock); retry"
        return f"cannot use the database: {redact_url(str(exc.orig)).splitlines()[0]}"
    if isinstance(exc, DBAPIError):
        return f"database refused the change: {str(exc.orig).splitlines()[0]}"
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc)
    return None


def run(cmd: click.Command, argv: list[str]) -> int:
    try:
        cmd.main(args=argv, prog_name="hamkor", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("error: aborted", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except Exception as exc:
        msg = message_for(exc)
        if msg is None:
            raise
        click.echo(f"error: {msg}", err=True)
        # An import's refusal lists each row's errors under its one error line.
        for detail in getattr(exc, "errors", None) or ():
            click.echo(f"  {detail}", err=True)
        return 1
    return 0


def fail(message: str) -> None:
    """For command bodies: print one error line and exit 1."""
    click.echo(f"error: {message}", err=True)
    sys.exit(1)
