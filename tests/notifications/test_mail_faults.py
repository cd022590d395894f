"""Reminders under mail-server faults, against a real SMTP server on loopback (aiosmtpd):
a reply to the end of DATA that never comes in time, a connection dropped after the
data, a busy copied recipient, a cancelled claimed reminder, two senders on a slow
server, and a two-day outage. Timeouts and leases are short so the tests are fast."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models import Notification
from models.database import make_engine, session_factory
from notifications import deliveries, outbox
from notifications.sender import SendReport, send_due
from notifications.transports import SmtpTransport
from tests.helpers import hamkor, ok
from tests.notifications.test_sender import queue, with_agreement
from tests.tick.test_tick_kit import SmtpSink, World, free_port, smtp_env
from workflow.clock import Clock
from workflow.uow import UnitOfWork

NOW = datetime(2026, 7, 4, 8, tzinfo=UTC)
FROM = "intl@uni.uz"


def send(url: str, sink: SmtpSink, at: datetime = NOW, *, timeout: float = 2.0,
         data_timeout: float = 2.0, **kw: object) -> SendReport:
    engine = make_engine(url)
    try:
        return send_due(UnitOfWork(session_factory(engine, immediate=True)),
                        Clock(at, ZoneInfo("UTC")),
                        SmtpTransport("127.0.0.1", sink.port, timeout=timeout,
                                      data_timeout=data_timeout),
                        mail_from=FROM, **kw)  # type: ignore[arg-type]
    finally:
        engine.dispose()


def rows(url: str) -> list[Notification]:
    engine = make_engine(url)
    with session_factory(engine)() as s:
        out = list(s.scalars(select(Notification).order_by(Notification.id)))
        s.expunge_all()
    engine.dispose()
    return out


@pytest.mark.parametrize("pipelining", [False, True], ids=["one-by-one", "pipelined"])
def test_a_server_answering_the_end_of_data_too_late_gets_each_message_once_per_attempt(
        db_url: str, pipelining: bool) -> None:
    """No reply to the end of DATA within the timeout: the outcome is unknown, recorded
    as such; the message is not sent again within the attempt and the rest of the batch
    is still tried. It is sent once more (same Message-ID) after the backoff, never more.
    (Before: every message twice per attempt, the batch abandoned, 16 copies in all.)"""
    queue(with_agreement(db_url), *({"key": f"k{i}"} for i in range(3)))
    sink = SmtpSink(pipelining=pipelining).start()

    async def slow(_count: int) -> None:
        await asyncio.sleep(1.0)

    sink.after_data = slow
    try:
        report = send(db_url, sink, data_timeout=0.3)
        assert (report.sent, report.failed, report.unknown) == (0, 3, 3)
        assert sink.keys() == {"k0": 1, "k1": 1, "k2": 1}  # each once, all three tried
        for r in rows(db_url):
            assert (r.status, r.attempts, r.unknown_outcomes) == ("failed", 1, 1)
            assert "outcome unknown: no reply to the end of the data within 0.3 s" in (r.last_error or "")
            assert "sent once more, with the same Message-ID" in (r.last_error or "")
        sink.after_data = None
        report = send(db_url, sink, NOW + timedelta(minutes=20))
        assert report.sent == 3
        assert sink.keys() == {"k0": 2, "k1": 2, "k2": 2}
        assert len(set(sink.message_ids())) == 3  # the second copy is recognisably the same
    finally:
        sink.stop()
    assert {r.status for r in rows(db_url)} == {"sent"}


def test_a_second_unknown_outcome_leaves_the_message_to_an_operator(db_url: str) -> None:
    queue(with_agreement(db_url), {"key": "k0"})
    sink = SmtpSink().start()

    async def slow(_count: int) -> None:
        await asyncio.sleep(1.0)

    sink.after_data = slow
    try:
        send(db_url, sink, data_timeout=0.3)
        report = send(db_url, sink, NOW + timedelta(minutes=20), data_timeout=0.3)
        assert (report.dead, report.unknown) == (1, 1)
        assert send(db_url, sink, NOW + timedelta(days=1)).sent == 0  # left alone
    finally:
        sink.stop()
    assert sink.keys() == {"k0": 2}
    (r,) = rows(db_url)
    assert (r.status, r.unknown_outcomes) == ("dead", 2)
    assert "unknown 2 times: check with the recipient" in (r.last_error or "")


@pytest.mark.parametrize("pipelining", [False, True], ids=["one-by-one", "pipelined"])
def test_a_connection_dropped_after_the_data_charges_only_that_message(db_url: str, pipelining: bool) -> None:
    """(Before: the rest of the batch was marked failed, charged an attempt untried.)"""
    queue(with_agreement(db_url), *({"key": f"k{i}"} for i in range(4)))
    sink = SmtpSink(pipelining=pipelining).start()
    sink.drop_after_data = {2}
    try:
        report = send(db_url, sink)
    finally:
        sink.stop()
    assert (report.sent, report.failed, report.unknown) == (3, 1, 1)
    assert sink.keys() == {"k0": 1, "k1": 1, "k2": 1, "k3": 1}
    got = {r.key: (r.status, r.attempts) for r in rows(db_url)}
    assert got == {"k0": ("sent", 1), "k1": ("failed", 1), "k2": ("sent", 1), "k3": ("sent", 1)}
    (dropped,) = [r for r in rows(db_url) if r.key == "k1"]
    assert "the connection was lost after the data was sent" in (dropped.last_error or "")


@pytest.mark.parametrize("pipelining", [False, True], ids=["one-by-one", "pipelined"])
def test_a_busy_copied_recipient_is_retried_alone_and_a_refused_one_is_recorded(
        db_url: str, pipelining: bool) -> None:
    """450 for the copied approver: the owner gets the message once, the approver gets it
    on the retry, nobody twice; a 550 is recorded for that recipient and shown.
    (Before: recorded `sent ... refused by some recipients` and never retried.)"""
    queue(with_agreement(db_url), {"key": "final", "to_addr": "olga@uni.uz",
                                   "cc": ["anvar@uni.uz", "bobur@uni.uz", "gone@uni.uz"]})
    sink = SmtpSink(pipelining=pipelining).start()
    sink.defer = {"anvar@uni.uz"}
    sink.refuse = {"gone@uni.uz"}
    try:
        first = send(db_url, sink)
        assert (first.sent, first.failed) == (1, 0) or (first.sent, first.failed) == (0, 1)
        (r,) = rows(db_url)
        assert r.status == "failed" and r.attempts == 1
        assert {a: st for a, (st, _) in (r.rcpt_state or {}).items()} == {
            "olga@uni.uz": "sent", "bobur@uni.uz": "sent", "anvar@uni.uz": "deferred",
            "gone@uni.uz": "refused"}
        assert "deferred: anvar@uni.uz: 450" in (r.last_error or "")
        sink.defer = set()
        assert send(db_url, sink, NOW + timedelta(minutes=5)).sent == 0  # backoff not over
        send(db_url, sink, NOW + timedelta(minutes=20))
    finally:
        sink.stop()
    assert sink.accepted_rcpts == ["olga@uni.uz", "bobur@uni.uz", "anvar@uni.uz"]
    assert [rcpts for _, rcpts, _ in sink.received] == [
        ["olga@uni.uz", "bobur@uni.uz"], ["anvar@uni.uz"]]
    assert sink.keys() == {"final": 2}  # one copy each: the second only to the approver
    (r,) = rows(db_url)
    assert r.status == "sent"
    assert (r.rcpt_state or {})["gone@uni.uz"][0] == "refused"
    assert "refused by gone@uni.uz: 550" in (r.last_error or "")
    listed = ok(hamkor(db_url, "outbox", "list", "--json")).json()[0]
    assert listed["recipients"]["gone@uni.uz"]["state"] == "refused"


@pytest.mark.parametrize("pipelining", [False, True], ids=["one-by-one", "pipelined"])
def test_a_claimed_reminder_of_a_terminated_agreement_is_not_sent(db_url: str, pipelining: bool) -> None:
    """A sender claimed the reminder (then crashed, or is slow to reach it); the agreement
    is terminated: the claimed row is cancelled with the rest, the sender's fence right
    before sending refuses it, and nobody sends it later.
    (Before: cancellation touched only pending and failed rows; claimed ones went out.)"""
    w = World(db_url)
    ref = w.signed("Exchange", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
    w.tick("2026-07-04", env=smtp_env(free_port()))  # queued; the server was down
    engine = make_engine(db_url)
    sessions = session_factory(engine, immediate=True)
    with sessions.begin() as s:
        (claimed,) = outbox.claim(s, NOW + timedelta(hours=2), 10)
    w.advance(ref, "terminate", on="2026-07-04", note="partner closed the programme")
    assert w.statuses(ref)["1:renewal:180"] == "cancelled"
    with deliveries.DeliveryLog(engine) as log:
        assert log.fence(claimed, NOW + timedelta(hours=3)) is None
    engine.dispose()
    sink = SmtpSink(pipelining=pipelining).start()
    try:
        assert send(db_url, sink, NOW + timedelta(days=1)).sent == 0
    finally:
        sink.stop()
    assert sink.received == []
    assert w.statuses(ref)["1:renewal:180"] == "cancelled"


def test_two_senders_on_a_slow_server_never_send_a_message_twice(db_url: str) -> None:
    """Each RCPT answered slowly, claimed rows' leases shorter than a batch takes: the
    other sender takes rows over, and the fence right before each send keeps every
    message single. (Before: 48 received for 40.)"""
    queue(with_agreement(db_url), *({"key": f"k{i}"} for i in range(12)))
    sink = SmtpSink().start()

    async def slow(_address: str) -> None:
        await asyncio.sleep(0.1)

    sink.before_rcpt = slow
    reports: list[SendReport] = []

    def worker() -> None:
        reports.append(send(db_url, sink, lease=timedelta(seconds=0.3),
                            live=lambda: datetime.now(UTC)))

    try:
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        sink.stop()
    assert len(reports) == 2 and sum(r.sent for r in reports) == 12
    assert sink.keys() == {f"k{i}": 1 for i in range(12)}
    assert {r.status for r in rows(db_url)} == {"sent"}


def test_a_two_day_outage_leaves_nothing_dead_and_delivers_each_reminder_once(
        db_url: str) -> None:
    """The mail server is down for 48 hours, `tick --now` replayed every two hours: retried
    by time (HAMKOR_MAIL_RETRY_FOR, 5 days), only the message tried each time is charged,
    nothing is dead; when the server is back each reminder goes out once.
    (Before: 1,200 of 2,000 dead in a 36-hour outage.)"""
    port = free_port()
    env = smtp_env(port)
    w = World(db_url, env)
    for i in range(5):
        w.signed(f"Exchange {i}", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
    start = datetime(2026, 7, 4, 8)
    for step in range(25):
        at = (start + timedelta(hours=2 * step)).isoformat(timespec="minutes")
        report = ok(hamkor(db_url, "tick", "--now", at, "--json", env=w.env)).json()
        assert report["sent"] == 0 and report["dead"] == 0
    waiting = w.outbox()
    assert Counter(r["status"] for r in waiting if r["rule"] == "renewal") == {"failed": 1, "pending": 4}
    health = ok(hamkor(db_url, "outbox", "list", "--json")).json()
    assert not [r for r in health if r["status"] == "dead"]
    sink = SmtpSink(port).start()
    try:
        at = (start + timedelta(hours=50)).isoformat(timespec="minutes")
        report = ok(hamkor(db_url, "tick", "--now", at, "--json", env=w.env)).json()
        assert report["sent"] == 5
        ok(hamkor(db_url, "tick", "--now", (start + timedelta(hours=52)).isoformat(timespec="minutes"),
                  "--json", env=w.env))
    finally:
        sink.stop()
    assert sorted(sink.keys().values()) == [1] * 5
    assert {r["status"] for r in w.outbox() if r["rule"] == "renewal"} == {"sent"}
