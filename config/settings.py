"""Every `HAMKOR_*` variable in one typed object.

Bad values fail at start with the variable's name in the message; secrets are
`SecretStr` and database URLs are redacted before they are shown.

The loader is plain Python (a dataclass, a small `.env` reader and one parser
per variable) rather than pydantic-settings: every `hamkor` command reads the
settings first, and pydantic-settings alone cost about a fifth of a second of
start-up (README "Configuration" documents the behaviour kept: environment over
`.env` over defaults, names case-insensitive, one-line errors naming the
variable, the wording of pydantic's messages for numbers and choices).
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Weekday names as APScheduler and cron spell them, Monday first (ISO weekday - 1).
DIGEST_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

PREFIX = "HAMKOR_"
ENV_FILE = ".env"
MAIL_BACKENDS = ("smtp", "file", "console")


class ConfigError(Exception):
    """A configuration value is unusable; the message names the variable."""


def redact_url(url: str) -> str:
    """Hide the password of a database URL (``user:***@host``)."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


class SecretStr:
    """A secret that prints as stars (str, repr, dumps); `get_secret_value()` reads it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __repr__(self) -> str:
        return f"SecretStr({str(self)!r})"

    def __len__(self) -> int:
        return len(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass
class Settings:
    database_url: str = "sqlite:///hamkor.db"
    timezone: str = "UTC"
    institution: str = "Home University"
    institution_country: str = "UZ"
    user: str | None = None
    reminder_days: tuple[int, ...] = (180, 90, 30, 7)
    signature_nudge_days: int = 14
    mail_backend: Literal["smtp", "file", "console"] = "smtp"
    mail_dir: Path = Path("mail")
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout: float = 300.0  # per command (RFC 5321 4.5.3.2)
    smtp_data_timeout: float = 600.0  # the reply to the end of DATA
    mail_from: str = "hamkor@localhost"
    mail_retry_for: timedelta = field(default_factory=lambda: timedelta(days=5))
    templates_dir: Path | None = None
    base_url: str | None = None  # links in mail: https://hamkor.example.uz
    workflow_mail: bool = True  # submit/approve/... mail to owners and approvers
    digest_day: str = "mon"  # weekly digest day (mon..sun) or "off"
    escalate: bool = True  # copy approvers on the last renewal reminder nobody acted on
    tick_at: str = "08:00"
    secret_key: SecretStr | None = None  # signs web session cookies
    secure_cookie: bool = False  # mark the session cookie Secure (HTTPS only)
    reports_dir: Path = Path("hamkor-reports")  # where `hamkor serve` writes generated reports
    institution_hei_id: str | None = None
    academic_year_start: str = "09-01"
    # Documents and files: where stored files live (default: beside the SQLite database,
    # or ./files), the upload limit, and whether activation needs a signed copy.
    files_dir: Path | None = None
    max_upload_mb: int = 25
    require_signed_copy: bool = False

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def tick_time(self) -> time:
        return time.fromisoformat(self.tick_at)

    @property
    def digest_weekday(self) -> int | None:
        """The digest's weekday (0 = Monday), None when digests are off."""
        return None if self.digest_day == "off" else DIGEST_DAYS.index(self.digest_day)

    @property
    def renewal_window_days(self) -> int:
        return max(self.reminder_days)

    def files_root(self, database_url: str | None = None) -> Path:
        """HAMKOR_FILES_DIR, else `files/` beside the SQLite database file, else ./files."""
        if self.files_dir is not None:
            return self.files_dir
        from sqlalchemy.engine import make_url

        url = make_url(database_url or self.database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            return Path(url.database).expanduser().resolve().parent / "files"
        return Path("files")

    def model_dump(self) -> dict[str, Any]:
        """Every setting by name (secrets stay `SecretStr`)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Settings:
        """A copy with some values replaced (not validated again)."""
        return dataclasses.replace(self, **(update or {}))


# --- parsing: one function per kind of value, raising ValueError(message) ----------------
# The messages for numbers, booleans and choices are pydantic's, as before.

def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("Input should be a valid string")
    return value


def _int(value: object) -> int:
    if isinstance(value, bool | int):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ValueError("Input should be a valid integer, unable to parse string as an integer")


def _float(value: object) -> float:
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise ValueError("Input should be a valid number, unable to parse string as a number")


_TRUE = {"1", "on", "t", "true", "y", "yes"}
_FALSE = {"0", "off", "f", "false", "n", "no"}


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise ValueError("Input should be a valid boolean, unable to interpret input")


def _path(value: object) -> Path:
    if isinstance(value, Path):
        return value
    return Path(_text(value))


def _secret(value: object) -> SecretStr:
    return value if isinstance(value, SecretStr) else SecretStr(_text(value))


def _between(parse: Callable[[object], Any], ge: float | None = None, le: float | None = None,
             gt: float | None = None) -> Callable[[object], Any]:
    def check(value: object) -> Any:
        number = parse(value)
        if ge is not None and not number >= ge:
            raise ValueError(f"Input should be greater than or equal to {ge}")
        if gt is not None and not number > gt:
            raise ValueError(f"Input should be greater than {gt}")
        if le is not None and not number <= le:
            raise ValueError(f"Input should be less than or equal to {le}")
        return number
    return check


def _optional(parse: Callable[[object], Any]) -> Callable[[object], Any]:
    return lambda value: None if value is None else parse(value)


def _timezone(value: object) -> str:
    text = _text(value)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {text!r}") from exc
    return text


def _one_line(value: object) -> str:
    # A line break in a header value would let the setting write headers of its own.
    text = _text(value)
    if re.search("[\x00-\x1f\x7f]", text):
        raise ValueError("must be one line without control characters (no line breaks)")
    return text


def _days(value: object) -> tuple[int, ...]:
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
        try:
            days = tuple(int(p) for p in parts)
        except ValueError as exc:
            raise ValueError("expected comma-separated whole numbers of days, e.g. 180,90,30,7") from exc
    elif isinstance(value, list | tuple | set | frozenset):
        days = tuple(_int(d) for d in value)
    else:
        raise ValueError("Input should be a valid tuple")
    if not days or any(d <= 0 for d in days):
        raise ValueError("expected at least one positive number of days")
    return tuple(sorted(set(days), reverse=True))


def _choice(value: object) -> str:
    if value not in MAIL_BACKENDS:
        raise ValueError("Input should be 'smtp', 'file' or 'console'")
    return str(value)


def _duration(value: object) -> timedelta:
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([dhms]?)\s*", value.lower())
        if not m:
            raise ValueError("expected a duration such as 5d, 36h or 90m")
        unit = {"d": "days", "": "days", "h": "hours", "m": "minutes", "s": "seconds"}[m[2]]
        value = timedelta(**{unit: float(m[1])})
    elif isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        value = timedelta(seconds=value)
    if not isinstance(value, timedelta):
        raise ValueError("Input should be a valid timedelta")
    if value <= timedelta(0):
        raise ValueError("expected a positive duration such as 5d")
    return value


def _country(value: object) -> str:
    text = _text(value).strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", text):
        raise ValueError("expected an ISO 3166 alpha-2 code such as UZ")
    return text


def _tick_at(value: object) -> str:
    text = _text(value)
    try:
        time.fromisoformat(text)
    except ValueError as exc:
        raise ValueError("expected HH:MM, e.g. 08:00") from exc
    return text


def _month_day(value: object) -> str:
    text = _text(value)
    m = re.fullmatch(r"(\d{2})-(\d{2})", text)
    if not m or not (1 <= int(m[1]) <= 12 and 1 <= int(m[2]) <= 28):
        raise ValueError("expected MM-DD with a day from 01 to 28, e.g. 09-01")
    return text


def _base_url(value: object) -> str | None:
    from urllib.parse import urlsplit

    if value is None:
        return None
    text = _text(value).strip()
    if not text:
        return None
    parts = urlsplit(text)
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.query
            or parts.fragment or any(c.isspace() for c in text)):
        raise ValueError("expected an absolute http(s) URL such as https://hamkor.example.uz")
    return text.rstrip("/")


def _digest_day(value: object) -> str:
    text = _text(value).strip().lower()
    if text not in DIGEST_DAYS and text != "off":
        raise ValueError(f"expected one of {', '.join(DIGEST_DAYS)} or off")
    return text


def _long_secret(value: object) -> SecretStr | None:
    if value is None:
        return None
    secret = _secret(value)
    if len(secret.get_secret_value()) < 32:
        raise ValueError(
            "use at least 32 characters, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
        )
    return secret


def _hei_id(value: object) -> str | None:
    if value is None or value == "":
        return None
    text = _text(value)
    if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", text):
        raise ValueError("expected a lower-case SCHAC code such as polito.it")
    return text


#: How each setting is read, in the order of the dataclass (the first bad one is reported).
PARSERS: dict[str, Callable[[object], Any]] = {
    "database_url": _text,
    "timezone": _timezone,
    "institution": _one_line,
    "institution_country": _country,
    "user": _optional(_one_line),
    "reminder_days": _days,
    "signature_nudge_days": _between(_int, ge=1, le=365),
    "mail_backend": _choice,
    "mail_dir": _path,
    "smtp_host": _one_line,
    "smtp_port": _between(_int, ge=1, le=65535),
    "smtp_user": _optional(_text),
    "smtp_password": _optional(_secret),
    "smtp_starttls": _bool,
    "smtp_timeout": _between(_float, gt=0),
    "smtp_data_timeout": _between(_float, gt=0),
    "mail_from": _one_line,
    "mail_retry_for": _duration,
    "templates_dir": _optional(_path),
    "base_url": _base_url,
    "workflow_mail": _bool,
    "digest_day": _digest_day,
    "escalate": _bool,
    "tick_at": _tick_at,
    "secret_key": _long_secret,
    "secure_cookie": _bool,
    "reports_dir": _path,
    "institution_hei_id": _hei_id,
    "academic_year_start": _month_day,
    "files_dir": _optional(_path),
    "max_upload_mb": _between(_int, ge=1, le=2048),
    "require_signed_copy": _bool,
}


# --- the .env file ------------------------------------------------------------------------

_DOTENV_LINE = re.compile(
    r"""^[ \t]*(?:export[ \t]+)?(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=(?P<space>[ \t]*)
        (?:'(?P<single>(?:\\'|[^'])*)'|"(?P<double>(?:\\.|[^"\\])*)"|(?P<bare>[^\r\n]*))""",
    re.MULTILINE | re.VERBOSE,
)
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b", "f": "\f", "n": "\n",
            "r": "\r", "t": "\t", "v": "\v"}
_EXPANSION = re.compile(r"\$\{(?P<name>[^}:]*)(?::-(?P<default>[^}]*))?\}")


def read_dotenv(path: str | Path, environ: dict[str, str] | None = None) -> dict[str, str]:
    """`KEY=value` lines of a `.env` file, as python-dotenv reads them.

    `export ` prefixes, `#` comments, 'single-quoted' (literal) and "double-quoted" values
    (backslash escapes, line breaks allowed), and `${NAME}` / `${NAME:-default}` expanded in
    unquoted and double-quoted values from the file's earlier lines, then the environment.
    A missing file is an empty one.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return {}
    env = os.environ if environ is None else environ
    values: dict[str, str] = {}

    def expand(value: str) -> str:
        def one(m: re.Match[str]) -> str:
            name = m["name"]
            found = values.get(name, env.get(name))
            return found if found else (m["default"] or "")
        return _EXPANSION.sub(one, value)

    for m in _DOTENV_LINE.finditer(text):
        if m["single"] is not None:
            value = re.sub(r"\\([\\'])", r"\1", m["single"])
        elif m["double"] is not None:
            value = expand(re.sub(r"\\(.)", lambda e: _ESCAPES.get(e[1], e[0]), m["double"]))
        elif m["bare"][:1] in ("'", '"'):
            continue  # an unterminated quote: the line is skipped
        else:
            value = expand(re.sub(r"\s+#.*", "", m["space"] + m["bare"]).strip())
        values[m["key"]] = value
    return values


def _sources() -> dict[str, str]:
    """`HAMKOR_*` values by field name: the environment over `.env` (names in any case)."""
    found: dict[str, str] = {}
    for source in (read_dotenv(ENV_FILE), os.environ):
        for key, value in source.items():
            if key[:len(PREFIX)].upper() == PREFIX:
                found[key[len(PREFIX):].lower()] = value
    return found


def load_settings(**overrides: object) -> Settings:
    """Build settings: keyword overrides > environment > `.env` > defaults.

    A bad value raises `ConfigError` naming the variable (the first bad one, in the
    order of `Settings`); its value is never repeated in the message.
    """
    raw: dict[str, object] = dict(_sources())
    raw.update(overrides)
    values: dict[str, Any] = {}
    for name, parse in PARSERS.items():
        if name not in raw:
            continue
        try:
            values[name] = parse(raw[name])
        except ValueError as exc:
            raise ConfigError(f"{PREFIX}{name.upper()}: {exc}") from None
    return Settings(**values)
