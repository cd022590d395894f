"""Step 2 of an import, the cells: read typed values out of one raw record (pure).

`_Cells` gives each column's value as text, a date, a whole number, a flag or a
list, collecting every error with its row number and column.
"""

from __future__ import annotations

import math
from datetime import date
from functools import lru_cache
from typing import Any

from workflow import rules
from workflow.errors import Invalid
from workflow.registry import valid_country
from workflow.transfer.columns import (
    _FALSE,
    _REF,
    _TRUE,
    LIST_SEP,
    Record,
    RowError,
    _blank,
    row_error,
)


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

    def rule(self, column: str, code: str, **params: Any) -> None:
        """A row error of the rule book (`row.*` in workflow/rules.py)."""
        self.errors.append(row_error(self.number, column, code, **params))

    def refused(self, column: str, exc: Invalid) -> None:
        """A rule book refusal, its field named by the column (which the row error shows
        already in front: "row 4, starts_on: 'someday' is not a date")."""
        text = exc.problem.text(lambda _: column)
        self.errors.append(RowError(self.number, column, text.removeprefix(column + " "),
                                    exc.problem))

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
                self.rule(column, "row.one_value")
                return None
            value = str(value)
        try:  # control characters, invisible characters, the column's width
            return rules.text(value, column, multiline=multiline, limit=WIDTHS.get(column))
        except Invalid as exc:
            self.refused(column, exc)
            return None

    def day(self, column: str, value: Any = None, *, past: bool = False) -> date | None:
        if value is None:
            value = self.values.get(column)
            if value is None:
                return None
        try:
            day = rules.day(value, column)
        except Invalid as exc:
            self.refused(column, exc)
            return None
        if day is not None and past and day > self.today:
            self.rule(column, "row.future", value=day.isoformat())
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
                self.rule(column, "row.whole", value=value)
                return None
        if number < minimum:
            self.rule(column, "row.min", minimum=minimum)
            return None
        if maximum is not None and number > maximum:
            self.rule(column, "row.max", maximum=maximum)
            return None
        return number

    def flag(self, column: str) -> bool:
        value = self.values.get(column)
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, float) and not math.isfinite(value):
            self.rule(column, "row.flag", value=value)
            return False
        if isinstance(value, int | float):
            value = str(int(value))
        text = str(value).lower()
        if text in _TRUE:
            return True
        if text not in _FALSE:
            self.rule(column, "row.flag", value=value)
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
                self.rule(column, "row.list_items")
                return []
            return [None if _blank(v) else v for v in value]
        if isinstance(value, dict):
            self.rule(column, "row.object")
            return []
        return [value]

    def aligned(self, column: str, count: int) -> list[Any]:
        items = self.items(column)
        if not items or all(v is None for v in items):
            return [None] * count
        if len(items) != count:
            self.rule(column, "row.aligned", count=len(items), partners=count, sep=LIST_SEP)
            return [None] * count
        return items


@lru_cache(maxsize=512)
def _country(code: str) -> str | None:
    return valid_country(code)


def _form(value: str) -> str | None:
    try:
        return rules.form(value)
    except Invalid:
        return None


#: Import columns whose width is the rule book's limit of another field name.
WIDTHS = {"owner": rules.LIMITS["email"], "partners": rules.LIMITS["partner_name"],
          "erasmus_codes": rules.LIMITS["erasmus_code"]}



def _reference(c: _Cells, column: str, new: bool = False) -> str | None:
    """An `AGR-YYYY-NNNN` reference in its canonical spelling (AGR-2024-00001 is AGR-2024-0001)."""
    text = c.text(column)
    if text is None:
        return None
    m = _REF.match(text.upper())
    if m is None or int(m[2]) == 0:
        c.rule(column, "row.reference_new" if new else "row.reference", value=text)
        return text.upper()
    return f"AGR-{m[1]}-{int(m[2]):04d}"


