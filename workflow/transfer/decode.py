"""Step 1 of an import: decode a CSV, XLSX or JSON file into raw records."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from workflow.errors import Invalid
from workflow.transfer.columns import (
    ALIASES,
    IMPORT_COLUMNS,
    REQUIRED_COLUMNS,
    ImportRejected,
    Record,
    RowError,
    Sheet,
    _blank,
)


def canonical_column(header: str) -> str:
    name = "_".join(str(header).strip().lower().replace("-", " ").split())
    return ALIASES.get(name, name)


def _check_header(headers: Sequence[Any]) -> tuple[list[str], list[RowError]]:
    names, errors = [], []
    seen: set[str] = set()
    for h in headers:
        name = canonical_column(h) if h is not None else ""
        if name and name not in IMPORT_COLUMNS:
            errors.append(RowError(1, str(h), "unknown column; expected some of "
                                   + ", ".join(IMPORT_COLUMNS)))
        if name and name in seen:
            errors.append(RowError(1, str(h), "column given twice"))
        seen.add(name)
        names.append(name)
    errors += [RowError(1, c, "required column is missing") for c in REQUIRED_COLUMNS if c not in seen]
    return names, errors



def decode_csv(text: str) -> Sheet:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:  # e.g. a cell over the csv module's field size limit
        raise ImportRejected("CSV", [RowError(reader.line_num, "-", str(exc))]) from None
    if not rows:
        raise ImportRejected("CSV", [RowError(1, "header", "the file is empty")])
    names, errors = _check_header(rows[0])
    records = []
    for i, cells in enumerate(rows[1:], start=2):
        if all(_blank(c) for c in cells):
            continue
        if len(cells) > len(names) and any(not _blank(c) for c in cells[len(names):]):
            errors.append(RowError(i, "-", f"{len(cells)} cells for {len(names)} columns"))
            continue
        errors += _unnamed(i, names, cells)
        records.append(Record(i, {n: c for n, c in zip(names, cells, strict=False) if n}))
    if errors:
        raise ImportRejected("CSV", errors)
    return Sheet(frozenset(n for n in names if n), records)


def _unnamed(number: int, names: list[str], cells: Sequence[Any]) -> list[RowError]:
    """A value under a column without a header would be dropped: say so instead."""
    return [RowError(number, f"column {i + 1}", f"{str(c)[:40]!r} is under a column without a header")
            for i, (n, c) in enumerate(zip(names, cells, strict=False)) if not n and not _blank(c)]


def decode_xlsx(path: Path) -> Sheet:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = wb.worksheets[0]
        # A stale <dimension> (files written by some tools) would cut the rows short:
        # read every row there is.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise ImportRejected(path.name, [RowError(1, "header", "the first sheet is empty")])
        names, errors = _check_header([h for h in header])
        records = []
        for i, cells in enumerate(rows, start=2):
            if all(_blank(c) for c in cells):
                continue
            errors += _unnamed(i, names, cells)
            records.append(Record(i, {n: c for n, c in zip(names, cells, strict=False) if n}))
    finally:
        wb.close()
    if errors:
        raise ImportRejected(path.name, errors)
    return Sheet(frozenset(n for n in names if n), records)


def decode_objects(items: Any, source: str) -> Sheet:
    """A JSON (or YAML) list of objects; `{"agreements": [...]}` is accepted too."""
    if isinstance(items, dict) and isinstance(items.get("agreements"), list):
        items = items["agreements"]
    if not isinstance(items, list):
        raise ImportRejected(source, [RowError(1, "-", "expected a list of agreement objects")])
    errors: list[RowError] = []
    records = []
    columns: set[str] = set()
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            errors.append(RowError(i, "-", "expected an object with the agreement's columns"))
            continue
        values = {}
        for key, value in item.items():
            name = canonical_column(key)
            if name not in IMPORT_COLUMNS:
                errors.append(RowError(i, str(key), "unknown column; expected some of "
                                       + ", ".join(IMPORT_COLUMNS)))
                continue
            values[name] = value
        columns |= values.keys()
        # A key an object leaves out leaves that value of a stored agreement alone.
        records.append(Record(i, values, frozenset(values) | frozenset(REQUIRED_COLUMNS)))
    if errors:
        raise ImportRejected(source, errors)
    return Sheet(frozenset(columns) | frozenset(REQUIRED_COLUMNS), records)


def read_file(path: Path) -> Sheet:
    """Decode FILE by its extension: .csv, .xlsx or .json."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise Invalid(f"{path.name}: not UTF-8 text ({exc.reason}); save the CSV as UTF-8") from None
        return _named(decode_csv, text, path.name)
    if suffix == ".xlsx":
        from zipfile import BadZipFile

        try:
            return decode_xlsx(path)
        except (BadZipFile, KeyError) as exc:
            if not path.exists():
                raise
            raise Invalid(f"{path.name}: not an XLSX workbook ({exc})") from None
    if suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as exc:
            raise Invalid(f"{path.name}: not JSON: {exc}") from None
        return decode_objects(data, path.name)
    raise Invalid(f"{path.name}: import reads .csv, .xlsx or .json files")


def _named(decode: Callable[[str], Sheet], text: str, source: str) -> Sheet:
    try:
        return decode(text)
    except ImportRejected as exc:
        raise ImportRejected(source, exc.errors) from None

