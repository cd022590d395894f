"""An outbox row as an email: multipart text + HTML, stable Message-ID."""

from __future__ import annotations

from datetime import UTC
from email.message import EmailMessage
from email.utils import format_datetime

from notifications.outbox import Claimed


def build_message(c: Claimed, mail_from: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = c.subject
    msg["From"] = mail_from
    msg["To"] = c.to_addr
    if c.cc:
        msg["Cc"] = ", ".join(c.cc)
    # Derived from the idempotency key and stored with the row: a resend after a
    # crash carries the same Message-ID, so mail clients and tests see one message.
    msg["Message-ID"] = c.message_id
    created = c.created_at if c.created_at.tzinfo else c.created_at.replace(tzinfo=UTC)
    msg["Date"] = format_datetime(created.astimezone(UTC))
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    msg["X-Hamkor-Key"] = c.key
    msg.set_content(c.body_text)
    if c.body_html:
        msg.add_alternative(c.body_html, subtype="html")
    return msg


def recipients(c: Claimed) -> list[str]:
    seen: list[str] = []
    for addr in (c.to_addr, *c.cc):
        if addr and addr.lower() not in (a.lower() for a in seen):
            seen.append(addr)
    return seen
