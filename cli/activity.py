"""`hamkor activity ...`: cooperation activities (mobility, visit, event, project, publication)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli.output import emit_json, table
from root import App

if TYPE_CHECKING:
    from workflow.activities import ActivityRow, UtilisationRow

JSON = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
BY = click.option("--by", metavar="EMAIL", help="Acting user (default: HAMKOR_USER).")
KINDS = "mobility|visit|event|project|publication"


def year_start(app: App) -> tuple[int, int]:
    month, day = app.settings.academic_year_start.split("-")
    return int(month), int(day)


def _fields(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options of an activity's fields (shared by add and edit)."""
    options = [
        click.option("--partner", metavar="NAME",
                     help="The partner (without REF: where no agreement covers the activity)."),
        click.option("--department", metavar="NAME", help="Department (default: the agreement's)."),
        click.option("--direction", metavar="in|out", help="mobility, visit: in (to us) or out."),
        click.option("--category", metavar="CATEGORY",
                     help="mobility: student-studies|student-traineeship|staff-teaching|"
                          "staff-training|other."),
        click.option("--people", metavar="N", help="mobility, visit: number of people."),
        click.option("--participants", metavar="N", help="event: number of participants."),
        click.option("--starts", metavar="DATE", help="mobility, project: first day."),
        click.option("--ends", metavar="DATE", help="mobility, project: last day."),
        click.option("--date", "on", metavar="DATE", help="visit, event: the day."),
        click.option("--title", metavar="TEXT", help="event, project, publication."),
        click.option("--purpose", metavar="TEXT", help="visit: what for."),
        click.option("--place", metavar="TEXT", help="event: where."),
        click.option("--funder", metavar="TEXT", help="project: who funds it."),
        click.option("--amount", metavar="X", help="project: funding (with --currency)."),
        click.option("--currency", metavar="CODE", help="project: ISO 4217 code (EUR, USD, UZS)."),
        click.option("--role", metavar="coordinator|partner|associate", help="project: our role."),
        click.option("--year", metavar="YYYY", help="publication: year of publication."),
        click.option("--doi", metavar="DOI", help="publication: its DOI (10.NNNN/...)."),
        click.option("--academic-year", metavar="YYYY/YYYY",
                     help="publication: the academic year it counts in (default: from --year)."),
        click.option("--name", "names", multiple=True, metavar="NAME",
                     help="mobility: a participant's name (repeatable; personal data)."),
        click.option("--notes", metavar="TEXT", help="Free text."),
    ]
    for opt in reversed(options):
        func = opt(func)
    return func


def _raw(given: dict[str, Any], *, for_edit: bool) -> dict[str, Any]:
    """Options -> field values (only those given when editing)."""
    from workflow.activity_rules import FieldInvalid

    if given.get("people") is not None and given.get("participants") is not None:
        raise FieldInvalid("people", "give --people or --participants, not both")
    mapping = {"partner": "partner", "department": "department", "direction": "direction",
               "category": "category", "people": "people", "participants": "people",
               "starts": "starts_on", "ends": "ends_on", "on": "starts_on", "title": "title",
               "purpose": "purpose", "place": "place", "funder": "funder", "amount": "amount",
               "currency": "currency", "role": "role", "year": "year", "doi": "doi",
               "academic_year": "academic_year", "notes": "notes"}
    if given.get("starts") is not None and given.get("on") is not None:
        raise FieldInvalid("starts_on", "give --starts or --date, not both")
    raw: dict[str, Any] = {}
    for option, field in mapping.items():
        value = given.get(option)
        if value is not None:
            raw[field] = value
    if given.get("names"):
        raw["names"] = list(given["names"])
    return raw


def _print(a: ActivityRow) -> None:
    click.echo(f"activity {a['id']}: {describe(a)}")


def describe(a: ActivityRow) -> str:
    """One line for people (never with names)."""
    link = a["agreement"] or a["partner"] or "-"
    if a["agreement"] and a["partner"]:
        link = f"{a['agreement']} ({a['partner']})"
    kind = a["kind"]
    if kind == "mobility":
        what = (f"{a['direction']} {a['category']}, {a['people']} people, "
                f"{a['starts_on']}..{a['ends_on']}")
    elif kind == "visit":
        what = f"{a['direction']}, {a['people']} people, {a['date']}" + (
            f", {a['purpose']}" if a["purpose"] else "")
    elif kind == "event":
        what = f"{a['title']}, {a['date']}" + (f", {a['place']}" if a["place"] else "")
    elif kind == "project":
        what = (a["title"] or "") + (f", {a['amount']} {a['currency']}" if a["amount"] else "") + (
            f", {a['role']}" if a["role"] else "")
    else:
        what = f"{a['title']} ({a['year']})" + (f", doi:{a['doi']}" if a["doi"] else "")
    return f"{kind} {link} {a['academic_year']}: {what}"


@click.group()
def activity() -> None:
    """Cooperation activities: mobility, visits, events, joint projects, publications."""


@activity.command("add")
@click.argument("ref", required=False)
@click.option("--kind", required=True, metavar=KINDS)
@_fields
@BY
@JSON
@click.pass_obj
def add(app: App, /, ref: str | None, kind: str, by: str | None, as_json: bool, **given: Any) -> None:
    """Record an activity under agreement REF (or --partner NAME without an agreement)."""
    from workflow.activities import add_activity

    raw = _raw(given, for_edit=False)
    raw["kind"] = kind
    raw["agreement"] = ref
    out = add_activity(app.uow(), app.clock(), app.office(), year_start(app), raw,
                       by=app.actor(by))
    emit_json(out) if as_json else _print(out)


@activity.command("list")
@click.argument("ref", required=False)
@click.option("--partner", metavar="NAME", help="Activities with this partner.")
@click.option("--year", metavar="YYYY/YYYY", help="Academic year.")
@click.option("--kind", metavar=KINDS)
@click.option("--with-names", is_flag=True, help="Include participant names (personal data).")
@JSON
@click.pass_obj
def list_cmd(app: App, ref: str | None, partner: str | None, year: str | None, kind: str | None,
             with_names: bool, as_json: bool) -> None:
    """List activities (of agreement REF, a partner, a year, a kind)."""
    from workflow.activities import list_activities

    rows = list_activities(app.uow(), year_start(app), ref=ref, partner=partner, year=year,
                           kind=kind, with_names=with_names)
    if as_json:
        emit_json(rows)
        return
    table(([r["id"], r["kind"], r["academic_year"], r["agreement"] or "", r["partner"] or "",
            describe(r).split(": ", 1)[1]]
           + (["; ".join(r["names"])] if with_names else []) for r in rows),
          ["id", "kind", "year", "agreement", "partner", "what"]
          + (["names"] if with_names else []))


@activity.command("show")
@click.argument("activity_id", type=int)
@click.option("--with-names", is_flag=True, help="Include participant names (personal data).")
@JSON
@click.pass_obj
def show(app: App, activity_id: int, with_names: bool, as_json: bool) -> None:
    """One activity with its audit trail."""
    from workflow.activities import show_activity

    a = show_activity(app.uow(), activity_id, with_names=with_names)
    if as_json:
        emit_json(a)
        return
    click.echo(f"activity {a['id']}{' (removed)' if a['removed'] else ''}: {describe(a)}")
    if a["department"]:
        click.echo(f"  department: {a['department']}")
    if a["named"]:
        click.echo(f"  names: {'; '.join(a['names']) if with_names else str(a['named']) + ' recorded'}")
    for ev in a["history"]:
        click.echo(f"  {ev['recorded_at'][:19]} {ev['event']} by {ev['actor']}"
                   + (f": {ev['note']}" if ev["note"] else ""))


@activity.command("edit")
@click.argument("activity_id", type=int)
@click.option("--agreement", "ref", metavar="REF", help="Move it to another agreement.")
@_fields
@click.option("--remove-names", is_flag=True,
              help="Erase the participant names (give --reason); audited.")
@click.option("--reason", metavar="TEXT", help="Why the names are removed.")
@BY
@JSON
@click.pass_obj
def edit(app: App, /, activity_id: int, ref: str | None, remove_names: bool, reason: str | None,
         by: str | None, as_json: bool, **given: Any) -> None:
    """Change an activity's fields (an empty value clears an optional one)."""
    from workflow.activities import edit_activity, remove_names as erase
    from workflow.errors import Invalid

    raw = _raw(given, for_edit=True)
    if ref is not None:
        raw["agreement"] = ref
    if remove_names:
        if raw:
            raise Invalid("--remove-names goes alone (with --reason): edit the rest separately")
        out = erase(app.uow(), app.clock(), activity_id, reason or "", by=app.actor(by))
    else:
        if reason is not None:
            raise Invalid("--reason goes with --remove-names")
        out = edit_activity(app.uow(), app.clock(), app.office(), year_start(app), activity_id,
                            raw, by=app.actor(by))
    emit_json(out) if as_json else _print(out)


@activity.command("remove")
@click.argument("activity_id", type=int)
@click.option("--reason", required=True, metavar="TEXT", help="Why (kept in its audit trail).")
@BY
@JSON
@click.pass_obj
def remove(app: App, activity_id: int, reason: str, by: str | None, as_json: bool) -> None:
    """Remove an activity from every list and count (its audit trail stays)."""
    from workflow.activities import remove_activity

    out = remove_activity(app.uow(), app.clock(), activity_id, reason, by=app.actor(by))
    emit_json(out) if as_json else click.echo(f"activity {out['id']}: removed")


def utilisation_of(app: App, ref: str) -> list[UtilisationRow]:
    """`agreement show`'s utilisation rows (agreed and used mobility per academic year)."""
    from workflow.activities import agreement_utilisation

    s = app.settings
    return agreement_utilisation(app.uow(), year_start(app), ref, institution=s.institution,
                                 hei_id=s.institution_hei_id)


def _amount(part: dict[str, Any]) -> str:
    if part.get("months") is not None:
        return f"{part['mobilities']} ({part['months']} months)"
    if part.get("days") is not None:
        return f"{part['mobilities']} ({part['days']} days)"
    return str(part["mobilities"])


def print_utilisation(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    click.echo("  utilisation (agreed / used, gap):")
    for r in rows:
        click.echo(f"    {r['academic_year']} {r['direction']:<3} {r['kind']:<20} "
                   f"{_amount(r['agreed'])} / {_amount(r['used'])}, gap {r['gap']}")


@activity.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and show what would change; write nothing.")
@BY
@JSON
@click.pass_obj
def import_cmd(app: App, file: Path, dry_run: bool, by: str | None, as_json: bool) -> None:
    """Import activities from FILE (.csv, .xlsx or .json): all rows or nothing.

    Columns: those of `hamkor activity export` (id, kind, agreement, partner,
    department, academic_year, direction, category, people, starts_on, ends_on,
    title, purpose, place, funder, amount, currency, role, year, doi, names, notes).
    """
    from workflow.activity_transfer import import_activities, read_file

    sheet = read_file(file)
    report = import_activities(app.uow(immediate=True), app.clock(), app.office(), sheet,
                               source=file.name, by=app.actor(by), dry_run=dry_run)
    if as_json:
        emit_json(report.as_dict())
        return
    if dry_run and len(report.planned) <= 200:
        for p in report.planned:
            click.echo(f"row {p.row}: {p.action} " + (f"activity {p.activity_id} " if p.activity_id else "")
                       + (f"({', '.join(p.changes)})" if p.changes else ""))
    verb = ("would create", "would update", "would skip") if dry_run else ("created", "updated", "skipped")
    click.echo(f"{file.name}: {verb[0]} {report.count('create')}, {verb[1]} {report.count('update')}, "
               f"{verb[2]} {report.count('skip')} activities"
               + ("; dry run: nothing written" if dry_run else ""))


@activity.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--with-names", is_flag=True, help="Include participant names (personal data).")
@click.pass_obj
def export_cmd(app: App, file: Path, with_names: bool) -> None:
    """Export every activity to FILE (.csv or .json) in the import's columns."""
    from workflow.activity_transfer import export_rows, write_export

    rows = export_rows(app.uow(), with_names=with_names)
    write_export(file, rows, with_names=with_names)
    click.echo(f"exported {len(rows)} activities to {file}" + (" (with names)" if with_names else ""))
