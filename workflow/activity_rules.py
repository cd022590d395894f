"""Pure rules of cooperation activities: what a valid value is, and academic years.

No database, no clock. Every check raises `FieldInvalid` naming the field, so
the CLI prints `error: --people: ...` and an import lists `row N, people: ...`
from the same message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from models.activities import ACTIVITY_KINDS, DIRECTIONS, MOBILITY_CATEGORIES, PROJECT_ROLES
from workflow import rules
from workflow.dates import EARLIEST, LATEST, out_of_range
from workflow.errors import Invalid, Problem

MonthDay = tuple[int, int]

#: Every field an activity has, in the order an export writes them (and the
#: import columns). `id` identifies a stored activity; `agreement` is its ref.
FIELDS: tuple[str, ...] = (
    "id", "kind", "agreement", "partner", "department", "academic_year", "direction",
    "category", "people", "starts_on", "ends_on", "title", "purpose", "place", "funder",
    "amount", "currency", "role", "year", "doi", "names", "notes",
)
#: The fields each kind takes (besides kind, agreement, partner, department, notes).
KIND_FIELDS: dict[str, frozenset[str]] = {
    "mobility": frozenset({"direction", "category", "people", "starts_on", "ends_on", "names"}),
    "visit": frozenset({"direction", "people", "starts_on", "purpose"}),
    "event": frozenset({"title", "starts_on", "place", "people"}),
    "project": frozenset({"title", "funder", "amount", "currency", "starts_on", "ends_on", "role"}),
    "publication": frozenset({"title", "year", "doi", "academic_year"}),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "mobility": ("direction", "category", "people", "starts_on", "ends_on"),
    "visit": ("direction", "people", "starts_on"),
    "event": ("title", "starts_on"),
    "project": ("title", "starts_on"),
    "publication": ("title", "year"),
}
COMMON = frozenset({"kind", "agreement", "partner", "department", "notes"})
#: Kinds whose `starts_on` is a single day (shown and entered as `date`).
ONE_DAY_KINDS = frozenset({"visit", "event"})
#: Categories counted as students and as staff in the key figures.
STUDENT_CATEGORIES = ("student-studies", "student-traineeship")
STAFF_CATEGORIES = ("staff-teaching", "staff-training")
#: A month of mobility, in days (the Erasmus+ rule: 30 days a month).
DAYS_PER_MONTH = 30
MAX_PEOPLE = 100_000
MAX_NAMES = 500
LIST_SEP = ";"

# Crossref's recommended pattern for modern DOIs, plus the older ones it lists.
_DOI = re.compile(r"^10\.\d{4,9}/[-._;()/:a-z0-9<>\[\]]+$", re.IGNORECASE)
_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/",
                 "http://dx.doi.org/", "doi:")
_YEAR_ID = re.compile(r"^(\d{4})/(\d{4})$")


class FieldInvalid(Invalid):
    """A bad value of one field; `field` is the canonical field (import column) name."""

    field: str

    def __init__(self, field: str, message: str | Problem) -> None:
        # Each door names the field its way (the CLI its option, the web its label).
        if isinstance(message, Problem):  # a rule of the book, `{field}: ` in front
            super().__init__(message)
            self.message = message.text().removeprefix(f"{field}: ")
            self.field = field
            return
        self.message = message
        super().__init__(Problem("invalid", field, "{field}: " + message.replace("{", "{{")
                                 .replace("}", "}}")))


def bad(field: str, code: str, **params: Any) -> FieldInvalid:
    """A refusal of the rule book (workflow/rules.py) about one field of an activity."""
    return FieldInvalid(field, rules.problem(code, field, **params))


# --- academic years -------------------------------------------------------------------


def academic_year_of(day: date, start: MonthDay) -> str:
    """The academic year a day falls in: ``2025/2026`` from its start (``(9, 1)``) on;
    with a year starting on 1 January the calendar year (``2025/2025``)."""
    if start == (1, 1):
        return f"{day.year}/{day.year}"
    first = day.year if (day.month, day.day) >= start else day.year - 1
    return f"{first}/{first + 1}"


def year_label(first: int, start: MonthDay) -> str:
    """The id of the academic year that starts in calendar year `first`."""
    return f"{first}/{first if start == (1, 1) else first + 1}"


def parse_academic_year(value: str, start: MonthDay, *, field: str = "academic_year") -> str:
    """``2025/2026`` (the second year the next one; the same one when the academic year
    starts on 1 January). ``2025/2024`` and the like are refused."""
    m = _YEAR_ID.match(value.strip())
    if m is None:
        raise bad(field, "activity.year_id", value=value)
    first, second = int(m[1]), int(m[2])
    expected = first if start == (1, 1) else first + 1
    if second != expected:
        raise bad(field, "activity.year_next", value=value, first=first,
                  next=year_label(first, start))
    return f"{first}/{second}"


def first_year(label: str) -> int:
    return int(label[:4])


def academic_year_end(label: str, start: MonthDay) -> date:
    """The last day of academic year `label`."""
    return date(first_year(label) + 1, *start) - timedelta(days=1)


# --- field values ---------------------------------------------------------------------


def _text(field: str, value: Any, limit: int) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split()) if field not in ("purpose", "notes") else str(value).strip()
    if not text:
        return None
    if len(text) > limit:
        raise bad(field, "activity.too_long", length=len(text), limit=limit)
    return text


def parse_kind(value: Any) -> str:
    kind = str(value or "").strip().lower()
    if kind not in ACTIVITY_KINDS:
        if value in (None, ""):
            raise bad("kind", "activity.kind_missing", choices="|".join(ACTIVITY_KINDS))
        raise bad("kind", "activity.choice", value=value, choices="|".join(ACTIVITY_KINDS))
    return kind


def _choice(field: str, value: Any, choices: tuple[str, ...]) -> str | None:
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip().lower()
    if text not in choices:
        raise bad(field, "activity.choice", value=value, choices="|".join(choices))
    return text


def parse_date(field: str, value: Any) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value).strip()[:10] if _is_timestamp(value) else str(value).strip())
        except ValueError:
            raise bad(field, "activity.date", value=value) from None
    if out_of_range(day):
        raise bad(field, "activity.date_range", value=day.isoformat(),
                  earliest=EARLIEST.isoformat(), latest=LATEST.isoformat())
    return day


def _is_timestamp(value: Any) -> bool:
    text = str(value).strip()
    return len(text) > 10 and text[10] in "T " and text[11:].strip("0:") == ""


def parse_count(field: str, value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise bad(field, "activity.whole", value=value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        n = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise bad(field, "activity.whole", value=value) from None
    if n <= 0:
        raise bad(field, "activity.at_least_one", n=n)
    if n > MAX_PEOPLE:
        raise bad(field, "activity.too_many", n=n, most=MAX_PEOPLE)
    return n


def parse_year(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        year = int(str(value).strip().removesuffix(".0"))
    except ValueError:
        raise bad("year", "activity.year", value=value) from None
    if not 1900 <= year <= 2999:
        raise bad("year", "activity.year_range", year=year)
    return year


def parse_doi(value: Any) -> str | None:
    text = _text("doi", value, 200)
    if text is None:
        return None
    bare = text
    for prefix in _DOI_PREFIXES:
        if bare.lower().startswith(prefix):
            bare = bare[len(prefix):]
            break
    if not _DOI.match(bare):
        raise bad("doi", "activity.doi", value=text)
    return bare


def parse_amount(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = Decimal(str(value).strip().replace(" ", "").replace("\u00a0", "").replace(",", ""))
    except InvalidOperation:
        raise bad("amount", "activity.amount", value=value) from None
    if not amount.is_finite() or amount <= 0:
        raise bad("amount", "activity.amount_positive", value=value)
    if amount.as_tuple().exponent < -2 or amount >= Decimal("1e15"):  # type: ignore[operator]
        raise bad("amount", "activity.amount_digits", value=value)
    return format(amount.quantize(Decimal("0.01")), "f")


def parse_currency(value: Any) -> str | None:
    if value is None or not str(value).strip():
        return None
    import pycountry  # lazy: data loading

    code = str(value).strip().upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise bad("currency", "activity.currency", value=value)
    return code


def parse_names(value: Any) -> list[str] | None:
    if value is None:
        return None
    items = value if isinstance(value, list | tuple) else str(value).split(LIST_SEP)
    names = [" ".join(str(n).split()) for n in items if str(n).strip()]
    if not names:
        return None
    if len(names) > MAX_NAMES:
        raise bad("names", "activity.names_many", count=len(names), most=MAX_NAMES)
    for n in names:
        if len(n) > 200:
            raise bad("names", "activity.name_long")
    return names


# --- one activity ---------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """An activity's own values, validated (links are resolved by the service)."""

    kind: str
    values: dict[str, Any]  # column -> value, for every column of the kind (None if not given)
    academic_year: str


_PARSERS: dict[str, Any] = {
    "direction": lambda v: _choice("direction", v, DIRECTIONS),
    "category": lambda v: _choice("category", v, MOBILITY_CATEGORIES),
    "role": lambda v: _choice("role", v, PROJECT_ROLES),
    "people": lambda v: parse_count("people", v),
    "starts_on": lambda v: parse_date("starts_on", v),
    "ends_on": lambda v: parse_date("ends_on", v),
    "title": lambda v: _text("title", v, 500),
    "purpose": lambda v: _text("purpose", v, 5000),
    "place": lambda v: _text("place", v, 300),
    "funder": lambda v: _text("funder", v, 300),
    "amount": parse_amount,
    "currency": parse_currency,
    "year": parse_year,
    "doi": parse_doi,
    "names": parse_names,
    "department": lambda v: _text("department", v, 200),
    "notes": lambda v: _text("notes", v, 5000),
}
#: Columns of the table that `check` fills (besides kind and academic_year).
VALUE_COLUMNS: tuple[str, ...] = tuple(_PARSERS)


def _blank(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return not any(str(v).strip() for v in value)
    return value is None or (isinstance(value, str) and not value.strip())


def check(raw: Mapping[str, Any], start: MonthDay) -> Checked:
    """Validate one activity given as field -> raw value (strings, numbers, dates).

    Raises `FieldInvalid` for the first problem (in field order); `problems` lists
    them all (an import reports every one).
    """
    checked, found = problems(raw, start)
    if found:
        raise found[0]
    assert checked is not None
    return checked


def problems(raw: Mapping[str, Any], start: MonthDay) -> tuple[Checked | None, list[FieldInvalid]]:
    """Every problem of one activity: the kind, fields the kind does not take, each
    value, required fields, dates in order, amount with currency, the academic year."""
    try:
        kind = parse_kind(raw.get("kind"))
    except FieldInvalid as exc:
        return None, [exc]
    found: list[FieldInvalid] = []
    allowed = KIND_FIELDS[kind] | COMMON
    for name in FIELDS:
        if name in raw and name not in allowed and name not in ("id", "academic_year") \
                and not _blank(raw[name]):
            found.append(bad(name, "activity.not_for_kind", kind=kind))
    values: dict[str, Any] = {}
    for name, parse in _PARSERS.items():
        try:
            values[name] = parse(raw.get(name)) if name in allowed else None
        except FieldInvalid as exc:
            found.append(exc)
            values[name] = _BAD
    for name in REQUIRED[kind]:
        if values[name] is None:
            what = "date" if name == "starts_on" and kind in ONE_DAY_KINDS else name
            found.append(bad(name, "activity.needs", kind=kind, what=what.replace("_", " ")))
    starts, ends = values["starts_on"], values["ends_on"]
    if isinstance(starts, date) and isinstance(ends, date) and ends < starts:
        found.append(bad("ends_on", "activity.ends_before", ends=ends.isoformat(),
                         starts=starts.isoformat()))
    if (values["amount"] is None) != (values["currency"] is None):
        missing = "currency" if values["currency"] is None else "amount"
        found.append(bad(missing, "activity.amount_currency"))
    given = raw.get("academic_year")
    label = None
    try:
        if kind == "publication":
            if not _blank(given):
                label = parse_academic_year(str(given), start)
            elif isinstance(values["year"], int):
                label = year_label(values["year"], start)
        elif isinstance(starts, date):
            label = academic_year_of(starts, start)
            if not _blank(given) and parse_academic_year(str(given), start) != label:
                found.append(bad("academic_year", "activity.year_mismatch", given=str(given).strip(),
                                     starts=starts.isoformat(), label=label))
    except FieldInvalid as exc:
        found.append(exc)
    if found or label is None:
        return None, found
    return Checked(kind, values, label), []


#: Stands for a value that did not parse (its problem is reported already).
_BAD = object()


def duration_days(starts_on: date | None, ends_on: date | None) -> int:
    """Days of a mobility, both ends included (0 when a date is missing)."""
    if starts_on is None or ends_on is None:
        return 0
    return (ends_on - starts_on).days + 1


def summary(kind: str, v: Mapping[str, Any]) -> str:
    """One line about an activity, never with participant names (audit notes, lists)."""
    def iso(d: Any) -> str:
        return d.isoformat() if isinstance(d, date) else str(d or "")

    if kind == "mobility":
        return (f"mobility {v.get('direction')} {v.get('category')}, {v.get('people')} people, "
                f"{iso(v.get('starts_on'))}..{iso(v.get('ends_on'))}")
    if kind == "visit":
        return f"visit {v.get('direction')}, {v.get('people')} people, {iso(v.get('starts_on'))}"
    if kind == "event":
        return f"event {v.get('title')!r}, {iso(v.get('starts_on'))}"
    if kind == "project":
        money = f", {v.get('amount')} {v.get('currency')}" if v.get("amount") else ""
        return f"project {v.get('title')!r}{money}"
    return f"publication {v.get('title')!r} ({v.get('year')})"
