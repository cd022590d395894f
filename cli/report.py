"""`hamkor report annual YEAR ...` and `hamkor report list`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from cli.output import emit_json, table
from root import App

if TYPE_CHECKING:
    from reports.service import GeneratedReport

JSON = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


@click.group()
def report() -> None:
    """Generate and list annual cooperation reports."""


@report.command()
@click.argument("year")
@click.option("--format", "fmt", default="html", show_default=True,
              metavar="html|md|csv|xlsx|docx|pdf")
@click.option("--lang", default="en", show_default=True, metavar="en|uz|ru")
@click.option("--template", type=click.Path(path_type=Path), metavar="PATH",
              help="Your own Jinja2 (html, md, pdf) or Word (docx) template; rendered sandboxed.")
@click.option("--department", metavar="D", help="Only this department's agreements.")
@click.option("-o", "--output", type=click.Path(path_type=Path), metavar="FILE",
              help="Default: annual-report-YEAR-LANG.FORMAT in the current directory.")
@JSON
@click.pass_obj
def annual(app: App, year: str, fmt: str, lang: str, template: Path | None,
           department: str | None, output: Path | None, as_json: bool) -> None:
    """Write the annual cooperation report for YEAR and record it."""
    from workflow.errors import Invalid

    try:
        number = int(year)
    except ValueError:
        raise Invalid(f"year {year!r} is not a year (e.g. 2025)") from None
    rec = render_annual(app, number, fmt.strip().lower(), output, lang=lang.strip().lower(),
                        template=template, department=department)
    if as_json:
        emit_json(rec)
        return
    s = rec["summary"]
    click.echo(rec["path"])
    click.echo(f"  {s['active']} in force, {s['signed']} signed, {s['renewed']} renewed, "
               f"{s['expired']} expired, {s['terminated']} terminated; data {rec['data_hash'][:12]}")


def render_annual(app: App, year: int, fmt: str, path: Path | None, *, lang: str = "en",
                  template: Path | None = None, department: str | None = None) -> GeneratedReport:
    """Generate and record one annual report (for other commands, e.g. `hamkor demo`)."""
    from reports.service import ReportRequest, generate

    req = ReportRequest(year=year, format=fmt, lang=lang, template=template,
                        department=department, output=path)
    return generate(app.uow(), app.clock(), req, institution=app.settings.institution,
                    institution_hei_id=app.settings.institution_hei_id,
                    year_start=app.office().year_start)


@report.command("list")
@JSON
@click.pass_obj
def list_cmd(app: App, as_json: bool) -> None:
    """List the reports generated so far, oldest first."""
    from reports.service import list_reports

    rows = list_reports(app.uow())
    if as_json:
        emit_json(rows)
        return
    table([(r["id"], r["year"], r["format"], r["lang"], r["department"] or "",
            r["generated_at"], r["data_hash"][:12], r["path"]) for r in rows],
          ["id", "year", "format", "lang", "department", "generated_at", "data", "path"])
