"""Reminder dispatch rate: the outbox sender vs plain smtplib, to a local aiosmtpd.

Both deliver the same messages to the same loopback server over one reused
connection. The sender also claims rows (lease), builds each message from its
row and records it as sent in its own transaction — the work that makes
delivery exactly-once and crash-safe; the baseline only talks SMTP.
"""

from __future__ import annotations

import smtplib
import socket
import threading
import time
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from benchmarks.harness import Result
from benchmarks.transitions import seed
from cli.database import session_factory
from models import Notification
from notifications.message import build_message, recipients
from notifications.outbox import Outgoing, claim, enqueue
from notifications.sender import send_due
from notifications.transports import SmtpTransport
from workflow.clock import Clock
from workflow.uow import UnitOfWork

NOW = datetime(2026, 1, 1, 8, tzinfo=UTC)
FROM = "hamkor@uni.uz"


class _Counter:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.count += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rows(n: int, start: int) -> list[Outgoing]:
    body = "Dear Olga,\n\nAGR-2019-00001 ends on 31 December 2026 (30 days left).\n" * 8
    return [Outgoing(key=f"1:1:renewal:{start + i}", agreement_id=1, term=1, rule="renewal",
                     offset_days=start + i, due_on=date(2025, 12, 1), to_addr="olga@uni.uz",
                     cc=["anvar@uni.uz"], subject=f"AGR-2019-00001 ends in {start + i} days",
                     body_text=body, body_html="<p>" + body.replace("\n", "<br>") + "</p>")
            for i in range(n)]


def benchmark(engine: Engine, n: int) -> Result:
    from aiosmtpd.controller import Controller

    seed(engine, 1)
    sessions = session_factory(engine, immediate=True)
    with sessions.begin() as s:
        enqueue(s, _rows(n, 0), NOW)
    # The baseline's messages: the same rows, built the same way, before timing.
    with sessions() as s:
        prepared = [build_message(c, FROM) for c in claim(s, NOW, n)]
        targets = [recipients(c) for c in claim(s, NOW, 0)] or [["olga@uni.uz", "anvar@uni.uz"]]
        s.rollback()
    handler = _Counter()
    port = free_port()
    ctrl = Controller(handler, hostname="127.0.0.1", port=port)
    ctrl.start()
    try:
        t = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            for msg in prepared:
                smtp.send_message(msg, FROM, targets[0])
        base_s = time.perf_counter() - t
        clock = Clock(NOW, ZoneInfo("UTC"))
        t = time.perf_counter()
        report = send_due(UnitOfWork(sessions), clock, SmtpTransport("127.0.0.1", port),
                          mail_from=FROM, max_attempts=8)
        ours_s = time.perf_counter() - t
    finally:
        ctrl.stop()
    with sessions() as s:
        sent = s.scalar(select(func.count()).select_from(Notification).where(Notification.status == "sent"))
    assert report.sent == n == sent and handler.count == 2 * n, (report, sent, handler.count)
    ours, base = n / ours_s, n / base_s
    return Result(
        name=f"SMTP dispatch ({engine.dialect.name})",
        measured=f"{n} outbox messages sent to local aiosmtpd by the sender (claim, build, send, mark sent)",
        value=round(ours, 1), unit="msg/s",
        baseline="smtplib.send_message of the same prepared messages on one connection",
        baseline_value=round(base, 1), ratio=round(ours / base, 3), target=">= 0.7",
        ok=ours / base >= 0.7,
    )
