"""Guard checks of the lifecycle table, as pure functions returning a reason.

Each takes a `GuardInput` (plain data) and returns None when the event may
happen, or the `Problem` (workflow/rules.py) the user reads when it may not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from workflow import dates
from workflow.errors import Problem
from workflow.lifecycle import Event, Guard, Role, State, Transition
from workflow.rules import problem


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


#: What `guard.incomplete` names as missing: its key (a door words it, `need.<key>` in the
#: web's catalogs) and the rule book's English.
_NEEDED = {"title": "title", "partner": "at least one partner", "owner": "owner",
           "starts_on": "start date", "expires_on": "expiry date (or indefinite)",
           "renewal_months": "renewal months"}


def _complete(g: GuardInput) -> Problem | None:
    missing = []
    if not g.title.strip():
        missing.append("title")
    if g.party_count < 2:
        missing.append("partner")
    if not g.owner:
        missing.append("owner")
    if g.starts_on is None:
        missing.append("starts_on")
    if g.expires_on is None and not g.indefinite:
        missing.append("expires_on")
    if g.auto_renew and not g.renewal_months:
        missing.append("renewal_months")
    if not missing:
        return None
    return problem("guard.incomplete", missing=", ".join(_NEEDED[k] for k in missing),
                   missing_keys=tuple(missing))


def _four_eyes(g: GuardInput) -> Problem | None:
    if g.last_submitter is not None and g.last_submitter == g.actor:
        return problem("guard.four_eyes", actor=g.actor)
    return None


def _unsigned_party(g: GuardInput) -> Problem | None:
    if not g.party:
        return problem("guard.party_missing", "party", parties=", ".join(g.unsigned_parties))
    if g.party not in g.parties:
        return problem("guard.party_unknown", "party", party=g.party)
    if g.party not in g.unsigned_parties:
        return problem("guard.party_signed", "party", party=g.party)
    return None


def _started(g: GuardInput) -> Problem | None:
    if g.starts_on is None:
        return problem("guard.no_start")
    if g.starts_on > g.on:
        return problem("guard.not_started", starts=g.starts_on.isoformat())
    return None


def _renewal_window(g: GuardInput) -> Problem | None:
    if g.expires_on is None:
        return problem("guard.no_expiry")
    opens = dates.renewal_opens_on(g.expires_on, g.renewal_window_days)
    return None if opens <= g.on else problem("guard.window", opens=opens.isoformat())


def _at_expiry_auto(g: GuardInput) -> Problem | None:
    if not g.auto_renew or g.notice_given_on is not None:
        return problem("guard.not_auto")
    if g.expires_on is None or g.expires_on >= g.on:
        return problem("guard.not_at_expiry")
    return None


def _past_expiry(g: GuardInput) -> Problem | None:
    if g.expires_on is None or g.expires_on >= g.on:
        return problem("guard.not_past_expiry")
    return None


def _notice_date(g: GuardInput) -> Problem | None:
    if g.notice_given_on is not None:
        return problem("guard.notice_given", on=g.notice_given_on.isoformat())
    effective = g.effective or g.expires_on
    if effective is None:
        return problem("guard.effective_missing", "effective")
    if effective < g.on:
        return problem("guard.effective_before", "effective", effective=effective.isoformat(),
                       on=g.on.isoformat())
    if g.expires_on is not None and effective > g.expires_on:
        return problem("guard.effective_after", "effective", effective=effective.isoformat(),
                       expires=g.expires_on.isoformat())
    if g.notice_days and effective < g.on + timedelta(days=g.notice_days):
        latest = effective - timedelta(days=g.notice_days)
        return problem("guard.notice_late", "effective", days=g.notice_days,
                       effective=effective.isoformat(), latest=latest.isoformat())
    return None


def _signed_copy(g: GuardInput) -> Problem | None:
    return problem("guard.signed_copy", "kind") if g.signed_copy_missing else None


CHECKS: dict[Guard, Callable[[GuardInput], Problem | None]] = {
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


def refusal(t: Transition, g: GuardInput) -> Problem | None:
    """Why `t` may not happen for `g`, or None. Order: shape, role, dates, note, guards.
    A refusal for the role has the code `guard.role` (the doors answer it as forbidden)."""
    if g.state not in t.sources:
        allowed = ", ".join(s.value for s in t.sources)
        return problem("guard.source", event=t.event.value, allowed=allowed)
    if g.manual and not t.manual:
        return problem("guard.automatic", event=t.event.value)
    if g.manual and g.role < t.role:
        return problem("guard.role", actor=g.actor, role=g.role.label, event=t.event.value,
                       needed=t.role.label)
    if g.manual:
        if g.on > g.today:
            return problem("guard.on_future", "on", on=g.on.isoformat())
        if t.event is Event.SIGN and g.approved_on is not None:
            # The office often records "sent for signature" after the partner signed:
            # a signature may be dated back to the approval, not only to the last event.
            if g.on < g.approved_on:
                return problem("guard.on_before_approval", "on", on=g.on.isoformat(),
                               approved=g.approved_on.isoformat())
        elif g.last_event_on is not None and g.on < g.last_event_on:
            return problem("guard.on_before_last", "on", on=g.on.isoformat(),
                           last=g.last_event_on.isoformat())
    if t.note_required and not (g.note and g.note.strip()):
        return problem("guard.note", "note")
    for guard in t.guards:
        reason = CHECKS[guard](g)
        if reason:
            return reason
    return None
