"""Every row of the lifecycle table and every guard, allowed and refused (no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from transitions import MachineError

from cli.errors import option_name
from workflow.guards import GuardInput, refusal as problem_for
from workflow.lifecycle import (
    MANUAL_EVENTS,
    TERMINAL,
    TRANSITIONS,
    Event,
    Guard,
    Role,
    State,
    transition_for,
)
from workflow.machine import MACHINE, fire

TODAY = date(2025, 6, 1)


def refusal(t: Any, g: Any) -> str | None:
    """The guard's refusal as the command line words it (fields named by their options)."""
    problem = problem_for(t, g)
    return None if problem is None else problem.text(option_name)


def ready(state: State, **kw: object) -> GuardInput:
    """Inputs under which every guard of the table passes."""
    base = GuardInput(
        state=state, on=TODAY, today=TODAY, actor="anvar@uni.uz", role=Role.ADMIN,
        title="Exchange", owner="olga@uni.uz", party_count=2,
        starts_on=date(2025, 1, 1), expires_on=date(2025, 5, 1), auto_renew=True,
        renewal_months=12, notice_days=0, last_submitter="olga@uni.uz",
        unsigned_parties=("Hiroshima University",), parties=("Home", "Hiroshima University"),
        party="Hiroshima University", note="because", effective=None, last_event_on=TODAY,
        manual=True,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


ROWS = [(t, s) for t in TRANSITIONS for s in t.sources]


@pytest.mark.parametrize(("t", "source"), ROWS, ids=[f"{t.event}-from-{s}" for t, s in ROWS])
def test_each_row_moves_to_its_destination(t, source) -> None:  # type: ignore[no-untyped-def]
    """From each listed source the event goes where the table says (sign: interim, then dest)."""
    if t.event is Event.GIVE_NOTICE:
        g = ready(source, auto_renew=False, expires_on=date(2025, 12, 31), notice_days=30)
    elif t.event in (Event.EXPIRE, Event.AUTO_RENEW):
        g = ready(source, manual=False, auto_renew=t.event is Event.AUTO_RENEW)
    else:
        g = ready(source, manual=t.manual)
    assert refusal(t, g) is None
    if t.interim is not None:
        assert fire(source.value, t.event.value) == t.interim.value
        assert fire(source.value, t.event.value, last_signature=True) == t.dest.value  # type: ignore[union-attr]
    else:
        assert fire(source.value, t.event.value) == (t.dest or source).value


@pytest.mark.parametrize("t", TRANSITIONS, ids=[t.event.value for t in TRANSITIONS])
def test_each_event_is_refused_from_states_outside_its_row(t) -> None:  # type: ignore[no-untyped-def]
    for state in State:
        if state in t.sources:
            continue
        reason = refusal(t, ready(state))
        assert reason is not None and "only possible from" in reason
        with pytest.raises(MachineError):
            fire(state.value, t.event.value)


def test_terminal_states_have_no_way_out() -> None:
    for state in TERMINAL:
        assert not [t for t in TRANSITIONS if state in t.sources]


def test_machine_is_built_once_from_the_table() -> None:
    assert set(MACHINE.events) == {t.event.value for t in TRANSITIONS}
    assert MACHINE.models == []  # never a model per agreement


def test_automatic_only_events_are_refused_when_fired_by_hand() -> None:
    for name in ("open_renewal", "auto_renew", "expire", "supersede"):
        assert name not in MANUAL_EVENTS
        reason = refusal(transition_for(Event(name)), ready(State.ACTIVE))
        assert reason and "automatic" in reason


# --- guards -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("missing", "change"),
    [("title", {"title": "  "}), ("at least one partner", {"party_count": 1}),
     ("owner", {"owner": None}), ("start date", {"starts_on": None}),
     ("expiry date", {"expires_on": None}), ("renewal months", {"renewal_months": None})],
)
def test_submit_needs_a_complete_draft(missing: str, change: dict[str, object]) -> None:
    t = transition_for(Event.SUBMIT)
    assert refusal(t, ready(State.DRAFT)) is None
    reason = refusal(t, ready(State.DRAFT, **change))
    assert reason is not None and missing in reason


def test_submit_accepts_an_indefinite_term() -> None:
    g = ready(State.DRAFT, expires_on=None, indefinite=True, auto_renew=False)
    assert refusal(transition_for(Event.SUBMIT), g) is None


def test_approve_needs_an_approver_who_did_not_submit() -> None:
    t = transition_for(Event.APPROVE)
    assert "four eyes" in (refusal(t, ready(State.IN_REVIEW, actor="olga@uni.uz")) or "")
    officer = refusal(t, ready(State.IN_REVIEW, role=Role.OFFICER))
    assert officer and "needs role approver" in officer
    assert refusal(t, ready(State.IN_REVIEW, role=Role.APPROVER)) is None


def test_request_changes_needs_an_approver_and_a_note() -> None:
    t = transition_for(Event.REQUEST_CHANGES)
    assert "needs role approver" in (refusal(t, ready(State.IN_REVIEW, role=Role.OFFICER)) or "")
    assert "note is required" in (refusal(t, ready(State.IN_REVIEW, note=" ")) or "")


@pytest.mark.parametrize("event", ["terminate", "withdraw", "give_notice", "request_changes"])
def test_events_that_need_a_note_refuse_without_one(event: str) -> None:
    t = transition_for(Event(event))
    g = ready(t.sources[0], note=None, auto_renew=False, expires_on=date(2025, 12, 31))
    assert "note is required" in (refusal(t, g) or "")


def test_sign_needs_an_unsigned_party_of_this_agreement() -> None:
    t = transition_for(Event.SIGN)
    assert "--party is required" in (refusal(t, ready(State.AWAITING_SIGNATURES, party=None)) or "")
    assert "not a party" in (refusal(t, ready(State.AWAITING_SIGNATURES, party="MIT")) or "")
    assert "already signed" in (refusal(t, ready(State.AWAITING_SIGNATURES, party="Home")) or "")


def test_activate_waits_for_the_start_date() -> None:
    t = transition_for(Event.ACTIVATE)
    reason = refusal(t, ready(State.SIGNED, starts_on=date(2025, 7, 1)))
    assert reason == "it starts on 2025-07-01"
    assert refusal(t, ready(State.SIGNED, starts_on=TODAY)) is None


def test_viewer_may_not_do_anything() -> None:
    for t in TRANSITIONS:
        if t.manual:
            reason = refusal(t, ready(t.sources[0], role=Role.VIEWER))
            assert reason and "viewer" in reason


def test_back_dating_is_bounded_by_the_previous_event_and_today() -> None:
    t = transition_for(Event.SUBMIT)
    future = refusal(t, ready(State.DRAFT, on=date(2025, 6, 2)))
    assert future == "--on 2025-06-02 is in the future"
    early = refusal(t, ready(State.DRAFT, on=date(2025, 5, 1), last_event_on=date(2025, 5, 2)))
    assert early and "before the previous event (2025-05-02)" in early
    assert refusal(t, ready(State.DRAFT, on=date(2025, 5, 2), last_event_on=date(2025, 5, 2))) is None


def test_give_notice_respects_the_notice_period_and_the_expiry() -> None:
    t = transition_for(Event.GIVE_NOTICE)
    g = ready(State.ACTIVE, expires_on=date(2025, 12, 31), notice_days=90, auto_renew=True)
    assert refusal(t, g) is None  # default effective = expiry, 213 days ahead
    late = refusal(t, replace(g, on=date(2025, 10, 15), today=date(2025, 10, 15), last_event_on=None))
    assert late and "had to be given by 2025-10-02" in late
    after = refusal(t, replace(g, effective=date(2026, 1, 5)))
    assert after and "after the expiry" in after
    again = refusal(t, replace(g, notice_given_on=date(2025, 5, 1)))
    assert again and "already given" in again
    open_ended = refusal(t, replace(g, expires_on=None, indefinite=True))
    assert open_ended and "--effective DATE is required" in open_ended


def test_automatic_guards_follow_the_dates() -> None:
    open_renewal = transition_for(Event.OPEN_RENEWAL)
    g = ready(State.ACTIVE, manual=False, expires_on=date(2025, 12, 31), renewal_window_days=180)
    assert refusal(open_renewal, g) == "the renewal window opens on 2025-07-04"
    assert refusal(open_renewal, replace(g, on=date(2025, 7, 4))) is None
    expire = transition_for(Event.EXPIRE)
    assert refusal(expire, replace(g, on=date(2025, 12, 31))) == "it has not passed its expiry"
    assert refusal(expire, replace(g, on=date(2026, 1, 1))) is None
    auto = transition_for(Event.AUTO_RENEW)
    assert refusal(auto, replace(g, on=date(2026, 1, 1), notice_given_on=date(2025, 3, 1)))


def test_every_guard_of_the_table_is_exercised() -> None:
    used = {g for t in TRANSITIONS for g in t.guards}
    assert used == set(Guard)
