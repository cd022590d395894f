"""Content-addressed file storage: the bytes of every attachment, named by their SHA-256.

A file is written once and never changed: it is staged in a private temporary
file (hashed and counted while it is copied), then moved into place with an
atomic rename and made read-only. The same bytes uploaded twice are stored
once. `FileStore` is the whole interface the rest of Hamkor uses, so a
deployment with several web servers can implement it over shared storage (an
NFS mount works as it is: rename is atomic there too).

Layout under the root: `ab/cd/abcd…` (the full hex digest), and `.staging/`
for uploads in progress (on the same file system, so the rename is atomic).
"""

from __future__ import annotations

import hashlib
import mmap
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, Protocol

from workflow import rules
from workflow.errors import Invalid

CHUNK = 1 << 20
HEX = frozenset("0123456789abcdef")


class TooLarge(Invalid):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(rules.problem("file.too_large", "file", mb=limit // (1024 * 1024)))


@dataclass
class Staged:
    """An upload copied into the store's staging area, hashed, not yet in place."""

    path: Path
    sha256: str
    size: int


class FileStore(Protocol):
    """What Hamkor needs from file storage."""

    def stage(self, source: IO[bytes], limit: int) -> Staged: ...

    def stage_path(self, source: Path, limit: int) -> Staged: ...

    def keep(self, staged: Staged) -> bool:
        """Move a staged file into place (atomic); False if those bytes were already stored."""
        ...

    def discard(self, staged: Staged) -> None: ...

    def forget(self, sha256: str) -> None:
        """Remove a file that was just kept but whose record could not be written."""
        ...

    def open(self, sha256: str) -> BinaryIO: ...

    def local_path(self, sha256: str) -> Path | None:
        """A path a web server can send from, when the store is on a local file system."""
        ...

    def check(self, sha256: str) -> str:
        """'ok', 'missing' or 'altered' (the bytes no longer hash to their name)."""
        ...


#: Files up to this size are hashed from one read(); larger ones through a memory map.
_READ_WHOLE = 8 << 20


def _valid(sha256: str) -> str:
    if len(sha256) != 64 or not set(sha256) <= HEX:
        raise Invalid(rules.problem("store.digest", "sha256", value=sha256[:80]))
    return sha256


class LocalFileStore:
    """`FileStore` in a directory of the local (or a shared, mounted) file system."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # --- writing ------------------------------------------------------------------------

    def _staging(self) -> Path:
        staging = self.root / ".staging"
        staging.mkdir(parents=True, exist_ok=True)
        return staging

    def stage(self, source: IO[bytes], limit: int) -> Staged:
        """Copy a stream into the staging area, hashing it; refuse past `limit` bytes."""
        fd, name = tempfile.mkstemp(dir=self._staging(), prefix="up-")
        path = Path(name)
        digest, size = hashlib.sha256(), 0
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := source.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise TooLarge(limit)
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Staged(path, digest.hexdigest(), size)

    def stage_path(self, source: Path, limit: int) -> Staged:
        """Stage a local file: the kernel copies it while a second thread hashes the
        source's pages (hashlib releases the GIL), so staging costs about one copy.
        A file that changes while it is read is refused."""
        before = source.stat()
        if not stat.S_ISREG(before.st_mode):
            raise Invalid(rules.problem("file.not_file", "file", path=str(source)))
        if before.st_size > limit:
            raise TooLarge(limit)
        fd, name = tempfile.mkstemp(dir=self._staging(), prefix="up-")
        path = Path(name)
        digest = hashlib.sha256()
        try:
            with open(source, "rb") as src, os.fdopen(fd, "wb") as out:
                if before.st_size:
                    with mmap.mmap(src.fileno(), 0, access=mmap.ACCESS_READ) as view:
                        # The hash runs while the copy and then the fsync wait for the disk.
                        hasher = threading.Thread(target=digest.update, args=(view,))
                        hasher.start()
                        try:
                            _copy(src, out, before.st_size)
                            out.flush()
                            os.fsync(out.fileno())
                        finally:
                            hasher.join()
                else:
                    out.flush()
                    os.fsync(out.fileno())
            after = source.stat()
            if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
                raise Invalid(rules.problem("file.changed", "file", path=str(source)))
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Staged(path, digest.hexdigest(), before.st_size)

    def _final(self, sha256: str) -> Path:
        _valid(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def keep(self, staged: Staged) -> bool:
        final = self._final(staged.sha256)
        if final.exists():
            staged.path.unlink(missing_ok=True)
            return False
        final.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(staged.path, 0o444)
        os.replace(staged.path, final)  # atomic: readers see all of it or nothing
        _fsync_dir(final.parent)
        return True

    def discard(self, staged: Staged) -> None:
        staged.path.unlink(missing_ok=True)

    def forget(self, sha256: str) -> None:
        with suppress(FileNotFoundError):
            self._final(sha256).unlink()

    # --- reading ------------------------------------------------------------------------

    def open(self, sha256: str) -> BinaryIO:
        try:
            return open(self._final(sha256), "rb")
        except FileNotFoundError:
            raise Invalid(rules.problem("store.missing", sha=sha256[:12])) from None

    def local_path(self, sha256: str) -> Path | None:
        return self._final(sha256)

    def check(self, sha256: str) -> str:
        try:
            with open(self._final(sha256), "rb", buffering=0) as f:
                size = os.fstat(f.fileno()).st_size
                if size == 0:
                    return "altered"
                if size <= _READ_WHOLE:  # one read() beats mapping a small file (2-3x)
                    actual = hashlib.sha256(f.read()).hexdigest()
                else:
                    with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as view:
                        actual = hashlib.sha256(view).hexdigest()
        except FileNotFoundError:
            return "missing"
        return "ok" if actual == sha256 else "altered"

    def stored(self) -> Iterator[str]:
        """Every digest in the store (for tools; the database says what is referenced)."""
        for path in self.root.glob("??/??/*"):
            if len(path.name) == 64 and set(path.name) <= HEX:
                yield path.name


def _copy(src: BinaryIO, out: BinaryIO, size: int) -> None:
    """In the kernel where it can (copy_file_range), else through a buffer."""
    left = size
    try:
        while left > 0:
            n = os.copy_file_range(src.fileno(), out.fileno(), left)
            if n == 0:
                raise Invalid(rules.problem("file.shrunk", "file"))
            left -= n
    except (AttributeError, OSError):  # no copy_file_range here, or not across these mounts
        src.seek(0)
        out.seek(0)
        out.truncate()
        shutil.copyfileobj(src, out, CHUNK)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def store_for(root: Path) -> FileStore:
    return LocalFileStore(root)
