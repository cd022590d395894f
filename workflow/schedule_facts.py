"""Plain data the date rules work on (no ORM, no session)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from workflow.lifecycle import State


@dataclass(frozen=True)
class Policy:
    reminder_days: tuple[int, ...] = (180, 90, 30, 7)
    nudge_days: int = 14

    @property
    def window_days(self) -> int:
        """The renewal window: the largest reminder offset."""
        return max(self.reminder_days)


@dataclass(frozen=True)
class Facts:
    state: State
    starts_on: date | None = None
    expires_on: date | None = None
    ends_on: date | None = None
    auto_renew: bool = False
    renewal_months: int | None = None
    notice_days: int | None = None
    notice_given_on: date | None = None
    term: int = 1
    state_since: date | None = None
    successor_signed: bool = False
    last_event_on: date | None = None
    #: HAMKOR_REQUIRE_SIGNED_COPY and no signed copy: activation waits (checked each day).
    activation_blocked: bool = False
