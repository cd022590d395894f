"""Reminder dispatch rate: the outbox sender vs plain smtplib, to a local aiosmtpd.

Both deliver the same messages to the same loopback server over one reused
connection. The sender also claims rows (lease), builds each message from its
row and records it as sent in its own transaction — the work that makes
delivery exactly-once and crash-safe; the baseline only talks SMTP.

The server runs in a process of its own, as a mail server does in production:
in the benchmark's process it would share the interpreter's lock with the
sender, and the sender's database thread (which the baseline does not have)
would be charged for the server's Python work. `server_in_process=True` keeps
the old arrangement for comparison.
"""

from __future__ import annotations

import multiprocessing as mp
import smtplib
import socket
import threading
import time
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select, update

from benchmarks.harness import Result
from benchmarks.transitions import seed
from models import Notification
from models.database import session_factory
from notifications.message import build_message, recipients
from notifications.outbox import Outgoing, claim, enqueue
from notifications.sender import send_due
from notifications.transports import SmtpTransport
from workflow.clock import Clock
from workflow.uow import UnitOfWork

NOW = datetime(2026, 1, 1, 8, tzinfo=UTC)
FROM = "hamkor@uni.uz"


class _Counter:
    """An aiosmtpd handler counting the messages it takes into a shared `count`
    (a `multiprocessing.Value`, so a sink in a child process can report it)."""

    def __init__(self, count: Any, pipelining: bool) -> None:
        self.count, self.pipelining = count, pipelining

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,  # noqa: N802
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        if self.pipelining:  # RFC 2920, as Postfix, Exim, Exchange and Gmail announce it
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.count.get_lock():
            self.count.value += 1
        return "250 OK"


def _start(port: int, count: Any, pipelining: bool) -> Any:
    from aiosmtpd.controller import Controller

    ctrl = Controller(_Counter(count, pipelining), hostname="127.0.0.1", port=port)
    ctrl.start()
    return ctrl


def _serve(port: int, count: Any, pipelining: bool, ready: Any) -> None:
    """A child process: the sink on `port` until terminated."""
    _start(port, count, pipelining)
    ready.set()
    threading.Event().wait()


class _Server:
    """The sink, in this process or in a child process; `count` messages received."""

    def __init__(self, in_process: bool, pipelining: bool) -> None:
        self.port = free_port()
        ctx = mp.get_context("spawn")
        self._count = ctx.Value("i", 0)
        self._ctrl: Any = None
        self._proc: Any = None
        if in_process:
            self._ctrl = _start(self.port, self._count, pipelining)
        else:
            ready = ctx.Event()
            self._proc = ctx.Process(target=_serve, args=(self.port, self._count, pipelining, ready),
                                     daemon=True)
            self._proc.start()
            if not ready.wait(60):
                self._proc.terminate()
                raise RuntimeError("the SMTP sink did not start")

    @property
    def count(self) -> int:
        return int(self._count.value)

    def stop(self) -> None:
        if self._ctrl is not None:
            self._ctrl.stop()
        if self._proc is not None:
            self._proc.terminate()
            self._proc.join(10)


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


#: Rounds of each side, alternated (smtplib, sender, smtplib, ...); the best of each is kept.
ROUNDS = 3


def benchmark(engine: Engine, n: int, *, server_in_process: bool = False,
              pipelining: bool = False) -> Result:
    """`pipelining`: the sink announces PIPELINING (RFC 2920), as production servers do;
    the sender then sends each envelope in one write, smtplib (the baseline) still one
    command at a time."""
    seed(engine, 1)
    sessions = session_factory(engine, immediate=True)
    server = _Server(server_in_process, pipelining)
    port = server.port
    base_times, our_times, sent = [], [], 0
    try:
        for k in range(ROUNDS):
            # The baseline's messages: rows like the sender's, built the same way, before timing.
            with sessions.begin() as s:
                enqueue(s, _rows(n, 2 * k * n), NOW)
                claimed = claim(s, NOW, n)
            prepared = [build_message(c, FROM) for c in claimed]
            targets = recipients(claimed[0])
            t = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
                for msg in prepared:
                    smtp.send_message(msg, FROM, targets)
            base_times.append(time.perf_counter() - t)
            with sessions.begin() as s:  # settle them out of the way of the sender
                s.execute(update(Notification).where(Notification.status == "sending")
                          .values(status="sent"))
                enqueue(s, _rows(n, (2 * k + 1) * n), NOW)
            t = time.perf_counter()
            report = send_due(UnitOfWork(sessions), Clock(NOW, ZoneInfo("UTC")),
                              SmtpTransport("127.0.0.1", port), mail_from=FROM)
            our_times.append(time.perf_counter() - t)
            assert report.sent == n, report
            sent += report.sent
        received = server.count
    finally:
        server.stop()
    with sessions() as s:
        stored = s.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.status == "sent"))
    assert sent == ROUNDS * n and stored == 2 * ROUNDS * n and received == 2 * ROUNDS * n, (
        sent, stored, received)
    ours, base = n / min(our_times), n / min(base_times)
    return Result(
        name=f"SMTP dispatch{', server with PIPELINING' if pipelining else ''} "
             f"({engine.dialect.name})",
        measured=f"{n} outbox messages sent to local aiosmtpd "
                 f"({'in this process' if server_in_process else 'in a process of its own'}) "
                 f"by the sender (claim, build, send, mark sent); best of {ROUNDS} rounds "
                 f"alternated with the baseline's",
        value=round(ours, 1), unit="msg/s",
        baseline="smtplib.send_message of the same prepared messages on one connection",
        baseline_value=round(base, 1), ratio=round(ours / base, 3), target=">= 0.7",
        ok=ours / base >= 0.7,
        detail={"sender_msg_per_s": [round(n / t, 1) for t in our_times],
                "smtplib_msg_per_s": [round(n / t, 1) for t in base_times]},
    )
