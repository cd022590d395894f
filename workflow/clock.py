"""Time is injected: every service takes a `Clock`, never the wall clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Clock:
    """A fixed instant and the office's time zone; `today` is the local date."""

    now: datetime
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("Clock.now must be timezone-aware")

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    @property
    def utcnow(self) -> datetime:
        return self.now.astimezone(UTC)

    @classmethod
    def at(cls, value: datetime, zone: ZoneInfo) -> Clock:
        """A naive `value` is read in `zone` (`hamkor tick --now`)."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone)
        return cls(value, zone)

    @classmethod
    def on(cls, day: date, zone: ZoneInfo, hour: int = 12) -> Clock:
        return cls(datetime(day.year, day.month, day.day, hour, tzinfo=zone), zone)
