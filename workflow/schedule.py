"""When the tick has work for an agreement: due transitions and the next-due date.

Pure: facts and a date in, decisions out. The tick stores `next_due_on` in an
indexed column so each day it reads only the agreements with something due.
"""

from __future__ import annotations

from datetime import date

from workflow.dates import ONE_DAY, renewal_opens_on
from workflow.lifecycle import IN_FORCE, Event, State
from workflow.reminders import next_reminder_on, renews_tacitly
from workflow.schedule_facts import Facts, Policy

__all__ = ["Facts", "Policy", "due_transition", "next_due_on", "end_event"]


def end_event(f: Facts) -> tuple[Event, date] | None:
    """How and when the agreement ends by itself, if nothing renews it."""
    if f.ends_on is not None:
        ended = f.ends_on + ONE_DAY
        if f.expires_on is None or f.ends_on < f.expires_on:
            return Event.TERMINATE, ended
        return Event.EXPIRE, ended
    if f.expires_on is not None and not renews_tacitly(f):
        return Event.EXPIRE, f.expires_on + ONE_DAY
    return None


def _candidates(f: Facts, policy: Policy) -> list[tuple[date, Event]]:
    """The automatic transitions of the current state with the date each falls due,
    in the tick's order (activate, open renewal, auto-renew, end by notice, expire)."""
    out: list[tuple[date, Event]] = []
    if f.state is State.SIGNED and f.starts_on is not None:
        out.append((f.starts_on, Event.ACTIVATE))
    if f.state in IN_FORCE:
        if f.state is State.ACTIVE and f.expires_on is not None:
            out.append((renewal_opens_on(f.expires_on, policy.window_days), Event.OPEN_RENEWAL))
        if renews_tacitly(f) and f.expires_on is not None:
            out.append((f.expires_on + ONE_DAY, Event.AUTO_RENEW))
        ending = end_event(f)
        if ending is not None:
            out.append((ending[1], ending[0]))
    return out


def due_transition(f: Facts, today: date, policy: Policy) -> tuple[Event, date] | None:
    """The automatic transition due on `today` that fell due first (the tick's order
    breaks ties), dated when its rule fell due (never before the previous event), or
    None. Earliest first: a tick that runs late (a holiday outage) must end an
    agreement on its notice date rather than open its renewal window first."""
    due = [(due_on, order, event) for order, (due_on, event) in enumerate(_candidates(f, policy))
           if due_on <= today and not (event is Event.ACTIVATE and f.activation_blocked)]
    if not due:
        return None
    due_on, _order, event = min(due)
    if f.last_event_on is not None and due_on < f.last_event_on:
        due_on = f.last_event_on
    return event, due_on


def next_due_on(f: Facts, after: date, policy: Policy) -> date | None:
    """Earliest date on which the tick has something to do: a transition (even an
    overdue one) or a reminder falling due after `after`."""
    dates = [d for d, _ in _candidates(f, policy)]
    reminder = next_reminder_on(f, after, policy)
    if reminder is not None:
        dates.append(reminder)
    return min(dates, default=None)
