"""When the tick has work: due automatic transitions (in the table's order, dated when
their rule fell due) and the indexed next-due date. Pure: facts and a date in."""

from __future__ import annotations

from datetime import date

import pytest

from workflow.lifecycle import Event, State
from workflow.schedule import due_transition, end_event, next_due_on
from workflow.schedule_facts import Facts, Policy

POLICY = Policy()
D = date.fromisoformat


def f(state: State = State.ACTIVE, **kw: object) -> Facts:
    base: dict[str, object] = {"state": state, "starts_on": D("2025-03-01"),
                               "expires_on": D("2028-02-29")}
    base.update(kw)
    return Facts(**base)  # type: ignore[arg-type]


def test_a_signed_agreement_activates_on_its_start_date_not_before() -> None:
    signed = f(State.SIGNED, starts_on=D("2028-02-29"), expires_on=D("2031-02-28"))
    assert due_transition(signed, D("2028-02-28"), POLICY) is None
    assert due_transition(signed, D("2028-02-29"), POLICY) == (Event.ACTIVATE, D("2028-02-29"))


def test_a_late_activation_is_dated_on_the_start_date() -> None:
    signed = f(State.SIGNED, starts_on=D("2027-01-31"), expires_on=D("2030-01-30"))
    assert due_transition(signed, D("2027-03-15"), POLICY) == (Event.ACTIVATE, D("2027-01-31"))


def test_an_automatic_event_is_never_dated_before_the_previous_event() -> None:
    """Signed after its start date: activation is dated on the signature, not earlier."""
    signed = f(State.SIGNED, starts_on=D("2027-01-01"), expires_on=D("2030-01-01"),
               last_event_on=D("2027-02-10"))
    assert due_transition(signed, D("2027-02-10"), POLICY) == (Event.ACTIVATE, D("2027-02-10"))


@pytest.mark.parametrize(("expires", "opens"), [
    ("2028-02-29", "2027-09-02"), ("2027-03-31", "2026-10-02"), ("2026-12-31", "2026-07-04")])
def test_the_renewal_window_opens_180_days_before_expiry(expires: str, opens: str) -> None:
    a = f(expires_on=D(expires))
    before = date.fromordinal(D(opens).toordinal() - 1)
    assert due_transition(a, before, POLICY) is None
    assert due_transition(a, D(opens), POLICY) == (Event.OPEN_RENEWAL, D(opens))


def test_expiry_happens_the_day_after_the_last_day_in_force() -> None:
    a = f(State.RENEWAL_DUE)
    assert due_transition(a, D("2028-02-29"), POLICY) is None
    assert due_transition(a, D("2028-03-01"), POLICY) == (Event.EXPIRE, D("2028-03-01"))
    # A tick weeks late still dates it on 1 March.
    assert due_transition(a, D("2028-04-15"), POLICY) == (Event.EXPIRE, D("2028-03-01"))


def test_an_auto_renewing_agreement_renews_instead_of_expiring() -> None:
    a = f(State.RENEWAL_DUE, auto_renew=True, renewal_months=12, notice_days=60)
    assert due_transition(a, D("2028-03-01"), POLICY) == (Event.AUTO_RENEW, D("2028-03-01"))
    assert end_event(a) is None


def test_notice_ending_before_expiry_terminates_and_at_expiry_expires() -> None:
    early = f(State.RENEWAL_DUE, auto_renew=True, renewal_months=12,
              notice_given_on=D("2027-05-01"), ends_on=D("2027-10-31"))
    assert end_event(early) == (Event.TERMINATE, D("2027-11-01"))
    assert due_transition(early, D("2027-11-01"), POLICY) == (Event.TERMINATE, D("2027-11-01"))
    at_expiry = f(State.RENEWAL_DUE, auto_renew=True, renewal_months=12,
                  notice_given_on=D("2027-05-01"), ends_on=D("2028-02-29"))
    assert due_transition(at_expiry, D("2028-03-01"), POLICY) == (Event.EXPIRE, D("2028-03-01"))


def test_the_tick_order_opens_renewal_before_expiring() -> None:
    """A tick a year late walks the agreement through open_renewal, then expire."""
    a = f()
    assert due_transition(a, D("2029-01-01"), POLICY) == (Event.OPEN_RENEWAL, D("2027-09-02"))


def test_indefinite_agreements_have_no_automatic_end() -> None:
    a = f(expires_on=None)
    assert due_transition(a, D("2099-01-01"), POLICY) is None
    assert next_due_on(a, D("2099-01-01"), POLICY) is None


def test_next_due_on_is_the_earliest_transition_or_reminder() -> None:
    a = f()  # expires 2028-02-29: window and 180-day reminder on 2027-09-02
    assert next_due_on(a, D("2027-01-01"), POLICY) == D("2027-09-02")
    b = f(State.RENEWAL_DUE)
    assert next_due_on(b, D("2027-09-02"), POLICY) == D("2027-12-01")  # the 90-day reminder
    assert next_due_on(b, D("2028-02-22"), POLICY) == D("2028-03-01")  # then expiry
    signed = f(State.SIGNED, starts_on=D("2027-06-30"), expires_on=D("2029-06-29"))
    assert next_due_on(signed, D("2027-01-01"), POLICY) == D("2027-06-30")


def test_next_due_on_of_an_agreement_awaiting_signatures_is_the_next_nudge() -> None:
    a = f(State.AWAITING_SIGNATURES, state_since=D("2027-01-31"))
    assert next_due_on(a, D("2027-01-31"), POLICY) == D("2027-02-14")
    assert next_due_on(a, D("2027-02-14"), POLICY) == D("2027-02-28")


def test_after_a_signed_successor_only_the_transitions_remain_due() -> None:
    b = f(State.RENEWAL_DUE, successor_signed=True)
    assert next_due_on(b, D("2027-09-02"), POLICY) == D("2028-03-01")
