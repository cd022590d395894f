"""Reminder rules as pure functions of (facts, today): which reminder is due, which was missed.

Expected dates are written out by hand (not recomputed with the code's own
arithmetic), across leap days and month ends.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings, strategies as st

from workflow.lifecycle import State
from workflow.reminders import (
    Rule,
    due_reminders,
    next_reminder_on,
    notification_key,
    schedule,
)
from workflow.schedule_facts import Facts, Policy

POLICY = Policy()  # 180, 90, 30, 7 days; nudges every 14 days
D = date.fromisoformat


def active(expires: str, **kw: object) -> Facts:
    base: dict[str, object] = {"state": State.ACTIVE, "starts_on": D("2020-01-01"),
                               "expires_on": D(expires)}
    base.update(kw)
    return Facts(**base)  # type: ignore[arg-type]


def countdown(f: Facts) -> list[tuple[str, Rule, int]]:
    return [(r.due_on.isoformat(), r.rule, r.offset) for r in schedule(f, POLICY, date.max)]


@pytest.mark.parametrize(("expires", "dates"), [
    # a leap day: 29 February 2028
    ("2028-02-29", ["2027-09-02", "2027-12-01", "2028-01-30", "2028-02-22"]),
    # a month end after a short February
    ("2027-03-31", ["2026-10-02", "2026-12-31", "2027-03-01", "2027-03-24"]),
    # the day after a leap day
    ("2024-03-01", ["2023-09-03", "2023-12-02", "2024-01-31", "2024-02-23"]),
    # a year end
    ("2026-12-31", ["2026-07-04", "2026-10-02", "2026-12-01", "2026-12-24"]),
])
def test_renewal_reminders_fall_180_90_30_and_7_days_before_expiry(expires: str, dates: list[str]) -> None:
    assert countdown(active(expires)) == [
        (dates[0], Rule.RENEWAL, 180), (dates[1], Rule.RENEWAL, 90),
        (dates[2], Rule.RENEWAL, 30), (dates[3], Rule.RENEWAL, 7)]


def test_only_the_last_renewal_reminder_copies_the_approvers() -> None:
    cc = {r.offset: r.cc_approvers for r in schedule(active("2027-06-30"), POLICY, date.max)}
    assert cc == {180: False, 90: False, 30: False, 7: True}


def test_reminder_days_are_configurable() -> None:
    f = active("2027-01-31")
    got = [(r.due_on.isoformat(), r.offset, r.cc_approvers)
           for r in schedule(f, Policy(reminder_days=(60, 14, 1)), date.max)]
    assert got == [("2026-12-02", 60, False), ("2027-01-17", 14, False), ("2027-01-30", 1, True)]


def test_an_auto_renewing_agreement_counts_back_from_the_notice_deadline() -> None:
    """Expires 2027-12-31 with 90 days' notice: the deadline is 2027-10-02."""
    f = active("2027-12-31", auto_renew=True, renewal_months=12, notice_days=90)
    assert countdown(f) == [("2027-04-05", Rule.NOTICE, 180), ("2027-07-04", Rule.NOTICE, 90),
                            ("2027-09-02", Rule.NOTICE, 30), ("2027-09-25", Rule.NOTICE, 7)]


def test_after_notice_is_given_the_countdown_is_to_the_end_date() -> None:
    f = active("2027-12-31", auto_renew=True, renewal_months=12, notice_days=90,
               notice_given_on=D("2027-05-01"), ends_on=D("2027-08-31"))
    assert countdown(f) == [("2027-03-04", Rule.RENEWAL, 180), ("2027-06-02", Rule.RENEWAL, 90),
                            ("2027-08-01", Rule.RENEWAL, 30), ("2027-08-24", Rule.RENEWAL, 7)]


def test_on_its_due_day_a_reminder_is_sent_and_the_next_is_not_yet_due() -> None:
    f = active("2027-03-31")
    send, skip = due_reminders(f, D("2026-12-31"), POLICY)
    assert [(r.rule, r.offset) for r in send] == [(Rule.RENEWAL, 90)]
    assert [r.offset for r in skip] == [180]  # already past: recorded, never re-sent (unique key)
    assert due_reminders(f, D("2026-10-01"), POLICY) == ([], [])
    assert next_reminder_on(f, D("2026-12-31"), POLICY) == D("2027-03-01")


def test_a_late_tick_sends_only_the_most_recent_due_reminder_and_skips_older_ones() -> None:
    f = active("2028-02-29")
    send, skip = due_reminders(f, D("2028-02-10"), POLICY)  # down since the summer
    assert [r.offset for r in send] == [30]
    assert [r.offset for r in skip] == [180, 90]


def test_nothing_is_due_once_the_agreement_is_past_its_last_day() -> None:
    f = active("2027-03-31")
    assert due_reminders(f, D("2027-03-31"), POLICY)[0][0].offset == 7
    assert due_reminders(f, D("2027-04-01"), POLICY) == ([], [])


@pytest.mark.parametrize("state", [State.EXPIRED, State.TERMINATED, State.SUPERSEDED,
                                   State.WITHDRAWN, State.DRAFT, State.IN_REVIEW, State.APPROVED])
def test_closed_and_unsigned_agreements_get_no_renewal_reminders(state: State) -> None:
    assert schedule(active("2027-03-31", state=state), POLICY, date.max) == []


def test_a_signed_successor_stops_renewal_reminders_but_a_draft_does_not() -> None:
    assert schedule(active("2027-03-31", successor_signed=True), POLICY, date.max) == []
    # A draft (or withdrawn) successor leaves successor_signed False: reminders go on.
    assert len(schedule(active("2027-03-31", successor_signed=False), POLICY, date.max)) == 4


def test_signed_but_not_started_agreements_are_reminded_too() -> None:
    f = active("2027-03-31", state=State.SIGNED, starts_on=D("2027-01-01"))
    assert [r.offset for r in due_reminders(f, D("2027-03-01"), POLICY)[0]] == [30]


def test_signature_nudges_repeat_every_14_days_while_awaiting_signatures() -> None:
    f = Facts(state=State.AWAITING_SIGNATURES, state_since=D("2028-01-31"))
    got = [(r.due_on.isoformat(), r.offset) for r in schedule(f, POLICY, D("2028-04-10"))]
    assert got == [("2028-02-14", 14), ("2028-02-28", 28), ("2028-03-13", 42),
                   ("2028-03-27", 56), ("2028-04-10", 70)]
    assert due_reminders(f, D("2028-02-13"), POLICY) == ([], [])
    send, skip = due_reminders(f, D("2028-03-20"), POLICY)  # a late tick
    assert [r.offset for r in send] == [42] and [r.offset for r in skip] == [14, 28]
    assert next_reminder_on(f, D("2028-03-13"), POLICY) == D("2028-03-27")
    assert next_reminder_on(f, D("2028-01-31"), POLICY) == D("2028-02-14")


def test_keys_name_agreement_term_rule_and_offset() -> None:
    assert notification_key(7, 2, "renewal", 30) == "7:2:renewal:30"
    first = schedule(active("2027-03-31", term=1), POLICY, date.max)[0]
    assert first.key(7, 1) != first.key(7, 2)  # a new term is reminded again


@settings(max_examples=200, deadline=None)
@given(expires=st.dates(date(2024, 1, 1), date(2032, 12, 31)),
       gaps=st.lists(st.integers(1, 120), min_size=1, max_size=40),
       auto=st.booleans())
def test_ticking_on_any_days_sends_each_reminder_at_most_once_and_never_floods(
        expires: date, gaps: list[int], auto: bool) -> None:
    """Whatever days the tick runs, a key is sent or skipped once (the unique key's job),
    a tick sends at most one reminder per rule, and a daily tick sends them all."""
    f = active(expires.isoformat(), auto_renew=auto, renewal_months=12 if auto else None,
               notice_days=30 if auto else None)
    day = expires - timedelta(days=400)
    recorded: dict[int, str] = {}
    for gap in gaps:
        day += timedelta(days=gap)
        send, skip = due_reminders(f, day, POLICY)
        assert len(send) <= 1
        for r in send:
            assert r.due_on <= day
            recorded.setdefault(r.offset, "sent")
        for r in skip:
            recorded.setdefault(r.offset, "skipped")
            assert r.due_on < send[0].due_on
    daily: list[int] = []
    day = expires - timedelta(days=400)
    while day <= expires + timedelta(days=2):
        for r in due_reminders(f, day, POLICY)[0]:
            if r.due_on == day:
                daily.append(r.offset)
        day += timedelta(days=1)
    assert daily == [180, 90, 30, 7]
