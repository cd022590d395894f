"""`hamkor agreement attach|files|file|detach|document` and `hamkor files verify`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli.output import emit_json, table
from root import App

JSON = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
BY = click.option("--by", metavar="EMAIL", help="Acting user (default: HAMKOR_USER).")
KINDS = "signed-copy|draft|partner-version|annex|other"


def _store(app: App):  # type: ignore[no-untyped-def]
    from documents.service import file_store

    return file_store(app)


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


@click.command()
@click.argument("ref")
@click.argument("file", metavar="FILE")
@click.option("--kind", default="other", show_default=True, metavar=KINDS)
@click.option("--note", metavar="TEXT")
@BY
@JSON
@click.pass_obj
def attach(app: App, ref: str, file: str, kind: str, note: str | None, by: str | None,
           as_json: bool) -> None:
    """Keep FILE with agreement REF; prints the stored file's SHA-256."""
    from documents.attachments import Upload, attach as attach_file

    path = Path(file)
    f = attach_file(app.uow(), app.clock(), _store(app), ref, path,
                    Upload(name=path.name, kind=kind, note=note), by=app.actor(by),
                    limit_mb=app.settings.max_upload_mb)
    emit_json(f) if as_json else click.echo(f["sha256"])


@click.command()
@click.argument("ref")
@click.option("--all", "include_removed", is_flag=True, help="Include removed files.")
@JSON
@click.pass_obj
def files(app: App, ref: str, include_removed: bool, as_json: bool) -> None:
    """The files kept with REF (current ones; --all includes removed ones)."""
    from documents.attachments import list_files

    rows = list_files(app.uow(), ref, include_removed=include_removed)
    if as_json:
        emit_json(rows)
        return
    table([(f["id"], f["kind"], f["name"], _size(f["size"]), f["sha256"],
            f["uploaded_at"][:10], f["uploaded_by"],
            f"removed: {f['removed_reason']}" if f.get("removed_at") else (f["note"] or ""))
           for f in rows],
          ["id", "kind", "name", "size", "sha256", "uploaded", "by", "note"])


@click.command("file")
@click.argument("ref")
@click.argument("file_id", metavar="ID")
@click.option("--out", "out", required=True, metavar="PATH", help="Where to write the file.")
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@click.pass_obj
def file_cmd(app: App, ref: str, file_id: str, out: str, force: bool) -> None:
    """Write file ID of REF to PATH (refuses to overwrite without --force)."""
    from documents.attachments import get_file, write_out

    f = get_file(app.uow(), ref, file_id)
    target = write_out(_store(app), f["sha256"], Path(out), force=force)
    click.echo(f"{target}  {f['sha256']}")


@click.command()
@click.argument("ref")
@click.argument("file_id", metavar="ID")
@click.option("--reason", required=True, metavar="TEXT", help="Why it is removed (audited).")
@BY
@click.pass_obj
def detach(app: App, ref: str, file_id: str, reason: str, by: str | None) -> None:
    """Remove file ID from REF's list (bytes and record are kept; officers and above)."""
    from documents.attachments import detach as detach_file

    f = detach_file(app.uow(), app.clock(), ref, file_id, reason=reason, by=app.actor(by))
    click.echo(f"{f['agreement']}: file {f['id']} ({f['name']}) removed")


@click.group("files")
def files_group() -> None:
    """The file store: check every stored file against its hash."""


@files_group.command()
@JSON
@click.pass_obj
def verify(app: App, as_json: bool) -> None:
    """Re-hash every stored file; exit 1 naming the missing or altered ones."""
    import sys

    from documents.attachments import verify as verify_store

    report = verify_store(app.uow(), _store(app))
    bad = report["missing"] + report["altered"]
    if as_json:
        emit_json(report)
    else:
        click.echo(f"{report['checked']} stored files checked: {report['ok']} intact, "
                   f"{len(report['missing'])} missing, {len(report['altered'])} altered")
    if bad:
        if not as_json:
            for what in ("missing", "altered"):
                for item in report[what]:
                    names = ", ".join(f"{u['agreement']} #{u['id']} {u['name']}" for u in item["files"])
                    click.echo(f"error: {what}: {item['sha256']} ({names})", err=True)
        sys.exit(1)


@click.command()
@click.argument("ref")
@click.option("--template", metavar="NAME", help="mou, exchange, erasmus-ka171 or a user template "
              "in HAMKOR_TEMPLATES_DIR/documents (default: by the agreement's type).")
@click.option("--lang", default="en", show_default=True, metavar="en|uz|ru|en+uz|en+ru")
@click.option("--format", "fmt", default="docx", show_default=True, metavar="docx|pdf")
@click.option("--out", "out", metavar="FILE", help="Default: REF-TEMPLATE-LANG.FORMAT here.")
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@click.option("--attach", "attach_it", is_flag=True,
              help="Also keep it with the agreement as a draft (with its template's hash).")
@BY
@JSON
@click.pass_obj
def document(app: App, ref: str, template: str | None, lang: str, fmt: str, out: str | None,
             force: bool, attach_it: bool, by: str | None, as_json: bool) -> None:
    """Write the agreement document from a Word template (DOCX, or PDF via LibreOffice)."""
    from documents.service import attach_document, render_document

    doc = render_document(app, ref, template=template, lang=lang, fmt=fmt)
    target = Path(out) if out else Path(doc.filename)
    if target.is_dir():
        target = target / doc.filename
    if target.exists() and not force:
        from workflow.errors import Invalid

        raise Invalid(f"{target} already exists; use --force to overwrite it")
    result: dict[str, Any] = {"path": str(target), "template": doc.template.name,
              "template_sha256": doc.template.sha256, "lang": doc.lang, "format": doc.format,
              "size": len(doc.data)}
    if attach_it:
        result["attachment"] = attach_document(app, ref, doc, by=app.actor(by))
    _write_new(target, doc.data)
    if as_json:
        emit_json(result)
        return
    click.echo(str(target))
    if attach_it:
        click.echo(f"attached as draft #{result['attachment']['id']}  {result['attachment']['sha256']}")


def _write_new(target: Path, data: bytes) -> None:
    from workflow.atomic import write_atomically

    write_atomically(target, data)


def export_bundle_cmd(app: App, path: Path) -> None:
    from documents.bundle import export_bundle

    done = export_bundle(app.uow(), _store(app), path, now=app.clock().utcnow)
    click.echo(f"exported {done['agreements']} agreements and {done['files']} files "
               f"({done['stored']} stored) to {path}")


def import_bundle_cmd(app: App, path: Path, *, dry_run: bool, by: str | None, as_json: bool) -> None:
    from documents.bundle import import_bundle

    report = import_bundle(app.uow(immediate=True), app.clock(), app.office(), _store(app), path,
                           by=app.actor(by), limit_mb=app.settings.max_upload_mb, dry_run=dry_run)
    if as_json:
        emit_json(report.as_dict())
        return
    verb = "would restore" if dry_run else "restored"
    click.echo(f"{path.name}: every hash verified; {verb} {report.agreements} agreements and "
               f"{report.files} files ({report.stored} stored)"
               + ("; dry run: nothing written" if dry_run else ""))
