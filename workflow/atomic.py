"""Whole files only: every file Hamkor writes appears complete or not at all.

Exports, reports, generated documents, bundles, copies of stored files and
mail written to a folder all go through `atomic_output`: the data goes to a
hidden temporary file beside the target, which then replaces the target in
one step, so a reader (or a crash) never sees half a file and a failed write
leaves the old file as it was. Every such file gets the mode `FILE_MODE`
(0644: readable by the other accounts of the machine, as a report meant to be
shared must be; keep private data in a private folder) - README "Import and
export".
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

#: The permission bits of every file Hamkor writes.
FILE_MODE = 0o644


@contextmanager
def atomic_output(path: Path) -> Iterator[BinaryIO]:
    """A binary file to write; on a clean exit it replaces `path` whole."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            os.fchmod(out.fileno(), FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomically(path: Path, data: bytes | str) -> None:
    """Write `data` (text as UTF-8, newlines as given) to `path` whole."""
    with atomic_output(path) as out:
        out.write(data.encode() if isinstance(data, str) else data)
