"""A queued or sent message exactly as it goes out: `hamkor outbox show`, the outbox page.

The outbox row keeps the rendered subject, both bodies, the Message-ID and the
creation time the Date header is taken from, so the message built from it now
is the one the sender delivered (or will deliver).
"""

from __future__ import annotations

from datetime import UTC
from email.message import Message

from sqlalchemy import select

from models import Agreement, Notification
from notifications.message import build_message
from notifications.outbox import Claimed, OutboxRow, row_dict
from workflow.errors import NotFound
from workflow.lifecycle import Role
from workflow.registry import actor
from workflow.uow import UnitOfWork


def open_message(uow: UnitOfWork, row_id: int, mail_from: str, *,
                 reveal_links: bool = False, by: str | None = None) -> tuple[OutboxRow, Message]:
    """The row (as `hamkor outbox list` shows it) and its message. An account message's
    body holds a working set-password link: it is opened only with `reveal_links` (the
    operator of the command line) or for a named actor (`by`) who is an admin; for anyone
    else it does not exist."""
    with uow:
        s = uow.session
        if by is not None:
            reveal_links = Role.parse(actor(s, by).role) >= Role.ADMIN
        n = s.get(Notification, row_id)
        if n is None or (n.kind == "account" and not reveal_links):
            raise NotFound("notification", row_id)
        ref = s.scalar(select(Agreement.ref).where(Agreement.id == n.agreement_id)) \
            if n.agreement_id is not None else None
        created = n.created_at if n.created_at.tzinfo else n.created_at.replace(tzinfo=UTC)
        claimed = Claimed(n.id, n.key, n.attempts, n.to_addr, tuple(n.cc or ()), n.subject,
                          n.body_text, n.body_html, n.message_id, created)
        row = row_dict(n, ref)
    return row, build_message(claimed, mail_from)


def parts(msg: Message) -> tuple[str, str | None]:
    """(text, html) of a built message, decoded."""
    text, html = "", None
    for part in msg.walk():
        if part.get_content_maintype() != "text":
            continue
        payload = part.get_payload(decode=True)
        body = payload.decode(part.get_content_charset() or "utf-8") if isinstance(payload, bytes) else ""
        if part.get_content_subtype() == "html":
            html = body
        else:
            text = body
    return text, html


def headers(msg: Message) -> list[tuple[str, str]]:
    """The headers a reader sees, decoded."""
    from email.header import decode_header, make_header

    return [(k, str(make_header(decode_header(str(v))))) for k, v in msg.items()]
