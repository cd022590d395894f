"""Step 1 of an import: decode a CSV, XLSX or JSON file into raw records."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workflow import rules
from workflow.errors import Invalid
from workflow.spreadsheet import QUOTE, restore
from workflow.transfer import limits
from workflow.transfer.columns import (
    ALIASES,
    IMPORT_COLUMNS,
    REQUIRED_COLUMNS,
    ImportRejected,
    Record,
    RowError,
    Sheet,
    _blank,
    row_error,
)


@dataclass(frozen=True)
class Layout:
    """What a file of one kind of record holds: its columns, the required ones, the
    headers people write for them, and the word for one record (in errors and in a
    JSON file's wrapper: `{"agreements": [...]}`). Agreements and activities share
    every decoding step and differ only in this."""

    noun: str
    plural: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    aliases: Mapping[str, str]
    #: A JSON object that leaves a key out leaves that stored value alone: the row
    #: says which columns it has (agreements; activities are only ever added).
    partial_objects: bool = False

    def canonical(self, header: Any) -> str:
        name = "_".join(str(header).strip().lower().replace("-", " ").split())
        return self.aliases.get(name, name)

    def unknown(self, number: int, header: Any) -> RowError:
        return row_error(number, str(header), "row.unknown_column", columns=", ".join(self.columns))


AGREEMENTS = Layout("agreement", "agreements", IMPORT_COLUMNS, REQUIRED_COLUMNS, ALIASES,
                    partial_objects=True)


def canonical_column(header: str) -> str:
    return AGREEMENTS.canonical(header)


def _check_header(headers: Sequence[Any], layout: Layout) -> tuple[list[str], list[RowError]]:
    names, errors = [], []
    seen: set[str] = set()
    for h in headers:
        name = layout.canonical(h) if h is not None else ""
        if name and name not in layout.columns:
            errors.append(layout.unknown(1, h))
        if name and name in seen:
            errors.append(row_error(1, str(h), "row.column_twice"))
        seen.add(name)
        names.append(name)
    errors += [row_error(1, c, "row.column_missing") for c in layout.required if c not in seen]
    return names, errors


def decode_csv(text: str, source: str = "CSV", layout: Layout = AGREEMENTS) -> Sheet:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:  # e.g. a cell over the csv module's field size limit
        raise ImportRejected(source, [row_error(reader.line_num, "-", "row.csv", detail=str(exc))]) from None
    if not rows:
        raise ImportRejected(source, [row_error(1, "header", "row.empty_file")])
    limits.check_rows(source, len(rows) - 1)
    names, errors = _check_header(rows[0], layout)
    records = []
    for i, cells in enumerate(rows[1:], start=2):
        if all(_blank(c) for c in cells):
            continue
        if len(cells) > len(names) and any(not _blank(c) for c in cells[len(names):]):
            errors.append(row_error(i, "-", "row.cells", cells=len(cells), columns=len(names)))
            continue
        errors += _unnamed(i, names, cells)
        records.append(_record(source, i, names, cells))
    if errors:
        raise ImportRejected(source, errors)
    return Sheet(frozenset(n for n in names if n), records)


def _record(source: str, number: int, names: list[str], cells: Sequence[Any]) -> Record:
    """A spreadsheet row (CSV, XLSX): the quote an export put before formula-like text
    comes off (`workflow.spreadsheet`); a cell longer than a cell may be is refused."""
    values = {n: (restore(c) if type(c) is str and c[:1] == QUOTE else c)
              for n, c in zip(names, cells, strict=False) if n}
    for value in values.values():
        limits.check_cell(source, number, value)
    return Record(number, values)


def _unnamed(number: int, names: list[str], cells: Sequence[Any]) -> list[RowError]:
    """A value under a column without a header would be dropped: say so instead."""
    return [row_error(number, f"column {i + 1}", "row.no_header", value=str(c)[:40])
            for i, (n, c) in enumerate(zip(names, cells, strict=False)) if not n and not _blank(c)]


def decode_xlsx(path: Path, layout: Layout = AGREEMENTS) -> Sheet:
    """The first sheet; the workbook is checked against the limits before it is read."""
    from openpyxl import load_workbook

    limits.check_xlsx(path)
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = wb.worksheets[0]
        # A stale <dimension> (files written by some tools) would cut the rows short:
        # read every row there is.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise ImportRejected(path.name, [row_error(1, "header", "row.empty_sheet")])
        names, errors = _check_header([h for h in header], layout)
        records = []
        for i, cells in enumerate(rows, start=2):
            if i > limits.MAX_ROWS + 1:
                limits.check_rows(path.name, i - 1)
            if all(_blank(c) for c in cells):
                continue
            errors += _unnamed(i, names, cells)
            records.append(_record(path.name, i, names, cells))
    finally:
        wb.close()
    if errors:
        raise ImportRejected(path.name, errors)
    return Sheet(frozenset(n for n in names if n), records)


def decode_objects(items: Any, source: str, layout: Layout = AGREEMENTS) -> Sheet:
    """A JSON (or YAML) list of objects; `{"agreements": [...]}` (`{"activities": [...]}`)
    is accepted too."""
    if isinstance(items, dict) and isinstance(items.get(layout.plural), list):
        items = items[layout.plural]
    if not isinstance(items, list):
        raise ImportRejected(source, [row_error(1, "-", "row.not_list", noun=layout.noun)])
    limits.check_rows(source, len(items))
    errors: list[RowError] = []
    records = []
    columns: set[str] = set()
    required = frozenset(layout.required) if layout.partial_objects else frozenset()
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            errors.append(row_error(i, "-", "row.not_object", noun=layout.noun))
            continue
        values = {}
        for key, value in item.items():
            name = layout.canonical(key)
            if name not in layout.columns:
                errors.append(layout.unknown(i, key))
                continue
            values[name] = value
        columns |= values.keys()
        # A key an object leaves out leaves that value of a stored agreement alone.
        records.append(Record(i, values, frozenset(values) | required if layout.partial_objects else None))
    if errors:
        raise ImportRejected(source, errors)
    return Sheet(frozenset(columns) | required, records)


def read_file(path: Path, layout: Layout = AGREEMENTS) -> Sheet:
    """Decode FILE by its extension: .csv (UTF-8), .xlsx (the first sheet) or .json."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".xlsx", ".json"):
        limits.check_file_size(path)
    if suffix == ".csv":
        try:
            # As written: the csv module reads line ends itself (a cell may hold a CR).
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise Invalid(rules.problem("import.csv_utf8", "file", source=path.name,
                                            reason=exc.reason)) from None
        return decode_csv(text, path.name, layout)
    if suffix == ".xlsx":
        from zipfile import BadZipFile

        try:
            return decode_xlsx(path, layout)
        except (BadZipFile, KeyError) as exc:
            if not path.exists():
                raise
            raise Invalid(rules.problem("import.xlsx", "file", source=path.name, detail=str(exc))) from None
        except (SyntaxError, ValueError, TypeError, IndexError, EOFError) as exc:
            # Malformed XML in a part (ParseError is a SyntaxError), a broken style or
            # number: the workbook cannot be read.
            raise Invalid(rules.problem("import.xlsx_unreadable", "file", source=path.name,
                                        detail=_first_line(exc))) from None
    if suffix == ".json":
        data = limits.load_json(path)
        return decode_objects(data, path.name, layout)
    raise Invalid(rules.problem("import.file_type", "file", source=path.name, suffix=suffix or "(none)"))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]
