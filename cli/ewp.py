"""`hamkor ewp ...`: Erasmus Without Paper IIAs v7 - hash, export, import, approvals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli.output import emit_json, table
from root import App

JSON = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
BY = click.option("--by", metavar="EMAIL", help="Acting user (default: HAMKOR_USER).")
FILE = click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
OUT = click.option("--out", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
                   help="Write here instead of standard output.")


def _write(data: bytes, out: Path | None, what: str) -> None:
    if out is None:
        click.echo(data, nl=False)  # bytes: written as they are
    else:
        out.write_bytes(data)
        click.echo(f"wrote {what} to {out}")


@click.group()
def ewp() -> None:
    """Erasmus Without Paper: IIA v7 hash, export, import and approvals."""


@ewp.command("hash")
@FILE
@JSON
def hash_cmd(file: Path, as_json: bool) -> None:
    """Recompute the iia-hash of every IIA in a v7 get response FILE.

    Exit 0 when every declared hash matches, 1 otherwise (naming the iia-ids).
    """
    import xml.etree.ElementTree as ET

    from cli.errors import fail
    from ewp.iia_hash import hash_document
    from ewp.reader import read_partner_file

    try:
        results = hash_document(read_partner_file(file))
    except ET.ParseError as exc:
        fail(f"{file}: not well-formed XML: {exc}")
        return
    except ValueError as exc:
        fail(f"{file}: {exc}")
        return
    rows = [{"iia_id": r.iia_id, "declared": r.declared, "computed": r.computed,
             "matches": r.matches, "valid_for_approval": r.valid_for_approval} for r in results]
    if as_json:
        emit_json(rows)
    else:
        table([(r["iia_id"] or "-", r["declared"] or "-", r["computed"],
                "yes" if r["matches"] else "NO", "yes" if r["valid_for_approval"] else "no")
               for r in rows], ["iia-id", "declared", "computed", "match", "valid-for-approval"])
    bad = [r.iia_id or f"#{n}" for n, r in enumerate(results, start=1) if not r.matches]
    if bad:
        fail(f"{file}: declared iia-hash does not match for {', '.join(bad)}")


@ewp.command("export")
@click.argument("refs", nargs=-1, metavar="[REF]...")
@OUT
@click.pass_obj
def export_cmd(app: App, refs: tuple[str, ...], out: Path | None) -> None:
    """Write an IIAs v7 get response: REF..., or every bilateral agreement with a
    partner that has a hei-id (others are skipped with a warning)."""
    from ewp.exchange import export_iias

    result = export_iias(app.uow(), app.home(), refs)
    for ref, reason in result.skipped:
        click.echo(f"warning: {ref} skipped: {reason}", err=True)
    _write(result.xml, out, f"{len(result.exported)} IIAs")


@ewp.command("import")
@FILE
@click.option("--dry-run", is_flag=True, help="Check and show what would change; write nothing.")
@BY
@JSON
@click.pass_obj
def import_cmd(app: App, file: Path, dry_run: bool, by: str | None, as_json: bool) -> None:
    """Import a partner's IIAs v7 get response FILE (all IIAs or none)."""
    from ewp.exchange import import_iias
    from ewp.reader import read_partner_file

    outcome = import_iias(app.uow(immediate=True), app.clock(), app.home(), read_partner_file(file),
                          source=file.name, by=app.actor(by), dry_run=dry_run)
    for warning in outcome.warnings:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        emit_json(outcome.as_dict())
        return
    would = "would be " if dry_run else ""
    click.echo(f"{file.name}: {len(outcome.created)} {would}created, {len(outcome.updated)} "
               f"{would}updated, {len(outcome.unchanged)} unchanged"
               + (f" ({', '.join(outcome.agreements)})" if outcome.agreements else ""))
    if outcome.partners_created:
        click.echo(f"new partners (named by hei-id): {', '.join(outcome.partners_created)}")


@ewp.command("approve")
@click.argument("ref")
@BY
@JSON
@click.pass_obj
def approve_cmd(app: App, ref: str, by: str | None, as_json: bool) -> None:
    """Approve the partner's latest copy of REF (its iia-hash); approvers only."""
    from ewp.approvals import approve

    out = approve(app.uow(), app.clock(), ref, by=app.actor(by))
    if as_json:
        emit_json(out)
    elif out["recorded"]:
        click.echo(f"{out['ref']}: approved the partner's copy {out['iia_hash']}")
    else:
        click.echo(f"{out['ref']}: the partner's copy {out['iia_hash']} was already approved "
                   f"by {out['approved_by']}")


@ewp.group("approvals")
def approvals() -> None:
    """Exchange approvals (IIAs Approval API v2 responses) with partners."""


@approvals.command("export")
@click.argument("refs", nargs=-1, metavar="[REF]...")
@OUT
@click.pass_obj
def approvals_export(app: App, refs: tuple[str, ...], out: Path | None) -> None:
    """Write our approvals (the partner's iia-id and the hash we approved)."""
    from ewp.approvals import export_approvals

    xml, listed = export_approvals(app.uow(), refs)
    _write(xml, out, f"{len(listed)} approvals")


@approvals.command("import")
@FILE
@BY
@JSON
@click.pass_obj
def approvals_import(app: App, file: Path, by: str | None, as_json: bool) -> None:
    """Record the partner's approvals of our copies from FILE (all or nothing)."""
    from ewp.approvals import import_approvals
    from ewp.reader import read_partner_file

    out = import_approvals(app.uow(immediate=True), app.clock(), app.home(), read_partner_file(file),
                           source=file.name, by=app.actor(by))
    if as_json:
        emit_json(out)
        return
    click.echo(f"{file.name}: {out['recorded']} recorded, {out['unchanged']} unchanged")
    if out["stale"]:
        click.echo(f"approved an earlier copy of ours (stale): {', '.join(out['stale'])}")


def _why(row: Any) -> str:
    """Why a row has no hash, with the command line's option names."""
    if not row["problem_code"]:
        return ""
    from cli.errors import option_name
    from workflow.rules import problem

    text: str = problem(row["problem_code"], None, **row["problem_params"]).text(option_name)
    return text


@ewp.command("status")
@click.argument("ref", required=False)
@JSON
@click.pass_obj
def status_cmd(app: App, ref: str | None, as_json: bool) -> None:
    """Hashes and approvals per agreement: ours, the partner's, and whether mutual."""
    from ewp.approvals import status

    rows = status(app.uow(), app.home(), ref)
    if as_json:
        emit_json(rows)
        return

    def short(value: Any) -> str:
        return value[:12] if value else "-"

    table([(r["ref"], short(r["hash"]), short(r["partner_hash"]),
            "yes" if r["approved_by_us"] else ("stale" if r["we_approved"] else "no"),
            "yes" if r["approved_by_partner"] else ("stale" if r["partner_approved"] else "no"),
            "yes" if r["mutual"] else "no", _why(r))
           for r in rows],
          ["ref", "our hash", "partner hash", "we approved", "partner approved", "mutual", ""])
