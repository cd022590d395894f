"""Reminder rules (README "Reminders, the tick and the worker") as pure functions of an agreement's facts and a date.

`due_reminders` lists every reminder of the current term whose date has come;
the tick sends the most recent one per rule and records older missed ones as
skipped, so a late tick neither floods nor misses. Keys
(agreement, term, rule, offset) make each one happen once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from workflow.lifecycle import BINDING, State
from workflow.schedule_facts import Facts, Policy


class Rule(StrEnum):
    RENEWAL = "renewal"
    NOTICE = "notice"
    SIGNATURE = "signature"
    EXPIRED = "expired"


@dataclass(frozen=True, order=True)
class Reminder:
    due_on: date
    rule: Rule
    offset: int  # days before the deadline (renewal/notice) or since the state began (signature)
    deadline: date | None  # the expiry or notice deadline it counts back from
    cc_approvers: bool = False

    def key(self, agreement_id: int, term: int) -> str:
        return notification_key(agreement_id, term, self.rule, self.offset)


def notification_key(agreement_id: int, term: int, rule: str, offset: int) -> str:
    return f"{agreement_id}:{term}:{rule}:{offset}"


_REMINDABLE = BINDING


def renews_tacitly(f: Facts) -> bool:
    return f.auto_renew and f.notice_given_on is None and bool(f.renewal_months)


def _countdown(rule: Rule, deadline: date, policy: Policy) -> list[Reminder]:
    smallest = min(policy.reminder_days)
    return [
        Reminder(deadline - timedelta(days=d), rule, d, deadline, cc_approvers=d == smallest)
        for d in policy.reminder_days
    ]


def schedule(f: Facts, policy: Policy, horizon: date) -> list[Reminder]:
    """All reminders of the current term that fall due on or before `horizon`, by date.

    Renewal and notice reminders count back from their deadline and stop at it;
    signature nudges repeat every `policy.nudge_days` while awaiting signatures.
    """
    out: list[Reminder] = []
    if f.state in _REMINDABLE and not f.successor_signed:
        if renews_tacitly(f):
            if f.expires_on is not None:
                deadline = f.expires_on - timedelta(days=f.notice_days or 0)
                out += _countdown(Rule.NOTICE, deadline, policy)
        else:
            end = f.ends_on or f.expires_on
            if end is not None:
                out += _countdown(Rule.RENEWAL, end, policy)
    if f.state is State.AWAITING_SIGNATURES and f.state_since is not None:
        step = policy.nudge_days
        k = 1
        while f.state_since + timedelta(days=k * step) <= horizon:
            out.append(Reminder(f.state_since + timedelta(days=k * step), Rule.SIGNATURE, k * step, None))
            k += 1
    return sorted(r for r in out if r.due_on <= horizon)


def due_reminders(f: Facts, today: date, policy: Policy) -> tuple[list[Reminder], list[Reminder]]:
    """(send, skip): per rule the most recent due reminder, and the older ones missed.

    Nothing is due after its deadline has passed (the agreement has expired or
    the notice deadline is gone; the tick's transitions take over).
    """
    due = [r for r in schedule(f, policy, today) if r.deadline is None or today <= r.deadline]
    send: list[Reminder] = []
    skip: list[Reminder] = []
    for rule in Rule:
        mine = [r for r in due if r.rule is rule]
        if mine:
            send.append(mine[-1])
            skip.extend(mine[:-1])
    return send, skip


def next_reminder_on(f: Facts, after: date, policy: Policy) -> date | None:
    """The first date after `after` on which a reminder of this term falls due."""
    if f.state is State.AWAITING_SIGNATURES and f.state_since is not None:
        step = policy.nudge_days
        elapsed = (after - f.state_since).days
        k = max(1, elapsed // step + 1)
        return f.state_since + timedelta(days=k * step)
    upcoming = [r.due_on for r in schedule(f, policy, date.max) if r.due_on > after]
    return min(upcoming, default=None)
