"""The outbox and its sender: retries with backoff on the tick's clock, dead after the
last attempt, leases, manual retry, one SMTP connection per batch, SKIP LOCKED claims."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from models import Notification
from models.database import make_engine, session_factory
from notifications import outbox
from tests.dbstate import snapshot
from tests.helpers import hamkor, ok, refused
from tests.tick.test_tick_kit import SmtpSink, World, free_port, smtp_env

#: These tests count reminders alone (as World does by default).
QUIET = {"HAMKOR_WORKFLOW_MAIL": "false", "HAMKOR_DIGEST_DAY": "off"}


def tick_at(w: World, now: str, env: dict[str, str]) -> dict[str, object]:
    return dict(ok(hamkor(w.url, "tick", "--now", now, "--allow-future", "--json",
                          env={**QUIET, **env})).json())


def utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def test_failed_mail_is_retried_with_backoff_on_the_ticks_clock_then_dead_then_retried_by_hand(
        db_url: str) -> None:
    """Retried by time: after HAMKOR_MAIL_RETRY_FOR (here 40 minutes) a failing message
    is dead, whatever its number of attempts."""
    port = free_port()  # nothing listens: connection refused
    env = smtp_env(port, HAMKOR_MAIL_RETRY_FOR="40m")
    w = World(db_url, env)
    ref = w.signed("Exchange", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")

    first = tick_at(w, "2026-07-04T08:00", env)
    assert (first["sent"], first["failed"], first["dead"]) == (0, 1, 0)
    (row,) = [r for r in w.rows() if r.status != "skipped"]
    assert (row.status, row.attempts) == ("failed", 1)
    # Backoff counts from --now, not from the wall clock.
    assert utc(row.next_attempt_at) == datetime(2026, 7, 4, 8, 15, tzinfo=UTC)
    assert "cannot connect to SMTP server 127.0.0.1" in (row.last_error or "")

    assert tick_at(w, "2026-07-04T08:10", env)["failed"] == 0  # not yet due: not attempted
    assert tick_at(w, "2026-07-04T08:15", env)["failed"] == 1  # second attempt
    (row,) = [r for r in w.rows() if r.id == row.id]
    assert row.attempts == 2 and utc(row.next_attempt_at) == datetime(2026, 7, 4, 8, 45, tzinfo=UTC)
    third = tick_at(w, "2026-07-04T08:45", env)
    assert (third["failed"], third["dead"]) == (0, 1)
    dead = w.outbox("dead")
    assert [(d["id"], d["attempts"], d["next_attempt_at"]) for d in dead] == [(row.id, 3, None)]
    assert "gave up after retrying for 0.8 hours" in dead[0]["last_error"]
    assert tick_at(w, "2026-07-10T08:00", env)["dead"] == 0  # dead rows are left alone

    again = ok(hamkor(db_url, "outbox", "retry", str(row.id), "--json")).json()
    assert (again["status"], again["attempts"]) == ("pending", 0)
    sink = SmtpSink(port).start()
    try:
        assert tick_at(w, "2026-07-10T09:00", env)["sent"] == 1
        assert sink.keys() == {row.key: 1}
        assert str(sink.messages[0]["Message-ID"]) == outbox.message_id_for(row.key) == row.message_id
    finally:
        sink.stop()
    assert w.statuses(ref)["1:renewal:180"] == "sent"


def test_a_tick_exits_0_and_warns_when_mail_cannot_be_sent(sqlite_url: str) -> None:
    env = smtp_env(free_port())
    w = World(sqlite_url, env)
    w.signed("Exchange", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
    result = hamkor(sqlite_url, "tick", "--now", "2026-07-04T08:00", env={**QUIET, **env})
    assert result.code == 0
    assert "sent:           0   failed: 1   dead: 0" in result.out
    assert any(line.startswith("warning: cannot connect to SMTP server") for line in result.error_lines)
    assert any("1 message(s) not sent (1 will be retried, 0 dead)" in line for line in result.error_lines)


def test_a_sending_row_whose_lease_expired_is_sent_again_with_the_same_message_id(db_url: str) -> None:
    sink = SmtpSink().start()
    try:
        w = World(db_url, sink.env())
        w.signed("Exchange", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
        w.tick("2026-07-04", env={**QUIET, **smtp_env(free_port())})  # queued; the server was down
        (row,) = [r for r in w.rows() if r.status == "failed"]
        # As a sender killed mid-send leaves it: claimed, lease running until 08:30.
        w.force(row.id, status="sending", attempts=1,
                lease_until=datetime(2026, 7, 4, 8, 30, tzinfo=UTC), next_attempt_at=None)
        assert tick_at(w, "2026-07-04T08:20", sink.env())["sent"] == 0  # still leased
        assert sink.messages == []
        assert tick_at(w, "2026-07-04T08:31", sink.env())["sent"] == 1
        assert sink.message_ids() == {row.message_id: 1}
        (done,) = [r for r in w.rows() if r.id == row.id]
        assert (done.status, done.attempts, done.lease_until) == ("sent", 2, None)
    finally:
        sink.stop()


def test_a_permanent_refusal_is_dead_at_once(sqlite_url: str) -> None:
    sink = SmtpSink().start()
    sink.refuse.add("olga@uni.uz")
    try:
        w = World(sqlite_url, sink.env())
        ref = w.signed("Exchange", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
        report = w.tick("2026-07-04")
        assert (report["sent"], report["failed"], report["dead"]) == (0, 0, 1)
        (row,) = w.outbox("dead")
        assert row["agreement"] == ref and "550" in row["last_error"]
    finally:
        sink.stop()


def test_a_batch_is_sent_over_one_smtp_connection(sqlite_url: str) -> None:
    sink = SmtpSink().start()
    try:
        w = World(sqlite_url, sink.env())
        for i in range(6):
            w.signed(f"Exchange {i}", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
        assert w.tick("2026-07-04")["sent"] == 6
        assert len(sink.message_ids()) == 6 and sink.connections() == 1
    finally:
        sink.stop()


def test_outbox_list_filters_by_status_and_shows_each_row(sqlite_url: str) -> None:
    sink = SmtpSink().start()
    try:
        w = World(sqlite_url, sink.env())
        ref = w.signed("Exchange", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
        w.tick("2026-10-10")  # 90 days sent, 180 skipped
    finally:
        sink.stop()
    rows = w.outbox()
    assert [(r["rule"], r["offset"], r["status"]) for r in rows] == [
        ("renewal", 90, "sent"), ("renewal", 180, "skipped")]
    sent = w.outbox("sent")[0]
    assert {"id", "key", "rule", "agreement", "to", "cc", "status", "attempts", "next_attempt_at",
            "message_id"} <= set(sent)
    assert (sent["agreement"], sent["to"], sent["cc"]) == (ref, "olga@uni.uz", [])
    assert sent["message_id"] == outbox.message_id_for(sent["key"])
    table = ok(hamkor(sqlite_url, "outbox", "list", "--status", "skipped")).out
    assert "skipped" in table and ref in table and "sent" not in table.split("\n", 1)[1]
    refused(hamkor(sqlite_url, "outbox", "list", "--status", "lost"), "status 'lost'")


def test_retrying_a_sent_or_unknown_notification_is_refused_and_changes_nothing(sqlite_url: str) -> None:
    sink = SmtpSink().start()
    try:
        w = World(sqlite_url, sink.env())
        w.signed("Exchange", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
        w.tick("2026-07-04")
    finally:
        sink.stop()
    sent = w.outbox("sent")[0]
    before = snapshot(sqlite_url)
    refused(hamkor(sqlite_url, "outbox", "retry", str(sent["id"])), "it was sent already")
    refused(hamkor(sqlite_url, "outbox", "retry", "999"), "no notification 999")
    assert snapshot(sqlite_url) == before


def test_two_senders_never_claim_the_same_rows(pg_url: str) -> None:
    """FOR UPDATE SKIP LOCKED: a second claimer skips the rows a first one holds."""
    sink = SmtpSink().start()
    try:
        w = World(pg_url, smtp_env(free_port()))
        for i in range(6):
            w.signed(f"Exchange {i}", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
        w.tick("2026-07-04")  # six queued, none sent (server down: one tried, five not)
    finally:
        sink.stop()
    engine = make_engine(pg_url)
    now = datetime(2026, 7, 5, 8, tzinfo=UTC)
    try:
        first, second = session_factory(engine)(), session_factory(engine)()
        mine = outbox.claim(first, now, 4)  # not committed: the rows stay locked
        theirs = outbox.claim(second, now, 4)
        assert len(mine) == 4 and len(theirs) == 2
        assert not {c.id for c in mine} & {c.id for c in theirs}
        second.commit()
        first.rollback()  # the first sender died: its rows are free again
        third = session_factory(engine)()
        again = outbox.claim(third, now, 10)
        assert {c.id for c in again} == {c.id for c in mine}
        third.rollback()
        for s in (first, second, third):
            s.close()
        with session_factory(engine)() as s:
            statuses = sorted(s.scalars(select(Notification.status).where(
                Notification.status != "skipped")))
        assert statuses == ["failed"] + ["pending"] * 3 + ["sending"] * 2
    finally:
        engine.dispose()


def test_backoff_doubles_up_to_an_hour() -> None:
    """As mail servers queue: 15 min, 30 min, then hourly until HAMKOR_MAIL_RETRY_FOR."""
    assert [outbox.backoff(n) for n in (1, 2, 3, 4)] == [
        timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=1), timedelta(hours=1)]
    assert outbox.backoff(1000) == timedelta(hours=1)


def test_the_file_backend_writes_one_multipart_eml_per_message_named_after_its_key(
        sqlite_url: str, tmp_path: Path) -> None:
    from email import policy
    from email.parser import BytesParser

    mail = tmp_path / "mail"
    env = {"HAMKOR_MAIL_BACKEND": "file", "HAMKOR_MAIL_DIR": str(mail),
           "HAMKOR_MAIL_FROM": "intl@uni.uz"}
    w = World(sqlite_url, env)
    w.signed("Exchange & mobility", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
    w.tick("2026-07-04")
    (row,) = w.outbox("sent")
    (eml,) = mail.iterdir()
    assert eml.name == row["key"].replace(":", "-") + ".eml"
    msg = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    assert (msg["From"], msg["To"], msg["Message-ID"]) == ("intl@uni.uz", "olga@uni.uz", row["message_id"])
    assert msg.get_content_type() == "multipart/alternative"
    plain, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert plain is not None and "Exchange & mobility" in plain.get_content()
    assert html is not None and "Exchange &amp; mobility" in html.get_content()


def test_the_console_backend_prints_to_stderr_and_keeps_json_clean(sqlite_url: str) -> None:
    import json

    w = World(sqlite_url)
    w.signed("Exchange", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
    result = ok(hamkor(sqlite_url, "tick", "--now", "2026-07-04T08:00", "--json",
                       env={**QUIET, "HAMKOR_MAIL_BACKEND": "console"}))
    assert json.loads(result.out)["sent"] == 1
    assert "----- mail from hamkor@localhost to olga@uni.uz -----" in result.err
    assert f"Message-ID: {w.outbox('sent')[0]['message_id']}" in result.err


def test_without_now_each_batch_is_timed_when_it_is_claimed(sqlite_url: str, tmp_path: Path) -> None:
    """A long sending run (the worker) measures leases and send times from each batch's
    claim, not from when the run began; a replayed --now keeps one fixed time."""
    from notifications.sender import send_due
    from notifications.transports import FileTransport
    from root import App
    from tests.conftest import clock_on

    w = World(sqlite_url, {"HAMKOR_MAIL_BACKEND": "file", "HAMKOR_MAIL_DIR": str(tmp_path)})
    for i in range(3):
        w.signed(f"Exchange {i}", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
    w.tick("2026-07-04", env={**QUIET, **smtp_env(free_port())})
    t0 = datetime(2026, 7, 5, 9, tzinfo=UTC)
    calls = iter(range(100))

    def live() -> datetime:  # each reading of the clock is half an hour later
        return t0 + timedelta(minutes=30 * next(calls))

    app = App(sqlite_url)
    try:
        report = send_due(app.uow(immediate=True), clock_on("2026-07-05"), FileTransport(tmp_path),
                          mail_from="x@uni.uz", batch_size=1, live=live)
    finally:
        app.close()
    assert report.sent == 3
    sent_at = sorted(utc(r.sent_at) for r in w.rows() if r.status == "sent")
    # Read at each claim and again for each message: 09:30, 10:30, 11:30.
    assert sent_at == [t0 + timedelta(minutes=m) for m in (30, 90, 150)]



def test_every_dead_message_is_queued_again_at_once_optionally_since_a_day(db_url: str) -> None:
    """`hamkor outbox retry --dead [--since DATE]`: a bulk requeue with a fresh retry
    period; `outbox list` warns of dead mail until then. Misuse changes nothing."""
    env = smtp_env(free_port(), HAMKOR_MAIL_RETRY_FOR="10m")
    w = World(db_url, env)
    for i in range(3):
        w.signed(f"Exchange {i}", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
    w.tick("2026-07-04", env={**QUIET, **env})
    for at in ("2026-07-04T09:00", "2026-07-04T10:00", "2026-07-04T11:00"):
        tick_at(w, at, env)  # each run tries (and kills) one: its retry period is over
    dead = w.outbox("dead")
    assert len(dead) == 3
    listed = hamkor(db_url, "outbox", "list")
    assert "warning: 3 dead message(s)" in listed.err
    w.force(dead[0]["id"], dead_at=datetime(2026, 7, 1, tzinfo=UTC))  # given up earlier
    before = snapshot(db_url)
    for args in (["--since", "2026-07-02"], [str(dead[0]["id"]), "--dead"], []):
        result = hamkor(db_url, "outbox", "retry", *args)
        assert result.code == 2, args
    refused(hamkor(db_url, "outbox", "retry", "--dead", "--since", "July"), "--since 'July' is not a date")
    assert snapshot(db_url) == before
    assert ok(hamkor(db_url, "outbox", "retry", "--dead", "--since", "2026-07-02", "--json")
              ).json() == {"requeued": 2}
    assert [r["id"] for r in w.outbox("dead")] == [dead[0]["id"]]
    assert "2 dead" not in hamkor(db_url, "outbox", "list").err
    out = ok(hamkor(db_url, "outbox", "retry", "--dead")).out
    assert out.startswith("1 dead notification(s) queued again")
    assert w.outbox("dead") == [] and len(w.outbox("pending")) == 3
    assert {r["attempts"] for r in w.outbox("pending")} == {0}
