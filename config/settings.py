"""Every `HAMKOR_*` variable in one typed object.

Bad values fail at start with the variable's name in the message; secrets are
`SecretStr` and database URLs are redacted before they are shown.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

#: Weekday names as APScheduler and cron spell them, Monday first (ISO weekday - 1).
DIGEST_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ConfigError(Exception):
    """A configuration value is unusable; the message names the variable."""


def redact_url(url: str) -> str:
    """Hide the password of a database URL (``user:***@host``)."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HAMKOR_",
        env_file=".env",
        extra="ignore",
        hide_input_in_errors=True,
        validate_default=True,
    )

    database_url: str = "sqlite:///hamkor.db"
    timezone: str = "UTC"
    institution: str = "Home University"
    institution_country: str = "UZ"
    user: str | None = None
    reminder_days: Annotated[tuple[int, ...], NoDecode] = (180, 90, 30, 7)
    signature_nudge_days: int = Field(default=14, ge=1, le=365)
    mail_backend: Literal["smtp", "file", "console"] = "smtp"
    mail_dir: Path = Path("mail")
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout: float = Field(default=300.0, gt=0)  # per command (RFC 5321 4.5.3.2)
    smtp_data_timeout: float = Field(default=600.0, gt=0)  # the reply to the end of DATA
    mail_from: str = "hamkor@localhost"
    mail_retry_for: Annotated[timedelta, NoDecode] = timedelta(days=5)
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
    max_upload_mb: int = Field(default=25, ge=1, le=2048)
    require_signed_copy: bool = False

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("reminder_days", mode="before")
    @classmethod
    def _parse_days(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            try:
                value = tuple(int(p) for p in parts)
            except ValueError as exc:
                raise ValueError("expected comma-separated whole numbers of days, e.g. 180,90,30,7") from exc
        return value

    @field_validator("reminder_days")
    @classmethod
    def _positive_days(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(d <= 0 for d in value):
            raise ValueError("expected at least one positive number of days")
        return tuple(sorted(set(value), reverse=True))

    @field_validator("mail_retry_for", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        if isinstance(value, str):
            m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([dhms]?)\s*", value.lower())
            if not m:
                raise ValueError("expected a duration such as 5d, 36h or 90m")
            unit = {"d": "days", "": "days", "h": "hours", "m": "minutes", "s": "seconds"}[m[2]]
            value = timedelta(**{unit: float(m[1])})
        if isinstance(value, timedelta) and value <= timedelta(0):
            raise ValueError("expected a positive duration such as 5d")
        return value

    @field_validator("institution_country")
    @classmethod
    def _country(cls, value: str) -> str:
        value = value.strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", value):
            raise ValueError("expected an ISO 3166 alpha-2 code such as UZ")
        return value

    @field_validator("tick_at")
    @classmethod
    def _tick_at(cls, value: str) -> str:
        try:
            time.fromisoformat(value)
        except ValueError as exc:
            raise ValueError("expected HH:MM, e.g. 08:00") from exc
        return value

    @field_validator("academic_year_start")
    @classmethod
    def _month_day(cls, value: str) -> str:
        m = re.fullmatch(r"(\d{2})-(\d{2})", value)
        if not m or not (1 <= int(m[1]) <= 12 and 1 <= int(m[2]) <= 28):
            raise ValueError("expected MM-DD with a day from 01 to 28, e.g. 09-01")
        return value

    @field_validator("mail_from", "smtp_host", "institution", "user")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        # A line break in a header value would let the setting write headers of its own.
        if value is not None and re.search("[\x00-\x1f\x7f]", value):
            raise ValueError("must be one line without control characters (no line breaks)")
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        from urllib.parse import urlsplit

        if value is None or not value.strip():
            return None
        value = value.strip()
        parts = urlsplit(value)
        if (parts.scheme not in ("http", "https") or not parts.hostname or parts.query
                or parts.fragment or any(c.isspace() for c in value)):
            raise ValueError("expected an absolute http(s) URL such as https://hamkor.example.uz")
        return value.rstrip("/")

    @field_validator("digest_day")
    @classmethod
    def _digest_day(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in DIGEST_DAYS and value != "off":
            raise ValueError(f"expected one of {', '.join(DIGEST_DAYS)} or off")
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError(
                "use at least 32 characters, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        return value

    @field_validator("institution_hei_id")
    @classmethod
    def _hei_id(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", value):
            raise ValueError("expected a lower-case SCHAC code such as polito.it")
        return value

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


def load_settings(**overrides: object) -> Settings:
    """Build settings; a bad value raises `ConfigError` naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        msg = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"HAMKOR_{field.upper()}: {msg}") from None
