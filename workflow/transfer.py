"""Bulk import and export of agreements (SPEC §6 columns): all rows or nothing.

An import runs in four steps, so no check depends on what was already written:

1. *decode* a CSV, XLSX or JSON file into raw records (`read_file`);
2. *parse* each record into a typed `Row`, collecting every error with its row
   number and column (`parse_record`: pure, no database);
3. *plan* the rows against a snapshot of the database (partners, users,
   agreements): create, update or skip each row, and find the errors that need
   the database (`plan`: pure);
4. *apply* the plan in one transaction with bulk inserts (`import_records`).

Identity: `ref` when given; otherwise title + partner names + starts_on. An
unchanged row is skipped, so importing the same file twice creates nothing.
Columns missing from a file leave stored values alone; an empty cell clears.
The lifecycle is not bypassed: an import never changes the state, terms or
signatures of a stored agreement past draft (use `hamkor agreement ...`).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Table as SqlTable
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session, aliased

from models import Agreement, AgreementParty, Event, Organization, User, normalize_name
from models.entities import DEAD_STATES
from workflow import dates
from workflow.agreements import (
    FORMS,
    TYPES,
    Office,
    cancel_pending,
    record,
    reschedule,
)
from workflow.clock import Clock
from workflow.dates import MAX_MONTHS, MAX_NOTICE_DAYS, out_of_range
from workflow.errors import Invalid
from workflow.lifecycle import IN_FORCE, TERMINAL, Role, State
from workflow.registry import KINDS, SYSTEM_ACTOR, actor, require_role, valid_country
from workflow.schedule import Facts, next_due_on
from workflow.uow import UnitOfWork

#: SPEC §6 columns, in the order an export writes them.
COLUMNS: tuple[str, ...] = (
    "ref", "title", "type", "state", "partners", "countries", "signed_on", "department",
    "owner", "starts_on", "expires_on", "term", "auto_renew", "renewal_months",
    "notice_days", "forms", "renews",
)
#: Optional columns Hamkor adds so an export carries everything an import needs.
EXTRA_COLUMNS: tuple[str, ...] = (
    "kinds", "erasmus_codes", "created_on", "notice_given_on", "ends_on", "notes",
)
EXPORT_COLUMNS: tuple[str, ...] = COLUMNS + EXTRA_COLUMNS
#: `months` is import-only: expires_on = starts_on + months − 1 day.
IMPORT_COLUMNS: tuple[str, ...] = EXPORT_COLUMNS + ("months",)
REQUIRED_COLUMNS: tuple[str, ...] = ("title", "type", "partners")
#: Headers people write for the same thing.
ALIASES: dict[str, str] = {
    "reference": "ref", "partner": "partners", "country": "countries", "signed": "signed_on",
    "starts": "starts_on", "start": "starts_on", "expires": "expires_on", "expiry": "expires_on",
    "form": "forms", "kind": "kinds", "erasmus_code": "erasmus_codes",
}
LIST_SEP = ";"
INDEFINITE = "indefinite"
#: Rows per bulk INSERT.
BATCH = 2000

_STATES: dict[str, State] = {s.value: s for s in State}
_COLUMN_ORDER = {name: i for i, name in enumerate(IMPORT_COLUMNS)}
_REF = re.compile(r"^AGR-(\d{4})-(\d{4,8})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TRUE = {"true", "yes", "y", "1", "x"}
_FALSE = {"false", "no", "n", "0", ""}

#: States in which every party has signed.
SIGNED_STATES = frozenset({State.SIGNED, State.ACTIVE, State.RENEWAL_DUE, State.EXPIRED,
                           State.SUPERSEDED, State.TERMINATED})
#: States before any signature.
UNSIGNED_STATES = frozenset({State.DRAFT, State.IN_REVIEW, State.APPROVED})
#: States that needed a complete draft to get there (the `submit` guard).
COMPLETE_STATES = frozenset(State) - {State.DRAFT, State.WITHDRAWN}
#: States in which the agreement has been in force.
STARTED_STATES = frozenset({State.ACTIVE, State.RENEWAL_DUE, State.EXPIRED, State.SUPERSEDED})
#: What an import may still change once an agreement has left draft.
DESCRIPTIVE_FIELDS = ("title", "type", "department", "owner", "forms", "notes")

Progress = Callable[[int], None]


# --- errors ---------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1 (JSON: position from 1)
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.message}"


class ImportRejected(Invalid):
    """Some rows are invalid; nothing was written. `errors` lists every one."""

    def __init__(self, source: str, errors: Iterable[RowError]) -> None:
        self.source = source
        # In file order: by row, then by column as the columns are listed.
        self.errors = sorted(set(errors), key=lambda e: (e.row, _COLUMN_ORDER.get(e.column, 99),
                                                          e.column, e.message))
        rows = len({e.row for e in self.errors})
        super().__init__(
            f"{source}: {len(self.errors)} error{'s' if len(self.errors) != 1 else ''} in "
            f"{rows} row{'s' if rows != 1 else ''}; nothing was imported"
        )


# --- 1. decoding ----------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One raw row: cell values keyed by canonical column name."""

    number: int
    values: Mapping[str, Any]
    #: The columns this row has, when rows differ (JSON objects may leave keys out).
    columns: frozenset[str] | None = None


@dataclass(frozen=True)
class Sheet:
    columns: frozenset[str]
    records: list[Record]


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


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


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


# --- 2. parsing (pure) ----------------------------------------------------------------


@dataclass(frozen=True)
class PartyRow:
    name: str
    key: str
    country: str | None = None
    kind: str | None = None
    erasmus_code: str | None = None
    signed_on: date | None = None


@dataclass(frozen=True)
class Row:
    number: int
    columns: frozenset[str]  # the columns the file has: only these change a stored agreement
    ref: str | None
    title: str
    type: str
    state: State
    parties: tuple[PartyRow, ...]
    department: str | None = None
    owner: str | None = None
    starts_on: date | None = None
    expires_on: date | None = None
    indefinite: bool = False
    term: int = 1
    auto_renew: bool = False
    renewal_months: int | None = None
    notice_days: int | None = None
    forms: tuple[str, ...] = ()
    renews: str | None = None
    created_on: date = date.min
    notice_given_on: date | None = None
    ends_on: date | None = None
    notes: str | None = None


class _Cells:
    """Reads typed values out of one record, collecting errors by column.

    Blank cells (None, empty or spaces) are dropped up front, so every reader
    starts from "absent or a real value" (the hot path of a 50k-row import).
    """

    __slots__ = ("values", "number", "today", "errors")

    def __init__(self, record: Record, today: date) -> None:
        values = {}
        for key, value in record.values.items():
            if type(value) is str:
                value = value.strip()
                if value:
                    values[key] = value
            elif value is not None:
                values[key] = value
        self.values: dict[str, Any] = values
        self.number = record.number
        self.today = today
        self.errors: list[RowError] = []

    def error(self, column: str, message: str) -> None:
        self.errors.append(RowError(self.number, column, message))

    def given(self, column: str) -> bool:
        return column in self.values

    def text(self, column: str, *, multiline: bool = False) -> str | None:
        """The cell as text, its spacing collapsed -- or, `multiline`, kept as written
        (only the ends trimmed, line breaks normalised): notes keep their paragraphs."""
        value = self.values.get(column)
        if value is None:
            return None
        if type(value) is not str:
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, list | dict):
                self.error(column, "expected one value, not a list")
                return None
            value = str(value)
        if multiline:
            return value.replace("\r\n", "\n").replace("\r", "\n").strip() or None
        return " ".join(value.split()) if "  " in value or "\n" in value or "\t" in value else value

    def day(self, column: str, value: Any = None, *, past: bool = False) -> date | None:
        if value is None:
            value = self.values.get(column)
            if value is None:
                return None
        day = _as_date(value)
        if day is None and not _blank(value):
            self.error(column, f"{value!r} is not a date (YYYY-MM-DD)")
        if day is not None and (why := out_of_range(day)):
            self.error(column, why)
            return None
        if day is not None and past and day > self.today:
            self.error(column, f"{day.isoformat()} is in the future")
        return day

    def integer(self, column: str, minimum: int, maximum: int | None = None) -> int | None:
        value = self.values.get(column)
        if value is None:
            return None
        if type(value) is int:
            number = value
        else:
            try:
                if isinstance(value, bool):
                    raise ValueError
                as_float = float(value)
                if not as_float.is_integer():
                    raise ValueError
                number = int(as_float)
            except (TypeError, ValueError):
                self.error(column, f"{value!r} is not a whole number")
                return None
        if number < minimum:
            self.error(column, f"must be {minimum} or more")
            return None
        if maximum is not None and number > maximum:
            self.error(column, f"must be {maximum} or less")
            return None
        return number

    def flag(self, column: str) -> bool:
        value = self.values.get(column)
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, float) and not math.isfinite(value):
            self.error(column, f"{value!r} is not true or false")
            return False
        if isinstance(value, int | float):
            value = str(int(value))
        text = str(value).lower()
        if text in _TRUE:
            return True
        if text not in _FALSE:
            self.error(column, f"{value!r} is not true or false")
        return False

    def items(self, column: str) -> list[Any]:
        """A `;`-separated cell (or a JSON list); an empty cell is an empty list."""
        value = self.values.get(column)
        if value is None:
            return []
        if type(value) is str:
            return [v.strip() or None for v in value.split(LIST_SEP)]
        if isinstance(value, list):
            if any(isinstance(v, dict | list) for v in value):
                self.error(column, "list items must be plain values, not objects or lists")
                return []
            return [None if _blank(v) else v for v in value]
        if isinstance(value, dict):
            self.error(column, "expected a value or a list, not an object")
            return []
        return [value]

    def aligned(self, column: str, count: int) -> list[Any]:
        items = self.items(column)
        if not items or all(v is None for v in items):
            return [None] * count
        if len(items) != count:
            self.error(column, f"{len(items)} values for {count} partners (separate them with "
                               f"'{LIST_SEP}', in the order of the partners)")
            return [None] * count
        return items


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


@lru_cache(maxsize=512)
def _country(code: str) -> str | None:
    return valid_country(code)


def _form(value: str) -> str | None:
    norm = " ".join(value.replace("_", " ").replace("-", " ").split()).lower()
    return norm if norm in FORMS else None


def parse_record(record: Record, columns: frozenset[str], today: date) -> tuple[Row, list[RowError]]:
    """Turn one raw record into a `Row` and the errors found in it.

    The row is built even when there are errors (from the values that could be
    read), so that planning can still report what else is wrong with it.
    """
    c = _Cells(record, today)

    ref = _reference(c, "ref", "(leave it empty to get one)")
    title = c.text("title") or ""
    if not title:
        c.error("title", "required")
    elif len(title) > 500:
        c.error("title", "longer than 500 characters")
    type_ = (c.text("type") or "").lower().replace(" ", "_")
    if not type_:
        c.error("type", "required: one of " + ", ".join(TYPES))
    elif type_ not in TYPES:
        c.error("type", f"{type_!r} is not one of " + ", ".join(TYPES))
    state_text = (c.text("state") or State.DRAFT.value).lower().replace(" ", "_")
    state = _STATES.get(state_text, State.DRAFT)
    if state_text not in _STATES:
        c.error("state", f"{state_text!r} is not one of " + ", ".join(_STATES))

    parties = _parse_parties(c)

    department = c.text("department")
    owner = c.text("owner")
    if owner is not None:
        owner = owner.lower()
        if not _EMAIL.match(owner):
            c.error("owner", f"{owner!r} is not an email address")
    starts_on = c.day("starts_on")
    expires_text = c.text("expires_on")
    indefinite = expires_text is not None and expires_text.lower() == INDEFINITE
    expires_on = None if indefinite else c.day("expires_on")
    months = c.integer("months", 1, MAX_MONTHS)
    if months is not None:
        if expires_text is not None:
            c.error("months", "give expires_on or months, not both")
        elif starts_on is None:
            c.error("months", "needs starts_on")
        else:
            expires_on = dates.term_end(starts_on, months)
    if starts_on and expires_on and expires_on < starts_on:
        c.error("expires_on", f"{expires_on.isoformat()} is before starts_on {starts_on.isoformat()}")
    term = c.integer("term", 1) or 1
    auto_renew = c.flag("auto_renew")
    renewal_months = c.integer("renewal_months", 1, MAX_MONTHS)
    notice_days = c.integer("notice_days", 0, MAX_NOTICE_DAYS)
    if auto_renew and renewal_months is None:
        c.error("renewal_months", "auto_renew needs renewal_months")
    if auto_renew and indefinite:
        c.error("auto_renew", "an indefinite agreement cannot renew automatically")
    forms: list[str] = []
    for item in c.items("forms"):
        if item is None:
            continue
        form = _form(str(item))
        if form is None:
            c.error("forms", f"{item!r} is not one of " + ", ".join(FORMS))
        elif form not in forms:
            forms.append(form)
    renews = _reference(c, "renews")
    if renews is not None and renews == ref:
        c.error("renews", "an agreement cannot renew itself")
    notice_given_on = c.day("notice_given_on", past=True)
    ends_on = c.day("ends_on")
    notes = c.text("notes", multiline=True)
    created_on = c.day("created_on", past=True)
    if created_on is None and "created_on" in columns:
        # A blank cell means "not known", not "today": a stored agreement keeps its date
        # (else the same file would read differently tomorrow).
        columns = columns - {"created_on"}

    row = Row(
        number=record.number, columns=columns, ref=ref, title=title, type=type_, state=state,
        parties=tuple(parties), department=department, owner=owner, starts_on=starts_on,
        expires_on=expires_on, indefinite=indefinite, term=term, auto_renew=auto_renew,
        renewal_months=renewal_months, notice_days=notice_days, forms=tuple(forms),
        renews=renews, notice_given_on=notice_given_on, ends_on=ends_on, notes=notes,
        created_on=created_on or default_created_on(parties, starts_on, today),
    )
    _check_state(c, row)
    return row, c.errors


def _reference(c: _Cells, column: str, hint: str = "") -> str | None:
    """An `AGR-YYYY-NNNN` reference in its canonical spelling (AGR-2024-00001 is AGR-2024-0001)."""
    text = c.text(column)
    if text is None:
        return None
    m = _REF.match(text.upper())
    if m is None or int(m[2]) == 0:
        c.error(column, f"{text!r} is not a reference like AGR-2024-0001 {hint}".rstrip())
        return text.upper()
    return f"AGR-{m[1]}-{int(m[2]):04d}"


def _parse_parties(c: _Cells) -> list[PartyRow]:
    names = c.items("partners")
    if any(n is None for n in names):
        c.error("partners", f"an empty name between '{LIST_SEP}'")
    clean = [" ".join(str(n).split()) for n in names if n is not None]
    if not c.given("partners"):
        c.error("partners", "required")
    elif len(clean) < 2:
        c.error("partners", f"an agreement needs at least two parties, separated by '{LIST_SEP}'")
    keys = [normalize_name(n) for n in clean]
    for name, count in Counter(keys).items():
        if count > 1:
            c.error("partners", f"{name!r} is listed twice")
    countries = c.aligned("countries", len(clean))
    signed = c.aligned("signed_on", len(clean))
    kinds = c.aligned("kinds", len(clean))
    codes = c.aligned("erasmus_codes", len(clean))
    parties = []
    for i, name in enumerate(clean):
        country = None
        if countries[i] is not None:
            try:
                country = _country(str(countries[i]))
            except Invalid as exc:
                c.error("countries", f"{name}: {exc}")
        kind = None
        if kinds[i] is not None:
            kind = str(kinds[i]).strip().lower()
            if kind not in KINDS:
                c.error("kinds", f"{name}: {kind!r} is not one of " + ", ".join(KINDS))
        code = " ".join(str(codes[i]).split()) if codes[i] is not None else None
        signed_on = c.day("signed_on", signed[i], past=True) if signed[i] is not None else None
        parties.append(PartyRow(name, keys[i], country, kind, code, signed_on))
    return parties


def default_created_on(parties: Iterable[PartyRow], starts_on: date | None, today: date) -> date:
    """The earliest date the row shows (a signature or the start), else today."""
    known = [p.signed_on for p in parties if p.signed_on]
    if starts_on is not None:
        known.append(starts_on)
    return min([d for d in known if d <= today], default=today)


def _check_state(c: _Cells, row: Row) -> None:
    """What the row's state says must be true of its data (SPEC §3)."""
    state = row.state
    if state in COMPLETE_STATES:
        missing = [col for col, ok in (("owner", row.owner), ("starts_on", row.starts_on),
                                       ("expires_on", row.expires_on or row.indefinite)) if not ok]
        for col in missing:
            if not c.given(col) and not (col == "expires_on" and c.given("months")):
                c.error(col, f"required for state {state.value} (an agreement is complete "
                             "before review)")
    unsigned = [p.name for p in row.parties if p.signed_on is None]
    if state in SIGNED_STATES and unsigned:
        c.error("signed_on", f"state {state.value} needs a signature date for every party; "
                             f"missing for {', '.join(unsigned)}")
    if state is State.AWAITING_SIGNATURES and row.parties and not unsigned:
        c.error("state", "every party has signed: the state is signed (or later)")
    if state in UNSIGNED_STATES and len(unsigned) < len(row.parties):
        c.error("signed_on", f"state {state.value} comes before any signature")
    if state in (State.ACTIVE, State.RENEWAL_DUE) and row.starts_on and row.starts_on > c.today:
        c.error("starts_on", f"state {state.value} but it starts on {row.starts_on.isoformat()}"
                             " (a signed agreement that has not started is 'signed')")
    if state is State.RENEWAL_DUE and row.expires_on is None:
        c.error("expires_on", "state renewal_due needs an expiry date")
    if state is State.EXPIRED and not (row.expires_on and row.expires_on < c.today):
        c.error("expires_on", "state expired needs an expiry date before today")
    if row.ends_on is not None and row.notice_given_on is None:
        c.error("ends_on", "is set by notice: give notice_given_on too")
    if row.notice_given_on is not None:
        if state not in (State.ACTIVE, State.RENEWAL_DUE, State.EXPIRED, State.TERMINATED,
                         State.SUPERSEDED):
            c.error("notice_given_on", f"notice is given on an agreement in force, not {state.value}")
        end = row.ends_on or row.expires_on
        if end is None:
            c.error("ends_on", "notice needs the last day in force (ends_on or expires_on)")
        elif row.expires_on is not None and end > row.expires_on:
            c.error("ends_on", f"{end.isoformat()} is after expires_on {row.expires_on.isoformat()}")
        elif end < row.notice_given_on:
            c.error("ends_on", f"{end.isoformat()} is before notice_given_on")


def event_on(row: Row, today: date, window_days: int) -> date:
    """Business date of the `import` event: the latest the row's state implies, ≤ today.

    The tick dates an automatic event no earlier than the previous event, so this
    must not be the import day: an agreement that expired last week is dated then.
    """
    known = [row.created_on] + [p.signed_on for p in row.parties if p.signed_on]
    state = row.state
    if state in STARTED_STATES and row.starts_on is not None:
        known.append(row.starts_on)
    if state is State.RENEWAL_DUE and row.expires_on is not None:
        known.append(dates.renewal_opens_on(row.expires_on, window_days))
    if state is State.EXPIRED and row.expires_on is not None:
        known.append((row.ends_on or row.expires_on) + dates.ONE_DAY)
    if row.notice_given_on is not None:
        known.append(row.notice_given_on)
    if state is State.TERMINATED and row.ends_on is not None:
        known.append(row.ends_on + dates.ONE_DAY)
    return min(max(known), today)


def parse_sheet(sheet: Sheet, today: date, progress: Progress | None = None) -> tuple[list[Row], list[RowError]]:
    rows: list[Row] = []
    errors: list[RowError] = []
    for i, rec in enumerate(sheet.records, start=1):
        row, errs = parse_record(rec, rec.columns or sheet.columns, today)
        errors += errs
        rows.append(row)
        if progress and i % BATCH == 0:
            progress(BATCH)
    if progress:
        progress(len(sheet.records) % BATCH)
    return rows, errors


# --- 3. planning against a snapshot (pure) -------------------------------------------


@dataclass
class Org:
    """A partner as the plan sees it; `id` None: created by this import."""

    id: int | None
    name: str
    key: str
    country: str | None
    kind: str
    erasmus_code: str | None


@dataclass(frozen=True)
class Stored:
    """A stored agreement, in the shape rows are compared in."""

    id: int
    ref: str
    state: str
    renews_id: int | None
    fields: dict[str, Any]


@dataclass
class Snapshot:
    orgs_by_key: dict[str, Org] = field(default_factory=dict)
    orgs_by_code: dict[str, Org] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    by_ref: dict[str, Stored] = field(default_factory=dict)
    by_identity: dict[tuple[Any, ...], list[Stored]] = field(default_factory=dict)
    max_seq: dict[int, int] = field(default_factory=dict)


@dataclass
class Action:
    kind: Literal["create", "update", "skip"]
    row: Row
    ref: str
    orgs: list[Org]
    stored: Stored | None = None
    changes: tuple[str, ...] = ()


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)
    new_orgs: list[Org] = field(default_factory=list)
    org_updates: dict[int, dict[str, str]] = field(default_factory=dict)
    new_users: list[str] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for a in self.actions if a.kind == kind)


def _code_key(code: str) -> str:
    return "".join(code.split()).upper()


def identity(title: str, party_keys: Iterable[str], starts_on: date | None) -> tuple[Any, ...]:
    return (normalize_name(title), tuple(sorted(party_keys)), starts_on)


def comparable(row: Row, orgs: Sequence[Org], renews: str | None) -> dict[str, Any]:
    """A row's fields in the shape a stored agreement is compared in."""
    return {
        "title": row.title, "type": row.type, "state": row.state.value,
        "parties": tuple(o.key for o in orgs),
        "signed_on": tuple(p.signed_on for p in row.parties),
        "department": row.department, "owner": row.owner, "starts_on": row.starts_on,
        "expires_on": (row.expires_on, row.indefinite), "term": row.term,
        "auto_renew": row.auto_renew, "renewal_months": row.renewal_months,
        "notice_days": row.notice_days, "forms": row.forms, "renews": renews,
        "created_on": row.created_on, "notice_given_on": row.notice_given_on,
        "ends_on": row.ends_on, "notes": row.notes,
    }


#: Compared field -> the column that carries it (a field is compared only if the file has it).
FIELD_COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("title",), "type": ("type",), "state": ("state",), "parties": ("partners",),
    "signed_on": ("signed_on",), "department": ("department",), "owner": ("owner",),
    "starts_on": ("starts_on",), "expires_on": ("expires_on", "months"), "term": ("term",),
    "auto_renew": ("auto_renew",), "renewal_months": ("renewal_months",),
    "notice_days": ("notice_days",), "forms": ("forms",), "renews": ("renews",),
    "created_on": ("created_on",), "notice_given_on": ("notice_given_on",),
    "ends_on": ("ends_on",), "notes": ("notes",),
}


def _column_of(name: str) -> str:
    return FIELD_COLUMNS[name][0]


def changed_fields(row: Row, new: Mapping[str, Any], stored: Mapping[str, Any]) -> tuple[str, ...]:
    out = []
    for name, cols in FIELD_COLUMNS.items():
        if not any(col in row.columns for col in cols):
            continue
        if name == "signed_on" and new["parties"] != stored["parties"]:
            continue  # a different party list is reported as such
        if new[name] != stored[name]:
            out.append(name)
    return tuple(out)


def plan(rows: Sequence[Row], snap: Snapshot) -> tuple[Plan, list[RowError]]:
    """Decide create / update / skip for each row; list the errors the database reveals."""
    p = Plan()
    errors: list[RowError] = []
    by_key = dict(snap.orgs_by_key)
    by_code = dict(snap.orgs_by_code)
    new_users: set[str] = set()
    seen_refs: dict[str, int] = {}
    seen_ids: dict[tuple[Any, ...], int] = {}
    claimed: dict[str, int] = {}  # stored ref -> the row that changes it

    for row in rows:
        def err(column: str, message: str, _n: int = row.number) -> None:
            errors.append(RowError(_n, column, message))

        orgs = [_resolve_party(party, by_key, by_code, p, err) for party in row.parties]
        if row.owner and row.owner not in snap.users and row.owner not in new_users:
            new_users.add(row.owner)
            p.new_users.append(row.owner)
        ident = identity(row.title, (o.key for o in orgs), row.starts_on)
        stored: Stored | None = None
        if row.ref:
            if row.ref in seen_refs:
                err("ref", f"{row.ref} is also in row {seen_refs[row.ref]}")
            seen_refs[row.ref] = row.number
            stored = snap.by_ref.get(row.ref)
        if row.ref is None and ident in seen_ids:  # rows with refs say which they are
            err("title", f"the same agreement (title, partners, starts_on) as row {seen_ids[ident]}")
        seen_ids.setdefault(ident, row.number)
        if row.ref is None:
            matches = snap.by_identity.get(ident, [])
            if len(matches) > 1:
                err("ref", "matches agreements " + ", ".join(m.ref for m in matches)
                           + " (same title, partners and start); give the ref")
            elif matches:
                stored = matches[0]
        if stored is None:
            p.actions.append(Action("create", row, row.ref or "", orgs))
            continue
        if stored.ref in claimed:
            err("ref" if row.ref else "title",
                f"{stored.ref} is also changed by row {claimed[stored.ref]}")
        claimed.setdefault(stored.ref, row.number)
        new = comparable(row, orgs, row.renews)
        changes = changed_fields(row, new, stored.fields)
        if not changes:
            p.actions.append(Action("skip", row, stored.ref, orgs, stored))
            continue
        if "state" in changes:
            err("state", f"{stored.ref} is {stored.state}; an import does not move agreements "
                         f"through the lifecycle (use `hamkor agreement advance`)")
        elif stored.state != State.DRAFT.value:
            if "owner" in changes and row.owner is None and State(stored.state) in COMPLETE_STATES:
                # Checked against the stored state: a file without a state column reads
                # as draft, where an owner is optional.
                err("owner", f"{stored.ref} is {stored.state}: it keeps an owner (reminders go "
                             "to the owner)")
            for name in changes:
                if name not in DESCRIPTIVE_FIELDS:
                    err(_column_of(name), f"{stored.ref} is {stored.state}: after draft an import "
                        f"changes only {', '.join(DESCRIPTIVE_FIELDS)} (stored: "
                        f"{_show(stored.fields[name])}, file: {_show(new[name])})")
        p.actions.append(Action("update", row, stored.ref, orgs, stored, changes))

    _allocate_refs(p, snap)
    _check_successors(p, snap, errors)
    return p, errors


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        if len(value) == 2 and isinstance(value[1], bool):  # (expires_on, indefinite)
            return INDEFINITE if value[1] else _show(value[0])
        return LIST_SEP.join(_show(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return "empty" if value is None or value == "" else str(value)


def _resolve_party(party: PartyRow, by_key: dict[str, Org], by_code: dict[str, Org], p: Plan,
                   err: Callable[[str, str], None]) -> Org:
    by_name = by_key.get(party.key)
    org = by_name
    if party.erasmus_code:
        coded = by_code.get(_code_key(party.erasmus_code))
        if coded is not None and by_name is not None and coded is not by_name:
            err("erasmus_codes", f"{party.erasmus_code} is the code of {coded.name}, not of {party.name}")
        org = coded or by_name
        if org is not None and org.erasmus_code and _code_key(org.erasmus_code) != _code_key(party.erasmus_code):
            err("erasmus_codes", f"{org.name} has Erasmus code {org.erasmus_code}, not {party.erasmus_code}")
    if org is None:
        org = Org(None, party.name, party.key, party.country, party.kind or "university", party.erasmus_code)
        by_key[party.key] = org
        if party.erasmus_code:
            by_code[_code_key(party.erasmus_code)] = org
        p.new_orgs.append(org)
        return org
    if party.country:
        if org.country and org.country != party.country:
            err("countries", f"{org.name} is in {org.country}, not {party.country}")
        elif not org.country:
            org.country = party.country
            if org.id is not None:
                p.org_updates.setdefault(org.id, {})["country"] = party.country
    if party.erasmus_code and not org.erasmus_code:
        org.erasmus_code = party.erasmus_code
        by_code[_code_key(party.erasmus_code)] = org
        if org.id is not None:
            p.org_updates.setdefault(org.id, {})["erasmus_code"] = party.erasmus_code
    return org


def _allocate_refs(p: Plan, snap: Snapshot) -> None:
    """New agreements keep a given ref; the others get the next free one of their year."""
    top = dict(snap.max_seq)
    for a in p.actions:
        m = _REF.match(a.ref) if a.kind == "create" and a.ref else None
        if m:
            year, seq = int(m[1]), int(m[2])
            top[year] = max(top.get(year, 0), seq)
    for a in p.actions:
        if a.kind == "create" and not a.ref:
            year = a.row.created_on.year
            top[year] = top.get(year, 0) + 1
            a.ref = f"AGR-{year}-{top[year]:04d}"


def _check_successors(p: Plan, snap: Snapshot, errors: list[RowError]) -> None:
    """`renews` names a known agreement; at most one live successor each; no two in force."""
    final: dict[str, str] = {ref: s.state for ref, s in snap.by_ref.items()}
    renews_of: dict[str, str | None] = {}
    id_to_ref = {s.id: ref for ref, s in snap.by_ref.items()}
    for ref, s in snap.by_ref.items():
        renews_of[ref] = id_to_ref.get(s.renews_id) if s.renews_id else None
    for a in p.actions:
        if "state" in a.row.columns or a.kind == "create":
            final[a.ref] = a.row.state.value
        if "renews" in a.row.columns or a.kind == "create":
            renews_of[a.ref] = a.row.renews
    live: dict[str, list[str]] = {}
    for ref, pred in renews_of.items():
        if pred and final.get(ref) not in DEAD_STATES:
            live.setdefault(pred, []).append(ref)
    for a in p.actions:
        pred = a.row.renews
        if pred is None:
            continue
        if pred not in final:
            errors.append(RowError(a.row.number, "renews", f"no agreement {pred} in the database "
                                   "or in the file (give that row its ref)"))
            continue
        others = [r for r in live.get(pred, []) if r != a.ref]
        if others and final.get(a.ref) not in DEAD_STATES:
            errors.append(RowError(a.row.number, "renews", f"{pred} already has the live successor "
                                   f"{', '.join(others)}"))
        if State(final[a.ref]) in IN_FORCE and State(final[pred]) in IN_FORCE:
            errors.append(RowError(a.row.number, "renews", f"{pred} is still {final[pred]}: two "
                                   "agreements in force (import the successor as signed, or end "
                                   f"{pred} first)"))


# --- 4. applying ----------------------------------------------------------------------


@dataclass
class ImportReport:
    source: str
    dry_run: bool
    rows: int
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    partners_created: list[str] = field(default_factory=list)
    users_created: list[str] = field(default_factory=list)
    #: (row number, action, ref, title, changed fields) per row, in file order.
    actions: list[tuple[int, str, str, str, tuple[str, ...]]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "dry_run": self.dry_run, "rows": self.rows,
            "created": self.created, "updated": self.updated, "skipped": self.skipped,
            "partners_created": self.partners_created, "users_created": self.users_created,
            "actions": [{"row": n, "action": k, "ref": r, "title": t, "changes": list(c)}
                        for n, k, r, t, c in self.actions],
        }


def import_sheet(uow: UnitOfWork, clock: Clock, office: Office, sheet: Sheet, *, source: str,
                 by: str | None = None, dry_run: bool = False,
                 progress: Progress | None = None) -> ImportReport:
    """Import every row of `sheet` or none. Raises `ImportRejected` listing all errors.

    `progress` is called with a number of rows done, twice per row in all
    (checking, then writing).
    """
    today = clock.today
    rows, errors = parse_sheet(sheet, today, progress)
    with uow:
        s = uow.session
        who = actor(s, by) if by else None
        if who is not None:
            require_role(who, Role.OFFICER, "import agreements")
        snap = load_snapshot(s)
        the_plan, more = plan(rows, snap)
        # A cell already reported as unreadable is not reported again by planning.
        bad = {(e.row, e.column) for e in errors}
        errors += [e for e in more if (e.row, e.column) not in bad]
        if errors:
            raise ImportRejected(source, errors)
        report = ImportReport(source, dry_run, len(sheet.records))
        for a in the_plan.actions:
            getattr(report, {"create": "created", "update": "updated", "skip": "skipped"}[a.kind]).append(a.ref)
            report.actions.append((a.row.number, a.kind, a.ref, a.row.title, a.changes))
        report.partners_created = [o.name for o in the_plan.new_orgs]
        report.users_created = list(the_plan.new_users)
        if dry_run:
            if progress:
                progress(len(sheet.records))
            return report
        _apply(s, the_plan, clock, office, who.email if who else SYSTEM_ACTOR, source, progress)
        uow.commit()
        return report


def load_snapshot(s: Session) -> Snapshot:
    """What planning needs from the database, in a few queries (no per-row lookups)."""
    snap = Snapshot()
    for o in s.execute(select(Organization.id, Organization.name, Organization.name_key,
                              Organization.country, Organization.kind, Organization.erasmus_code)):
        org = Org(o.id, o.name, o.name_key, o.country, o.kind, o.erasmus_code)
        snap.orgs_by_key[o.name_key] = org
        if o.erasmus_code:
            snap.orgs_by_code.setdefault(_code_key(o.erasmus_code), org)
    snap.users = {email: uid for uid, email in s.execute(select(User.id, User.email))}
    key_of = {o.id: o.key for o in snap.orgs_by_key.values()}
    parties: dict[int, list[tuple[str, date | None]]] = {}
    for agreement_id, org_id, signed_on in s.execute(
        select(AgreementParty.agreement_id, AgreementParty.organization_id, AgreementParty.signed_on)
        .order_by(AgreementParty.agreement_id, AgreementParty.position)
    ):
        parties.setdefault(agreement_id, []).append((key_of[org_id], signed_on))
    pred = aliased(Agreement)
    cols = Agreement.__table__.c
    core = (select(cols.id, cols.ref, cols.ref_year, cols.ref_seq, cols.title, cols.type, cols.state,
                   cols.department, cols.starts_on, cols.expires_on, cols.indefinite, cols.term,
                   cols.auto_renew, cols.renewal_months, cols.notice_days, cols.forms,
                   cols.created_on, cols.notice_given_on, cols.ends_on, cols.notes, cols.renews_id,
                   User.email, pred.ref.label("renews_ref"))
            .select_from(Agreement.__table__)
            .outerjoin(User, User.id == cols.owner_id)
            .outerjoin(pred, pred.id == cols.renews_id))
    for r in s.execute(core):
        ps = parties.get(r.id, [])
        fields = {
            "title": r.title, "type": r.type, "state": r.state,
            "parties": tuple(k for k, _ in ps), "signed_on": tuple(d for _, d in ps),
            "department": r.department, "owner": r.email, "starts_on": r.starts_on,
            "expires_on": (r.expires_on, bool(r.indefinite)), "term": r.term,
            "auto_renew": bool(r.auto_renew), "renewal_months": r.renewal_months,
            "notice_days": r.notice_days, "forms": tuple(r.forms or ()), "renews": r.renews_ref,
            "created_on": r.created_on, "notice_given_on": r.notice_given_on,
            "ends_on": r.ends_on, "notes": r.notes,
        }
        stored = Stored(r.id, r.ref, r.state, r.renews_id, fields)
        snap.by_ref[r.ref] = stored
        snap.by_identity.setdefault(identity(r.title, fields["parties"], r.starts_on), []).append(stored)
        snap.max_seq[r.ref_year] = max(snap.max_seq.get(r.ref_year, 0), r.ref_seq)
    return snap


def _apply(s: Session, p: Plan, clock: Clock, office: Office, who: str, source: str,
           progress: Progress | None) -> None:
    now = clock.utcnow
    today = clock.today
    if p.new_users:
        # An owner who is not a user yet gets a read-only account, so reminders reach them.
        s.execute(insert(User), [{"email": e, "name": e.split("@")[0], "role": Role.VIEWER.label,
                                  "active": True, "created_at": now} for e in p.new_users])
    users = {email: uid for uid, email in s.execute(select(User.id, User.email))}
    for i in range(0, len(p.new_orgs), BATCH):
        orgs = p.new_orgs[i:i + BATCH]
        result = s.execute(insert(Organization).returning(Organization.id, Organization.name_key), [
            {"name": o.name, "name_key": o.key, "country": o.country, "kind": o.kind,
             "erasmus_code": o.erasmus_code, "created_on": today, "created_at": now}
            for o in orgs])
        org_ids = {key: oid for oid, key in result}
        for o in orgs:
            o.id = org_ids[o.key]
    for org_id, org_values in p.org_updates.items():
        s.execute(update(Organization).where(Organization.id == org_id).values(**org_values))

    creates = [a for a in p.actions if a.kind == "create"]
    ids_by_ref: dict[str, int] = {}
    window = office.policy.window_days
    for i in range(0, len(creates), BATCH):
        chunk = creates[i:i + BATCH]
        on = {a.ref: event_on(a.row, today, window) for a in chunk}
        # Core executemany: the ORM's bulk INSERT .. RETURNING goes row by row here.
        bulk_insert(s, Agreement, [_agreement_values(a, users, on[a.ref], now, office)
                                   for a in chunk])
        refs = [a.ref for a in chunk]
        ids_by_ref.update({ref: aid for aid, ref in s.execute(
            select(Agreement.id, Agreement.ref).where(Agreement.ref.in_(refs)))})
        bulk_insert(s, AgreementParty, [
            {"agreement_id": ids_by_ref[a.ref], "organization_id": org.id, "position": j,
             "signed_on": party.signed_on}
            for a in chunk for j, (org, party) in enumerate(zip(a.orgs, a.row.parties, strict=True))])
        bulk_insert(s, Event, [
            {"agreement_id": ids_by_ref[a.ref], "event": "import", "from_state": None,
             "to_state": a.row.state.value, "actor": who, "occurred_on": on[a.ref],
             "recorded_at": now, "note": _import_note(a, source), "party": None,
             "term": a.row.term}
            for a in chunk])
        if progress:
            progress(len(chunk))

    all_ids = {ref: st.id for ref, st in _stored_refs(p).items()} | ids_by_ref
    links = [{"b_id": ids_by_ref[a.ref], "b_renews": _ref_id(s, a.row.renews, all_ids)}
             for a in creates if a.row.renews]
    if links:
        table = _table(Agreement)
        s.execute(update(table).where(table.c.id == bindparam("b_id"))
                  .values(renews_id=bindparam("b_renews")), links)

    done = 0  # updates and skips: the bar moves as updates are written, not only at the end
    for a in p.actions:
        if a.kind == "update":
            _update(s, a, users, clock, who, source, all_ids)
        if a.kind != "create":
            done += 1
            if progress and done % BATCH == 0:
                progress(BATCH)
    if progress:
        progress(done % BATCH)

    _after_successors(s, p, creates, ids_by_ref, all_ids, clock, office)
    s.flush()


def bulk_insert(s: Session, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """INSERT many rows with one driver-level executemany.

    SQLAlchemy's executemany spends ~20 µs per row binding parameters; for a
    50k-row import that is most of the time. Here each column's bind processor
    (from the dialect, as SQLAlchemy itself uses) runs once per value and the
    statement is compiled once. Every row must give the same keys.
    """
    if not rows:
        return
    table = _table(model)
    keys = list(rows[0])
    conn = s.connection()
    dialect = conn.dialect
    compiled = table.insert().compile(dialect=dialect, column_keys=keys)
    procs = {k: table.c[k].type.dialect_impl(dialect).bind_processor(dialect) for k in keys}
    order = [compiled.binds[name].key for name in compiled.positiontup or ()] or keys

    def convert(row: dict[str, Any]) -> dict[str, Any]:
        return {k: (proc(row[k]) if proc is not None and row[k] is not None else row[k])
                for k, proc in procs.items()}

    if compiled.positional:
        params: list[Any] = [tuple(c[k] for k in order) for c in map(convert, rows)]
    else:
        params = [convert(r) for r in rows]
    conn.exec_driver_sql(str(compiled), params)


def _table(model: type[Any]) -> SqlTable:
    table = model.__table__
    assert isinstance(table, SqlTable)
    return table


def _stored_refs(p: Plan) -> dict[str, Stored]:
    return {a.ref: a.stored for a in p.actions if a.stored is not None}


def _ref_id(s: Session, ref: str | None, known: dict[str, int]) -> int | None:
    if ref is None:
        return None
    if ref in known:
        return known[ref]
    found = s.scalar(select(Agreement.id).where(Agreement.ref == ref))
    assert found is not None, ref  # planning checked it exists
    known[ref] = found
    return found


def _import_note(a: Action, source: str) -> str:
    signed = [f"{party.name} signed {party.signed_on.isoformat()}"
              for party in a.row.parties if party.signed_on]
    return f"imported from {source} row {a.row.number}" + (f"; {', '.join(signed)}" if signed else "")


def _agreement_values(a: Action, users: Mapping[str, int], on: date, now: datetime,
                      office: Office) -> dict[str, Any]:
    row = a.row
    m = _REF.match(a.ref)
    assert m is not None
    ends_on = row.ends_on or (row.expires_on if row.notice_given_on else None)
    return {
        "ref": a.ref, "ref_year": int(m[1]), "ref_seq": int(m[2]), "title": row.title,
        "type": row.type, "state": row.state.value, "department": row.department,
        "owner_id": users[row.owner] if row.owner else None, "starts_on": row.starts_on,
        "expires_on": row.expires_on, "indefinite": row.indefinite, "term": row.term,
        "auto_renew": row.auto_renew, "renewal_months": row.renewal_months,
        "notice_days": row.notice_days, "notice_given_on": row.notice_given_on,
        "ends_on": ends_on, "state_since": on, "forms": list(row.forms),
        "notes": row.notes, "renews_id": None, "created_on": row.created_on, "created_at": now,
        "version": 1, "next_due_on": _next_due(row, ends_on, on, office),
    }


def _next_due(row: Row, ends_on: date | None, on: date, office: Office) -> date | None:
    """When the tick next has work: the rule `reschedule` applies, fed from the row instead of
    a loaded agreement (no query per row). Counted from the import event's date, so that a
    reminder already due is caught up by the next tick. A predecessor whose successor is
    signed is rescheduled once both are stored (`_after_successors`)."""
    if row.state in TERMINAL:
        return None
    f = Facts(state=row.state, starts_on=row.starts_on, expires_on=row.expires_on,
              ends_on=ends_on, auto_renew=row.auto_renew, renewal_months=row.renewal_months,
              notice_days=row.notice_days, notice_given_on=row.notice_given_on, term=row.term,
              state_since=on, successor_signed=False, last_event_on=on)
    return next_due_on(f, on - dates.ONE_DAY, office.policy)


def _update(s: Session, a: Action, users: dict[str, int], clock: Clock, who: str, source: str,
            ids: dict[str, int]) -> None:
    assert a.stored is not None
    agreement = s.get(Agreement, a.stored.id)
    assert agreement is not None
    row = a.row
    for name in a.changes:
        if name == "owner":
            agreement.owner_id = users[row.owner] if row.owner else None
        elif name == "forms":
            agreement.forms = list(row.forms)
        elif name == "expires_on":
            agreement.expires_on, agreement.indefinite = row.expires_on, row.indefinite
        elif name == "renews":
            agreement.renews_id = _ref_id(s, row.renews, ids)
        elif name in ("parties", "signed_on"):
            _replace_parties(s, agreement, a)
        else:
            setattr(agreement, name, getattr(row, name))
    s.flush()
    record(s, agreement, "amend", actor=who, on=clock.today, clock=clock,
           from_state=agreement.state, to_state=agreement.state,
           note=f"updated from {source} row {row.number}: {', '.join(a.changes)}")


def _replace_parties(s: Session, agreement: Agreement, a: Action) -> None:
    """Only a draft's parties change (planning refused it otherwise)."""
    wanted = {org.id: (j, party.signed_on) for j, (org, party)
              in enumerate(zip(a.orgs, a.row.parties, strict=True))}
    for p in list(agreement.parties):
        if p.organization_id not in wanted:
            agreement.parties.remove(p)
    s.flush()
    have = {p.organization_id: p for p in agreement.parties}
    for org_id, (pos, signed_on) in wanted.items():
        assert org_id is not None
        party = have.get(org_id)
        if party is None:
            agreement.parties.append(AgreementParty(organization_id=org_id, position=pos,
                                                    signed_on=signed_on))
        else:
            party.position, party.signed_on = pos, signed_on


def _after_successors(s: Session, p: Plan, creates: list[Action], ids_by_ref: dict[str, int],
                      all_ids: dict[str, int], clock: Clock, office: Office) -> None:
    """A signed successor stops its predecessor's reminders (as `sign` does)."""
    signed = (State.SIGNED, State.ACTIVE, State.RENEWAL_DUE)
    for a in creates:
        if a.row.renews is None or a.row.state not in signed:
            continue
        pred = s.get(Agreement, _ref_id(s, a.row.renews, all_ids))
        assert pred is not None
        if pred.state in {st.value for st in TERMINAL}:
            continue
        s.flush()
        if pred.ref not in ids_by_ref:
            cancel_pending(s, pred.id, keep_rules=("expired", "signature"))
            reschedule(s, pred, office.policy, clock.today - timedelta(days=1))
        else:
            last = s.scalar(select(Event.occurred_on).where(Event.agreement_id == pred.id)
                            .order_by(Event.id.desc()).limit(1))
            assert last is not None
            reschedule(s, pred, office.policy, last - dates.ONE_DAY, last_on=last)


# --- export ---------------------------------------------------------------------------


def export_records(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Every agreement as an import row (EXPORT_COLUMNS), oldest reference first."""
    with uow:
        s = uow.session
        refs = {aid: ref for aid, ref in s.execute(select(Agreement.id, Agreement.ref))}
        out = []
        for a in s.scalars(select(Agreement).order_by(Agreement.ref_year, Agreement.ref_seq)):
            orgs = [p.organization for p in a.parties]
            out.append({
                "ref": a.ref, "title": a.title, "type": a.type, "state": a.state,
                "partners": [o.name for o in orgs],
                "countries": [o.country or "" for o in orgs],
                "signed_on": [p.signed_on.isoformat() if p.signed_on else "" for p in a.parties],
                "department": a.department, "owner": a.owner.email if a.owner else None,
                "starts_on": _iso(a.starts_on),
                "expires_on": INDEFINITE if a.indefinite else _iso(a.expires_on),
                "term": a.term, "auto_renew": a.auto_renew, "renewal_months": a.renewal_months,
                "notice_days": a.notice_days, "forms": list(a.forms or []),
                "renews": refs.get(a.renews_id) if a.renews_id else None,
                "kinds": [o.kind for o in orgs],
                "erasmus_codes": [o.erasmus_code or "" for o in orgs],
                "created_on": _iso(a.created_on), "notice_given_on": _iso(a.notice_given_on),
                "ends_on": _iso(a.ends_on) if a.notice_given_on else None, "notes": a.notes,
            })
        return out


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def write_export(path: Path, records: list[dict[str, Any]]) -> None:
    """Write `records` as CSV or JSON (by extension), atomically."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(EXPORT_COLUMNS)
        for r in records:
            writer.writerow([_csv_cell(r["ref"], col, r[col]) for col in EXPORT_COLUMNS])
        text = buf.getvalue()
    elif suffix == ".json":
        text = json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    else:
        raise Invalid(f"{path.name}: export writes .csv or .json files")
    _atomic_write(path, text)


def _csv_cell(ref: str, column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        for item in value:
            if LIST_SEP in str(item):
                raise Invalid(f"{ref}: {column} value {item!r} contains '{LIST_SEP}', the CSV list "
                              "separator; export to .json instead")
        if all(v in ("", None) for v in value):
            return ""
        return LIST_SEP.join(str(v) for v in value)
    return str(value)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export_file(uow: UnitOfWork, path: Path) -> int:
    if path.suffix.lower() not in (".csv", ".json"):
        raise Invalid(f"{path.name}: export writes .csv or .json files")
    records = export_records(uow)
    write_export(path, records)
    return len(records)
