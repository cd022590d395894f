"""Workflow mail, the weekly digest and the calendar feed, on both databases."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from models import Notification
from notifications.workflow_mail import queue_workflow_mail
from tests.conftest import clock_on
from tests.dbstate import snapshot
from tests.helpers import hamkor, ok, refused
from tests.tick.test_tick_kit import APPROVERS, OWNER, SmtpSink, World
from workflow.agreements import Office
from workflow.errors import HamkorError
from workflow.mail_policy import MailPolicy

D = date.fromisoformat
BASE = "http://127.0.0.1:8000"


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    s = SmtpSink().start()
    yield s
    s.stop()


def rows(w: World, kind: str | None = None) -> list[Notification]:
    return [r for r in w.rows() if kind is None or r.kind == kind]


def mailed(w: World) -> list[tuple[str, str]]:
    return [(r.rule, r.to_addr) for r in rows(w, "workflow")]


def test_each_workflow_event_mails_its_readers_once(db_url: str) -> None:
    """submit -> every approver; request_changes -> the owner with the note; approve -> the
    owner; the last signature -> the owner; withdraw/terminate -> owner and approvers."""
    w = World(db_url, mail=True)
    w.office = Office(mail=MailPolicy(base_url=BASE), on_event=queue_workflow_mail)
    ref = w.create("Exchange", on="2026-01-05", starts="2026-03-01", expires="2028-02-29")
    w.advance(ref, "submit", on="2026-01-06")
    assert mailed(w) == [("submitted", a) for a in APPROVERS]
    w.advance(ref, "request_changes", on="2026-01-07", by=APPROVERS[0], note="Add the annex")
    assert mailed(w)[-1] == ("changes_requested", OWNER)
    note_mail = rows(w, "workflow")[-1]
    assert "Add the annex" in note_mail.body_text and f"{BASE}/agreements/{ref}/edit" in note_mail.body_text
    w.advance(ref, "submit", on="2026-01-08")
    w.advance(ref, "approve", on="2026-01-09", by=APPROVERS[1])
    assert mailed(w)[-1] == ("approved", OWNER)
    w.advance(ref, "send_for_signature", on="2026-01-10")
    w.advance(ref, "sign", on="2026-01-11", party="Hiroshima University")
    assert mailed(w)[-1] == ("approved", OWNER)  # not the last signature: no mail
    w.advance(ref, "sign", on="2026-01-12", party="Home University")
    signed = rows(w, "workflow")[-1]
    assert (signed.rule, signed.to_addr) == ("signed", OWNER)
    assert signed.subject == f"{ref} is signed; it activates on 1 March 2026"
    w.advance(ref, "terminate", on="2026-01-13", note="The partner closed the programme")
    assert mailed(w)[-3:] == [("terminated", OWNER)] + [("terminated", a) for a in APPROVERS]
    keys = [r.key for r in rows(w, "workflow")]
    assert len(keys) == len(set(keys)) == 2 + 1 + 2 + 1 + 1 + 3
    other = w.create("Withdrawn", on="2026-01-05", starts="2026-03-01", expires="2028-02-29")
    w.advance(other, "withdraw", on="2026-01-06", note="not needed")
    assert mailed(w)[-3:] == [("withdrawn", OWNER)] + [("withdrawn", a) for a in APPROVERS]
    w.close()


def test_a_refused_event_sends_nothing_and_a_replay_sends_once(db_url: str) -> None:
    w = World(db_url, mail=True)
    ref = w.create("Exchange", on="2026-01-05", starts="2026-03-01", expires="2028-02-29")
    w.advance(ref, "submit", on="2026-01-06")
    before = snapshot(db_url)
    with pytest.raises(HamkorError):  # already in review
        w.advance(ref, "submit", on="2026-01-06")
    assert snapshot(db_url) == before
    refused(hamkor(db_url, "agreement", "advance", ref, "approve", "--by", "olga@uni.uz"))  # an officer
    assert snapshot(db_url) == before
    # The same change replayed (a retry after a lost response): its key exists, nothing new.
    from notifications import outbox
    from notifications.compose import templates
    from notifications.links import Links
    from notifications.messages import workflow_rows

    with w.app.uow(immediate=True) as uow:
        s = uow.session
        from models import Agreement, Event, User

        a = s.scalar(select(Agreement).where(Agreement.ref == ref))
        ev = s.scalar(select(Event).where(Event.agreement_id == a.id, Event.event == "submit"))
        actor = s.scalar(select(User).where(User.email == OWNER))
        again = workflow_rows(s, a, ev, version=a.version - 1, actor=actor, compose=templates(None),
                              links=Links(None), institution="Home University")
        assert len(again) == len(APPROVERS)
        assert outbox.enqueue(s, again, clock_on("2026-01-06").now) == []
        uow.commit()
    assert snapshot(db_url) == before
    w.close()


def test_workflow_mail_can_be_switched_off(sqlite_url: str) -> None:
    w = World(sqlite_url, mail=False)
    ref = w.create("Exchange", on="2026-01-05", starts="2026-03-01", expires="2028-02-29")
    w.advance(ref, "submit", on="2026-01-06")
    ok(hamkor(sqlite_url, "agreement", "advance", ref, "approve", "--by", APPROVERS[0],
              env={"HAMKOR_WORKFLOW_MAIL": "false"}))
    assert rows(w) == []
    w.close()


def test_workflow_mail_is_in_the_readers_language(sqlite_url: str) -> None:
    w = World(sqlite_url, mail=True)
    ok(hamkor(sqlite_url, "user", "edit", APPROVERS[0], "--lang", "ru"))
    ok(hamkor(sqlite_url, "user", "edit", APPROVERS[1], "--lang", "uz"))
    ref = w.create("Exchange", on="2026-01-05", starts="2026-03-01", expires="2028-02-29")
    w.advance(ref, "submit", on="2026-01-06")
    ru, uz = rows(w, "workflow")
    assert ru.subject.startswith(f"{ref} направлено вам на утверждение")
    assert uz.subject.startswith(f"{ref} tasdiqlashingiz uchun yuborildi")
    w.close()


# --- the weekly digest -----------------------------------------------------------------------


def _digest_world(db_url: str, env: dict[str, str] | None = None) -> tuple[World, str]:
    w = World(db_url, env, mail=True)
    w.office = Office(mail=MailPolicy(workflow_mail=False), on_event=queue_workflow_mail)
    ref = w.signed("Ending", on="2026-01-05", starts="2026-01-10", expires="2026-06-30")
    waiting = w.create("In review", on="2026-03-01", starts="2026-09-01", expires="2028-08-31")
    w.advance(waiting, "submit", on="2026-03-02")
    return w, ref


def digests(w: World) -> list[tuple[str, str]]:
    return [(r.to_addr, r.key.rsplit(":", 1)[1]) for r in rows(w, "digest")]


def test_the_digest_goes_once_a_week_to_each_person_with_something_to_do(db_url: str) -> None:
    w, ref = _digest_world(db_url)
    w.tick("2026-03-08")  # a Sunday: this week's digest day (Monday) has passed: it goes now
    w.tick("2026-03-09")  # Monday of the next week
    w.tick("2026-03-09")
    w.tick("2026-03-11")
    got = Counter(digests(w))
    assert set(got.values()) == {1}
    assert sorted(got) == sorted([(OWNER, "2026-W10"), (OWNER, "2026-W11")]
                                 + [(a, wk) for a in APPROVERS for wk in ("2026-W10", "2026-W11")])
    owner = next(r for r in rows(w, "digest") if r.to_addr == OWNER)
    assert ref in owner.body_text and "last day in force 30 June 2026" in owner.body_text
    approver = next(r for r in rows(w, "digest") if r.to_addr == APPROVERS[0])
    assert "Waiting for approval" in approver.body_text and ref not in approver.body_text
    w.close()


def test_after_three_weeks_of_downtime_one_digest_not_three(db_url: str) -> None:
    w, _ = _digest_world(db_url)
    w.tick("2026-03-09")  # Monday, week 11
    w.tick("2026-04-02")  # back on a Thursday of week 14: weeks 12 and 13 are not sent late
    weeks = sorted({wk for to, wk in digests(w) if to == OWNER})
    assert weeks == ["2026-W11", "2026-W14"]
    w.close()


def test_the_digest_day_is_configurable_and_off_sends_none(sqlite_url: str) -> None:
    w, _ = _digest_world(sqlite_url, {"HAMKOR_DIGEST_DAY": "thu"})
    w.tick("2026-03-11")  # Wednesday: not yet
    assert digests(w) == []
    w.tick("2026-03-12")
    assert {wk for _, wk in digests(w)} == {"2026-W11"}
    w.tick("2026-03-19", env={"HAMKOR_DIGEST_DAY": "off"})
    assert {wk for _, wk in digests(w)} == {"2026-W11"}
    refused(hamkor(sqlite_url, "tick", env={"HAMKOR_DIGEST_DAY": "someday"}), "HAMKOR_DIGEST_DAY")
    w.close()


@pytest.mark.slow
def test_four_workers_on_postgresql_queue_each_digest_once(pg_url: str) -> None:
    w, _ = _digest_world(pg_url)
    env_cmd = [sys.executable, "-m", "cli.main", "--db", pg_url, "tick", "--now", "2026-03-09T08:00"]
    import os

    env = {**os.environ, **w.env, "HAMKOR_MAIL_BACKEND": "console"}
    procs = [subprocess.Popen(env_cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for _ in range(4)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    got = Counter(digests(w))
    assert len(got) == 3 and set(got.values()) == {1}
    assert all(r.status == "sent" for r in rows(w, "digest"))
    w.close()


# --- the calendar feed -----------------------------------------------------------------------


def _events(ics: bytes) -> dict[str, Any]:
    from icalendar import Calendar

    cal = Calendar.from_ical(ics)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_the_calendar_feed_parses_keeps_its_uids_and_moves_an_event(db_url: str) -> None:
    w = World(db_url)
    tacit = w.signed("Tacit", on="2026-01-05", starts="2026-01-10", expires="2027-01-09",
                     auto_renew=True, renewal_months=12, notice_days=60)
    plain = w.signed("Plain", on="2026-01-05", starts="2026-02-01", expires="2027-01-31")
    w.tick("2026-02-01")  # both in force
    first = ok(hamkor(db_url, "calendar", "export", "--user", OWNER)).out.encode()
    events = _events(first)
    by_kind = Counter(str(e["CATEGORIES"].cats[0]) for e in events.values())
    assert by_kind == {"start": 2, "expiry": 2, "notice": 1, "window": 1}
    again = _events(ok(hamkor(db_url, "calendar", "export", "--user", OWNER)).out.encode())
    assert set(again) == set(events)  # stable UIDs
    expiry_uid = next(u for u, e in events.items() if str(e["CATEGORIES"].cats[0]) == "expiry"
                      and plain in str(e["SUMMARY"]))
    assert events[expiry_uid].decoded("DTSTART") == D("2027-01-31")
    # Notice moves the last day in force: same event, later sequence, new date.
    w.advance(plain, "give_notice", on="2026-03-01", note="ending early", effective=D("2026-09-30"))
    moved = _events(ok(hamkor(db_url, "calendar", "export", "--user", OWNER)).out.encode())
    assert set(moved) == set(events)
    assert moved[expiry_uid].decoded("DTSTART") == D("2026-09-30")
    assert int(moved[expiry_uid]["SEQUENCE"]) > int(events[expiry_uid]["SEQUENCE"])
    # Terminated early: its future events are cancelled, not dropped.
    w.advance(tacit, "terminate", on="2026-04-01", note="closed")
    ended = _events(ok(hamkor(db_url, "calendar", "export", "--user", OWNER)).out.encode())
    tacit_events = [e for e in ended.values() if tacit in str(e["SUMMARY"])]
    assert tacit_events and all(str(e["STATUS"]) == "CANCELLED" for e in tacit_events)
    # An officer with no agreements sees nothing; an approver sees the office.
    assert _events(ok(hamkor(db_url, "calendar", "export", "--user", "oleg@uni.uz")).out.encode()) == {}
    assert set(_events(ok(hamkor(db_url, "calendar", "export", "--user", APPROVERS[0])).out.encode())) \
        == set(ended)
    w.close()


def test_calendar_export_writes_a_file_and_refuses_an_unknown_user(sqlite_url: str, tmp_path: Any) -> None:
    w = World(sqlite_url)
    w.signed("Plain", on="2026-01-05", starts="2026-02-01", expires="2027-01-31")
    out = tmp_path / "me.ics"
    assert "3 events" in ok(hamkor(sqlite_url, "calendar", "export", "--user", OWNER,
                                   "--out", str(out))).out
    assert len(_events(out.read_bytes())) == 3
    refused(hamkor(sqlite_url, "calendar", "export", "--user", "nobody@uni.uz"), "nobody@uni.uz")
    w.close()


def test_a_month_of_ticks_delivers_reminders_workflow_mail_and_four_digests_once(
        sqlite_url: str, sink: SmtpSink) -> None:
    """Four weeks (2-29 March 2026) ticked daily: each reminder, workflow mail and weekly
    digest reaches the SMTP server exactly once."""
    w = World(sqlite_url, sink.env(HAMKOR_WORKFLOW_MAIL="true", HAMKOR_DIGEST_DAY="mon"), mail=True)
    ref = w.create("Ending", on="2025-01-05", starts="2025-01-10", expires="2026-09-15")
    w.send_for_signature(ref, on="2025-01-06")
    w.sign(ref, on="2025-01-07")
    waiting = w.create("Unsigned", on="2026-02-20", starts="2026-09-01", expires="2028-08-31")
    w.send_for_signature(waiting, on="2026-02-27")

    def staff(day: date) -> None:
        if day == D("2026-03-18"):
            w.advance(waiting, "sign", on="2026-03-18", party="Hiroshima University")
            w.advance(waiting, "sign", on="2026-03-18", party="Home University")

    w.tick_daily("2026-03-02", "2026-03-29", staff)
    keys = sink.keys()
    assert keys and set(keys.values()) == {1}  # nothing twice
    to = {str(m["X-Hamkor-Key"]): str(m["To"]) for m in sink.messages}
    assert sorted(k.rsplit(":", 1)[1] for k in keys if k.startswith("digest:") and to[k] == OWNER) \
        == ["2026-W10", "2026-W11", "2026-W12", "2026-W13"]
    workflow = [w_ for w_ in w.rows() if w_.kind == "workflow"]
    assert {r.rule for r in workflow} == {"submitted", "approved", "signed"}
    assert all(r.status == "sent" for r in workflow) and all(r.key in keys for r in workflow)
    assert [k for k in keys if k.endswith(":renewal:180")] != []  # 19 March
    assert [k for k in keys if k.endswith(":signature:14")] != []  # 13 March
    w.close()
