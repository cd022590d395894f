"""What a file is, decided from its bytes (puremagic), never from its name.

Accepted: PDF, DOCX, XLSX, ODT, PNG, JPEG and plain text (UTF-8). Office
files are ZIP archives whose own manifest says what they hold (puremagic only
guesses between them, from the name): the archive's `[Content_Types].xml` or
ODF `mimetype` decides, and a macro-enabled document is refused. The staged
copy has no extension, so the name cannot sway the decision.
Anything else -- a program renamed `.pdf`, an archive, an empty file -- is
refused.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from workflow import rules
from workflow.errors import Invalid

#: media type -> the extension a download gets
ACCEPTED: dict[str, str] = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.oasis.opendocument.text": ".odt",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "text/plain": ".txt",
}
_BY_EXTENSION = {".pdf": "application/pdf", ".docx":
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 ".odt": "application/vnd.oasis.opendocument.text", ".png": "image/png",
                 ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
_OFFICE = frozenset({".docx", ".xlsx", ".odt"})
ACCEPTED_NAMES = "PDF, DOCX, XLSX, ODT, PNG, JPEG or plain text"
#: Control characters no text file has (tab, line feed, form feed and carriage return are fine).
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def sniff(path: Path) -> str:
    """The media type of the file at `path`, or `Invalid` saying why it is not accepted."""
    import puremagic

    with open(path, "rb") as f:
        head = f.read(8192)
    if not head:
        raise Invalid(rules.problem("file.empty", "file"))
    if head.startswith(b"PK\x03\x04"):
        return _office(path)
    try:
        matches = puremagic.magic_file(str(path))
    except (puremagic.PureError, ValueError, OSError):
        matches = []
    best = _best(matches)
    if best is not None:
        return best
    if _is_text(path):
        return "text/plain"
    seen = matches[0].extension.lstrip(".") if matches else ""
    if head.startswith((b"MZ", b"\x7fELF", b"#!")) or seen in ("exe", "dll", "msi", "elf"):
        raise Invalid(rules.problem("file.type.program", "file", accepted=ACCEPTED_NAMES))
    if seen:
        raise Invalid(rules.problem("file.type.looks_like", "file", ext=seen, accepted=ACCEPTED_NAMES))
    raise Invalid(rules.problem("file.type.unknown", "file", accepted=ACCEPTED_NAMES))


def _best(matches: list) -> str | None:  # type: ignore[type-arg]
    """The accepted type puremagic is most confident of; None when its best guess is
    something else (a program, an archive) or it has none."""
    if not matches:
        return None
    top = max(m.confidence for m in matches)
    for m in matches:
        if m.confidence < top:
            continue
        ext = m.extension.lower()
        if ext in _OFFICE and m.confidence < 0.9:
            continue  # only a ZIP header matched: puremagic did not find the document inside
        if ext in _BY_EXTENSION:
            return _BY_EXTENSION[ext]
    return None


_MAIN_PARTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml":
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml":
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_MACROS = ("macroEnabled", "vbaProject")


def _office(path: Path) -> str:
    """A ZIP container: which office document it holds, from its own manifest
    (OOXML `[Content_Types].xml`, ODF `mimetype`), never from the file's name."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "mimetype" in names and z.getinfo("mimetype").file_size < 200:
                kind = z.read("mimetype").decode("ascii", "replace").strip()
                if kind == "application/vnd.oasis.opendocument.text":
                    return kind
                raise Invalid(rules.problem("file.type.odf", "file", kind=kind or "an ODF file",
                                            accepted=ACCEPTED_NAMES))
            if "[Content_Types].xml" in names and z.getinfo("[Content_Types].xml").file_size < 1 << 20:
                types = z.read("[Content_Types].xml").decode("utf-8", "replace")
                if any(m in types for m in _MACROS):
                    raise Invalid(rules.problem("file.type.macros", "file", accepted=ACCEPTED_NAMES))
                for part, media_type in _MAIN_PARTS.items():
                    if part in types:
                        return media_type
    except zipfile.BadZipFile:
        raise Invalid(rules.problem("file.type.damaged_zip", "file", accepted=ACCEPTED_NAMES)) from None
    raise Invalid(rules.problem("file.type.looks_like", "file", ext="zip", accepted=ACCEPTED_NAMES))


def _is_text(path: Path) -> bool:
    """UTF-8 without control characters (a BOM is fine), read in chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            if _CONTROL.search(chunk):
                return False
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return False
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def extension_for(media_type: str) -> str:
    return ACCEPTED.get(media_type, "")
