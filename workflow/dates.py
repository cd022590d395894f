"""Pure date rules. Every function takes the dates it needs; none reads a clock."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from functools import lru_cache

ONE_DAY = timedelta(days=1)
#: Dates Hamkor accepts: far enough for any agreement, and the tick's arithmetic
#: (a day after an expiry, a renewal of up to MAX_MONTHS) stays within `date`'s range.
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)
#: The longest term or renewal (100 years) and notice period (10 years) accepted.
MAX_MONTHS, MAX_NOTICE_DAYS, MAX_WITHIN_DAYS = 1200, 3650, 36500


def out_of_range(day: date) -> str | None:
    """Why `day` cannot be stored, or None."""
    if day < EARLIEST or day > LATEST:
        return f"{day.isoformat()} is outside {EARLIEST.isoformat()}..{LATEST.isoformat()}"
    return None


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the month's last day (Jan 31 + 1 = Feb 28/29)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def term_end(starts_on: date, months: int) -> date:
    """Last day in force of a term of `months` starting on `starts_on`.

    Start + N months − 1 day; when the corresponding day does not exist in the
    final month (a term from 31 January or 29 February), the term ends on that
    month's last day, as the usual legal rule for periods of months has it.
    """
    if months <= 0:
        raise ValueError("months must be positive")
    target = add_months(starts_on, months)
    return target if target.day < starts_on.day else target - ONE_DAY


def extend_term(expires_on: date, months: int) -> date:
    """Expiry after a tacit renewal of `months`: the next term starts the day after."""
    return term_end(expires_on + ONE_DAY, months)


def renewal_opens_on(expires_on: date, window_days: int) -> date:
    return expires_on - timedelta(days=window_days)


def notice_deadline(expires_on: date, notice_days: int) -> date:
    """Last day notice can be given to stop a tacit renewal."""
    return expires_on - timedelta(days=notice_days)



def iso(day: date | None) -> str | None:
    """`day` (or a time) in ISO 8601 form, as the services and the API give dates; None
    stays None."""
    return day.isoformat() if day else None


@lru_cache(maxsize=16384)
def format_date(day: date, lang: str = "en", pattern: str = "medium") -> str:
    """`day` written for people: a CLDR width (`short`, `medium`, `long`) or pattern, in
    `lang` (en, uz, ru). The one date formatter of the web, the reports, the documents
    and the mail; memoised, since the same dates recur on every page and report."""
    from babel.dates import format_date as babel_format_date

    return babel_format_date(day, format=pattern, locale=lang)
