"""Entry point. Subcommands load lazily so `hamkor --help` stays fast."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from root import App

#: command name -> "module:attribute"; each module imports only what it needs.
COMMANDS: dict[str, str] = {
    "db": "cli.db:db",
    "user": "cli.people:user",
    "partner": "cli.people:partner",
    "agreement": "cli.agreement:agreement",
    "diagram": "cli.agreement:diagram",
    "tick": "cli.tick:tick",
    "worker": "cli.tick:worker",
    "outbox": "cli.tick:outbox",
    "report": "cli.report:report",
    "import": "cli.transfer:import_cmd",
    "export": "cli.transfer:export_cmd",
    "demo": "cli.demo:demo",
    "ewp": "cli.ewp:ewp",
    "serve": "cli.serve:serve",
    "activity": "cli.activity:activity",
    "files": "cli.files:files_group",
    "calendar": "cli.calendar_feed:calendar",
}

HELP = {
    "db": "Create or migrate the database schema.",
    "user": "Add, edit and list users (staff, their roles and languages).",
    "partner": "Add, edit and list partner organisations and their contact persons.",
    "agreement": "Create, advance, renew and inspect agreements.",
    "diagram": "Draw the lifecycle diagram (mermaid or dot).",
    "tick": "Run the daily pass: automatic transitions, reminders, sending.",
    "worker": "Run the scheduler: daily tick and outbox sender (long-running).",
    "outbox": "List, open or retry outgoing mail.",
    "report": "Generate and list annual cooperation reports.",
    "import": "Import agreements from CSV, XLSX or JSON (all rows or nothing).",
    "export": "Export agreements to CSV or JSON.",
    "demo": "Seed the demo data, simulate a year, write mails and a report.",
    "ewp": "Erasmus Without Paper: IIA v7 hash, export, import and approvals.",
    "serve": "Run the web interface and JSON API for office staff.",
    "activity": "Record and list cooperation activities (mobility, visits, events, ...).",
    "files": "The file store: verify every stored file against its hash.",
    "calendar": "Export agreement dates as an iCalendar (.ics) file.",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        cmd: click.Command = getattr(importlib.import_module(module), attr)
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help from a table, so --help imports no subcommand module.
        with formatter.section("Commands"):
            formatter.write_dl([(name, HELP.get(name, "")) for name in sorted(COMMANDS)])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_url", metavar="URL", help="Database URL (overrides HAMKOR_DATABASE_URL).")
@click.version_option("0.1.0", prog_name="hamkor")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None) -> None:
    """Hamkor: agreement lifecycle for university international offices."""
    ctx.obj = App(db_url)
    ctx.obj.settings  # noqa: B018 - bad configuration fails at start, naming the variable
    ctx.call_on_close(ctx.obj.close)


def main(argv: list[str] | None = None) -> Any:
    """The `hamkor` process (not the tests, which call `run(cli, ...)`)."""
    from cli.errors import run
    from root import pause_collector, resume_collector

    pause_collector()  # until the command opens its engine (start-up, issue 22)
    try:
        return run(cli, argv if argv is not None else sys.argv[1:])
    finally:
        resume_collector(freeze=False)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
