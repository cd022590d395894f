"""The sender end to end against aiosmtpd: what goes on the wire, and how a message
that cannot go out is settled without holding up the rest of its batch."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from email import policy
from email.message import Message
from email.parser import BytesParser
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from models import Agreement, Notification
from models.database import make_engine, session_factory
from notifications import deliveries, outbox
from notifications.sender import SendReport, send_due
from notifications.transports import SmtpTransport
from tests.tick.test_tick_kit import SmtpSink, World
from workflow.clock import Clock
from workflow.uow import UnitOfWork

NOW = datetime(2026, 7, 4, 8, tzinfo=UTC)
CLOCK = Clock(NOW, ZoneInfo("UTC"))
FROM = "Xalqaro boʻlim <intl@uni.uz>"


def queue(url: str, *rows: dict[str, object]) -> None:
    """Queue outbox rows on the first agreement (a signed one, for the foreign key)."""
    engine = make_engine(url)
    with session_factory(engine).begin() as s:
        aid = s.scalar(select(func.min(Agreement.id)))
        assert aid is not None
        outbox.enqueue(s, [outbox.Outgoing(**{
            "agreement_id": aid, "term": 1, "rule": "renewal", "offset_days": i,
            "due_on": date(2026, 7, 4), "to_addr": "olga@uni.uz", "subject": f"Reminder {i}",
            "body_text": "Dear Olga,\n", "body_html": None, **row}) for i, row in enumerate(rows)],
            NOW)
    engine.dispose()


def send(url: str, sink: SmtpSink) -> SendReport:
    engine = make_engine(url)
    try:
        return send_due(UnitOfWork(session_factory(engine, immediate=True)), CLOCK,
                        SmtpTransport("127.0.0.1", sink.port, timeout=5), mail_from=FROM)
    finally:
        engine.dispose()


def statuses(url: str) -> dict[str, tuple[str, str | None]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(Notification.key, Notification.status, Notification.last_error))
        out = {key: (status, error) for key, status, error in rows}
    engine.dispose()
    return out


def with_agreement(url: str) -> str:
    """`url` with one signed agreement (the notifications' foreign key)."""
    World(url).signed("Exchange", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
    return url


@pytest.fixture
def world_url(sqlite_url: str) -> str:
    return with_agreement(sqlite_url)


@pytest.fixture
def one_row(db_url: str) -> Iterator[tuple[Engine, sessionmaker[Session]]]:
    """One queued notification (key k1), and sessions to claim it with."""
    queue(with_agreement(db_url), {"key": "k1"})
    engine = make_engine(db_url)
    yield engine, session_factory(engine, immediate=True)
    engine.dispose()


def test_the_envelope_sender_is_the_bare_address_and_from_lines_in_the_body_stay_as_written(
        world_url: str) -> None:
    body = "Dear Olga,\n\nFrom 1 January the agreement renews itself.\n.\nRegards\n"
    queue(world_url, {"key": "k-from", "body_text": body, "body_html": "<p>Hello</p>"})
    sink = SmtpSink().start()
    try:
        report = send(world_url, sink)
    finally:
        sink.stop()
    assert report.sent == 1
    assert sink.senders == ["intl@uni.uz"]  # not the display name
    (raw, rcpts, _peer) = sink.received[0]
    assert rcpts == ["olga@uni.uz"]
    assert b"\n>From" not in raw and b"\nFrom 1 January" in raw  # smtplib's send_message would have mangled it
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert msg["From"].addresses[0].display_name == "Xalqaro boʻlim"
    plain = msg.get_body(("plain",))
    assert plain is not None
    assert plain.get_content().replace("\r\n", "\n") == body  # the lone "." survives too


@pytest.mark.parametrize("smtputf8", [True, False])
def test_a_non_ascii_address_goes_out_with_smtputf8_and_is_dead_where_the_server_lacks_it(
        world_url: str, smtputf8: bool) -> None:
    queue(world_url, {"key": "k-idn", "to_addr": "ольга@uni.uz", "subject": "Eslatma — Oʻz"},
          {"key": "k-ascii"})
    sink = SmtpSink(enable_SMTPUTF8=smtputf8).start()
    try:
        report = send(world_url, sink)
    finally:
        sink.stop()
    rows = statuses(world_url)
    assert rows["k-ascii"][0] == "sent"  # the rest of the batch is not held up
    if smtputf8:
        assert (report.sent, report.dead) == (2, 0)
        received = {BytesParser(policy=policy.default).parsebytes(raw)["To"]: rcpts
                    for raw, rcpts, _ in sink.received}
        assert received["ольга@uni.uz"] == ["ольга@uni.uz"]
    else:
        assert (report.sent, report.dead) == (1, 1)
        status, error = rows["k-idn"]
        assert status == "dead" and "SMTPUTF8" in (error or "")


@pytest.mark.parametrize("bad_first", [True, False], ids=["first", "written-ahead"])
def test_a_message_that_cannot_be_written_is_dead_at_once_and_the_batch_goes_on(
        world_url: str, bad_first: bool) -> None:
    """First in the batch, or written ahead while the server read the one before it:
    either way dead at once, and the rest is sent."""
    bad = {"key": "k-bad", "subject": "Reminder\nBcc: everyone@example.org"}
    queue(world_url, *([bad, {"key": "k-good"}] if bad_first else [{"key": "k-good"}, bad]))
    sink = SmtpSink().start()
    try:
        report = send(world_url, sink)
    finally:
        sink.stop()
    assert (report.sent, report.dead) == (1, 1)
    rows = statuses(world_url)
    assert rows["k-good"][0] == "sent"
    status, error = rows["k-bad"]
    assert status == "dead" and "line break" in (error or "")
    assert all(b"everyone@example.org" not in raw for raw, _, _ in sink.received)


def test_a_sender_whose_lease_was_taken_over_can_neither_send_nor_record_the_row(
        one_row: tuple[Engine, sessionmaker[Session]]) -> None:
    """Each claim's random token fences the row: the first claim's fence (the check right
    before sending) and its late record change nothing; the second claim's settle it.
    Claiming charges no attempt; the fence does."""
    from datetime import timedelta

    engine, sessions = one_row
    with sessions.begin() as s:
        (first,) = outbox.claim(s, NOW, 5, lease=timedelta(minutes=5))
    later = NOW + timedelta(minutes=6)  # the first lease has expired
    with sessions.begin() as s:
        (second,) = outbox.claim(s, later, 5)
    assert (first.attempts, second.attempts) == (0, 0) and first.token != second.token
    with deliveries.DeliveryLog(engine) as log:
        assert log.fence(first, later + timedelta(minutes=5)) is None
        assert log.sent(first, later) is False
        with engine.connect() as conn:
            assert conn.execute(text("SELECT status, attempts FROM notifications")).one() == (
                "sending", 0)
        assert log.fence(second, later + timedelta(minutes=5)) == 1
        assert log.sent(second, later) is True
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status, attempts FROM notifications")).one() == ("sent", 1)


def test_on_postgresql_a_delivery_record_waits_for_its_wal_flush(pg_url: str) -> None:
    """A delivery marked sent survives a crash of the database server: its commit is
    durable (synchronous_commit on for the record), and the pooled connections keep
    the server's default."""
    from sqlalchemy import event

    queue(with_agreement(pg_url), {"key": "k1"})
    engine = make_engine(pg_url, pool_size=1, max_overflow=1)
    with session_factory(engine).begin() as s:
        (claimed,) = outbox.claim(s, NOW, 5)
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, st, *_a: seen.append(st))
    with deliveries.DeliveryLog(engine) as log:
        assert log.sent(claimed, NOW) is True
        held = log._connection()  # the connection it records on
        assert held.scalar(text("SHOW synchronous_commit")) == "on"
        with engine.connect() as other:  # committed at once
            assert other.scalar(select(Notification.status)) == "sent"
    assert not [st for st in seen if "SET" in st and "synchronous_commit" in st]
    engine.dispose()


def test_a_claim_reads_the_open_notifications_not_the_history_of_sent_mail(
        pg_url: str) -> None:
    """With thousands of sent rows, PostgreSQL claims through an index of the open ones
    (the partial `ix_notifications_open` or the status index), never by walking the
    primary key past the sent history (which made a claim 15 ms at 19k sent rows)."""
    import re

    from sqlalchemy import event, update

    queue(with_agreement(pg_url), *({"key": f"k{i}"} for i in range(8000)))
    engine = make_engine(pg_url)
    with session_factory(engine).begin() as s:
        s.execute(update(Notification).where(Notification.id <= 7600).values(status="sent"))
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE notifications")
    statements: list[tuple[str, object]] = []
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, st, params, _ctx, _many: statements.append((st, params)))
    with session_factory(engine)() as s:
        claimed = outbox.claim(s, NOW, 20)
        assert [c.key for c in claimed] == [f"k{i}" for i in range(7600, 7620)]
        sql, params = next((st, p) for st, p in statements if st.lstrip().startswith("WITH"))
        cursor = s.connection().connection.driver_connection.cursor()
        cursor.execute("EXPLAIN ANALYZE " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        s.rollback()
    engine.dispose()
    assert "Seq Scan on notifications" not in plan, plan
    assert all(int(n) < 100 for n in re.findall(r"Rows Removed by Filter: (\d+)", plan)), plan


def test_a_stalled_sender_cannot_record_a_row_retried_by_hand_and_claimed_again(
        one_row: tuple[Engine, sessionmaker[Session]]) -> None:
    """A manual retry starts `attempts` from 0 again; the token each claim set tells the
    stalled sender and the new one apart."""
    from datetime import timedelta

    engine, sessions = one_row
    with sessions.begin() as s:
        (stalled,) = outbox.claim(s, NOW, 5, lease=timedelta(minutes=5))
    outbox.retry(UnitOfWork(sessions), stalled.id, NOW + timedelta(minutes=6))  # lease over
    with sessions.begin() as s:
        (fresh,) = outbox.claim(s, NOW + timedelta(minutes=7), 5)
    assert stalled.attempts == fresh.attempts == 0
    with deliveries.DeliveryLog(engine) as log:
        assert log.sent(stalled, NOW + timedelta(minutes=8)) is False
        assert log.sent(fresh, NOW + timedelta(minutes=8)) is True
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM notifications")).one() == ("sent",)


def test_a_failure_reported_by_a_sender_whose_lease_was_taken_over_changes_nothing(
        one_row: tuple[Engine, sessionmaker[Session]]) -> None:
    from datetime import timedelta

    engine, sessions = one_row
    with sessions.begin() as s:
        (first,) = outbox.claim(s, NOW, 5, lease=timedelta(minutes=5))
    with sessions.begin() as s:
        (second,) = outbox.claim(s, NOW + timedelta(minutes=6), 5)
    with sessions.begin() as s:
        assert deliveries.mark_failed(s, first, NOW, "timeout") is None
    with engine.connect() as conn:  # the second sender's claim stands
        assert conn.execute(text("SELECT status, claim_token, last_error FROM notifications")
                            ).one() == ("sending", second.token, None)
    with sessions.begin() as s:
        assert deliveries.mark_failed(s, second, NOW, "timeout") == "failed"


@pytest.mark.parametrize("pipelining", [False, True], ids=["one-by-one", "pipelined"])
def test_the_fence_is_asked_after_the_lines_and_a_lost_fence_leaves_before_the_end_of_data(
        pipelining: bool) -> None:
    """The transport asks `go()` once DATA was accepted and the message's lines were sent
    (the sender's database round trip overlaps all of it); a "no" closes the connection
    before the final ".", and the server delivers nothing (RFC 5321 §3.8). The next
    message goes out on a new connection."""
    from email.message import EmailMessage

    sink = SmtpSink(pipelining=pipelining).start()
    try:
        msg = EmailMessage()
        msg["Subject"], msg["From"], msg["To"] = "Reminder", "intl@uni.uz", "olga@uni.uz"
        msg.set_content("Dear Olga,\n.\nA line that is only a dot stays in the body.\n")
        t = SmtpTransport("127.0.0.1", sink.port)
        asked: list[int] = []

        def refuse() -> bool:
            asked.append(len(sink.accepted_rcpts))
            return False

        out = t.deliver(msg, "intl@uni.uz", ["olga@uni.uz"], refuse)
        assert out.fenced_out and out.delivered is False
        assert asked == [1]  # asked once, after the envelope was accepted
        assert sink.received == []  # the lines went out, the end of the data did not
        out = t.deliver(msg, "intl@uni.uz", ["olga@uni.uz"], lambda: True)
        assert out.delivered is True and t.connections == 2
        assert len(sink.received) == 1
        body = sink.messages[0].get_content()
        assert "\n.\nA line that is only a dot" in body.replace("\r\n", "\n")
        t.close()
    finally:
        sink.stop()


def test_the_next_message_is_written_while_the_server_reads_the_current_one(
        world_url: str) -> None:
    """The sender writes and flattens message k+1 after message k's lines went out and
    before its end of the data (the server is reading the lines meanwhile): each message
    but the first is prepared ahead, and every one is delivered once, as written."""
    queue(world_url, *({"key": f"k{i}"} for i in range(3)))
    prepared: list[str] = []
    at_end_of_data: list[list[str]] = []

    class Watching(SmtpTransport):
        def prepare(self, msg: Message) -> None:
            prepared.append(str(msg["X-Hamkor-Key"]))
            super().prepare(msg)

    sink = SmtpSink().start()

    async def seen(_count: int) -> None:
        at_end_of_data.append(list(prepared))

    sink.after_data = seen
    engine = make_engine(world_url)
    try:
        report = send_due(UnitOfWork(session_factory(engine, immediate=True)), CLOCK,
                          Watching("127.0.0.1", sink.port, timeout=5), mail_from=FROM)
    finally:
        engine.dispose()
        sink.stop()
    assert report.sent == 3 and sink.keys() == {"k0": 1, "k1": 1, "k2": 1}
    assert prepared == ["k1", "k2"]
    assert at_end_of_data == [["k1"], ["k1", "k2"], ["k1", "k2"]]
