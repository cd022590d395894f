"""The import's columns, the errors it reports, and the raw records it decodes.

Shared by every step of the import (see the package's docstring) and by the export.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field as dc_field
from typing import Any

from workflow import rules
from workflow.errors import Invalid, Problem
from workflow.lifecycle import COMPLETE, SIGNED_OR_LATER, STARTED, UNSIGNED, State

#: The columns README "Import and export" lists, in the order an export writes them.
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
_TRUE = {"true", "yes", "y", "1", "x"}
_FALSE = {"false", "no", "n", "0", ""}

SIGNED_STATES = SIGNED_OR_LATER
UNSIGNED_STATES = UNSIGNED
COMPLETE_STATES = COMPLETE
STARTED_STATES = STARTED
#: What an import may still change once an agreement has left draft.
DESCRIPTIVE_FIELDS = ("title", "type", "department", "owner", "forms", "notes")

Progress = Callable[[int], None]


# --- errors ---------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1 (JSON: position from 1)
    column: str
    message: str
    #: The rule book's refusal behind `message`, when there is one (a page words it in the
    #: reader's language); not part of the error's identity.
    problem: Problem | None = dc_field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.message}"


def row_error(number: int, column: str, code: str, **params: Any) -> RowError:
    """A row's refusal by the rule book (`row.*` in workflow/rules.py), its message
    without the column in front (the row error shows the column already)."""
    p = rules.problem(code, column, **params)
    return RowError(number, column, p.text().removeprefix(f"{column}: "), p)


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


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())

