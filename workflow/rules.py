"""The rule book: what Hamkor accepts as input, decided in one place.

Every door -- the services, the import, the web forms, the JSON API, the command
line -- asks these functions; none keeps a check of its own. A refusal is an
`Invalid` carrying a `Problem`: the field it concerns, a code, and the values
its sentence needs. The sentence's field names are filled in by whoever shows
it: the CLI names its option (`--expires`), the web page its label in the
reader's language, the API its JSON field (`expires`), the import its column.

Change a rule here and it changes at every door (README, "Limits and safety").
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, NoReturn

from workflow import dates
from workflow.errors import Invalid, Problem
from workflow.rule_messages import MESSAGES as MESSAGES

# The sentences, one per code, are in workflow/rule_messages.py.


def problem(code: str, field: str | None = None, **params: Any) -> Problem:
    return Problem(code, field, MESSAGES[code], params)


def refuse(code: str, field: str | None = None, **params: Any) -> NoReturn:
    raise Invalid(problem(code, field, **params))


# --- text ----------------------------------------------------------------------------------

#: Zero-width characters, bidirectional controls and the BOM: invisible, so two names that
#: look the same would not be; they are removed from names, titles and display names.
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
#: C0 controls (but tab, line feed, carriage return), DEL and C1 controls: never stored.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")

#: Lengths: the columns' widths (models/entities.py) and, for free text, a limit of ours.
LIMITS: dict[str, int] = {
    "title": 500, "department": 200, "notes": 10_000, "note": 10_000, "name": 200,
    "partner_name": 300, "city": 120, "erasmus_code": 40, "pic": 20, "website": 300,
    "hei_id": 120, "email": 254, "owner": 254, "by": 254, "party": 300, "token_name": 100,
    "partners": 300, "q": 200, "phone": 40, "position": 200,
}


def text(value: Any, field: str, *, required: bool = False, multiline: bool = False,
         limit: int | None = None) -> str | None:
    """`value` as text to store: invisible characters removed, ends trimmed, and refused
    if it holds control characters (but tab and line breaks), is longer than the field
    allows or is required and empty. One-line fields have every run of white space
    (tabs and line breaks too) folded into one space."""
    if value is None:
        if required:
            refuse("required", field)
        return None
    raw = str(value)
    if raw.isascii() and raw.isprintable():  # the common case, no pattern to search
        out = raw.strip() if multiline or "  " not in raw else " ".join(raw.split())
    else:
        out = _cleaned(raw, field, multiline)
    if not out:
        if required:
            refuse("required", field)
        return None
    most = limit if limit is not None else LIMITS.get(field)
    if most is not None and len(out) > most:
        refuse("text.too_long", field, limit=most, length=len(out))
    return out


def _cleaned(raw: str, field: str, multiline: bool) -> str:
    if _SURROGATE.search(raw):
        refuse("text.surrogate", field)
    if m := _CONTROL.search(raw):
        refuse("text.control", field, char=f"U+{ord(m[0]):04X}")
    raw = INVISIBLE.sub("", raw)
    if multiline:
        return raw.replace("\r\n", "\n").replace("\r", "\n").strip()
    return " ".join(raw.split())  # tabs and line breaks too: one line


def name(value: Any, field: str) -> str:
    """A required one-line name or title (see `text`)."""
    out = text(value, field, required=True)
    assert out is not None
    return out


def mixed_script(value: str) -> str | None:
    """A warning when a mostly Latin name holds Cyrillic or Greek look-alike letters (or the
    other way round): `Kyоto` with a Cyrillic `о` is not the partner `Kyoto`."""
    scripts: dict[str, int] = {}
    for ch in value:
        if ch.isalpha():
            script = unicodedata.name(ch, "").split(" ", 1)[0]
            if script in ("LATIN", "CYRILLIC", "GREEK"):
                scripts[script] = scripts.get(script, 0) + 1
    if len(scripts) < 2:
        return None
    words = [w for w in re.split(r"\W+", value) if w]
    mixed = [w for w in words
             if len({unicodedata.name(c, "").split(" ", 1)[0] for c in w if c.isalpha()}
                    & {"LATIN", "CYRILLIC", "GREEK"}) > 1]
    if not mixed:
        return None  # "Kyoto Университет": two scripts, but each word is one of them
    return f"mixes {' and '.join(s.title() for s in sorted(scripts))} letters in {', '.join(mixed)!s}"


# --- numbers -------------------------------------------------------------------------------

#: The largest integer a database column takes (64-bit signed).
MAX_INT64 = 2**63 - 1


def integer(value: Any, field: str, *, minimum: int | None = None,
            maximum: int = MAX_INT64) -> int | None:
    """A whole number from text or a number, within `minimum`..`maximum` (64 bits)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        refuse("integer.format", field, value=value)
    if isinstance(value, int):
        number = value
    else:
        raw = str(value).strip()
        if not re.fullmatch(r"[+-]?\d+", raw):
            refuse("integer.format", field, value=raw[:40])
        # Far beyond 64 bits: never converted (Python refuses over 4,300 digits anyway).
        number = int(raw) if len(raw) <= 25 else (-1 if raw.startswith("-") else 1) * (MAX_INT64 + 2)
    lowest = minimum if minimum is not None else -MAX_INT64 - 1
    if number < lowest:
        refuse("integer.min", field, minimum=lowest)
    if number > maximum:
        refuse("integer.max", field, maximum=maximum)
    return number


def year(value: Any, field: str = "year") -> int:
    """A required calendar year within the dates Hamkor accepts (1900..2999)."""
    number = integer(value, field, minimum=dates.EARLIEST.year, maximum=dates.LATEST.year)
    if number is None:
        refuse("required", field)
    return number


# --- dates ---------------------------------------------------------------------------------


def day(value: Any, field: str) -> date | None:
    """A business date: `YYYY-MM-DD` (a `date` passes), within 1900..2999."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    parsed: date
    if isinstance(value, datetime):
        parsed = value.date()
    elif isinstance(value, date):
        parsed = value
    else:
        raw = str(value).strip()
        try:
            if len(raw) != 10:
                raise ValueError
            parsed = date.fromisoformat(raw)
        except ValueError:
            refuse("date.format", field, value=raw[:40])
    return in_range(parsed, field)


def in_range(value: date, field: str) -> date:
    if dates.out_of_range(value):
        refuse("date.range", field, value=value.isoformat(), earliest=dates.EARLIEST.isoformat(),
               latest=dates.LATEST.isoformat())
    return value


def not_future(value: date, today: date, field: str) -> date:
    if value > today:
        refuse("date.future", field, value=value.isoformat())
    return value


def moment(value: str | None, field: str) -> datetime | None:
    """An ISO date-time (a date alone is its midnight), its date within 1900..2999."""
    if value is None:
        return None
    raw = value.strip()
    try:
        if len(raw) > 40:
            raise ValueError
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        refuse("datetime.format", field, value=raw[:40])
    in_range(parsed.date(), field)
    return parsed


def replay_day(day_: date, real_today: date, *, writes: bool, confirmed: bool,
               field: str = "now") -> date:
    """A day to run the tick as: a day after the real today is only replayed without
    writing (a dry run) or when confirmed -- else `--now 9999-12-31` would expire every
    live agreement and mail its parties."""
    if writes and not confirmed and day_ > real_today:
        refuse("clock.future", field, value=day_.isoformat(), today=real_today.isoformat())
    return day_


# --- e-mail addresses ----------------------------------------------------------------------

# An address is a dot-atom local part and a domain name (RFC 5321/5322, no quoted strings,
# no comments, no display name, no lists): what a person types, and nothing that a mail
# library could read as something else (`a"b@x`, `evil@x,home.uz`, CR/LF). Non-ASCII
# letters are allowed (RFC 6531); the domain has at least two labels.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u00a0-\U0010ffff-]+"
_LABEL = r"(?:[A-Za-z0-9\u00a0-\U0010ffff](?:[A-Za-z0-9\u00a0-\U0010ffff-]{0,61}[A-Za-z0-9\u00a0-\U0010ffff])?)"


@functools.cache
def _address() -> re.Pattern[str]:
    # Compiled on first use: the non-ASCII classes make it the costliest pattern to build,
    # and most commands (listing, the tick) never check an address.
    return re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")


def is_address(value: str) -> bool:
    """Whether `value` is exactly one e-mail address (the sender asks this too)."""
    return (len(value) <= 254 and _address().fullmatch(value) is not None
            and len(value.rsplit("@", 1)[0]) <= 64 and not INVISIBLE.search(value))


def email(value: Any, field: str = "email", *, required: bool = True) -> str | None:
    """An e-mail address as stored: trimmed and lower-cased, or refused."""
    raw = text(value, field, required=required, limit=254)
    if raw is None:
        return None
    if not is_address(raw):
        refuse("email.format", field, value=raw[:80])
    return raw.lower()


# --- codes and choices ---------------------------------------------------------------------

_HEI_ID = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)+")


def looks_like_hei_id(value: str) -> bool:
    return len(value) <= LIMITS["hei_id"] and _HEI_ID.fullmatch(value) is not None


def hei_id(value: Any, field: str = "hei_id") -> str | None:
    """A lower-case SCHAC code such as polito.it; empty is none."""
    raw = text(value, field)
    if raw is None:
        return None
    if not looks_like_hei_id(raw):
        refuse("hei_id.format", field, value=raw[:80])
    return raw


def country(value: Any, field: str = "country") -> str | None:
    """An ISO 3166 alpha-2 code, upper-cased; empty is none."""
    raw = text(value, field)
    if raw is None:
        return None
    import pycountry  # lazy: 0.1 s of data loading

    code = raw.upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        refuse("country.format", field, value=raw[:40])
    return code


def choice(value: Any, field: str, choices: Iterable[str]) -> str:
    options = tuple(choices)
    raw = "" if value is None else str(value).strip()
    if raw not in options:
        refuse("choice", field, value=raw[:80], choices=", ".join(options))
    return raw


TYPES = ("mou", "exchange", "cooperation", "double_degree", "internship", "research",
         "consortium", "grant", "other")
FORMS = ("student exchange", "staff exchange", "joint programme", "joint research",
         "internship", "training", "lab", "other")


def form(value: Any, field: str = "forms") -> str:
    """A form of cooperation in its stored spelling ("Student-Exchange" is "student exchange")."""
    raw = text(value, field, limit=60) or ""
    norm = " ".join(raw.replace("_", " ").replace("-", " ").split()).lower()
    if norm not in FORMS:
        refuse("choice", field, value=raw, choices=", ".join(FORMS))
    return norm


def forms(values: Iterable[Any], field: str = "forms") -> list[str]:
    out: list[str] = []
    for v in values:
        norm = form(v, field)
        if norm not in out:
            out.append(norm)
    return out


# --- terms ---------------------------------------------------------------------------------


def terms(starts: date | None, expires: date | None, months: int | None, indefinite: bool,
          auto_renew: bool, renewal_months: int | None, notice_days: int | None) -> date | None:
    """Check an agreement's term; the last day in force it gives (from `months` if given)."""
    if sum(x is not None and x is not False for x in (expires, months, indefinite or None)) > 1:
        refuse("term.one_of", "expires")
    for name_, d in (("starts", starts), ("expires", expires)):
        if d is not None:
            in_range(d, name_)
    integer(months, "months", minimum=1, maximum=dates.MAX_MONTHS)
    integer(renewal_months, "renewal_months", minimum=1, maximum=dates.MAX_MONTHS)
    integer(notice_days, "notice_days", minimum=0, maximum=dates.MAX_NOTICE_DAYS)
    if months is not None:
        if starts is None:
            refuse("term.months_need_start", "months")
        expires = dates.term_end(starts, months)
        if dates.out_of_range(expires):
            refuse("term.runs_past", "months", months=months, starts=starts.isoformat(),
                   latest=dates.LATEST.isoformat())
    if starts and expires and expires < starts:
        refuse("term.expires_before_starts", "expires", expires=expires.isoformat(),
               starts=starts.isoformat())
    if auto_renew:
        if not renewal_months:
            refuse("term.auto_renew_needs_months", "renewal_months")
        if indefinite:
            refuse("term.indefinite_auto_renew", "auto_renew")
    return expires


# --- passwords -----------------------------------------------------------------------------

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024


def password(value: str, email_address: str) -> str:
    if len(value) < MIN_PASSWORD_LENGTH:
        refuse("password.short", "password", minimum=MIN_PASSWORD_LENGTH)
    if len(value) > MAX_PASSWORD_LENGTH:
        refuse("password.long", "password", maximum=MAX_PASSWORD_LENGTH)
    if "\x00" in value:
        refuse("text.control", "password", char="U+0000")
    if value.strip().casefold() == email_address.strip().casefold():
        refuse("password.is_email", "password")
    return value
