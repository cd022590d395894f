"""Files kept with an agreement: attach, list, read, detach, and verify the store.

A refused upload (unknown agreement, a viewer, an empty file, a file over the
limit, a type that is not accepted, a path that is not a file) is refused
before its bytes are moved into the store and before any row is written: the
staged copy is removed and the database is as it was. Attaching and detaching
are audited events of the agreement (`attach`, `detach`). Detaching hides a
file from the list; its bytes and its record are kept, so a hash once shown
can always be checked again.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import (
    TYPE_CHECKING,
    Any,
    BinaryIO,
    NotRequired,  # pydantic: API responses on Python 3.11
)

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, lazyload
from typing_extensions import TypedDict

from documents.sniff import ACCEPTED, extension_for, sniff
from documents.storage import FileStore, Staged
from models import ATTACHMENT_KINDS, Agreement, Attachment
from workflow import rules
from workflow.errors import Invalid, NotFound, Problem
from workflow.lifecycle import Role, State
from workflow.registry import acting_as, actor, require_role
from workflow.signed_copy import has_signed_copy_clause

if TYPE_CHECKING:
    from config import Settings
    from workflow.clock import Clock
    from workflow.uow import UnitOfWork

MB = 1024 * 1024
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
_SPACES = re.compile(r"\s+")
MAX_NAME = 180


def store_from(settings: Settings, database_url: str | None = None) -> FileStore:
    """The file store configured by HAMKOR_FILES_DIR (or its default beside the database)."""
    from documents.storage import store_for

    return store_for(settings.files_root(database_url))


def check_kind(kind: str) -> str:
    kind = (kind or "").strip().lower()
    if kind not in ATTACHMENT_KINDS:
        raise Invalid(Problem("choice", "kind", "{field} {value!r} is not one of {choices}",
                              {"value": kind, "choices": ", ".join(ATTACHMENT_KINDS)}))
    return kind


def safe_name(name: str, media_type: str) -> str:
    """A display and download name: the last path component, no control or reserved
    characters, no leading dots, at most MAX_NAME characters, ending in the extension
    of the type the content really has."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name
    base = unicodedata.normalize("NFC", base)
    base = _UNSAFE.sub("_", base)
    base = _SPACES.sub(" ", base).strip().lstrip(".").strip()
    want = extension_for(media_type)
    stem, dot, ext = base.rpartition(".")
    ext = "." + ext.lower() if dot else ""
    fits = ext == want or (want == ".jpg" and ext == ".jpeg")
    if ext in {*ACCEPTED.values(), ".jpeg"} and not fits:
        base = stem  # a known extension that does not match the content: replaced
    if not base:
        base = "file"
    if want and not fits:
        base += want
    if len(base) > MAX_NAME:
        keep = MAX_NAME - len(want)
        base = base[:keep].rstrip() + want
    return base


def _utc(moment: Any) -> str:
    """ISO 8601 in UTC (SQLite hands timestamps back without their zone)."""
    from datetime import UTC

    return str((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat())


class FileRow(TypedDict):
    """A stored file's record; its template only when generated, its removal only once
    removed, its agreement only when asked for one file."""

    id: int
    name: str
    kind: str
    size: int
    sha256: str
    media_type: str
    uploaded_by: str
    uploaded_at: str
    note: str | None
    template: NotRequired[str]
    template_sha256: NotRequired[str | None]
    removed_at: NotRequired[str]
    removed_by: NotRequired[str | None]
    removed_reason: NotRequired[str | None]
    agreement: NotRequired[str]


class MissingCopy(TypedDict):
    ref: str
    title: str
    state: State


class FileUse(TypedDict):
    agreement: str
    id: int
    name: str


class StoreProblem(TypedDict):
    sha256: str
    files: list[FileUse]


class VerifyReport(TypedDict):
    """A check of the file store: how many stored files were checked, how many are
    intact, and which are missing or altered (with the files that use them)."""

    checked: int
    ok: int
    missing: list[StoreProblem]
    altered: list[StoreProblem]


def attachment_dict(f: Attachment, ref: str | None = None) -> FileRow:
    out: FileRow = {
        "id": f.id, "name": f.name, "kind": f.kind, "size": f.size, "sha256": f.sha256,
        "media_type": f.media_type, "uploaded_by": f.uploaded_by,
        "uploaded_at": _utc(f.uploaded_at), "note": f.note,
    }
    if f.template:
        out["template"] = f.template
        out["template_sha256"] = f.template_sha256
    if f.removed_at is not None:
        out["removed_at"] = _utc(f.removed_at)
        out["removed_by"] = f.removed_by
        out["removed_reason"] = f.removed_reason
    if ref is not None:
        out["agreement"] = ref
    return out


@dataclass(frozen=True)
class Upload:
    """What is being attached, besides its bytes."""

    name: str
    kind: str = "other"
    note: str | None = None
    template: str | None = None
    template_sha256: str | None = None


def _agreement(s: Session, ref: str) -> Agreement:
    # Only its own row: the parties, organisations and owner are not needed here.
    a = s.scalar(select(Agreement).where(Agreement.ref == ref.strip().upper())
                 .options(lazyload("*")))
    if a is None:
        raise NotFound("agreement", ref)
    return a


def attach(uow: UnitOfWork, clock: Clock, store: FileStore, ref: str,
           source: Path | BinaryIO, upload: Upload, *, by: str | None,
           limit_mb: int) -> FileRow:
    """Store the file and record it; returns the attachment (with its SHA-256)."""
    from workflow.agreements import record

    kind = check_kind(upload.kind)
    limit = limit_mb * MB
    if isinstance(source, Path) and not source.is_file():
        raise Invalid(rules.problem("file.not_file" if source.exists() else "file.missing", "file",
                                    path=str(source)))
    with uow:  # refusals that need no bytes come first
        s = uow.session
        _agreement(s, ref)
        require_role(actor(s, by), Role.OFFICER, "attach files")
    staged = _stage(store, source, limit)
    try:
        media_type = sniff(staged.path)
    except BaseException:
        store.discard(staged)
        raise
    created = store.keep(staged)
    try:
        with uow:
            s = uow.session
            a = _agreement(s, ref)
            who = actor(s, by)
            require_role(who, Role.OFFICER, "attach files")
            uow.subject = a.ref
            row = Attachment(
                agreement_id=a.id, kind=kind, name=safe_name(upload.name, media_type),
                size=staged.size, sha256=staged.sha256, media_type=media_type,
                note=(upload.note or "").strip() or None, uploaded_by=who.email,
                uploaded_at=clock.utcnow, template=upload.template,
                template_sha256=upload.template_sha256,
            )
            s.add(row)
            s.flush()
            record(s, a, "attach", actor=who.email, on=clock.today, clock=clock,
                   from_state=a.state, to_state=a.state, bump=False,
                   note=f"{kind} #{row.id} {row.name} sha256 {row.sha256}")
            uow.commit()
            return attachment_dict(row)
    except BaseException:
        if created:
            _forget_unreferenced(uow, store, staged.sha256)
        raise


def _stage(store: FileStore, source: Path | BinaryIO, limit: int) -> Staged:
    staged = store.stage_path(source, limit) if isinstance(source, Path) else store.stage(source, limit)
    if staged.size == 0:
        store.discard(staged)
        raise Invalid(rules.problem("file.empty", "file"))
    return staged


def _forget_unreferenced(uow: UnitOfWork, store: FileStore, sha256: str) -> None:
    """The record of a newly stored file could not be written: remove the file unless
    another record uses the same bytes by now."""
    with uow:
        used = uow.session.scalar(select(exists().where(Attachment.sha256 == sha256)))
    if not used:
        store.forget(sha256)


def list_files(uow: UnitOfWork, ref: str, *, include_removed: bool = False) -> list[FileRow]:
    with uow:
        s = uow.session
        return files_of(s, _agreement(s, ref), include_removed=include_removed)


def files_of(s: Session, a: Agreement, *, include_removed: bool = False) -> list[FileRow]:
    """`list_files` of an agreement already read (one statement)."""
    stmt = select(Attachment).where(Attachment.agreement_id == a.id).order_by(Attachment.id)
    if not include_removed:
        stmt = stmt.where(Attachment.removed_at.is_(None))
    return [attachment_dict(f) for f in s.scalars(stmt)]


def _one(s: Session, ref: str, file_id: int | str) -> tuple[Agreement, Attachment]:
    a = _agreement(s, ref)
    try:
        key = int(file_id)
    except (TypeError, ValueError):
        raise NotFound("file", f"{a.ref} #{file_id}") from None
    f = s.get(Attachment, key)
    if f is None or f.agreement_id != a.id:
        raise NotFound("file", f"{a.ref} #{file_id}")
    return a, f


def get_file(uow: UnitOfWork, ref: str, file_id: int | str) -> FileRow:
    """One file's record (removed ones too: their bytes are kept)."""
    with uow:
        a, f = _one(uow.session, ref, file_id)
        return attachment_dict(f, a.ref)


def detach(uow: UnitOfWork, clock: Clock, ref: str, file_id: int | str, *, reason: str | None,
           by: str | None) -> FileRow:
    """Hide a file from the agreement's list (officers and above); bytes and record stay."""
    from workflow.agreements import record

    if not (reason and reason.strip()):
        raise Invalid(Problem("required", "reason", "{field} must not be empty"))
    with uow:
        s = uow.session
        a, f = _one(s, ref, file_id)
        uow.subject = a.ref
        who = actor(s, by)
        require_role(who, Role.OFFICER, "remove files")
        if f.removed_at is not None:
            raise Invalid(rules.problem("file.removed", "id", id=f.id, ref=a.ref,
                                        on=f.removed_at.date().isoformat(), by=f.removed_by))
        f.removed_at, f.removed_by, f.removed_reason = clock.utcnow, who.email, reason.strip()
        # The version moves: a removed signed copy can matter to a concurrent activation.
        record(s, a, "detach", actor=who.email, on=clock.today, clock=clock,
               from_state=a.state, to_state=a.state,
               note=f"{f.kind} #{f.id} {f.name}: {reason.strip()}")
        uow.commit()
        return attachment_dict(f, a.ref)


# --- the signed-copy guard ------------------------------------------------------------------


def missing_signed_copies(uow: UnitOfWork, states: tuple[str, ...] = ("signed", "active",
                                                                         "renewal_due")
                          ) -> list[MissingCopy]:
    """Agreements in `states` without a signed copy, oldest reference first."""
    with uow:
        s = uow.session
        rows = s.execute(select(Agreement.ref, Agreement.title, Agreement.state)
                         .where(Agreement.state.in_(states), ~has_signed_copy_clause(Agreement.id))
                         .order_by(Agreement.ref_year, Agreement.ref_seq)).all()
        return [{"ref": r, "title": t, "state": st} for r, t, st in rows]


# --- verify ---------------------------------------------------------------------------------


def verify(uow: UnitOfWork, store: FileStore, *, workers: int | None = None,
           by: str | None = None) -> VerifyReport:
    """Re-hash every stored file the database refers to (removed ones too).

    Returns `{checked, ok, missing: [...], altered: [...]}`; each problem names the
    digest and the files (agreement, id, name) that use it. Hashing runs on a few
    threads (hashlib releases the GIL), so it goes at the disk's read speed. A named
    actor (`by`) must be an admin.
    """
    import os
    from concurrent.futures import ThreadPoolExecutor

    with uow:
        s = uow.session
        acting_as(s, by, Role.ADMIN, "verify the file store")
        rows = s.execute(select(Attachment.sha256, Agreement.ref, Attachment.id, Attachment.name)
                         .join(Agreement, Agreement.id == Attachment.agreement_id)
                         .order_by(Attachment.id)).all()
    users: dict[str, list[FileUse]] = {}
    for sha, ref, fid, name in rows:
        users.setdefault(sha, []).append({"agreement": ref, "id": fid, "name": name})
    digests = sorted(users)
    n = max(1, min(workers or min(4, os.cpu_count() or 1), len(digests)))
    # One contiguous share per thread: a task per file costs more than hashing a small one.
    shares = [digests[i::n] for i in range(n)]
    with ThreadPoolExecutor(max_workers=n) as pool:
        checked = list(pool.map(lambda share: [store.check(d) for d in share], shares))
    results = dict(zip((d for share in shares for d in share),
                       (r for part in checked for r in part), strict=True))
    report: VerifyReport = {"checked": len(digests), "ok": 0, "missing": [], "altered": []}
    for sha, result in sorted(results.items()):
        if result == "ok":
            report["ok"] += 1
        else:
            report["missing" if result == "missing" else "altered"].append(
                {"sha256": sha, "files": users[sha]})
    return report


def count_files(uow: UnitOfWork) -> int:
    with uow:
        return int(uow.session.scalar(select(func.count()).select_from(Attachment)) or 0)


def write_out(store: FileStore, sha256: str, target: Path, *, force: bool = False) -> Path:
    """Copy a stored file to `target` (complete or not at all); an existing `target`
    is replaced only with `force`."""
    import shutil

    from workflow.atomic import atomic_output

    target = target.expanduser()
    if target.is_dir():
        raise Invalid(rules.problem("target.directory", "output", path=str(target)))
    if target.exists() and not force:
        raise Invalid(rules.problem("target.exists", "output", path=str(target)))
    if not target.parent.is_dir():
        raise Invalid(rules.problem("target.no_folder", "output", folder=str(target.parent)))
    with atomic_output(target) as out, store.open(sha256) as src:
        shutil.copyfileobj(src, out, 1 << 20) if store.local_path(sha256) is None \
            else _kernel_copy(src, out)
    return target


def _kernel_copy(src: BinaryIO, out: BinaryIO) -> None:
    import os
    import shutil

    size = os.fstat(src.fileno()).st_size
    try:
        left = size
        while left > 0:
            n = os.copy_file_range(src.fileno(), out.fileno(), left)
            if n == 0:
                break
            left -= n
    except OSError:
        src.seek(0)
        out.seek(0)
        out.truncate()
        shutil.copyfileobj(src, out, 1 << 20)
