"""`hamkor import FILE [--dry-run]` and `hamkor export FILE`."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli.output import emit_json
from root import App

if TYPE_CHECKING:
    from workflow.transfer import ImportReport

#: Files with at least this many rows show a progress bar (on a terminal).
PROGRESS_FROM = 500
#: A dry run lists each row up to this many rows (all of them with --json).
LIST_UP_TO = 200


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and show what would change; write nothing.")
@click.option("--by", metavar="EMAIL", help="Acting user (default: HAMKOR_USER; else 'system').")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
@click.pass_obj
def import_cmd(app: App, file: Path, dry_run: bool, by: str | None, as_json: bool) -> None:
    """Import agreements from FILE (.csv, .xlsx or .json): all rows or nothing.

    Columns (header row): ref, title, type, state, partners, countries,
    signed_on, department, owner, starts_on, expires_on (or months), term,
    auto_renew, renewal_months, notice_days, forms, renews; optional kinds,
    erasmus_codes, created_on, notice_given_on, ends_on, notes. Lists are
    separated by ';' and aligned with partners. See README "Import and export".
    """
    from workflow.transfer import import_sheet, read_file

    if file.suffix.lower() == ".zip":  # an export bundle with its files (issue 20)
        from cli.files import import_bundle_cmd

        import_bundle_cmd(app, file, dry_run=dry_run, by=by, as_json=as_json)
        return
    sheet = read_file(file)
    bar: Any = nullcontext(None)
    if len(sheet.records) >= PROGRESS_FROM and sys.stderr.isatty() and not as_json:
        bar = click.progressbar(length=2 * len(sheet.records), file=sys.stderr,
                                label=f"importing {len(sheet.records)} rows")
    with bar as progress:
        report = import_sheet(app.uow(immediate=True), app.clock(), app.office(), sheet,
                              source=file.name, by=app.actor(by), dry_run=dry_run,
                              progress=progress.update if progress is not None else None)
    if as_json:
        emit_json(report.as_dict())
        return
    _print_report(report)


def _print_report(report: ImportReport) -> None:
    if report.dry_run:
        if len(report.actions) <= LIST_UP_TO:
            for number, action, ref, title, changes in report.actions:
                detail = f" ({', '.join(changes)})" if changes else ""
                click.echo(f"row {number}: {action} {ref} {title}{detail}")
        else:
            click.echo(f"({len(report.actions)} rows; use --json for the list)")
    verb = "would create" if report.dry_run else "created"
    line = (f"{report.source}: {verb} {len(report.created)}, "
            f"{'would update' if report.dry_run else 'updated'} {len(report.updated)}, "
            f"{'would skip' if report.dry_run else 'skipped'} {len(report.skipped)} agreements")
    extra = []
    if report.partners_created:
        extra.append(f"{len(report.partners_created)} new partners")
    if report.users_created:
        extra.append(f"{len(report.users_created)} new users (viewers): "
                     + ", ".join(report.users_created[:5])
                     + (" ..." if len(report.users_created) > 5 else ""))
    if extra:
        line += "; " + "; ".join(extra)
    click.echo(line + ("; dry run: nothing written" if report.dry_run else ""))


@click.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--bundle", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.zip",
              help="Write a ZIP with the agreements, every current file and a manifest of hashes.")
@click.pass_obj
def export_cmd(app: App, file: Path | None, bundle: Path | None) -> None:
    """Export every agreement to FILE (.csv or .json) in the import columns."""
    from workflow.transfer import export_file

    if (file is None) == (bundle is None):
        raise click.UsageError("give FILE (.csv or .json) or --bundle FILE.zip")
    if bundle is not None:
        from cli.files import export_bundle_cmd

        export_bundle_cmd(app, bundle)
        return
    assert file is not None
    count = export_file(app.uow(), file)
    click.echo(f"exported {count} agreements to {file}")
