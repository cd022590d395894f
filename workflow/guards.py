"""Guard checks of the lifecycle table, as pure functions returning a reason.

Each takes a `GuardInput` (plain data) and returns None when the event may
happen, or the sentence the user reads when it may not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from workflow import dates
from workflow.lifecycle import Event, Guard, Role, State, Transition


@dataclass(frozen=True)
class GuardInput:
    state: State
    on: date  # business date the event takes effect
    today: date
    actor: str
    role: Role
    title: str = ""
    owner: str | None = None
    party_count: int = 0
    starts_on: date | None = None
    expires_on: date | None = None
    indefinite: bool = False
    auto_renew: bool = False
    renewal_months: int | None = None
    notice_days: int | None = None
    notice_given_on: date | None = None
    last_submitter: str | None = None
    unsigned_parties: tuple[str, ...] = ()
    party: str | None = None  # --party for sign
    note: str | None = None
    effective: date | None = None  # --effective for give_notice
    last_event_on: date | None = None
    approved_on: date | None = None  # a signature may be dated any day from the approval on
    renewal_window_days: int = 180
    manual: bool = True
    parties: tuple[str, ...] = field(default=())
    signed_copy_missing: bool = False  # HAMKOR_REQUIRE_SIGNED_COPY and none attached


def _complete(g: GuardInput) -> str | None:
    missing = []
    if not g.title.strip():
        missing.append("title")
    if g.party_count < 2:
        missing.append("at least one partner")
    if not g.owner:
        missing.append("owner")
    if g.starts_on is None:
        missing.append("start date")
    if g.expires_on is None and not g.indefinite:
        missing.append("expiry date (or --indefinite)")
    if g.auto_renew and not g.renewal_months:
        missing.append("renewal months")
    return f"incomplete: missing {', '.join(missing)}" if missing else None


def _four_eyes(g: GuardInput) -> str | None:
    if g.last_submitter is not None and g.last_submitter == g.actor:
        return f"{g.actor} submitted it; another approver must approve (four eyes)"
    return None


def _unsigned_party(g: GuardInput) -> str | None:
    if not g.party:
        return "--party is required: one of " + ", ".join(g.unsigned_parties)
    if g.party not in g.parties:
        return f"{g.party!r} is not a party of this agreement"
    if g.party not in g.unsigned_parties:
        return f"{g.party} has already signed"
    return None


def _started(g: GuardInput) -> str | None:
    if g.starts_on is None:
        return "no start date"
    if g.starts_on > g.on:
        return f"it starts on {g.starts_on.isoformat()}"
    return None


def _renewal_window(g: GuardInput) -> str | None:
    if g.expires_on is None:
        return "no expiry date"
    opens = dates.renewal_opens_on(g.expires_on, g.renewal_window_days)
    return None if opens <= g.on else f"the renewal window opens on {opens.isoformat()}"


def _at_expiry_auto(g: GuardInput) -> str | None:
    if not g.auto_renew or g.notice_given_on is not None:
        return "it does not renew automatically"
    if g.expires_on is None or g.expires_on >= g.on:
        return "it has not reached its expiry"
    return None


def _past_expiry(g: GuardInput) -> str | None:
    if g.expires_on is None or g.expires_on >= g.on:
        return "it has not passed its expiry"
    return None


def _notice_date(g: GuardInput) -> str | None:
    if g.notice_given_on is not None:
        return f"notice was already given on {g.notice_given_on.isoformat()}"
    effective = g.effective or g.expires_on
    if effective is None:
        return "--effective DATE is required for an agreement without expiry"
    if effective < g.on:
        return f"--effective {effective.isoformat()} is before the notice date {g.on.isoformat()}"
    if g.expires_on is not None and effective > g.expires_on:
        return f"--effective {effective.isoformat()} is after the expiry {g.expires_on.isoformat()}"
    if g.notice_days and effective < g.on + timedelta(days=g.notice_days):
        latest = effective - timedelta(days=g.notice_days)
        return (
            f"the notice period is {g.notice_days} days: notice for {effective.isoformat()} "
            f"had to be given by {latest.isoformat()}"
        )
    return None


def _signed_copy(g: GuardInput) -> str | None:
    from workflow.signed_copy import REASON

    return REASON if g.signed_copy_missing else None


CHECKS: dict[Guard, Callable[[GuardInput], str | None]] = {
    Guard.COMPLETE: _complete,
    Guard.FOUR_EYES: _four_eyes,
    Guard.UNSIGNED_PARTY: _unsigned_party,
    Guard.STARTED: _started,
    Guard.RENEWAL_WINDOW: _renewal_window,
    Guard.AT_EXPIRY_AUTO: _at_expiry_auto,
    Guard.PAST_EXPIRY: _past_expiry,
    Guard.NOTICE_DATE: _notice_date,
    Guard.SIGNED_COPY: _signed_copy,
}


def refusal(t: Transition, g: GuardInput) -> str | None:
    """Why `t` may not happen for `g`, or None. Order: shape, role, dates, note, guards."""
    if g.state not in t.sources:
        allowed = ", ".join(s.value for s in t.sources)
        return f"{t.event.value} is only possible from {allowed}"
    if g.manual and not t.manual:
        return f"{t.event.value} is automatic (run by the daily tick)"
    if g.manual and g.role < t.role:
        return f"{g.actor} is {g.role.label}; {t.event.value} needs role {t.role.label} or above"
    if g.manual:
        if g.on > g.today:
            return f"--on {g.on.isoformat()} is in the future"
        if t.event is Event.SIGN and g.approved_on is not None:
            # The office often records "sent for signature" after the partner signed:
            # a signature may be dated back to the approval, not only to the last event.
            if g.on < g.approved_on:
                return f"--on {g.on.isoformat()} is before the approval ({g.approved_on.isoformat()})"
        elif g.last_event_on is not None and g.on < g.last_event_on:
            return f"--on {g.on.isoformat()} is before the previous event ({g.last_event_on.isoformat()})"
    if t.note_required and not (g.note and g.note.strip()):
        return "a note is required (--note)"
    for guard in t.guards:
        reason = CHECKS[guard](g)
        if reason:
            return reason
    return None
