"""`hamkor agreement conditions ...`: cooperation conditions (EWP mobility specs)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from cli.output import emit_json
from root import App

JSON = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
BY = click.option("--by", metavar="EMAIL", help="Acting user (default: HAMKOR_USER).")


@click.group()
def conditions() -> None:
    """Cooperation conditions: who sends how many to whom, in which years."""


def _print_change(out: Mapping[str, Any], as_json: bool, what: str) -> None:
    """A change of conditions as JSON, or as `REF: what` and, for an amendment, its hashes."""
    if as_json:
        emit_json(out)
        return
    click.echo(f"{out['ref']}: {what}")
    if out["amended"]:
        click.echo(f"amendment: iia-hash {out['old_hash'] or '-'} -> {out['hash'] or '-'}")


@conditions.command("add")
@click.argument("ref")
@click.option("--kind", required=True,
              metavar="student-studies|student-traineeship|staff-teacher|staff-training")
@click.option("--from", "sending", required=True, metavar="PARTY",
              help="Sending party: name, id or hei-id.")
@click.option("--to", "receiving", required=True, metavar="PARTY", help="Receiving party.")
@click.option("--years", required=True, metavar="YYYY/YYYY[:YYYY/YYYY]",
              help="First (and last) academic year, e.g. 2025/2026:2029/2030.")
@click.option("--mobilities", required=True, type=int, metavar="N", help="Mobilities per year.")
@click.option("--months", metavar="X", help="Total months per year (students).")
@click.option("--days", metavar="X", help="Total days per year (staff).")
@click.option("--isced", multiple=True, metavar="CODE[:CLARIFICATION]",
              help="ISCED-F 2013 subject area (repeatable).")
@click.option("--language", "languages", multiple=True, metavar="LANG:LEVEL",
              help="Recommended language and CEFR level, e.g. en:B2 (repeatable).")
@click.option("--eqf", multiple=True, type=int, metavar="N", help="EQF level 1-8 (students; repeatable).")
@click.option("--blended", is_flag=True, help="Blended mobility possible (students).")
@click.option("--info", metavar="TEXT", help="Other terms.")
@click.option("--from-unit", metavar="OUNIT_ID", help="Sending organisational unit id (EWP).")
@click.option("--to-unit", metavar="OUNIT_ID", help="Receiving organisational unit id (EWP).")
@BY
@JSON
@click.pass_obj
def add(app: App, ref: str, kind: str, sending: str, receiving: str, years: str, mobilities: int,
        months: str | None, days: str | None, isced: tuple[str, ...], languages: tuple[str, ...],
        eqf: tuple[int, ...], blended: bool, info: str | None, from_unit: str | None,
        to_unit: str | None, by: str | None, as_json: bool) -> None:
    """Add one direction of mobility to REF (an amendment once it is signed)."""
    from ewp.conditions import ConditionInput, add_condition, describe

    ci = ConditionInput(kind=kind, sending=sending, receiving=receiving, years=years,
                        mobilities=mobilities, months=months, days=days, isced=isced,
                        languages=languages, eqf=eqf, blended=blended, info=info,
                        sending_ounit=from_unit, receiving_ounit=to_unit)
    out = add_condition(app.uow(), app.clock(), app.home(), ref, ci, by=app.actor(by))
    _print_change(out, as_json, f"added {out['n']}. {describe(out['condition'])}")


@conditions.command("list")
@click.argument("ref")
@JSON
@click.pass_obj
def list_cmd(app: App, ref: str, as_json: bool) -> None:
    """List REF's conditions, numbered as `remove` takes them."""
    from ewp.conditions import describe, list_conditions

    rows = list_conditions(app.uow(), app.home(), ref)
    if as_json:
        emit_json(rows)
        return
    for c in rows:
        click.echo(f"{c['n']}. {describe(c)}")
    if not rows:
        click.echo("(no conditions)")


@conditions.command("remove")
@click.argument("ref")
@click.argument("n", type=int)
@BY
@JSON
@click.pass_obj
def remove(app: App, ref: str, n: int, by: str | None, as_json: bool) -> None:
    """Remove condition N of REF (an amendment once it is signed)."""
    from ewp.conditions import describe, remove_condition

    out = remove_condition(app.uow(), app.clock(), app.home(), ref, n, by=app.actor(by))
    _print_change(out, as_json, f"removed {out['removed']['n']}. {describe(out['removed'])}")
