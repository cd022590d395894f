"""What an import file may hold (README "Limits and safety"): checked before it is read.

A file past a limit is refused with one error naming the limit, in bounded time
and memory, before any parser builds its contents: the size on disk, the size
an XLSX file unpacks to (as its parts declare it: Python's zip reader never
unpacks more than that), the rows, the length of one cell's text, an XLSX
part's XML (no DTD, so no entities), the shared strings and cells of a
workbook, the nesting and the numbers of a JSON file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from workflow import rules
from workflow.errors import Invalid

#: Any import file, as stored on disk (CSV, XLSX, JSON).
MAX_FILE_BYTES = 64 * 1024 * 1024
#: What the parts of an XLSX file unpack to, together.
MAX_XLSX_UNPACKED_BYTES = 256 * 1024 * 1024
#: Parts (files) inside an XLSX file.
MAX_XLSX_PARTS = 1000
#: Rows of agreements (or activities) in one file.
MAX_ROWS = 100_000
#: Characters of one cell (Excel's own limit).
MAX_CELL_CHARS = 32_767
#: Different texts in an XLSX workbook's shared strings.
MAX_SHARED_STRINGS = 1_000_000
#: Cells in an XLSX workbook's sheets.
MAX_CELLS = 4_000_000
#: Levels of a JSON file (a list of objects whose values may be lists is three).
MAX_JSON_DEPTH = 8
#: Values in a JSON file (counted as its commas and brackets).
MAX_JSON_VALUES = 4_000_000
#: Digits of a number in a JSON file (a 64-bit integer has at most 20).
MAX_NUMBER_DIGITS = 20

#: An XML text run may take this many bytes (entities such as `&amp;` take 5 per character).
_MAX_RUN_BYTES = MAX_CELL_CHARS * 6
_CHUNK = 1 << 20


def refuse(source: str, code: str, **params: Any) -> Invalid:
    """A limit's refusal (`limit.*` in workflow/rules.py) about the file `source`."""
    return Invalid(rules.problem(code, "file", source=source, **params))


def check_file_size(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise refuse(path.name, "limit.file_size", size=size, most=MAX_FILE_BYTES)


def check_rows(source: str, count: int) -> None:
    if count > MAX_ROWS:
        raise refuse(source, "limit.rows", most=MAX_ROWS)


def check_cell(source: str, row: int, value: Any) -> None:
    if type(value) is str and len(value) > MAX_CELL_CHARS:
        raise refuse(source, "limit.cell", row=row, length=len(value), most=MAX_CELL_CHARS)


# --- XLSX -----------------------------------------------------------------------------------


def check_xlsx(path: Path) -> None:
    """The workbook's parts, before openpyxl reads any: sizes, XML without a DTD, no text
    run longer than a cell may be, and not more shared strings and cells than the limits."""
    import zipfile

    name = path.name
    with zipfile.ZipFile(path) as zf:
        parts = zf.infolist()
        if len(parts) > MAX_XLSX_PARTS:
            raise refuse(name, "limit.parts", count=len(parts), most=MAX_XLSX_PARTS)
        unpacked = sum(p.file_size for p in parts)
        if unpacked > MAX_XLSX_UNPACKED_BYTES:
            raise refuse(name, "limit.unpacked", size=unpacked, most=MAX_XLSX_UNPACKED_BYTES)
        shared = cells = 0
        for part in parts:
            if not part.filename.endswith((".xml", ".rels")):
                continue
            with zf.open(part) as fh:
                counted = _scan_xml(name, part.filename, fh)
            if part.filename.endswith("sharedStrings.xml"):
                shared += counted["<si"]
                if shared > MAX_SHARED_STRINGS:
                    raise refuse(name, "limit.shared_strings", most=MAX_SHARED_STRINGS)
            elif "/worksheets/" in part.filename:
                cells += counted["<c"]
                if cells > MAX_CELLS:
                    raise refuse(name, "limit.cells", most=MAX_CELLS)


def _chunks(fh: IO[bytes]) -> Iterator[bytes]:
    while chunk := fh.read(_CHUNK):
        yield chunk


def _scan_xml(source: str, part: str, fh: IO[bytes]) -> dict[str, int]:
    """One pass over a part's bytes: DTDs refused, text runs measured, elements counted."""
    counted = {"<si": 0, "<c": 0}
    run = 0  # bytes since the last '<'
    tail = b""
    for chunk in _chunks(fh):
        window = tail + chunk
        if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
            raise refuse(source, "limit.dtd", part=part)
        counted["<si"] += chunk.count(b"<si>") + chunk.count(b"<si ")
        counted["<c"] += chunk.count(b"<c ") + chunk.count(b"<c>")
        first = chunk.find(b"<")
        if first < 0:
            run += len(chunk)
        else:
            run += first
            if run <= _MAX_RUN_BYTES:
                run = max(map(len, chunk[first:].split(b"<")))
                if run <= _MAX_RUN_BYTES:
                    run = len(chunk) - chunk.rfind(b"<") - 1
        if run > _MAX_RUN_BYTES:
            raise refuse(source, "limit.text_run", part=part, most=MAX_CELL_CHARS)
        tail = chunk[-16:]
    return counted


# --- JSON -----------------------------------------------------------------------------------


class _TooBig(ValueError):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code, self.params = code, params

    pass


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _TooBig("limit.digits", digits=len(text.lstrip("-")), most=MAX_NUMBER_DIGITS)
    return int(text)


def _float(text: str) -> float:
    digits = sum(ch.isdigit() for ch in text)
    if digits > MAX_NUMBER_DIGITS:
        raise _TooBig("limit.digits", digits=digits, most=MAX_NUMBER_DIGITS)
    value = float(text)
    if not math.isfinite(value):
        raise _TooBig("limit.number", value=text[:30])
    return value


def load_json(path: Path) -> Any:
    """The file's JSON, within the limits on values, nesting and numbers."""
    name = path.name
    raw = path.read_bytes()
    values = raw.count(b",") + raw.count(b"[") + raw.count(b"{")
    if values > MAX_JSON_VALUES:
        raise refuse(name, "limit.json_values", most=MAX_JSON_VALUES)
    try:
        text = raw.decode("utf-8-sig")
        del raw
        data = json.loads(text, parse_int=_int, parse_float=_float)
    except UnicodeDecodeError as exc:
        raise Invalid(rules.problem("import.utf8", "file", source=name, reason=exc.reason)) from None
    except RecursionError:
        raise refuse(name, "limit.json_depth", most=MAX_JSON_DEPTH) from None
    except _TooBig as exc:
        raise refuse(name, exc.code, **exc.params) from None
    except json.JSONDecodeError as exc:
        raise Invalid(rules.problem("import.json", "file", source=name, detail=str(exc))) from None
    if _depth(data) > MAX_JSON_DEPTH:
        raise refuse(name, "limit.json_depth", most=MAX_JSON_DEPTH)
    return data


def _depth(data: Any) -> int:
    deepest = 0
    stack = [(data, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            deepest = max(deepest, level)
            if level > MAX_JSON_DEPTH:
                return level
            stack.extend((v, level + 1) for v in value if isinstance(v, dict | list))
    return deepest
