"""Export bundles: the agreements with every current file, and their hashes, in one ZIP.

`hamkor export --bundle FILE.zip` writes:

    manifest.json      {"format": "hamkor-bundle", "version": 1, "created_at", "entries":
                        {name: {"sha256", "size"}}} -- every other entry, with its hash
    agreements.csv     the agreements in the import columns (`hamkor export`)
    agreements.json    the same as JSON (what `hamkor import FILE.zip` reads)
    attachments.json   each current file's record (agreement, name, kind, hash, ...)
    files/<sha256>     each stored file once, named by its hash

`hamkor import FILE.zip` restores it into an empty database: every entry is
hashed and compared with the manifest (and every file with its name) before
anything is written; the agreements (through the import of `workflow.transfer`)
and the files' records are then written in one transaction, all or nothing.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from typing_extensions import TypedDict  # pydantic: API responses on Python 3.11

from workflow import rules
from workflow.errors import Invalid

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from documents.storage import FileStore, Staged
    from workflow.agreements import Office
    from workflow.clock import Clock
    from workflow.uow import UnitOfWork

FORMAT = "hamkor-bundle"
VERSION = 1
FIXED = ("agreements.csv", "agreements.json", "attachments.json")
CHUNK = 1 << 20


# --- export -----------------------------------------------------------------------------------


def export_bundle(uow: UnitOfWork, store: FileStore, path: Path, *,
                  now: datetime) -> dict[str, int]:
    """Write the bundle to `path` (complete or not at all); returns what it holds."""
    from documents.attachments import attachment_dict
    from models import Agreement, Attachment
    from workflow.atomic import atomic_output
    from workflow.transfer import export_file

    if path.suffix.lower() != ".zip":
        raise Invalid(rules.problem("bundle.suffix", "file", source=path.name))
    with uow:
        rows = uow.session.execute(select(Attachment, Agreement.ref)
                                   .join(Agreement, Agreement.id == Attachment.agreement_id)
                                   .where(Attachment.removed_at.is_(None))
                                   .order_by(Attachment.id)).all()
        records = [attachment_dict(f, ref) for f, ref in rows]
    target = path.expanduser()
    entries: dict[str, dict[str, Any]] = {}
    with atomic_output(target) as bundle, \
            tempfile.TemporaryDirectory(prefix="hamkor-bundle-") as work:
        count = 0
        for name in ("agreements.csv", "agreements.json"):
            count = export_file(uow, Path(work) / name)
        with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as z:
            for name in ("agreements.csv", "agreements.json"):
                data = (Path(work) / name).read_bytes()
                z.writestr(name, data)
                entries[name] = _entry(data)
            meta = json.dumps(records, ensure_ascii=False, indent=2).encode()
            z.writestr("attachments.json", meta)
            entries["attachments.json"] = _entry(meta)
            for sha in sorted({r["sha256"] for r in records}):
                name = f"files/{sha}"
                with store.open(sha) as src, z.open(zipfile.ZipInfo(name, _stamp(now)), "w") as out:
                    digest, size = hashlib.sha256(), 0
                    while chunk := src.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                if digest.hexdigest() != sha:
                    raise Invalid(rules.problem("store.altered", sha=sha))
                entries[name] = {"sha256": sha, "size": size}
            manifest = {"format": FORMAT, "version": VERSION, "created_at": now.isoformat(),
                        "agreements": count, "files": len(records), "entries": entries}
            z.writestr("manifest.json", json.dumps(manifest, indent=2).encode())
    return {"agreements": count, "files": len(records),
            "stored": sum(1 for n in entries if n.startswith("files/"))}


def _entry(data: bytes) -> dict[str, Any]:
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def _stamp(now: datetime) -> tuple[int, int, int, int, int, int]:
    return (max(now.year, 1980), now.month, now.day, now.hour, now.minute, now.second)


# --- import -----------------------------------------------------------------------------------


class BundleSummary(TypedDict):
    source: str
    agreements: int
    files: int
    stored: int
    dry_run: bool
    refs: list[str]


@dataclass
class BundleReport:
    source: str
    agreements: int = 0
    files: int = 0
    stored: int = 0
    dry_run: bool = False
    refs: list[str] = field(default_factory=list)

    def as_dict(self) -> BundleSummary:
        return {"source": self.source, "agreements": self.agreements, "files": self.files,
                "stored": self.stored, "dry_run": self.dry_run, "refs": self.refs}


def _manifest(z: zipfile.ZipFile, source: str) -> dict[str, Any]:
    try:
        manifest = json.loads(z.read("manifest.json"))
    except KeyError:
        raise Invalid(rules.problem("bundle.no_manifest", "file", source=source)) from None
    except ValueError:
        raise Invalid(rules.problem("bundle.manifest_json", "file", source=source)) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise Invalid(rules.problem("bundle.manifest_format", "file", source=source))
    if manifest.get("version") != VERSION:
        raise Invalid(rules.problem("bundle.version", "file", source=source, version=manifest.get("version")))
    entries = manifest.get("entries")
    if not isinstance(entries, dict) or any(n not in entries for n in FIXED):
        raise Invalid(rules.problem("bundle.fixed", "file", source=source, names=", ".join(FIXED)))
    return manifest


def _check_members(z: zipfile.ZipFile, entries: dict[str, Any], source: str) -> None:
    names = {i.filename for i in z.infolist() if not i.is_dir()}
    unknown = sorted(names - set(entries) - {"manifest.json"})
    if unknown:
        raise Invalid(rules.problem("bundle.unlisted", "file", source=source, names=", ".join(unknown[:5])))
    missing = sorted(set(entries) - names)
    if missing:
        raise Invalid(rules.problem("bundle.missing", "file", source=source, names=", ".join(missing[:5])))
    for name in entries:
        if name not in FIXED and not (name.startswith("files/") and len(name) == 70):
            raise Invalid(rules.problem("bundle.unexpected", "file", source=source, name=name))


def _read_checked(z: zipfile.ZipFile, name: str, want: dict[str, Any], source: str) -> bytes:
    data = z.read(name)
    if hashlib.sha256(data).hexdigest() != want.get("sha256"):
        raise Invalid(rules.problem("bundle.hash", "file", source=source, name=name))
    return data


@contextmanager
def _staged_files(z: zipfile.ZipFile, store: FileStore, entries: dict[str, Any], limit: int,
                  source: str) -> Iterator[dict[str, Staged]]:
    """Every `files/` entry staged in the store and checked against its name and the manifest;
    removed again unless kept."""
    staged: dict[str, Staged] = {}
    try:
        for name, want in sorted(entries.items()):
            if not name.startswith("files/"):
                continue
            sha = name.removeprefix("files/")
            with z.open(name) as src:
                st = store.stage(src, limit)
            staged[sha] = st
            if st.sha256 != sha or want.get("sha256") != sha or want.get("size") != st.size:
                raise Invalid(rules.problem("bundle.file_hash", "file", source=source, name=name))
        yield staged
    finally:
        for st in staged.values():
            store.discard(st)  # the kept ones were moved away; the rest go


class _Within:
    """A unit of work that runs inside another one's transaction: `commit` only flushes,
    so the import of the agreements and the files' records commit together."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self.subject = "the record"

    @property
    def session(self) -> Session:
        return self._session

    def __enter__(self) -> _Within:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def commit(self) -> None:
        self._session.flush()

    def flush(self) -> None:
        self._session.flush()


def import_bundle(uow: UnitOfWork, clock: Clock, office: Office, store: FileStore, path: Path, *,
                  by: str | None, limit_mb: int, dry_run: bool = False) -> BundleReport:
    """Restore a bundle into an empty database, verifying every hash; all or nothing."""
    from models import Agreement, Attachment
    from workflow.agreements import record
    from workflow.transfer import decode_objects, import_sheet

    source = path.name
    report = BundleReport(source, dry_run=dry_run)
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise Invalid(rules.problem("bundle.zip", "file", source=source, detail=str(exc))) from None
    with z:
        manifest = _manifest(z, source)
        entries: dict[str, Any] = manifest["entries"]
        _check_members(z, entries, source)
        for name in FIXED:
            _read_checked(z, name, entries[name], source)
        items = json.loads(_read_checked(z, "agreements.json", entries["agreements.json"], source))
        files = _check_records(json.loads(_read_checked(z, "attachments.json",
                                                        entries["attachments.json"], source)), source)
        sheet = decode_objects(items, "agreements.json")
        with _staged_files(z, store, entries, limit_mb * 1024 * 1024, source) as staged:
            for f in files:
                if f.get("sha256") not in staged:
                    raise Invalid(rules.problem("bundle.file_absent", "file", source=source, name=f.get("name")))
            report.files, report.stored = len(files), len(staged)
            created: list[str] = []
            with uow:
                s = uow.session
                if s.scalar(select(func.count()).select_from(Agreement)):
                    raise Invalid(rules.problem("bundle.not_empty"))
                result = import_sheet(_Within(s), clock, office, sheet,  # type: ignore[arg-type]
                                      source=f"{source}:agreements.json", by=by, dry_run=dry_run)
                report.agreements = len(result.created) + len(result.updated) + len(result.skipped)
                report.refs = list(result.created)
                if dry_run:
                    return report
                ids = dict(s.execute(select(Agreement.ref, Agreement.id)).tuples().all())
                actor = by or "system"
                try:
                    for f in files:
                        aid = ids.get(str(f.get("agreement", "")).upper())
                        if aid is None:
                            raise Invalid(rules.problem("bundle.orphan", "file", source=source,
                                                        name=f.get("name"), ref=f.get("agreement")))
                        row = Attachment(
                            agreement_id=aid, kind=f["kind"], name=f["name"], size=int(f["size"]),
                            sha256=f["sha256"], media_type=f["media_type"], note=f.get("note"),
                            uploaded_by=f["uploaded_by"],
                            uploaded_at=datetime.fromisoformat(f["uploaded_at"]),
                            template=f.get("template"), template_sha256=f.get("template_sha256"))
                        s.add(row)
                        s.flush()
                        a = s.get(Agreement, aid)
                        assert a is not None
                        record(s, a, "attach", actor=actor, on=clock.today, clock=clock,
                               from_state=a.state, to_state=a.state, bump=False,
                               note=f"{row.kind} #{row.id} {row.name} sha256 {row.sha256} "
                                    f"(restored from {source})")
                    for sha, st in staged.items():
                        if store.keep(st):
                            created.append(sha)
                    uow.commit()
                except BaseException:
                    for sha in created:
                        store.forget(sha)
                    raise
    return report


_RECORD_KEYS = ("agreement", "name", "kind", "size", "sha256", "media_type", "uploaded_by",
                "uploaded_at")


def _check_records(files: Any, source: str) -> list[dict[str, Any]]:
    """attachments.json: a list of complete records (refused whole otherwise)."""
    from documents.sniff import ACCEPTED
    from models import ATTACHMENT_KINDS

    if not isinstance(files, list):
        raise Invalid(rules.problem("bundle.not_list", "file", source=source))
    for n, f in enumerate(files, start=1):
        if not isinstance(f, dict) or any(f.get(k) in (None, "") for k in _RECORD_KEYS):
            raise Invalid(rules.problem("bundle.record_keys", "file", source=source, n=n,
                                        keys=", ".join(_RECORD_KEYS)))
        if f["kind"] not in ATTACHMENT_KINDS or f["media_type"] not in ACCEPTED:
            raise Invalid(rules.problem("bundle.record_kind", "file", source=source, n=n, kind=f["kind"],
                                        media_type=f["media_type"]))
        try:
            int(f["size"])
            when = datetime.fromisoformat(str(f["uploaded_at"]))
        except ValueError:
            raise Invalid(rules.problem("bundle.record_values", "file", source=source, n=n)) from None
        if when.tzinfo is None:
            raise Invalid(rules.problem("bundle.record_zone", "file", source=source, n=n))
    return files
