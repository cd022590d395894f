"""Mail backends (`HAMKOR_MAIL_BACKEND`): smtp, file, console.

A transport delivers one message at a time to the recipients it is given and
reports what happened as an `Outcome`: delivered (with each recipient's
reply), not delivered (temporarily or for good), or unknown (the data went out
and no reply came: the server may have taken it). It raises `ConnectionFailed`
only when nothing was delivered and the backend itself is unusable (down, TLS,
authentication), so the sender stops the run instead of failing every message
the same way.

Before the point of no return -- for SMTP the end of the data (the final ".",
after the envelope, DATA and the message's lines) -- the transport calls
`go()`: the sender's fencing check (it still owns the row and the row is still
wanted). If it says no, the connection is closed before the end of the data,
which makes the server discard the unfinished message (RFC 5321 §3.8), and
nothing is delivered. The sender overlaps its database round trip with the
whole exchange up to that point this way.
"""

from __future__ import annotations

import logging
import re
import smtplib
import socket
import ssl
import sys
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

from workflow.atomic import write_atomically

if TYPE_CHECKING:
    from config import Settings

log = logging.getLogger(f"hamkor.{__name__}")

#: Per recipient: (SMTP code, text).
Replies = dict[str, tuple[int, str]]
Go = Callable[[], bool]
#: Work the caller can do while the server reads the message (see `Transport.deliver`).
Meanwhile = Callable[[], None]


class DeliveryError(Exception):
    """One message could not be delivered; `permanent` when retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class ConnectionFailed(DeliveryError):
    """The backend is unreachable or refuses us (down, TLS, authentication): nothing was sent."""


@dataclass
class Outcome:
    """What became of one message.

    `delivered`: True (the server took it for `accepted`), False (it did not:
    `error`, `permanent`), None (unknown: the end of the data was sent and no
    reply came). `refused` holds the recipients refused at RCPT, each with its
    code (4xx: try again later, 5xx: never). `fenced_out`: `go()` said no and
    nothing was sent.
    """

    delivered: bool | None
    accepted: list[str] = field(default_factory=list)
    refused: Replies = field(default_factory=dict)
    error: str | None = None
    permanent: bool = False
    fenced_out: bool = False


class Transport(Protocol):
    def deliver(self, msg: Message, from_addr: str, to_addrs: list[str], go: Go,
                meanwhile: Meanwhile | None = None) -> Outcome:
        """Deliver `msg` to `to_addrs`, calling `go()` right before the point of no return.

        `meanwhile`, if the transport has a moment when it only waits for the server (SMTP:
        the message's lines are sent and the server is reading them), is called then, at
        most once; it must not raise. The sender prepares its next message there."""
        ...

    def prepare(self, msg: Message) -> None:
        """Do ahead of `deliver` what can be done for `msg` alone (SMTP: flatten it)."""
        ...

    def budget(self, recipients: int) -> float:
        """The longest delivering one message to `recipients` addresses can take (seconds)."""
        ...

    def final_budget(self) -> float:
        """The longest the rest of a send can take once `go()` said yes (seconds)."""
        ...

    def send(self, msg: Message, from_addr: str, to_addrs: list[str]) -> Replies:
        """Deliver without a fence (a one-off message, not an outbox row); raise
        `DeliveryError` unless delivered; return the recipients refused."""
        ...

    def close(self) -> None: ...


def _quote(data: bytes) -> bytes:
    """RFC 5321 4.5.2 dot-stuffing; the data ends with a line break, and the terminating
    line (`END_OF_DATA`) is sent apart."""
    q = re.sub(rb"(?m)^\.", b"..", data)
    if not q.endswith(b"\r\n"):
        q += b"\r\n"
    return q


#: The end of the data: from its last byte on, the server may have the message.
END_OF_DATA = b".\r\n"

_FLATTENED: weakref.WeakKeyDictionary[Message, bytes] = weakref.WeakKeyDictionary()


def smtp_data(msg: Message) -> bytes:
    """`msg` as SMTP data: CRLF lines, dot-stuffed, without the end of the data. Flattened
    once per message object (`Transport.prepare` may have done it already); a message is
    not changed once built. Flattened with the message's own policy (smtplib's
    send_message would rewrite body lines starting with "From " as ">From ")."""
    data = _FLATTENED.get(msg)
    if data is None:
        data = _FLATTENED[msg] = _quote(msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")))
    return data


class SmtpTransport:
    """SMTP with optional STARTTLS and AUTH; one connection for many messages.

    Replies are awaited with RFC 5321 4.5.3.2's per-command timeouts: `timeout`
    (default 5 minutes) for the greeting and every command, `data_timeout`
    (default 10 minutes) for the reply to the end of the data. A connection
    dropped before the data was sent (servers close idle ones) is reopened once
    and the message sent on the new one; once the data has gone out, nothing is
    sent again within the attempt: a timeout or a dropped connection then is an
    unknown outcome.
    """

    def __init__(self, host: str, port: int, *, user: str | None = None,
                 password: str | None = None, starttls: bool = False,
                 timeout: float = 300.0, data_timeout: float = 600.0) -> None:
        self.host, self.port, self.user, self.starttls = host, port, user, starttls
        self.timeout, self.data_timeout = timeout, data_timeout
        self._password = password
        self._smtp: smtplib.SMTP | None = None
        self.connections = 0  # how many times it connected (reuse is observable)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def budget(self, recipients: int) -> float:
        """The longest one message can take: connect, greeting, EHLO (twice with STARTTLS),
        AUTH, MAIL, each RCPT, DATA, the data, then the end-of-data reply."""
        return self.timeout * (8 + recipients) + self.data_timeout

    def final_budget(self) -> float:
        """The longest the send can take once `go()` said yes: the end of the data and
        its reply."""
        return self.timeout + self.data_timeout

    def _connect(self) -> smtplib.SMTP:
        try:
            # Host given here, not to connect(): STARTTLS checks the certificate against it.
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except OSError as exc:
            raise ConnectionFailed(f"cannot connect to SMTP server {self.where}: {_describe(exc)}") from None
        try:
            if smtp.sock is not None and smtp.sock.family in (socket.AF_INET, socket.AF_INET6):
                # Each command is one write and then a wait for its reply: nothing to gain
                # from Nagle's algorithm, and the message's last partial segment would wait
                # for the server's (delayed) acknowledgement of the ones before it.
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            smtp.ehlo()
            if self.starttls:
                # The system trust store (SSL_CERT_FILE/SSL_CERT_DIR are honoured).
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.user:
                smtp.login(self.user, self._password or "")
        except smtplib.SMTPAuthenticationError as exc:
            self._quietly_close(smtp)
            raise ConnectionFailed(
                f"SMTP server {self.where} refused the login of {self.user}: {exc.smtp_code}"
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            self._quietly_close(smtp)
            raise ConnectionFailed(f"SMTP server {self.where}: {exc}") from None
        except OSError as exc:  # socket, TLS and smtplib errors (SMTPException is an OSError)
            self._quietly_close(smtp)
            raise ConnectionFailed(f"cannot connect to SMTP server {self.where}: {_describe(exc)}") from None
        self.connections += 1
        return smtp

    @staticmethod
    def _quietly_close(smtp: smtplib.SMTP) -> None:
        try:
            smtp.close()
        except OSError as exc:  # the socket may be half-open; nothing more to do
            log.debug("closing SMTP socket: %s", exc)

    def _command(self, smtp: smtplib.SMTP, line: str, timeout: float | None = None) -> tuple[int, str]:
        smtp.putcmd(line)
        return self._reply(smtp, timeout)

    def _reply(self, smtp: smtplib.SMTP, timeout: float | None = None) -> tuple[int, str]:
        if smtp.sock is not None:
            smtp.sock.settimeout(timeout or self.timeout)
        code, text = smtp.getreply()
        return code, text.decode(errors="replace") if isinstance(text, bytes) else str(text)

    def prepare(self, msg: Message) -> None:
        smtp_data(msg)

    def deliver(self, msg: Message, from_addr: str, to_addrs: list[str], go: Go,
                meanwhile: Meanwhile | None = None) -> Outcome:
        data = smtp_data(msg)
        international = not all(a.isascii() for a in (from_addr, *to_addrs))
        for attempt in (1, 2):
            fresh = self._smtp is None
            if self._smtp is None:
                self._smtp = self._connect()
            smtp = self._smtp
            if international and not smtp.has_extn("smtputf8"):
                return Outcome(False, error=f"SMTP server {self.where} does not accept non-ASCII "
                                            f"addresses (no SMTPUTF8): {', '.join(to_addrs)}",
                               permanent=True)
            try:
                return self._exchange(smtp, data, from_addr, to_addrs, go, international,
                                      meanwhile)
            except _Dropped as exc:
                # Dropped before the data went out: nothing was delivered. A reused
                # connection may have been closed while idle: reopen it once.
                self._drop()
                if attempt == 2 or fresh:
                    raise ConnectionFailed(f"SMTP server {self.where}: {exc}") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _exchange(self, smtp: smtplib.SMTP, data: bytes, from_addr: str, to_addrs: list[str],
                  go: Go, international: bool, meanwhile: Meanwhile | None) -> Outcome:
        options = " SMTPUTF8 BODY=8BITMIME" if international else ""
        smtp.command_encoding = "utf-8" if international else "ascii"
        commands = [f"mail FROM:{smtplib.quoteaddr(from_addr)}{options}",
                    *(f"rcpt TO:{smtplib.quoteaddr(rcpt)}" for rcpt in to_addrs), "data"]
        try:
            if smtp.has_extn("pipelining"):
                replies = self._pipelined(smtp, commands)
            else:
                replies = self._one_by_one(smtp, commands)
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            raise _Dropped(_describe(exc)) from None
        in_data = len(replies) == len(commands) and replies[-1][0] == 354
        code, text = replies[0]
        if code != 250:
            self._abandon(smtp, in_data)
            return Outcome(False, error=f"SMTP {code} {text} (MAIL FROM)", permanent=code >= 500)
        accepted: list[str] = []
        refused: Replies = {}
        for rcpt, (code, text) in zip(to_addrs, replies[1:len(to_addrs) + 1], strict=True):
            if code in (250, 251):
                accepted.append(rcpt)
            else:
                refused[rcpt] = (code, text)
        if not accepted:
            self._abandon(smtp, in_data)
            detail = "; ".join(f"{r}: {c} {t}" for r, (c, t) in refused.items())
            return Outcome(False, refused=refused, error=f"all recipients refused: {detail}",
                           permanent=all(c >= 500 for c, _ in refused.values()))
        code, text = replies[-1]
        if code != 354:
            self._reset(smtp)
            return Outcome(False, accepted=accepted, refused=refused,
                           error=f"SMTP {code} {text} (DATA)", permanent=code >= 500)
        try:
            assert smtp.sock is not None
            smtp.sock.settimeout(self.timeout)  # RFC 5321: 3 minutes per data block
            smtp.sock.sendall(data)  # every line but the end of the data
        except OSError as exc:  # before the end of the data: the server has nothing
            raise _Dropped(_describe(exc)) from None
        if meanwhile is not None:
            meanwhile()  # while the server reads the lines (and the fence's round trip runs)
        if not go():
            # Not ours any more, or no longer wanted: leave without the end of the data.
            # A server discards a message whose connection closes before it (RFC 5321 §3.8).
            self._drop()
            return Outcome(False, accepted=accepted, refused=refused, fenced_out=True)
        # The point of no return: from the last byte of the data on, the server may have
        # the message whatever happens to the connection.
        started = time.monotonic()
        try:
            smtp.sock.sendall(END_OF_DATA)
            code, text = self._reply(smtp, self.data_timeout)
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self._drop()  # a late reply would answer the next command: never reuse it
            waited = time.monotonic() - started
            # smtplib reports a read timeout as "Connection unexpectedly closed: timed out".
            timed_out = isinstance(exc, TimeoutError) or "timed out" in str(exc)
            why = (f"no reply to the end of the data within {self.data_timeout:g} s" if timed_out
                   else f"the connection was lost after the data was sent ({_describe(exc)})")
            return Outcome(None, accepted=accepted, refused=refused,
                           error=f"outcome unknown: {why} (after {waited:.1f} s)")
        if code == 421:  # the server is closing: it did not take the message
            self._drop()
        if code != 250:
            return Outcome(False, accepted=accepted, refused=refused,
                           error=f"SMTP {code} {text} (end of data)", permanent=code >= 500)
        return Outcome(True, accepted=accepted, refused=refused)

    def _reset(self, smtp: smtplib.SMTP) -> None:
        """RSET after a refused envelope; a connection that cannot take it is dropped."""
        try:
            code, _ = self._command(smtp, "rset")
        except (OSError, smtplib.SMTPServerDisconnected):
            code = -1
        if code != 250:
            self._drop()

    def _one_by_one(self, smtp: smtplib.SMTP, commands: list[str]) -> list[tuple[int, str]]:
        """The envelope one command at a time, each after the previous one's reply; stops
        after a refused MAIL FROM, and before DATA once every recipient was refused."""
        replies: list[tuple[int, str]] = []
        for i, line in enumerate(commands):
            if i and replies[0][0] != 250:
                break
            if line == "data" and not any(c in (250, 251) for c, _ in replies[1:]):
                break
            reply = self._command(smtp, line)
            if reply[0] in (421, -1):
                raise _Dropped(f"{reply[0]} {reply[1]}")
            replies.append(reply)
        return replies

    def _pipelined(self, smtp: smtplib.SMTP, commands: list[str]) -> list[tuple[int, str]]:
        """RFC 2920: MAIL FROM, every RCPT TO and DATA in one write, then their replies in
        order -- one round trip instead of one per command. Only with a server that
        announces PIPELINING."""
        for line in commands:
            if "\r" in line or "\n" in line:  # as smtplib.putcmd refuses them
                raise ValueError(f"SMTP command contains a line break: {line!r}")
        smtp.send("".join(f"{line}\r\n" for line in commands))
        replies = [self._reply(smtp) for _ in commands]
        for code, text in replies:
            if code in (421, -1):
                raise _Dropped(f"{code} {text}")
        return replies

    def _abandon(self, smtp: smtplib.SMTP, in_data: bool) -> None:
        """After a refused envelope: RSET; but a pipelined DATA the server accepted anyway
        has put it in data mode, so the connection is closed before the end of the data
        instead (nothing is delivered, RFC 5321 §3.8)."""
        if in_data:
            self._drop()
        else:
            self._reset(smtp)

    def send(self, msg: Message, from_addr: str, to_addrs: list[str]) -> Replies:
        """Deliver unconditionally; raise `DeliveryError` unless delivered (for scripts)."""
        return send_unfenced(self, msg, from_addr, to_addrs)

    def _drop(self) -> None:
        if self._smtp is not None:
            self._quietly_close(self._smtp)
            self._smtp = None

    def close(self) -> None:
        if self._smtp is not None:
            try:
                if self._smtp.sock is not None:
                    self._smtp.sock.settimeout(self.timeout)
                self._smtp.quit()
            except OSError as exc:
                log.debug("SMTP QUIT failed: %s", exc)
            self._drop()


def send_unfenced(t: Transport, msg: Message, from_addr: str, to_addrs: list[str]) -> Replies:
    """`Transport.send` for every backend: deliver or raise `DeliveryError`."""
    outcome = t.deliver(msg, from_addr, to_addrs, lambda: True)
    if outcome.delivered is not True:
        raise DeliveryError(outcome.error or "not delivered", permanent=outcome.permanent)
    return outcome.refused


class _Dropped(Exception):
    """The connection failed before the data was sent: nothing was delivered."""


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def eml_name(key: str) -> str:
    """`12:1:renewal:30` -> `12-1-renewal-30.eml` (one file per idempotency key)."""
    return _UNSAFE.sub("-", key).strip("-") + ".eml"


class _LocalTransport:
    """What the transports that never leave the machine share: fixed time budgets, plain
    sending, nothing to prepare or close (nor a moment to wait: `meanwhile` is not called)."""

    def deliver(self, msg: Message, from_addr: str, to_addrs: list[str], go: Go,
                meanwhile: Meanwhile | None = None) -> Outcome:
        raise NotImplementedError

    def prepare(self, msg: Message) -> None:
        return None

    def budget(self, recipients: int) -> float:
        return 60.0

    def final_budget(self) -> float:
        return 30.0

    def send(self, msg: Message, from_addr: str, to_addrs: list[str]) -> Replies:
        return send_unfenced(self, msg, from_addr, to_addrs)

    def close(self) -> None:
        return None


class FileTransport(_LocalTransport):
    """One .eml file per message, named from its key; written atomically."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def deliver(self, msg: Message, from_addr: str, to_addrs: list[str], go: Go,
                meanwhile: Meanwhile | None = None) -> Outcome:
        if not go():
            return Outcome(False, fenced_out=True)
        key = msg["X-Hamkor-Key"] or msg["Message-ID"]
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Whole files only: a reader never sees half a message, a resend replaces it.
            write_atomically(self.directory / eml_name(str(key)), msg.as_bytes())
        except OSError as exc:
            raise ConnectionFailed(f"cannot write mail to {self.directory}: {_describe(exc)}") from None
        return Outcome(True, accepted=list(to_addrs))


class ConsoleTransport(_LocalTransport):
    """Prints each message (to standard error, so `--json` output stays clean)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def deliver(self, msg: Message, from_addr: str, to_addrs: list[str], go: Go,
                meanwhile: Meanwhile | None = None) -> Outcome:
        if not go():
            return Outcome(False, fenced_out=True)
        out = self.stream or sys.stderr
        out.write(f"----- mail from {from_addr} to {', '.join(to_addrs)} -----\n")
        out.write(msg.as_string())
        out.write("\n")
        out.flush()
        return Outcome(True, accepted=list(to_addrs))


def make_transport(settings: Settings) -> Transport:
    if settings.mail_backend == "file":
        return FileTransport(settings.mail_dir)
    if settings.mail_backend == "console":
        return ConsoleTransport()
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return SmtpTransport(settings.smtp_host, settings.smtp_port, user=settings.smtp_user,
                         password=password, starttls=settings.smtp_starttls,
                         timeout=settings.smtp_timeout, data_timeout=settings.smtp_data_timeout)
