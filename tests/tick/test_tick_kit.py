"""Helpers the tick, outbox, SMTP and worker tests share (this module holds no tests).

`World` builds agreements through the services with a clock set to the
scenario's day (the CLI's manual events use the wall clock), and runs the
real `hamkor tick --now DAY` in-process. `SmtpSink` is a real SMTP server on
loopback (aiosmtpd) that records every message it accepts.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from sqlalchemy import select, update

from models import Notification
from notifications.workflow_mail import queue_workflow_mail
from root import App
from tests.conftest import clock_on
from tests.helpers import hamkor, ok, seed_people
from workflow.agreements import NewAgreement, Office, advance, create, renew
from workflow.mail_policy import MailPolicy

D = date.fromisoformat
OWNER = "olga@uni.uz"
APPROVERS = ["anvar@uni.uz", "aziza@uni.uz"]  # seed_people's approvers


def free_port() -> int:
    """A port nobody listens on now (asked of the OS, then released; never 0 or 8025)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port != 8025:
            return port


class SmtpSink:
    """aiosmtpd on 127.0.0.1:`port`, recording each accepted message and its connection."""

    def __init__(self, port: int | None = None, *, pipelining: bool = False,
                 **controller_kw: Any) -> None:
        self.port = port or free_port()
        #: Announce PIPELINING (RFC 2920) in the EHLO reply, as most production servers do;
        #: aiosmtpd reads commands in order from its buffer, so it serves a pipelined client.
        self.pipelining = pipelining
        self.controller_kw = controller_kw
        self.received: list[tuple[bytes, list[str], Any]] = []
        #: The envelope sender (MAIL FROM) of each message, in order.
        self.senders: list[str] = []
        self._parsed: dict[int, EmailMessage] = {}
        #: Per message: (over TLS, authenticated) as the server saw the session.
        self.sessions: list[tuple[bool, bool]] = []
        self.refuse: set[str] = set()
        #: Recipients answered "450 mailbox busy" (a temporary refusal) while listed.
        self.defer: set[str] = set()
        #: Awaited after a message is recorded, before "250 OK" (to hold a sender mid-batch).
        self.after_data: Callable[[int], Awaitable[None]] | None = None
        #: Awaited before each RCPT reply (a slow server; or to hold a sender mid-envelope).
        self.before_rcpt: Callable[[str], Awaitable[None]] | None = None
        #: Messages (by number, from 1) after whose data the connection is dropped unanswered.
        self.drop_after_data: set[int] = set()
        #: Every RCPT TO the server accepted, in order.
        self.accepted_rcpts: list[str] = []
        self._lock = threading.Lock()
        self._controller: Any = None

    # aiosmtpd handler hooks ---------------------------------------------------------------
    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if self.before_rcpt is not None:
            await self.before_rcpt(address)
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        if address in self.defer:
            return "450 4.2.1 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        with self._lock:
            self.accepted_rcpts.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        with self._lock:
            self.received.append((raw, list(envelope.rcpt_tos), session.peer))
            self.senders.append(envelope.mail_from)
            self.sessions.append((session.ssl is not None, bool(session.authenticated)))
            count = len(self.received)
        if count in self.drop_after_data:
            server.transport.close()  # received, but the client never hears the reply
            return "250 OK"
        if self.after_data is not None:
            await self.after_data(count)
        return "250 OK"

    # control ------------------------------------------------------------------------------
    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **self.controller_kw)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._controller.loop  # type: ignore[no-any-return]

    @property
    def messages(self) -> list[EmailMessage]:
        """Every message received, in order (parsed here, not in the server's thread)."""
        with self._lock:
            raws = [raw for raw, _, _ in self.received]
        for i in range(len(self._parsed), len(raws)):
            self._parsed[i] = BytesParser(policy=policy.default).parsebytes(raws[i])
        return [self._parsed[i] for i in range(len(raws))]

    def message_ids(self) -> Counter[str]:
        return Counter(str(m["Message-ID"]) for m in self.messages)

    def keys(self) -> Counter[str]:
        return Counter(str(m["X-Hamkor-Key"]) for m in self.messages)

    def connections(self) -> int:
        with self._lock:
            return len({peer for _, _, peer in self.received})

    def env(self, **extra: str) -> dict[str, str]:
        return smtp_env(self.port, **extra)


def smtp_env(port: int, **extra: str) -> dict[str, str]:
    """A loopback SMTP sink's settings. Workflow mail and weekly digests are off unless
    `extra` turns them on: these tests count the reminders alone."""
    env = {"HAMKOR_WORKFLOW_MAIL": "false", "HAMKOR_DIGEST_DAY": "off",
           "HAMKOR_MAIL_BACKEND": "smtp", "HAMKOR_SMTP_HOST": "127.0.0.1",
           "HAMKOR_SMTP_PORT": str(port), "HAMKOR_SMTP_TIMEOUT": "5",
           "HAMKOR_SMTP_DATA_TIMEOUT": "10"}
    env.update(extra)
    return env


class World:
    """Agreements built through the services on scenario dates; ticks through the CLI."""

    def __init__(self, db_url: str, env: dict[str, str] | None = None, *, mail: bool = False) -> None:
        """`mail`: workflow mail and weekly digests on (off by default: the reminder tests
        count reminders alone)."""
        self.url = db_url
        quiet = {} if mail else {"HAMKOR_WORKFLOW_MAIL": "false", "HAMKOR_DIGEST_DAY": "off"}
        self.env = {**quiet, **(env or {})}
        self.office = Office(mail=MailPolicy(workflow_mail=mail, digest_weekday=0 if mail else None),
                             on_event=queue_workflow_mail)
        self.app = App(db_url)
        seed_people(db_url)

    def close(self) -> None:
        self.app.close()

    def uow(self) -> Any:
        return self.app.uow(immediate=True)

    # building agreements ------------------------------------------------------------------
    def create(self, title: str, *, on: str, starts: str, expires: str | None = None,
               owner: str | None = OWNER, **terms: Any) -> str:
        spec = NewAgreement(title=title, partners=["Hiroshima University"], type="exchange",
                            owner=owner, starts=D(starts), expires=D(expires) if expires else None,
                            **terms)
        return str(create(self.uow(), clock_on(on), self.office, spec, by=OWNER, on=D(on))["ref"])

    def advance(self, ref: str, event: str, *, on: str, by: str = OWNER, **kw: Any) -> dict[str, Any]:
        return advance(self.uow(), clock_on(on), self.office, ref, event, by=by, on=D(on), **kw)

    def send_for_signature(self, ref: str, *, on: str) -> None:
        self.advance(ref, "submit", on=on)
        self.advance(ref, "approve", on=on, by=APPROVERS[0])
        self.advance(ref, "send_for_signature", on=on)

    def sign(self, ref: str, *, on: str) -> None:
        for party in ("Hiroshima University", "Home University"):
            self.advance(ref, "sign", on=on, party=party)

    def signed(self, title: str, *, on: str, starts: str, expires: str | None = None,
               **terms: Any) -> str:
        """An agreement created, approved and signed on `on`."""
        ref = self.create(title, on=on, starts=starts, expires=expires, **terms)
        self.send_for_signature(ref, on=on)
        self.sign(ref, on=on)
        return ref

    def renew(self, ref: str, *, on: str, starts: str | None = None, months: int | None = None) -> str:
        """The successor draft of `ref`."""
        return str(renew(self.uow(), clock_on(on), self.office, ref, by=OWNER, on=D(on),
                         starts=D(starts) if starts else None, months=months)["ref"])

    # the tick and what it did -------------------------------------------------------------
    def tick(self, day: str | date, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
        when = day.isoformat() if isinstance(day, date) else day
        result = ok(hamkor(self.url, "tick", "--now", f"{when}T08:00", "--allow-future", "--json", *args,
                           env={**self.env, **(env or {})}))
        return dict(result.json())

    def tick_daily(self, first: str, last: str, on_day: Callable[[date], None] | None = None) -> None:
        day = D(first)
        while day <= D(last):
            if on_day is not None:
                on_day(day)
            self.tick(day)
            day += timedelta(days=1)

    def outbox(self, status: str | None = None) -> list[dict[str, Any]]:
        args = ["outbox", "list", "--json"] + (["--status", status] if status else [])
        return list(ok(hamkor(self.url, *args)).json())

    def statuses(self, ref: str) -> dict[str, str]:
        """key -> status of `ref`'s notifications, keys shown as term:rule:offset."""
        return {":".join(r["key"].split(":")[1:]): r["status"] for r in self.outbox()
                if r["agreement"] == ref}

    def state(self, ref: str) -> dict[str, Any]:
        return dict(ok(hamkor(self.url, "agreement", "show", ref, "--json")).json())

    def force(self, row_id: int, **values: Any) -> None:
        """Put an outbox row into a state a crash would leave (for fault tests)."""
        with self.app.uow(immediate=True) as uow:
            uow.session.execute(update(Notification).where(Notification.id == row_id).values(**values))
            uow.commit()

    def rows(self) -> list[Notification]:
        with self.app.uow() as uow:
            rows = list(uow.session.scalars(select(Notification).order_by(Notification.id)))
            uow.session.expunge_all()
            return rows
