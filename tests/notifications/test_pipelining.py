"""The SMTP transport pipelines its envelope (RFC 2920) with a server that announces
PIPELINING: MAIL FROM, every RCPT TO and DATA in one write, then their replies in order.
A scripted server proves the single write (it answers nothing until it has DATA) and
plays the replies a real one may give; aiosmtpd plays the rest of the faults in
test_mail_faults.py, with and without PIPELINING."""

from __future__ import annotations

import socket
import threading
from email.message import EmailMessage

import pytest

from notifications.transports import SmtpTransport
from tests.tick.test_tick_kit import SmtpSink


class ScriptedServer:
    """One connection at a time on loopback: a greeting, an EHLO reply announcing
    PIPELINING, then per message: read until DATA without answering, answer the envelope
    with `envelope` (one reply per command), then read the data and answer `final`."""

    def __init__(self, envelope: list[str], final: str = "250 2.0.0 queued") -> None:
        self.envelope, self.final = envelope, final
        self.received: list[bytes] = []  # every message's data, once its final "." came
        self.commands: list[bytes] = []  # what arrived before the first reply, per message
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen()
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                self._session(conn)

    def _session(self, conn: socket.socket) -> None:
        buf = b""

        def until(marker: bytes) -> bytes | None:
            nonlocal buf
            while marker not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    return None
                buf += chunk
            head, _, buf = buf.partition(marker)
            return head + marker

        conn.sendall(b"220 scripted ESMTP\r\n")
        if until(b"\r\n") is None:
            return
        conn.sendall(b"250-scripted\r\n250 PIPELINING\r\n")
        while True:
            line = until(b"\r\n")
            if line is None or line.lower().startswith(b"quit"):
                if line is not None:
                    conn.sendall(b"221 bye\r\n")
                return
            if line.lower().startswith(b"rset"):
                conn.sendall(b"250 OK\r\n")
                continue
            rest = until(b"data\r\n")
            if rest is None:
                return
            self.commands.append(line + rest)
            conn.sendall("".join(f"{r}\r\n" for r in self.envelope).encode())
            if not self.envelope[-1].startswith("354"):
                continue
            data = until(b"\r\n.\r\n")
            if data is None:
                return  # closed before the end of the data: nothing delivered
            self.received.append(data)
            conn.sendall(f"{self.final}\r\n".encode())

    def stop(self) -> None:
        self._sock.close()


def _message() -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = "Reminder", "intl@uni.uz", "olga@uni.uz"
    msg.set_content("AGR-2019-00001 ends on 31 December 2026.\n")
    return msg


def test_the_envelope_goes_out_in_one_write_before_any_reply() -> None:
    """The server answers nothing until DATA has arrived: a client waiting for each
    reply would hang until its timeout; this one delivers, in one round trip for the
    envelope and one for the data."""
    server = ScriptedServer(["250 OK", "250 OK", "250 OK", "354 go on"])
    try:
        t = SmtpTransport("127.0.0.1", server.port, timeout=3)
        out = t.deliver(_message(), "intl@uni.uz", ["olga@uni.uz", "anvar@uni.uz"], lambda: True)
        assert out.delivered is True and out.accepted == ["olga@uni.uz", "anvar@uni.uz"]
        assert server.commands[0].lower() == (b"mail from:<intl@uni.uz>\r\nrcpt to:<olga@uni.uz>\r\n"
                                              b"rcpt to:<anvar@uni.uz>\r\ndata\r\n")
        assert len(server.received) == 1
        t.close()
    finally:
        server.stop()


def test_a_refused_sender_with_data_accepted_anyway_closes_before_the_end_of_data() -> None:
    """MAIL FROM refused, yet the server took DATA (354): it waits for data, so RSET would
    be read as the message's first line. The transport leaves before the end of the data
    instead, and nothing is delivered."""
    server = ScriptedServer(["550 5.7.1 sender refused", "503 no sender", "354 go on"])
    try:
        t = SmtpTransport("127.0.0.1", server.port, timeout=3)
        out = t.deliver(_message(), "intl@uni.uz", ["olga@uni.uz"], lambda: True)
        assert out.delivered is False and out.permanent
        assert "550 5.7.1 sender refused (MAIL FROM)" in (out.error or "")
        assert server.received == [] and t.connections == 1
        t.close()
    finally:
        server.stop()


def test_a_busy_recipient_among_accepted_ones_is_reported_per_recipient() -> None:
    server = ScriptedServer(["250 OK", "250 OK", "450 4.2.1 mailbox busy", "354 go on"])
    try:
        t = SmtpTransport("127.0.0.1", server.port, timeout=3)
        out = t.deliver(_message(), "intl@uni.uz", ["olga@uni.uz", "anvar@uni.uz"], lambda: True)
        assert out.delivered is True and out.accepted == ["olga@uni.uz"]
        assert out.refused == {"anvar@uni.uz": (450, "4.2.1 mailbox busy")}
        t.close()
    finally:
        server.stop()


@pytest.mark.parametrize("pipelining", [False, True])
def test_every_recipient_refused_leaves_the_connection_usable(pipelining: bool) -> None:
    """All recipients refused: nothing is sent (aiosmtpd answers the pipelined DATA with
    503), RSET clears the envelope, and the next message goes out on the same connection."""
    sink = SmtpSink(pipelining=pipelining).start()
    sink.refuse = {"gone@uni.uz"}
    try:
        t = SmtpTransport("127.0.0.1", sink.port, timeout=3)
        out = t.deliver(_message(), "intl@uni.uz", ["gone@uni.uz"], lambda: True)
        assert out.delivered is False and out.permanent
        assert out.refused["gone@uni.uz"][0] == 550
        out = t.deliver(_message(), "intl@uni.uz", ["olga@uni.uz"], lambda: True)
        assert out.delivered is True and t.connections == 1
        assert [rcpts for _, rcpts, _ in sink.received] == [["olga@uni.uz"]]
        t.close()
    finally:
        sink.stop()
