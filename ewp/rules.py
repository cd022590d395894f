"""Pure rules for cooperation conditions: what a valid value is, and academic years.

Every check raises :class:`workflow.errors.Invalid` with a message naming the
option and the value, so the CLI prints it as its one ``error:`` line. No
database, no clock.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from ewp.isced import is_detailed_field
from ewp.model import KINDS, LanguageSkill, SubjectArea
from ewp.writer import check_xml_text
from workflow.errors import Invalid, Problem

__all__ = [
    "CEFR_LEVELS",
    "MonthDay",
    "check_year_range",
    "clean_text",
    "covers",
    "parse_cefr",
    "parse_decimal",
    "parse_eqf",
    "parse_isced",
    "parse_kind",
    "parse_language",
    "parse_month_day",
    "parse_year_id",
    "parse_years",
    "term_for_years",
    "year_key",
    "year_start",
]

CEFR_LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")
_YEAR_ID = re.compile(r"^(\d{4})/(\d{4})$")
_DECIMAL = re.compile(r"^\d+(\.\d{1,2})?$")  # xs:decimal > 0 with at most 2 fraction digits
_LANGUAGE = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")  # xs:language
MonthDay = tuple[int, int]

#: The rule book's field of each command-line option (cli/errors.py maps them back), so the
#: web names the form's field and the API its JSON field.
FIELD_OF_OPTION = {
    "--kind": "kind", "--from": "sending", "--to": "receiving", "--years": "years",
    "--mobilities": "mobilities", "--months": "total_months", "--days": "total_days",
    "--isced": "isced", "--language": "languages", "--eqf": "eqf", "--blended": "blended",
    "--info": "info", "--from-unit": "sending_ounit", "--to-unit": "receiving_ounit",
}


def refuse(option: str, code: str, template: str, /, **params: object) -> Invalid:
    """A refusal whose `{field}` is ``option``: a command-line option becomes its field of
    the rule book (named by each door); anything else (an XML element) stays as written."""
    field = FIELD_OF_OPTION.get(option)
    if field is None:
        literal = option.replace("{", "{{").replace("}", "}}")
        return Invalid(Problem(code, None, template.replace("{field}", literal), params))
    return Invalid(Problem(code, field, template, params))


def parse_kind(value: str) -> str:
    if value not in KINDS:
        raise refuse("--kind", "ewp.kind", "{field} {value!r} is not one of {choices}",
                     value=value, choices=", ".join(KINDS))
    return value


def parse_year_id(value: str, *, option: str = "--years") -> str:
    """An academic year id: ``2025/2026`` (northern) or ``2025/2025`` (southern)."""
    m = _YEAR_ID.match(value.strip())
    if not m or int(m[2]) - int(m[1]) not in (0, 1):
        raise refuse(option, "ewp.year", "{field} {value!r} is not an academic year such as "
                     "2025/2026 (or 2025/2025 where the year is the calendar year)", value=value)
    return f"{m[1]}/{m[2]}"


def year_key(year_id: str) -> tuple[int, int]:
    """Sort key of an academic year id: ``2025/2026`` -> (2025, 2026)."""
    first, second = year_id.split("/")
    return int(first), int(second)


def check_year_range(first: str, last: str, *, option: str = "--years") -> None:
    if year_key(last) < year_key(first):
        raise refuse(option, "ewp.year_order", "{field}: the last academic year {last} is before "
                     "the first {first}", last=last, first=first)


def parse_years(value: str) -> tuple[str, str]:
    """``2025/2026:2029/2030`` -> first and last year; one year alone means both."""
    first_text, sep, last_text = value.partition(":")
    first = parse_year_id(first_text)
    last = parse_year_id(last_text) if sep else first
    check_year_range(first, last)
    return first, last


def parse_cefr(value: str, *, option: str = "--language") -> str:
    level = value.strip().upper()
    if level not in CEFR_LEVELS:
        raise refuse(option, "ewp.cefr", "{field}: CEFR level {value!r} is not one of {choices}",
                     value=value, choices=", ".join(CEFR_LEVELS))
    return level


def parse_language(value: str) -> LanguageSkill:
    """``en:B2`` (language and CEFR level) or ``en`` (no level)."""
    code, sep, level = value.partition(":")
    code = code.strip()
    if not _LANGUAGE.match(code):
        raise refuse("--language", "ewp.language", "{field} {value!r}: {code!r} is not a language "
                     "code such as en or it", value=value, code=code)
    return LanguageSkill(code, parse_cefr(level) if sep else None)


def parse_isced(value: str, *, option: str = "--isced") -> SubjectArea:
    """``0613`` or ``0613:CLARIFICATION`` (``0613:`` keeps an empty clarification)."""
    code, sep, clarification = value.partition(":")
    code = code.strip()
    if not is_detailed_field(code):
        raise refuse(option, "ewp.isced", "{field} {code!r} is not a 4-digit ISCED-F 2013 detailed "
                     "field (e.g. 0613 software and applications development)", code=code)
    return SubjectArea(code, clean_text(clarification, option) if sep else None)


def parse_eqf(value: int) -> int:
    if not 1 <= value <= 8:
        raise refuse("--eqf", "ewp.eqf", "{field} {value} is not an EQF level from 1 to 8", value=value)
    return value


def parse_decimal(value: str, option: str) -> str:
    """A positive number with at most two decimals, kept as written (it is hashed)."""
    text = value.strip()
    if not _DECIMAL.match(text) or Decimal(text) <= 0:
        raise refuse(option, "ewp.decimal", "{field} {value!r} is not a positive number with at "
                     "most 2 decimals", value=value)
    return text


def clean_text(value: str, option: str) -> str:
    """Free text as XML will carry it: line ends as \\n, no impossible characters."""
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    problem = check_xml_text(text)
    if problem:
        raise refuse(option, "ewp.text", "{field}: {problem}", problem=problem)
    return text


def parse_month_day(value: str) -> MonthDay:
    """``09-01`` -> (9, 1) (validated by the settings already)."""
    month, day = value.split("-")
    return int(month), int(day)


def year_start(year_id: str, start: MonthDay) -> date:
    """First day of academic year ``year_id`` (its first calendar year)."""
    return date(year_key(year_id)[0], *start)


def term_for_years(first: str, last: str, start: MonthDay) -> tuple[date, date]:
    """The term an IIA over ``first``..``last`` implies: from the first day of the
    first academic year to the day before the academic year after the last one."""
    return year_start(first, start), date(year_key(last)[0] + 1, *start) - timedelta(days=1)


def covers(first: str, last: str, year: int) -> bool:
    """Does ``first``..``last`` include the academic year that starts in ``year``?"""
    return year_key(first)[0] <= year <= year_key(last)[0]
