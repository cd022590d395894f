"""`hamkor db upgrade | downgrade REV | current`."""

from __future__ import annotations

import click

from root import App


@click.group()
def db() -> None:
    """Create or migrate the database schema."""


@db.command()
@click.argument("revision", default="head")
@click.pass_obj
def upgrade(app: App, revision: str) -> None:
    """Upgrade the schema to REVISION (default: the latest)."""
    from config import redact_url
    from migrations import schema as database

    database.upgrade(app.raw_engine(), revision)
    click.echo(f"database {redact_url(app.db_url)} at revision {database.current_revision(app.raw_engine())}")


@db.command()
@click.argument("revision")
@click.pass_obj
def downgrade(app: App, revision: str) -> None:
    """Downgrade the schema to REVISION (`base` removes every table)."""
    from migrations import schema as database

    database.downgrade(app.raw_engine(), revision)
    click.echo(f"database at revision {database.current_revision(app.raw_engine()) or 'base'}")


@db.command()
@click.pass_obj
def current(app: App) -> None:
    """Show the schema revision and whether it is the latest."""
    from migrations import schema as database

    rev = database.current_revision(app.raw_engine())
    head = database.head_revision()
    status = "latest" if rev == head else f"behind (latest is {head}); run `hamkor db upgrade`"
    click.echo(f"{rev or 'base'} ({status})")
