"""A manual event written with Core statements (workflow/event_write.py): the same rows the
ORM would write, one statement on PostgreSQL, and nothing at all when the version is stale."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, insert, select, text, update

from benchmarks.transitions import seed
from models import Agreement, AgreementParty, Event, Notification
from models.database import session_factory
from notifications.outbox import Outgoing
from tests.conftest import clock_on
from workflow.agreements import Office, advance, get_agreement
from workflow.errors import ConcurrentUpdate, TransitionRefused
from workflow.uow import UnitOfWork

DAY = date(2020, 1, 1)
REF = "AGR-2019-00001"


def _state(engine: Engine) -> dict[str, Any]:
    """Everything an event may change, as stored."""
    with engine.connect() as conn:
        a = conn.execute(select(Agreement.__table__).where(Agreement.id == 1)).one()
        return {
            "state": a.state, "version": a.version, "state_since": a.state_since,
            "next_due_on": a.next_due_on,
            "events": conn.execute(select(Event.event, Event.actor, Event.party, Event.recorded_at)
                                   .where(Event.agreement_id == 1).order_by(Event.id)).all(),
            "signed": conn.execute(select(AgreementParty.signed_on).where(
                AgreementParty.agreement_id == 1).order_by(AgreementParty.position)).scalars().all(),
            "reminders": conn.execute(select(Notification.status).order_by(Notification.id))
                         .scalars().all(),
        }


def _statements(engine: Engine) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _log(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split())[:60])

    return seen


def _reminder(engine: Engine) -> None:
    """A "please sign" reminder waiting: the last signature cancels it."""
    row = Outgoing(key="1:1:signature:7", agreement_id=1, term=1, rule="signature",
                   offset_days=7, due_on=DAY, to_addr="olga@uni.uz", subject="Please sign",
                   body_text="Please sign", body_html=None)
    with engine.begin() as conn:
        conn.execute(insert(Notification.__table__), [row.values(datetime(2020, 1, 1, tzinfo=UTC))])


def test_each_event_bumps_the_version_once_and_writes_its_audit_row(engine: Engine) -> None:
    seed(engine, 1)
    _reminder(engine)
    sessions, office = session_factory(engine), Office()
    clock = clock_on("2026-01-01", hour=9)
    seen = _statements(engine)
    for event_name, party in [("send_for_signature", None), ("sign", "Hiroshima University"),
                              ("sign", "Home University"), ("activate", None)]:
        before = len(seen)
        out = advance(UnitOfWork(sessions), clock, office, REF, event_name, by="olga@uni.uz",
                      on=DAY, party=party)
        writes = [s for s in seen[before:] if not s.startswith(("SELECT", "select"))]
        if engine.dialect.name == "postgresql":
            # The agreement, its audit row and a signature: one statement (plus the
            # cancelled reminder of the last signature).
            assert [s.split()[0] for s in writes] == (
                ["UPDATE", "WITH"] if out["state"] == "signed" else ["WITH"]), writes
    stored = _state(engine)
    assert (stored["state"], stored["version"], stored["state_since"]) == ("active", 5, DAY)
    assert [(e.event, e.party) for e in stored["events"]][1:] == [
        ("send_for_signature", None), ("sign", "Hiroshima University"),
        ("sign", "Home University"), ("activate", None)]
    recorded = {e.recorded_at.replace(tzinfo=e.recorded_at.tzinfo or UTC) for e in stored["events"][1:]}
    assert recorded == {clock.utcnow}
    assert stored["signed"] == [DAY, DAY]
    assert stored["reminders"] == ["cancelled"]  # the last signature cancelled the nudge
    assert stored["next_due_on"] is not None  # rescheduled in the same write


def _stale_session(engine: Engine, bump: Any) -> Any:
    """Sessions that read the agreement, then let `bump` change it before the write."""
    sessions = session_factory(engine)

    def interleaved():  # type: ignore[no-untyped-def]
        session = sessions()
        session.info["held"] = get_agreement(session, REF)  # this read is now stale
        bump()
        return session

    return interleaved


def test_a_stale_version_through_the_core_write_changes_nothing(engine: Engine) -> None:
    """The last signature cancels a reminder and signs a party before its write finds the
    version moved: ConcurrentUpdate, and state, version, audit, parties and reminders are
    exactly as the other writer left them."""
    seed(engine, 1)
    _reminder(engine)
    office, clock = Office(), clock_on("2026-01-01")
    sessions = session_factory(engine)
    for event_name, party in [("send_for_signature", None), ("sign", "Hiroshima University")]:
        advance(UnitOfWork(sessions), clock, office, REF, event_name, by="olga@uni.uz", on=DAY,
                party=party)

    def someone_else() -> None:  # another writer changed the agreement meanwhile
        with engine.begin() as conn:
            conn.execute(update(Agreement.__table__).where(Agreement.id == 1)
                         .values(version=Agreement.version + 1, title="Edited meanwhile"))

    other = _stale_session(engine, someone_else)
    with engine.connect() as conn:
        events_before = conn.scalar(select(func.count()).select_from(Event))
    before = _state(engine)
    with pytest.raises(ConcurrentUpdate) as info:
        advance(UnitOfWork(other), clock, office, REF, "sign", by="olga@uni.uz", on=DAY,
                party="Home University")
    assert str(info.value) == f"{REF} was changed by someone else; retry"
    after = _state(engine)
    assert after == {**before, "version": before["version"] + 1}
    assert after["state"] == "awaiting_signatures" and after["signed"] == [None, DAY]
    assert after["reminders"] == ["pending"]
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Event)) == events_before
    # Retried on a fresh read, the same signature goes through.
    advance(UnitOfWork(sessions), clock, office, REF, "sign", by="olga@uni.uz", on=DAY,
            party="Home University")
    assert _state(engine)["state"] == "signed"


def test_a_refused_event_writes_nothing(engine: Engine) -> None:
    """A guard's refusal comes before any write: no statement other than reads is sent."""
    seed(engine, 1)
    seen = _statements(engine)
    before = _state(engine)
    with pytest.raises(TransitionRefused) as info:
        advance(UnitOfWork(session_factory(engine)), clock_on("2026-01-01"), Office(), REF,
                "activate", by="olga@uni.uz", on=DAY)
    assert "activate" in str(info.value)
    assert all(s.upper().startswith(("SELECT", "BEGIN", "ROLLBACK", ";")) for s in seen), seen
    assert _state(engine) == before


def test_the_other_shapes_still_go_through_the_orm(engine: Engine) -> None:
    """A successor's activation also supersedes its predecessor (two agreements change):
    that is written by the ORM flush, as before."""
    seed(engine, 2)
    with engine.begin() as conn:
        conn.execute(update(Agreement.__table__).where(Agreement.id == 1).values(
            state="active", expires_on=date(2025, 12, 31), version=1))
        conn.execute(update(Agreement.__table__).where(Agreement.id == 2).values(
            state="signed", renews_id=1, starts_on=date(2026, 1, 1), expires_on=date(2026, 12, 31)))
        conn.execute(text("UPDATE agreement_parties SET signed_on = :d WHERE agreement_id = 2"),
                     {"d": DAY})
    today = date(2026, 1, 1)
    out = advance(UnitOfWork(session_factory(engine)), clock_on(today), Office(), "AGR-2019-00002",
                  "activate", by="olga@uni.uz", on=today)
    with engine.connect() as conn:
        rows = dict(conn.execute(select(Agreement.id, Agreement.state)).all())
        versions = dict(conn.execute(select(Agreement.id, Agreement.version)).all())
    assert rows == {1: "superseded", 2: "active"}
    assert versions[1] == 2 and versions[2] == out["version"] > 1
    with engine.connect() as conn:
        assert conn.execute(select(Event.agreement_id, Event.event).order_by(Event.id)).all()[-2:] \
            == [(2, "activate"), (1, "supersede")]


def test_workflow_mail_is_queued_with_the_event_and_not_on_a_stale_version(engine: Engine) -> None:
    """The last signature mails the owner: the message is queued in the event's own write
    (the version moves once), and a stale signature queues nothing."""
    from notifications.workflow_mail import queue_workflow_mail

    seed(engine, 1)
    office, clock = Office(on_event=queue_workflow_mail), clock_on("2026-01-01")
    sessions = session_factory(engine)
    for event_name, party in [("send_for_signature", None), ("sign", "Hiroshima University")]:
        advance(UnitOfWork(sessions), clock, office, REF, event_name, by="olga@uni.uz", on=DAY,
                party=party)

    def someone_else() -> None:
        with engine.begin() as conn:
            conn.execute(update(Agreement.__table__).where(Agreement.id == 1)
                         .values(version=Agreement.version + 1))

    with pytest.raises(ConcurrentUpdate):
        advance(UnitOfWork(_stale_session(engine, someone_else)), clock, office, REF, "sign",
                by="olga@uni.uz", on=DAY, party="Home University")
    assert _state(engine)["reminders"] == []  # nothing queued by the loser
    version = _state(engine)["version"]
    out = advance(UnitOfWork(sessions), clock, office, REF, "sign", by="olga@uni.uz", on=DAY,
                  party="Home University")
    assert out["version"] == version + 1 == _state(engine)["version"]
    with engine.connect() as conn:
        mail = conn.execute(select(Notification.kind, Notification.to_addr, Notification.key)).all()
    assert [(m.kind, m.to_addr) for m in mail] == [("workflow", "olga@uni.uz")]
    assert mail[0].key == f"wf:1:v{version}:sign:1"
