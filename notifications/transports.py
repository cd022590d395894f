"""Mail backends (`HAMKOR_MAIL_BACKEND`): smtp, file, console.

A transport delivers one `email.message.Message` at a time and is reused for a batch
(the SMTP connection stays open between messages). It raises
`DeliveryError` for a message that failed, and `ConnectionFailed` (a kind of
DeliveryError) when the backend itself is unusable, so the sender stops the
run instead of failing every message the same way.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
import sys
import tempfile
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from config import Settings

log = logging.getLogger(__name__)

Refused = dict[str, tuple[int, bytes]]


class DeliveryError(Exception):
    """One message could not be delivered; `permanent` when retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class ConnectionFailed(DeliveryError):
    """The backend is unreachable or refuses us (down, TLS, authentication)."""


class Transport(Protocol):
    def send(self, msg: Message, from_addr: str, to_addrs: list[str]) -> Refused:
        """Deliver; return the recipients refused while others accepted it."""
        ...

    def close(self) -> None: ...


class SmtpTransport:
    """SMTP with optional STARTTLS and AUTH; one connection for many messages."""

    def __init__(self, host: str, port: int, *, user: str | None = None,
                 password: str | None = None, starttls: bool = False,
                 timeout: float = 30.0) -> None:
        self.host, self.port, self.user, self.starttls, self.timeout = host, port, user, starttls, timeout
        self._password = password
        self._smtp: smtplib.SMTP | None = None
        self.connections = 0  # how many times it connected (reuse is observable)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def _connect(self) -> smtplib.SMTP:
        try:
            # Host given here, not to connect(): STARTTLS checks the certificate against it.
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except OSError as exc:
            raise ConnectionFailed(f"cannot connect to SMTP server {self.where}: {_describe(exc)}") from None
        try:
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

    def send(self, msg: Message, from_addr: str, to_addrs: list[str]) -> Refused:
        # Flattened with the message's own policy (smtplib's send_message would rewrite
        # body lines starting with "From " as ">From "); sendmail dot-stuffs and sends it.
        data = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
        international = not all(a.isascii() for a in (from_addr, *to_addrs))
        for attempt in (1, 2):
            if self._smtp is None:
                self._smtp = self._connect()
            options: list[str] = []
            if international:
                if not self._smtp.has_extn("smtputf8"):
                    raise DeliveryError(f"SMTP server {self.where} does not accept non-ASCII "
                                        f"addresses (no SMTPUTF8): {', '.join(to_addrs)}",
                                        permanent=True)
                options = ["SMTPUTF8", "BODY=8BITMIME"]
            try:
                return self._smtp.sendmail(from_addr, to_addrs, data, mail_options=options)
            except smtplib.SMTPServerDisconnected as exc:
                # Servers drop idle connections: reconnect once and send again.
                self._drop()
                if attempt == 2:
                    raise ConnectionFailed(f"SMTP server {self.where} disconnected: {exc}") from None
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _ in exc.recipients.values()]
                detail = "; ".join(f"{r}: {c} {m.decode(errors='replace')}"
                                   for r, (c, m) in exc.recipients.items())
                raise DeliveryError(f"all recipients refused: {detail}",
                                    permanent=all(c >= 500 for c in codes)) from None
            except smtplib.SMTPResponseException as exc:
                text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
                raise DeliveryError(f"SMTP {exc.smtp_code} {text}", permanent=exc.smtp_code >= 500) from None
            except OSError as exc:  # timeout or reset mid-message: the connection is unusable
                self._drop()
                raise ConnectionFailed(f"SMTP server {self.where}: {_describe(exc)}") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _drop(self) -> None:
        if self._smtp is not None:
            self._quietly_close(self._smtp)
            self._smtp = None

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except OSError as exc:
                log.debug("SMTP QUIT failed: %s", exc)
            self._drop()


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def eml_name(key: str) -> str:
    """`12:1:renewal:30` -> `12-1-renewal-30.eml` (one file per idempotency key)."""
    return _UNSAFE.sub("-", key).strip("-") + ".eml"


class FileTransport:
    """One .eml file per message, named from its key; written atomically."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, msg: Message, from_addr: str, to_addrs: list[str]) -> Refused:
        key = msg["X-Hamkor-Key"] or msg["Message-ID"]
        tmp: str | None = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".eml")
            with os.fdopen(fd, "wb") as fh:
                fh.write(msg.as_bytes())
            # Whole files only: a reader never sees half a message, a resend replaces it.
            os.replace(tmp, self.directory / eml_name(str(key)))
        except OSError as exc:
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)
            raise ConnectionFailed(f"cannot write mail to {self.directory}: {_describe(exc)}") from None
        return {}

    def close(self) -> None:
        return None


class ConsoleTransport:
    """Prints each message (to standard error, so `--json` output stays clean)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, msg: Message, from_addr: str, to_addrs: list[str]) -> Refused:
        out = self.stream or sys.stderr
        out.write(f"----- mail from {from_addr} to {', '.join(to_addrs)} -----\n")
        out.write(msg.as_string())
        out.write("\n")
        out.flush()
        return {}

    def close(self) -> None:
        return None


def make_transport(settings: Settings) -> Transport:
    if settings.mail_backend == "file":
        return FileTransport(settings.mail_dir)
    if settings.mail_backend == "console":
        return ConsoleTransport()
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return SmtpTransport(settings.smtp_host, settings.smtp_port, user=settings.smtp_user,
                         password=password, starttls=settings.smtp_starttls,
                         timeout=settings.smtp_timeout)
