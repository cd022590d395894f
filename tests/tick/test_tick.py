"""The daily tick end to end in-process: transitions, reminders, sending to a real SMTP server.

Agreements are built through the services on scenario dates; `hamkor tick --now`
runs the real command; `SmtpSink` (aiosmtpd on loopback) sees what was sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import update

from models import Agreement
from tests.dbstate import snapshot
from tests.helpers import hamkor, ok
from tests.tick.test_tick_kit import APPROVERS, OWNER, SmtpSink, World, free_port, smtp_env


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    s = SmtpSink().start()
    yield s
    s.stop()


def keyed(world: World, sink: SmtpSink) -> list[str]:
    """What the server received, as `REF term:rule:offset`, in order."""
    refs = {r["key"]: r["agreement"] for r in world.outbox()}
    out = []
    for m in sink.messages:
        key = str(m["X-Hamkor-Key"])
        out.append(f"{refs[key]} {':'.join(key.split(':')[1:])}")
    return out


def owners(world: World, sink: SmtpSink) -> list[str]:
    """`keyed` without the approvers' copies."""
    return [k for k in keyed(world, sink) if ":cc:" not in k]


def test_a_late_tick_sends_the_most_recent_due_reminder_once_and_skips_older(
        db_url: str, sink: SmtpSink) -> None:
    w = World(db_url, sink.env())
    ref = w.signed("Exchange", on="2025-12-01", starts="2026-01-01", expires="2027-03-31")

    # Down since before the 180-day (2026-10-02) and 90-day (2026-12-31) reminders.
    report = w.tick("2027-01-15")
    assert report["transitions"]["activate"] == 1 and report["transitions"]["open_renewal"] == 1
    assert report["enqueued"]["renewal"] == 1 and report["skipped"] == 1
    assert (report["sent"], report["failed"]) == (1, 0)
    assert keyed(w, sink) == [f"{ref} 1:renewal:90"]
    msg = sink.messages[0]
    assert msg["To"] == OWNER and msg["Cc"] is None
    assert "ends on 31 March 2027 (75 days left)" in str(msg["Subject"])
    assert w.statuses(ref) == {"1:renewal:90": "sent", "1:renewal:180": "skipped"}
    history = ok(hamkor(db_url, "agreement", "history", ref, "--json")).json()
    auto = [(h["event"], h["occurred_on"], h["actor"]) for h in history if h["actor"] == "system"]
    assert auto == [("activate", "2026-01-01", "system"), ("open_renewal", "2026-10-02", "system")]

    # The same day again: nothing new is queued or sent.
    again = w.tick("2027-01-15")
    assert sum(again["enqueued"].values()) == again["skipped"] == again["sent"] == 0
    assert len(sink.messages) == 1

    # The 7-day reminder (the 30-day one missed), nobody having started a renewal or
    # given notice, goes to the approvers too: each gets a copy of their own.
    w.tick("2027-03-24")
    last = sink.messages[-3]
    assert keyed(w, sink)[-3] == f"{ref} 1:renewal:7"
    assert all(k.startswith(f"{ref} 1:renewal:7:cc:") for k in keyed(w, sink)[-2:])
    assert [m["To"] for m in sink.messages[-3:]] == [OWNER, *APPROVERS] and last["Cc"] is None
    assert all(str(m["Subject"]).strip().startswith("Last reminder: ") for m in sink.messages[-3:])
    assert "You receive a copy as an approver" in sink.messages[-1].get_body(("plain",)).get_content()
    assert w.statuses(ref)["1:renewal:30"] == "skipped"

    # Expiry: the agreement expires the day after its last day, with a notice.
    report = w.tick("2027-04-01")
    assert report["transitions"]["expire"] == 1 and report["enqueued"]["expired"] == 1
    assert w.state(ref)["state"] == "expired"
    notice = sink.messages[-3]
    assert keyed(w, sink)[-3] == f"{ref} 1:expired:0"
    assert [m["To"] for m in sink.messages[-3:]] == [OWNER, *APPROVERS] and notice["Cc"] is None
    assert "has expired" in str(notice["Subject"])
    assert sink.message_ids().most_common(1)[0][1] == 1


def test_running_the_tick_twice_the_same_day_sends_nothing_new(db_url: str, sink: SmtpSink) -> None:
    w = World(db_url, sink.env())
    renewal = w.signed("Renewal due", on="2026-01-05", starts="2026-01-10", expires="2026-12-31")
    notice = w.signed("Tacit", on="2026-01-05", starts="2026-01-10", expires="2027-03-01",
                      auto_renew=True, renewal_months=12, notice_days=60)
    waiting = w.create("Unsigned", on="2026-06-01", starts="2026-09-01", expires="2028-08-31")
    w.send_for_signature(waiting, on="2026-06-20")

    # 180 days before 2026-12-31 (expiry; notice deadline) and 14 days awaiting signatures.
    first = w.tick("2026-07-04")
    assert first["enqueued"] == {"renewal": 1, "notice": 1, "signature": 1, "expired": 0}
    assert first["sent"] == 3
    w.tick("2026-06-04")  # a tick replayed for an earlier day changes nothing either
    assert sorted(keyed(w, sink)) == sorted([f"{renewal} 1:renewal:180", f"{notice} 1:notice:180",
                                             f"{waiting} 1:signature:14"])
    for now in ("2026-07-04T08:00", "2026-07-04T23:59"):
        again = ok(hamkor(db_url, "tick", "--now", now, "--allow-future", "--json", env=w.env)).json()
        assert sum(again["transitions"].values()) == sum(again["enqueued"].values()) == 0
        assert again["sent"] == again["skipped"] == 0
    assert len(sink.messages) == 3
    assert w.state(notice)["state"] == "active"


def test_the_notice_reminders_restart_for_the_new_term_after_an_auto_renewal(db_url: str, sink: SmtpSink) -> None:
    w = World(db_url, sink.env())
    ref = w.signed("Tacit", on="2025-12-01", starts="2026-01-01", expires="2026-12-31",
                   auto_renew=True, renewal_months=12, notice_days=30)
    # Notice deadline 2026-12-01: reminders 180, 90, 30, 7 days before it.
    for day in ("2026-06-04", "2026-09-02", "2026-11-01", "2026-11-24"):
        w.tick(day)
    report = w.tick("2027-01-01")
    assert report["transitions"]["auto_renew"] == 1 and report["transitions"]["expire"] == 0
    shown = w.state(ref)
    assert (shown["state"], shown["term"], shown["expires_on"]) == ("active", 2, "2027-12-31")
    w.tick("2027-06-04")  # 180 days before the new deadline, 2027-12-01
    assert owners(w, sink) == [f"{ref} 1:notice:180", f"{ref} 1:notice:90", f"{ref} 1:notice:30",
                               f"{ref} 1:notice:7", f"{ref} 2:notice:180"]
    subjects = [str(m["Subject"]) for m in sink.messages]
    assert ("renews automatically on 1 January 2027 unless notice is given by 1 December 2026"
            in subjects[0])
    assert ("renews automatically on 1 January 2028 unless notice is given by 1 December 2027"
            in subjects[-1])


def test_a_draft_successor_does_not_stop_reminders_a_signed_one_does_and_its_own_begin(
        db_url: str, sink: SmtpSink) -> None:
    w = World(db_url, sink.env())
    pred = w.signed("Strategic partnership", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
    w.tick("2026-07-04")  # 180 days before
    succ = w.renew(pred, on="2026-08-01", starts="2027-01-01", months=12)
    w.tick("2026-10-02")  # 90 days before: the draft successor changes nothing
    w.send_for_signature(succ, on="2026-10-10")
    w.sign(succ, on="2026-11-15")
    for day in ("2026-12-01", "2026-12-24"):  # 30 and 7 days before: stopped
        assert sum(w.tick(day)["enqueued"].values()) == 0
    report = w.tick("2027-01-01")
    assert report["transitions"]["activate"] == 1 and report["transitions"]["supersede"] == 1
    assert report["transitions"]["expire"] == 0 and report["enqueued"]["expired"] == 0
    assert w.state(pred)["state"] == "superseded"
    w.tick("2027-07-04")  # the successor's own 180-day reminder
    assert keyed(w, sink) == [f"{pred} 1:renewal:180", f"{pred} 1:renewal:90", f"{succ} 1:renewal:180"]


def test_a_withdrawn_successor_lets_the_reminders_go_on(sqlite_url: str, sink: SmtpSink) -> None:
    w = World(sqlite_url, sink.env())
    pred = w.signed("Exchange", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
    w.tick("2026-01-01")
    succ = w.renew(pred, on="2026-08-01", starts="2027-01-01", months=12)
    w.send_for_signature(succ, on="2026-09-01")
    w.advance(succ, "withdraw", on="2026-09-15", note="partner changed its mind")
    for day in ("2026-10-02", "2026-12-01", "2027-01-01"):
        w.tick(day)
    assert owners(w, sink) == [f"{pred} 1:renewal:90", f"{pred} 1:renewal:30", f"{pred} 1:expired:0"]
    assert w.statuses(pred)["1:renewal:180"] == "skipped"


def test_terminating_cancels_pending_reminders(db_url: str) -> None:
    down = free_port()
    w = World(db_url, smtp_env(down))
    ref = w.signed("Exchange", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
    report = w.tick("2026-10-02")  # mail server down: the 90-day reminder waits
    assert (report["sent"], report["failed"]) == (0, 1)
    assert w.statuses(ref) == {"1:renewal:90": "failed", "1:renewal:180": "skipped"}
    w.advance(ref, "terminate", on="2026-10-05", note="partner closed the programme")
    assert w.statuses(ref)["1:renewal:90"] == "cancelled"
    sink = SmtpSink(down).start()
    try:
        report = w.tick("2026-10-06")
        assert report["sent"] == report["failed"] == 0
        assert sink.messages == []
    finally:
        sink.stop()


def test_withdrawing_cancels_a_pending_signature_nudge(sqlite_url: str) -> None:
    down = free_port()
    w = World(sqlite_url, smtp_env(down))
    ref = w.create("Unsigned", on="2026-02-01", starts="2026-09-01", expires="2028-08-31")
    w.send_for_signature(ref, on="2026-03-01")
    assert w.tick("2026-03-15")["failed"] == 1
    w.advance(ref, "withdraw", on="2026-03-20", note="no longer needed")
    assert w.statuses(ref) == {"1:signature:14": "cancelled"}
    sink = SmtpSink(down).start()
    try:
        w.tick("2026-03-29")
        assert sink.messages == []
    finally:
        sink.stop()


def test_signing_a_successor_cancels_the_predecessors_pending_reminder(sqlite_url: str) -> None:
    down = free_port()
    w = World(sqlite_url, smtp_env(down))
    pred = w.signed("Exchange", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
    w.tick("2026-01-01")
    succ = w.renew(pred, on="2026-08-01", starts="2027-01-01", months=12)
    assert w.tick("2026-10-02")["failed"] == 1  # the 90-day reminder waits for the server
    w.send_for_signature(succ, on="2026-10-03")
    w.sign(succ, on="2026-10-04")
    assert w.statuses(pred)["1:renewal:90"] == "cancelled"
    sink = SmtpSink(down).start()
    try:
        report = w.tick("2027-01-01")  # the successor starts; nothing of the predecessor is sent
        assert report["transitions"]["supersede"] == 1 and report["sent"] == 0
        assert sink.messages == []
    finally:
        sink.stop()


def test_an_auto_renewal_cancels_its_old_terms_pending_reminder(sqlite_url: str) -> None:
    down = free_port()
    w = World(sqlite_url, smtp_env(down))
    ref = w.signed("Tacit", on="2025-12-01", starts="2026-01-01", expires="2026-12-31",
                   auto_renew=True, renewal_months=12, notice_days=30)
    # The 7-day notice reminder (and the approvers' two copies) could not go out.
    assert w.tick("2026-11-24")["failed"] >= 1
    report = w.tick("2027-01-01")  # still down; the term it was about is over
    assert report["transitions"]["auto_renew"] == 1 and report["cancelled"] == 3  # with the copies
    assert report["failed"] == 0
    assert w.statuses(ref)["1:notice:7"] == "cancelled"


def test_a_successor_starting_after_the_last_day_supersedes_even_when_the_tick_is_late(
        db_url: str, sink: SmtpSink) -> None:
    w = World(db_url, sink.env())
    pred = w.signed("Exchange", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
    w.tick("2026-01-01")
    succ = w.renew(pred, on="2026-08-01", starts="2027-01-01", months=24)
    w.send_for_signature(succ, on="2026-08-02")
    w.sign(succ, on="2026-08-03")
    report = w.tick("2027-01-20")  # nobody ticked over the new year
    assert report["transitions"]["activate"] == 1 and report["transitions"]["supersede"] == 1
    assert report["transitions"]["expire"] == 0
    assert (w.state(pred)["state"], w.state(succ)["state"]) == ("superseded", "active")
    history = ok(hamkor(db_url, "agreement", "history", pred, "--json")).json()
    assert (history[-1]["event"], history[-1]["occurred_on"]) == ("supersede", "2027-01-01")
    assert [k for k in keyed(w, sink) if "expired" in k] == []


def test_a_predecessor_that_lapses_before_its_successor_starts_expires_with_a_notice(
        sqlite_url: str, sink: SmtpSink) -> None:
    w = World(sqlite_url, sink.env())
    pred = w.signed("Exchange", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
    w.tick("2026-01-01")
    succ = w.renew(pred, on="2026-08-01", starts="2027-02-01", months=24)
    w.send_for_signature(succ, on="2026-08-02")
    w.sign(succ, on="2026-08-03")
    report = w.tick("2027-02-10")  # late: the gap lies in the past
    assert report["transitions"]["activate"] == 1 and report["transitions"]["expire"] == 1
    assert w.state(pred)["state"] == "expired"
    history = ok(hamkor(sqlite_url, "agreement", "history", pred, "--json")).json()
    assert (history[-1]["event"], history[-1]["occurred_on"]) == ("expire", "2027-01-01")
    assert keyed(w, sink)[0] == f"{pred} 1:expired:0"  # and the approvers' copies
    assert [m["To"] for m in sink.messages] == [OWNER, *APPROVERS]
    assert f"Its successor {succ} is not in force yet" in sink.messages[0].get_body(("plain",)).get_content()


def test_without_an_owner_the_approvers_are_reminded(sqlite_url: str, sink: SmtpSink) -> None:
    w = World(sqlite_url, sink.env())
    ref = w.signed("Orphan", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
    with w.app.uow(immediate=True) as uow:
        uow.session.execute(update(Agreement).where(Agreement.ref == ref).values(owner_id=None))
        uow.commit()
    w.tick("2026-07-04")
    w.tick("2026-12-24")
    first, last, copy = sink.messages
    assert first["To"] == APPROVERS[0] and first["Cc"] is None
    assert (last["To"], copy["To"]) == (APPROVERS[0], APPROVERS[1])  # the last one: to both


def test_a_dry_run_reports_the_work_and_writes_and_sends_nothing(db_url: str, sink: SmtpSink) -> None:
    w = World(db_url, sink.env())
    w.signed("Expiring", on="2025-01-01", starts="2025-01-10", expires="2026-03-31")
    w.signed("Starting", on="2026-01-01", starts="2026-02-01", expires="2027-01-31")
    waiting = w.create("Unsigned", on="2026-01-05", starts="2026-09-01", expires="2028-08-31")
    w.send_for_signature(waiting, on="2026-01-10")
    before = snapshot(db_url)
    dry = w.tick("2026-04-10", "--dry-run")
    assert snapshot(db_url) == before
    assert sink.messages == []
    assert dry["dry_run"] is True
    assert dry["transitions"] == {"activate": 2, "supersede": 0, "open_renewal": 1, "auto_renew": 0,
                                  "terminate": 0, "expire": 1}
    assert dry["enqueued"] == {"renewal": 0, "notice": 0, "signature": 1, "expired": 1}
    assert dry["copies"] == 2  # the expiry notice goes to both approvers too
    assert dry["to_send"] == 4 and dry["sent"] == 0
    text = ok(hamkor(db_url, "tick", "--now", "2026-04-10T08:00", "--dry-run", env=w.env)).out
    assert "DRY RUN" in text and "would send:     4" in text
    assert snapshot(db_url) == before

    real = w.tick("2026-04-10")
    for key in ("transitions", "enqueued", "skipped", "cancelled", "agreements"):
        assert real[key] == dry[key], key
    assert real["sent"] == 4 and len(sink.messages) == 4


def test_a_late_tick_ends_an_agreement_on_its_notice_date_before_anything_else(
        db_url: str) -> None:
    """Notice took effect on 15 December; the worker was down over the holidays. The
    first tick (5 January) terminates it as of 16 December -- it does not open a
    renewal window on 1 January first (the annual report reads these dates)."""
    w = World(db_url, {"HAMKOR_MAIL_BACKEND": "console"})
    ref = w.signed("Exchange", on="2025-06-01", starts="2025-07-01", expires="2027-06-30")
    w.tick("2025-07-01")
    w.advance(ref, "give_notice", on="2026-09-01", note="ending early",
              effective=date(2026, 12, 15))
    assert w.tick("2027-01-05")["transitions"]["terminate"] == 1
    history = ok(hamkor(db_url, "agreement", "history", ref, "--json")).json()
    assert [(e["event"], e["occurred_on"]) for e in history[-2:]] == [
        ("give_notice", "2026-09-01"), ("terminate", "2026-12-16")]


def test_a_terminated_signed_successor_gives_the_predecessor_its_reminders_back(
        db_url: str) -> None:
    """The successor's signature stopped the predecessor's renewal reminders; when the
    successor is terminated before taking over, they are due again."""
    w = World(db_url, {"HAMKOR_MAIL_BACKEND": "console"})
    pred = w.signed("Exchange", on="2025-06-01", starts="2025-07-01", expires="2027-06-30")
    w.tick("2025-07-01")
    w.tick("2027-01-01")  # renewal window opens; the 180-day reminder goes out
    succ = w.renew(pred, on="2027-01-20")
    w.send_for_signature(succ, on="2027-01-21")
    w.sign(succ, on="2027-01-22")
    w.advance(succ, "terminate", on="2027-02-10", note="the partner pulled out")
    w.tick("2027-04-01")  # 90 days before the predecessor's expiry
    assert w.statuses(pred)["1:renewal:90"] == "sent"


def test_a_signature_nudge_held_up_by_the_mail_server_is_dropped_once_all_have_signed(
        db_url: str) -> None:
    w = World(db_url)
    ref = w.create("Exchange", on="2026-01-05", starts="2026-02-01", expires="2028-01-31")
    w.send_for_signature(ref, on="2026-01-05")
    down = smtp_env(free_port())  # nothing listens: the nudge fails and waits for a retry
    assert w.tick("2026-01-19", env=down)["failed"] == 1
    w.sign(ref, on="2026-01-20")
    w.tick("2026-01-20", env={"HAMKOR_MAIL_BACKEND": "console"})
    assert w.statuses(ref)["1:signature:14"] == "cancelled"


def test_a_tick_leaves_a_predecessor_to_the_successor_activation_another_tick_holds(
        pg_url: str) -> None:
    """Two workers on PostgreSQL: one holds the successor due to activate (it will
    supersede the predecessor); the other, skipping that locked row, must not expire
    the predecessor meanwhile -- it leaves it to the activation."""
    from sqlalchemy import text

    from models.database import make_engine

    w = World(pg_url, {"HAMKOR_MAIL_BACKEND": "console"})
    pred = w.signed("Exchange", on="2025-06-01", starts="2025-07-01", expires="2026-06-30")
    w.tick("2025-07-01")
    succ = w.renew(pred, on="2026-04-01")  # starts on 2026-07-01, the day after
    w.send_for_signature(succ, on="2026-04-02")
    w.sign(succ, on="2026-04-03")
    engine = make_engine(pg_url)
    before = w.state(pred)
    with engine.connect() as other:  # the other worker, mid-batch on the successor
        other.execute(text("SELECT id FROM agreements WHERE ref = :r FOR NO KEY UPDATE"),
                      {"r": succ})
        w.tick("2026-07-01")
        assert w.state(pred)["version"] == before["version"]  # left alone, not expired
        other.rollback()
    engine.dispose()
    w.tick("2026-07-01")
    assert (w.state(succ)["state"], w.state(pred)["state"]) == ("active", "superseded")
    assert "1:expired:0" not in w.statuses(pred)


def test_a_new_reminder_policy_reaches_every_agreement_with_reschedule(db_url: str) -> None:
    """The office adds a 365-day reminder: dates stored under the old policy would let it
    pass unsent; `tick --reschedule` (and the worker at start) recomputes them."""
    w = World(db_url, {"HAMKOR_MAIL_BACKEND": "console"})
    ref = w.signed("Exchange", on="2025-06-01", starts="2025-07-01", expires="2027-06-30")
    w.tick("2025-07-01")
    assert w.state(ref)["next_due_on"] == "2027-01-01"  # 180 days before, the old policy
    w.env["HAMKOR_REMINDER_DAYS"] = "365,180,90,30,7"
    out = ok(hamkor(db_url, "tick", "--now", "2025-07-02T08:00", "--reschedule",
                    env=w.env)).out
    assert "rescheduled: 1 agreement(s)" in out
    assert w.state(ref)["next_due_on"] == "2026-06-30"  # 365 days before the expiry
    w.tick("2026-06-30")
    assert w.statuses(ref)["1:renewal:365"] == "sent"
    r = hamkor(db_url, "tick", "--reschedule", "--dry-run")
    assert r.code == 2 and "--reschedule writes" in r.err
