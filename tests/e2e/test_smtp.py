"""Delivery to a real SMTP server on loopback (aiosmtpd): STARTTLS and AUTH, a server
that is down for days, a dropped connection, and a sender killed with SIGKILL mid-batch."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import hamkor_subprocess, ok
from tests.tick.test_tick_kit import SmtpSink, World, free_port, smtp_env

PASSWORD = "s3cret-Pa55word"


@pytest.fixture(scope="module")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the client trusts it via SSL_CERT_FILE)."""
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


def test_mail_goes_over_starttls_with_auth_and_the_password_is_never_shown(
        sqlite_url: str, tls_cert: tuple[Path, Path]) -> None:
    import ssl

    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = tls_cert
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins: list[tuple[str, str]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok_ = isinstance(data, LoginPassword) and data.password.decode() == PASSWORD
        logins.append((data.login.decode(), mechanism))
        return AuthResult(success=ok_, handled=False)  # on failure: the server answers 535

    sink = SmtpSink(tls_context=context, require_starttls=True, authenticator=authenticator,
                    auth_required=True, auth_require_tls=True).start()
    try:
        w = World(sqlite_url)
        w.signed("Exchange", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
        env = sink.env(HAMKOR_SMTP_STARTTLS="true", HAMKOR_SMTP_USER="hamkor",
                       HAMKOR_SMTP_PASSWORD=PASSWORD, SSL_CERT_FILE=str(cert))
        result = ok(hamkor_subprocess(sqlite_url, "tick", "--now", "2026-07-04T08:00", "--json", env=env))
        assert result.json()["sent"] == 1
        assert sink.sessions == [(True, True)] and logins[0][0] == "hamkor"

        # A wrong password: refused by the server, reported, retried later; never printed.
        w.signed("Second", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
        bad = {**env, "HAMKOR_SMTP_PASSWORD": "wrong-" + PASSWORD}
        result = ok(hamkor_subprocess(sqlite_url, "tick", "--now", "2026-07-04T09:00", "--json", env=bad))
        assert result.json()["failed"] == 1
        assert "refused the login of hamkor" in result.err
        assert PASSWORD not in result.out + result.err
        assert PASSWORD not in " ".join(r["last_error"] or "" for r in w.outbox())
        assert len(sink.messages) == 1
    finally:
        sink.stop()


def test_a_server_down_for_the_first_ticks_gets_every_message_once_when_back(db_url: str) -> None:
    port = free_port()
    w = World(db_url, smtp_env(port))
    refs = [w.signed(f"Exchange {i}", on="2025-12-01", starts="2026-01-01", expires=f"2026-12-{10 + i}")
            for i in range(4)]
    # 180 days before each expiry: 2026-06-13 .. 2026-06-16; the server is down until the 17th.
    for day in ("2026-06-13", "2026-06-14", "2026-06-15", "2026-06-16"):
        assert w.tick(day)["sent"] == 0
    # Each tick tries the first message, finds the server down and hands the others back
    # untried: only the message tried is charged an attempt.
    assert sorted(r["attempts"] for r in w.outbox()) == [0, 0, 0, 4]
    assert sorted(r["status"] for r in w.outbox()) == ["failed", "pending", "pending", "pending"]
    sink = SmtpSink(port).start()
    try:
        assert w.tick("2026-06-17")["sent"] == 4
        w.tick("2026-06-18")
        w.tick("2026-06-18")
    finally:
        sink.stop()
    assert sorted(sink.message_ids().values()) == [1, 1, 1, 1]
    assert {r["agreement"] for r in w.outbox("sent")} == set(refs)
    assert w.outbox("failed") == w.outbox("pending") == []


def test_a_dropped_connection_is_reopened_and_the_message_sent() -> None:
    from notifications.transports import SmtpTransport

    sink = SmtpSink().start()
    transport = SmtpTransport("127.0.0.1", sink.port, timeout=5)
    try:
        def message(n: int) -> EmailMessage:
            m = EmailMessage()
            m["Subject"], m["From"], m["To"], m["Message-ID"] = f"m{n}", "a@x.uz", "b@x.uz", f"<m{n}@t>"
            m.set_content("hello")
            return m

        transport.send(message(1), "a@x.uz", ["b@x.uz"])
        sink.stop()  # the server goes away (as idle connections are dropped) and comes back
        sink.start()
        transport.send(message(2), "a@x.uz", ["b@x.uz"])
        transport.send(message(3), "a@x.uz", ["b@x.uz"])
        assert [str(m["Message-ID"]) for m in sink.messages] == ["<m1@t>", "<m2@t>", "<m3@t>"]
        assert transport.connections == 2
    finally:
        transport.close()
        sink.stop()


def test_a_sender_killed_mid_batch_loses_nothing_and_resends_at_most_the_in_flight_message(
        db_url: str) -> None:
    sink = SmtpSink().start()
    released = threading.Event()

    async def hold_the_fourth(count: int) -> None:
        # The 4th message is received but its "250 OK" is held back: it is in flight
        # when the sender is killed.
        while count == 4 and not released.is_set():
            await asyncio.sleep(0.01)

    sink.after_data = hold_the_fourth
    try:
        w = World(db_url, sink.env())
        for i in range(12):
            w.signed(f"Exchange {i}", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
        env = {k: v for k, v in os.environ.items() if not k.startswith("HAMKOR_")}
        env.update(sink.env())
        child = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "--db", db_url, "tick", "--now", "2026-07-04T08:00"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(sink.messages) < 4 and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.02)
        assert len(sink.messages) == 4, "the sender did not reach the 4th message"
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
        released.set()

        statuses = Counter(r["status"] for r in w.outbox())
        assert statuses == {"sent": 3, "sending": 9}  # nothing lost: claimed rows wait for their lease
        in_flight = str(sink.messages[3]["Message-ID"])

        # Within the 5-minute lease nobody takes them over; after it, the next tick does.
        assert w.tick("2026-07-04")["sent"] == 0  # 08:00 again
        report = ok(hamkor_subprocess(db_url, "tick", "--now", "2026-07-04T08:06", "--json",
                                      env=sink.env())).json()
        assert report["sent"] == 9
    finally:
        released.set()
        sink.stop()
    ids = sink.message_ids()
    assert len(ids) == 12  # every reminder delivered
    assert [mid for mid, n in ids.items() if n > 1] == [in_flight]  # only the in-flight one twice
    assert ids[in_flight] == 2
    assert Counter(r["status"] for r in w.outbox()) == {"sent": 12}


def test_a_worker_frozen_past_its_lease_and_resumed_sends_nothing_another_sent(
        db_url: str) -> None:
    """SIGSTOP a sender while it waits for a RCPT reply; another sender, after the leases
    ran out, sends everything; SIGCONT: the frozen one finds its lease spent before the end of the data,
    sends nothing more and exits. Zero duplicates. (Before: the resumed worker sent its
    whole claimed batch again, 150 received for 120.)"""
    sink = SmtpSink().start()
    holding, release = threading.Event(), threading.Event()
    rcpts: list[str] = []

    async def hold_the_third(address: str) -> None:
        rcpts.append(address)
        if len(rcpts) == 3:
            holding.set()
            while not release.is_set():
                await asyncio.sleep(0.01)

    sink.before_rcpt = hold_the_third
    # Short timeouts: a message's lease (the whole send) is 0.5 s x 9 + 0.5 s = 5 s.
    fast = sink.env(HAMKOR_SMTP_TIMEOUT="0.5", HAMKOR_SMTP_DATA_TIMEOUT="0.5")
    child = None
    try:
        w = World(db_url, fast)
        for i in range(8):
            w.signed(f"Exchange {i}", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
        env = {k: v for k, v in os.environ.items() if not k.startswith("HAMKOR_")}
        env.update(fast)
        child = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "--db", db_url, "tick", "--now", "2026-07-04T08:00"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        assert holding.wait(60), "the sender did not reach the third message"
        os.kill(child.pid, signal.SIGSTOP)
        stopped = time.monotonic()
        release.set()
        # An hour later by the replayed clock every lease has run out: the other sender
        # takes the frozen one's rows, the one it was about to send included.
        report = ok(hamkor_subprocess(db_url, "tick", "--now", "2026-07-04T09:00", "--json",
                                      env=fast)).json()
        assert report["sent"] == 6
        time.sleep(max(0.0, 4.5 - (time.monotonic() - stopped)))  # past its 5 s lease
        os.kill(child.pid, signal.SIGCONT)
        _, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
    finally:
        release.set()
        if child is not None and child.poll() is None:
            os.kill(child.pid, signal.SIGCONT)
            child.kill()
            child.wait()
        sink.stop()
    assert sorted(sink.keys().values()) == [1] * 8  # every reminder once, none twice
    assert Counter(r["status"] for r in w.outbox()) == {"sent": 8}
