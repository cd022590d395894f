"""The worker's daily tick: retried after a failure, caught up after missed days, never
lost to a stale pooled connection; and one message in flight per worker process."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from notifications.transports import Go, Meanwhile, Outcome
from root import App
from tests.tick.test_tick_kit import World, free_port, smtp_env
from tick import worker
from tick.worker import DailyTick, last_completed_day, record_day, send_outbox, tick_status


def due_today(w: World, n: int = 1) -> list[str]:
    """Agreements whose 180-day reminder falls due today (the real date)."""
    today = datetime.now(UTC).date()
    return [w.signed(f"Exchange {i}", on=(today - timedelta(days=200)).isoformat(),
                     starts=(today - timedelta(days=190)).isoformat(),
                     expires=(today + timedelta(days=180)).isoformat()) for i in range(n)]


def file_app(url: str, mail: Path, **settings: Any) -> App:
    return App(url, **{"mail_backend": "file", "mail_dir": mail, "tick_at": "00:00",
                       # the reminders alone: no workflow mail, no weekly digest
                       "workflow_mail": False, "digest_day": "off", **settings})


def test_pooled_connections_terminated_before_the_daily_tick_do_not_lose_the_day(
        pg_url: str, tmp_path: Path) -> None:
    """PostgreSQL restarted (here: every backend terminated with pg_terminate_backend)
    just before the tick: stale pooled connections are replaced (pool_pre_ping), the
    tick runs and the day's reminders go out the same day.
    (Before: "daily tick failed: ... terminating connection due to administrator command"
    and nothing until the next day.)"""
    w = World(pg_url)
    refs = due_today(w, 3)
    app = file_app(pg_url, tmp_path / "mail")
    try:
        with app.uow() as uow:  # the pool now holds a connection
            uow.session.execute(text("SELECT 1"))
        admin = App(pg_url)
        with admin.raw_engine().connect() as conn:
            killed = conn.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
        admin.close()
        assert killed and killed >= 1
        assert DailyTick(app).run() is True
        assert last_completed_day(app.uow()) == datetime.now(UTC).date()
    finally:
        app.close()
    assert len(list((tmp_path / "mail").glob("*.eml"))) == len(refs)


def test_a_failed_daily_tick_is_retried_with_backoff_until_the_day_is_done(
        sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = World(sqlite_url)
    due_today(w)
    app = file_app(sqlite_url, tmp_path / "mail")
    real = worker.tick_once
    failures = iter([OperationalError("SELECT", {}, Exception("server closed the connection")),
                     OperationalError("SELECT", {}, Exception("server closed the connection"))])

    def flaky(*args: Any, **kw: Any) -> Any:
        exc = next(failures, None)
        if exc is not None:
            raise exc
        return real(*args, **kw)

    monkeypatch.setattr(worker, "tick_once", flaky)
    clock = [1000.0]
    daily = DailyTick(app, monotonic=lambda: clock[0])
    try:
        assert daily.run() is False and daily.retry_at == 1060.0  # retried in 1 minute
        assert tick_status(app).overdue
        clock[0] = 1030.0
        assert daily.catch_up() is None  # still waiting
        clock[0] = 1061.0
        assert daily.catch_up() is False and daily.retry_at == 1061.0 + 120  # then 2 minutes
        clock[0] = 1200.0
        assert daily.catch_up() is True
        assert daily.failures == 0 and not tick_status(app).overdue
        assert daily.catch_up() is None  # done for the day
    finally:
        app.close()
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1


def test_days_missed_while_the_worker_was_down_are_caught_up_when_it_runs_again(
        db_url: str, tmp_path: Path) -> None:
    w = World(db_url)
    due_today(w, 2)
    app = file_app(db_url, tmp_path / "mail", tick_at="23:59")  # before today's tick time
    try:
        today = datetime.now(UTC).date()
        assert not tick_status(app, datetime.now(UTC).replace(hour=0, minute=1)).overdue
        record_day(app.uow(immediate=True), today - timedelta(days=3), datetime.now(UTC))
        status = tick_status(app)
        assert status.overdue and "last completed: " in (status.problem() or "")
        assert DailyTick(app).catch_up() is True
        assert last_completed_day(app.uow()) == today
    finally:
        app.close()
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 2


class CountingTransport:
    """Delivers slowly and records how many deliveries overlap."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.most = 0
        self.keys: list[str] = []
        self.lock = threading.Lock()

    def deliver(self, msg: Message, from_addr: str, to_addrs: list[str], go: Go,
                meanwhile: Meanwhile | None = None) -> Outcome:
        if not go():
            return Outcome(False, fenced_out=True)
        with self.lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        time.sleep(0.05)
        with self.lock:
            self.in_flight -= 1
            self.keys.append(str(msg["X-Hamkor-Key"]))
        return Outcome(True, accepted=list(to_addrs))

    def budget(self, recipients: int) -> float:
        return 60.0

    def final_budget(self) -> float:
        return 30.0

    def prepare(self, msg: Message) -> None:
        return None

    def close(self) -> None:
        return None


def test_a_worker_process_has_one_message_in_flight_whatever_runs_at_once(
        sqlite_url: str) -> None:
    """The tick's sending and the minutely sender started together in one process take
    turns: at most one message is in flight, so a kill -9 resends at most one.
    (Before: they ran in two threads, two in flight.)"""
    w = World(sqlite_url)
    for i in range(6):
        w.signed(f"Exchange {i}", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
    w.tick("2026-07-04", env=smtp_env(free_port()))  # queued; the server was down
    app = App(sqlite_url)
    transport = CountingTransport()
    later = datetime(2026, 7, 5, 9, tzinfo=UTC)
    try:
        threads = [threading.Thread(target=send_outbox, args=(app, app.clock(later)),
                                    kwargs={"transport": transport}) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        app.close()
    assert transport.most == 1
    assert sorted(transport.keys) == sorted(set(transport.keys)) and len(transport.keys) == 6


def test_the_tick_records_its_business_day_once(sqlite_url: str) -> None:
    app = App(sqlite_url)
    try:
        day = date(2026, 7, 4)
        record_day(app.uow(immediate=True), day, datetime(2026, 7, 4, 8, tzinfo=UTC))
        record_day(app.uow(immediate=True), day, datetime(2026, 7, 4, 9, tzinfo=UTC))
        assert last_completed_day(app.uow()) == day
    finally:
        app.close()
