"""An outbox row as an email: multipart text + HTML, stable Message-ID.

Built with the standard library's `email.mime` classes (compat32 policy): a
tenth of the CPU of `EmailMessage.set_content`, whose header registry parses
every header again; the bytes on the wire are equivalent. Bodies are
quoted-printable UTF-8, so a message stays readable as text (console backend,
.eml files).
"""

from __future__ import annotations

from datetime import UTC
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime, formataddr, getaddresses
from typing import Any

from notifications.outbox import Claimed

_UTF8 = Charset("utf-8")
_UTF8.header_encoding = QP
_UTF8.body_encoding = QP


def _header(value: str) -> Any:
    """A str, or a `Header` the generator folds into encoded words (the documented way
    to set a non-ASCII header on a compat32 message; typeshed only knows str)."""
    return value if value.isascii() else Header(value, _UTF8)


def _addresses(value: str) -> str:
    """Address headers: a non-ASCII display name is encoded, never the address."""
    if value.isascii():
        return value
    return ", ".join(formataddr(pair, "utf-8") for pair in getaddresses([value]))


def _text(body: str, subtype: str) -> Message:
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    part.set_payload(body, _UTF8)
    return part


def build_message(c: Claimed, mail_from: str) -> Message:
    msg = MIMEMultipart("alternative") if c.body_html else _text(c.body_text, "plain")
    msg["Subject"] = _header(c.subject)
    msg["From"] = _addresses(mail_from)
    msg["To"] = _addresses(c.to_addr)
    if c.cc:
        msg["Cc"] = _addresses(", ".join(c.cc))
    # Derived from the idempotency key and stored with the row: a resend after a
    # crash carries the same Message-ID, so mail clients and tests see one message.
    msg["Message-ID"] = c.message_id
    created = c.created_at if c.created_at.tzinfo else c.created_at.replace(tzinfo=UTC)
    msg["Date"] = format_datetime(created.astimezone(UTC))
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    msg["X-Hamkor-Key"] = c.key
    if c.body_html:
        msg.attach(_text(c.body_text, "plain"))
        msg.attach(_text(c.body_html, "html"))
    return msg


def recipients(c: Claimed) -> list[str]:
    seen: list[str] = []
    for addr in (c.to_addr, *c.cc):
        if addr and addr.lower() not in (a.lower() for a in seen):
            seen.append(addr)
    return seen
