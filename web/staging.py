"""An uploaded file kept between its preview (a dry run) and its confirmation.

The browser never sends the file twice: the preview stores its bytes in a private
temporary directory under a random token, and the session (signed, so the browser
cannot forge it) remembers the token, the file's name and its SHA-256. Confirming
reads the same bytes back (their hash checked), so what is imported is exactly what
was previewed. A staged file lives at most `STAGED_FOR_S`; a new preview of the same
kind, a confirmation or the expiry removes it. Size: the import's own limit.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from web import forms
from web.render import flash, redirect, translator
from workflow.errors import HamkorError
from workflow.transfer.limits import MAX_FILE_BYTES

#: How long a preview can be confirmed.
STAGED_FOR_S = 3600
#: Kinds of staged files and the suffixes each accepts.
SUFFIXES = {"import": (".csv", ".xlsx", ".json"), "iias": (".xml",), "approvals": (".xml",)}
_DIR = Path(tempfile.gettempdir()) / f"hamkor-staged-{os.getuid()}"


class Unusable(ValueError):
    """The form's upload cannot be taken (each subclass says why)."""


class NoFile(Unusable):
    pass


class WrongType(Unusable):
    pass


class TooLarge(Unusable):
    pass


@dataclass(frozen=True)
class Staged:
    token: str
    name: str
    sha256: str
    path: Path
    #: What the preview found (e.g. the digest of the planned actions), checked on confirm.
    expect: str | None = None

    def read(self) -> bytes:
        return self.path.read_bytes()


def _directory() -> Path:
    _DIR.mkdir(mode=0o700, exist_ok=True)
    return _DIR


def safe_name(name: str, suffix: str) -> str:
    """The uploaded file's own name, as a plain file name (it appears in messages)."""
    base = re.sub(r"[^\w.\- ]", "_", Path(name.replace("\\", "/")).name).strip(" .")[:120]
    return base if base.lower().endswith(suffix) else f"upload{suffix}"


def staged_name(name: str) -> str:
    """The name an uploaded file is kept and shown under."""
    return safe_name(name, Path(name).suffix.lower())


def _place(kind: str, token: str) -> Path:
    return _directory() / f"{kind}-{token}"


def _sweep(now: float) -> None:
    """Forget staged files past their time (any session's)."""
    try:
        entries = list(_directory().iterdir())
    except OSError:
        return
    for entry in entries:
        try:
            if now - entry.stat().st_mtime > STAGED_FOR_S:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            pass


def read_upload(upload: Any, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of an upload, refusing past ``limit`` without reading more than it."""
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"{len(data)}")
    return bytes(data)


def take_upload(form: Any, kind: str) -> tuple[str, bytes]:
    """The name and bytes of the form's `file` for a ``kind`` preview: NoFile where none was
    chosen, WrongType where its name does not end in one of the kind's suffixes, TooLarge
    past the import's size limit (read no further than it)."""
    from starlette.datastructures import UploadFile

    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise NoFile(kind)
    if not upload.filename.lower().endswith(SUFFIXES[kind]):
        raise WrongType(upload.filename)
    return upload.filename, read_upload(upload)


class Digested(Protocol):
    def digest(self) -> str: ...


D = TypeVar("D", bound=Digested)


def preview(request: Request, kind: str, name: str, data: bytes,
            dry_run: Callable[[Staged], D]) -> tuple[Staged, D]:
    """Keep the upload and run its dry run; what it found (its digest) is checked again on
    confirmation. Refused, the staged file is removed and the refusal raised again."""
    kept = stage(request, kind, name, data)
    try:
        found = dry_run(kept)
    except Exception:
        discard(request, kind)
        raise
    expect(request, kind, found.digest())
    return kept, found


@contextmanager
def consumed(request: Request, kind: str) -> Iterator[None]:
    """Confirming a preview: the staged file is removed however the confirmation ends."""
    try:
        yield
    finally:
        discard(request, kind)


R = TypeVar("R")


def confirm(request: Request, kind: str, form: Any, back: str, run: Callable[[Staged], R], *,
            page: Callable[[str, int], Response],
            refused: Callable[[Staged, HamkorError], Response],
            done: Callable[[Staged, R], str]) -> Response:
    """Confirm this session's ``kind`` preview, the one the form's token names: `run` it on
    the staged file (removed however that ends), flash what `done` words and go `back`.
    Where the preview has expired, `page(error, status)` says so (409); a refusal is
    answered by `refused`."""
    t = translator(request)
    kept = staged(request, kind, forms.text(form, "token"))
    if kept is None:
        return page(t("imp.expired"), 409)
    with consumed(request, kind):
        try:
            outcome = run(kept)
        except HamkorError as exc:
            return refused(kept, exc)
    flash(request, "ok", done(kept, outcome))
    return redirect(back)


def stage(request: Request, kind: str, name: str, data: bytes, expect: str | None = None) -> Staged:
    """Keep ``data`` for this session as the ``kind`` preview (replacing an earlier one)."""
    discard(request, kind)
    _sweep(time.time())
    token = secrets.token_urlsafe(24)
    if Path(name).suffix.lower() not in SUFFIXES[kind]:
        raise ValueError(f"{kind} files end in {', '.join(SUFFIXES[kind])}")
    name = staged_name(name)
    place = _place(kind, token)
    place.mkdir(mode=0o700)
    path = place / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    sha = hashlib.sha256(data).hexdigest()
    request.session[f"staged:{kind}"] = {"token": token, "name": name, "sha256": sha,
                                         "expect": expect}
    return Staged(token, name, sha, path, expect)


def staged(request: Request, kind: str, token: str | None) -> Staged | None:
    """The file this session previewed under ``token``, or None (another token, expired,
    removed, or changed on disk)."""
    entry = request.session.get(f"staged:{kind}")
    if not isinstance(entry, dict) or not token or not secrets.compare_digest(
            str(entry.get("token", "")), token):
        return None
    place = _place(kind, entry["token"])
    path = place / str(entry["name"])
    try:
        if time.time() - place.stat().st_mtime > STAGED_FOR_S:
            shutil.rmtree(place, ignore_errors=True)
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        return None
    return Staged(entry["token"], entry["name"], entry["sha256"], path, entry.get("expect"))


def discard(request: Request, kind: str) -> None:
    entry = request.session.pop(f"staged:{kind}", None)
    if isinstance(entry, dict) and isinstance(entry.get("token"), str):
        shutil.rmtree(_place(kind, entry["token"]), ignore_errors=True)


def expect(request: Request, kind: str, value: str) -> None:
    """Remember what the preview found, to be checked on confirmation."""
    entry = request.session.get(f"staged:{kind}")
    if isinstance(entry, dict):
        request.session[f"staged:{kind}"] = {**entry, "expect": value}
