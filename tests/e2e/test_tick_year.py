"""A simulated year: the tick runs every day of 2027 (as `hamkor tick --now DAY` does) over a
crafted set of agreements, with staff acting on some days, and a real SMTP server on
loopback receives each expected reminder exactly once, on the day it falls due."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from models import Agreement
from root import App
from tests.tick.test_tick_kit import SmtpSink, World
from tick.worker import tick_once
from workflow.agreements import reschedule

D = date.fromisoformat


def test_a_year_of_daily_ticks_sends_each_expected_reminder_exactly_once_on_its_day(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sink = SmtpSink().start()
    for name, value in sink.env().items():
        monkeypatch.setenv(name, value)
    w = World(db_url)
    a = w.signed("A plain five-year exchange", on="2026-11-01", starts="2026-12-01", expires="2027-06-30")
    b = w.signed("B tacit renewal", on="2026-09-15", starts="2026-10-01", expires="2027-09-30",
                 auto_renew=True, renewal_months=12, notice_days=30)
    c = w.signed("C renewed by a successor", on="2025-08-20", starts="2025-09-01", expires="2027-08-31")
    e = w.signed("E notice given", on="2026-06-20", starts="2027-01-01", expires="2027-12-31",
                 auto_renew=True, renewal_months=12, notice_days=60)
    f = w.signed("F terminated", on="2026-06-01", starts="2026-07-01", expires="2027-12-31")
    g = w.signed("G starts in February", on="2026-12-15", starts="2027-02-01", expires="2028-01-31")
    refs: dict[str, str] = {"A": a, "B": b, "C": c, "E": e, "F": f, "G": g}

    def staff(day: date) -> None:
        """What the office does that day, before the tick runs."""
        iso = day.isoformat()
        if iso == "2027-05-01":
            refs["S"] = w.renew(c, on=iso, starts="2027-09-01", months=24)
        elif iso == "2027-05-10":
            w.send_for_signature(refs["S"], on=iso)
        elif iso == "2027-06-10":
            w.sign(refs["S"], on=iso)  # the successor is signed: C's reminders stop
        elif iso == "2027-07-10":
            w.advance(f, "terminate", on=iso, note="programme closed")
        elif iso == "2027-08-10":
            w.advance(e, "give_notice", on=iso, note="not renewing", effective=D("2027-10-31"))
        elif iso == "2027-09-20":
            refs["D"] = w.create("D never signed", on=iso, starts="2028-01-01", expires="2030-12-31")
        elif iso == "2027-10-01":
            w.send_for_signature(refs["D"], on=iso)

    app = App(db_url)
    received: list[tuple[str, str]] = []  # (day, key) in arrival order
    try:
        day = D("2027-01-01")
        while day <= D("2027-12-31"):
            staff(day)
            before = len(sink.received)
            report = tick_once(app, datetime(day.year, day.month, day.day, 8))
            assert report.failed == report.dead == 0
            received += [(day.isoformat(), str(m["X-Hamkor-Key"])) for m in sink.messages[before:]]
            day += timedelta(days=1)
    finally:
        app.close()
        sink.stop()

    by_id = {r["key"]: r["agreement"] for r in w.outbox()}
    name = {ref: letter for letter, ref in refs.items()}
    got = [(d, name[by_id[k]], ":".join(k.split(":")[1:])) for d, k in received]
    expected = [
        ("2027-01-01", "A", "1:renewal:180"),
        ("2027-03-04", "B", "1:notice:180"),
        ("2027-03-04", "C", "1:renewal:180"),
        ("2027-04-01", "A", "1:renewal:90"),
        ("2027-05-05", "E", "1:notice:180"),
        ("2027-05-24", "S", "1:signature:14"),
        ("2027-05-31", "A", "1:renewal:30"),
        ("2027-06-02", "B", "1:notice:90"),
        ("2027-06-02", "C", "1:renewal:90"),
        ("2027-06-07", "S", "1:signature:28"),
        ("2027-06-23", "A", "1:renewal:7"),
        ("2027-07-01", "A", "1:expired:0"),
        ("2027-07-04", "F", "1:renewal:180"),
        ("2027-08-01", "B", "1:notice:30"),
        ("2027-08-03", "E", "1:notice:90"),
        ("2027-08-04", "G", "1:renewal:180"),
        ("2027-08-24", "B", "1:notice:7"),
        ("2027-10-01", "E", "1:renewal:30"),
        ("2027-10-15", "D", "1:signature:14"),
        ("2027-10-24", "E", "1:renewal:7"),
        ("2027-10-29", "D", "1:signature:28"),
        ("2027-11-02", "G", "1:renewal:90"),
        ("2027-11-12", "D", "1:signature:42"),
        ("2027-11-26", "D", "1:signature:56"),
        ("2027-12-10", "D", "1:signature:70"),
        ("2027-12-24", "D", "1:signature:84"),
    ]
    # The approvers' own copies (keys ending ':cc:<user>') of the last reminders nobody acted
    # on and of the expiry notice arrive the same day as the owner's message (README "Mail").
    owner = [g for g in got if ":cc:" not in g[2]]
    copies = {(d, n, k.split(":cc:")[0]) for d, n, k in got if ":cc:" in k}
    assert sorted(owner) == sorted(expected)
    assert ("2027-07-01", "A", "1:expired:0") in copies and copies <= set(expected)
    assert set(sink.message_ids().values()) == {1}

    states = {letter: w.state(ref) for letter, ref in refs.items()}
    assert {k: v["state"] for k, v in states.items()} == {
        "A": "expired", "B": "active", "C": "superseded", "D": "awaiting_signatures",
        "E": "terminated", "F": "terminated", "G": "renewal_due", "S": "active"}
    assert (states["B"]["term"], states["B"]["expires_on"]) == (2, "2028-09-30")

    # The tick's next-due dates are the ones the lifecycle service computes.
    with w.app.uow() as uow:
        for agreement in uow.session.scalars(select(Agreement)):
            stored = agreement.next_due_on
            reschedule(uow.session, agreement, w.office.policy, D("2027-12-31"))
            assert agreement.next_due_on == stored, agreement.ref
    w.close()
