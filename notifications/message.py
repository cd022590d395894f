"""An outbox row as an email: multipart text + HTML, stable Message-ID.

Built with the standard library's `email.mime` classes under the compat32
policy: a tenth of the CPU of `EmailMessage.set_content`, whose header registry
parses every header again. Bodies are quoted-printable UTF-8, so a message stays
readable as text (console backend, .eml files); non-ASCII subjects and display
names become RFC 2047 encoded words; lines starting with "From " are sent as
they are (`mangle_from_` off). An address that is not ASCII itself (SMTPUTF8,
RFC 6531) needs the modern API, which smtplib switches to UTF-8 mode: such a
message is built as an `EmailMessage`.
"""

from __future__ import annotations

from datetime import UTC
from email import policy
from email.charset import QP, Charset
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime, formataddr, getaddresses, parseaddr
from typing import Any

from notifications.outbox import Claimed
from workflow.rules import is_address

_UTF8 = Charset("utf-8")
_UTF8.header_encoding = QP
_UTF8.body_encoding = QP
#: compat32 (fast headers), but never rewrite a body line "From ..." as ">From ...".
_POLICY = policy.compat32.clone(mangle_from_=False)


def envelope_sender(mail_from: str) -> str:
    """The bare address of `HAMKOR_MAIL_FROM` ("Office <intl@uni.uz>" -> "intl@uni.uz")."""
    return parseaddr(mail_from)[1] or mail_from.strip()


def build_message(c: Claimed, mail_from: str) -> Message:
    """The message for row `c`; raises ValueError if it cannot be written at all."""
    for value in (c.subject, mail_from, c.to_addr, *c.cc, c.message_id, c.key):
        if "\n" in value or "\r" in value:  # as the modern API: no header injection
            raise ValueError(f"a header value contains a line break: {value[:60]!r}")
    for addr in (c.to_addr, *c.cc):  # the rule book's address rule, as at entry
        if not is_address(addr):
            raise ValueError(f"not one e-mail address: {addr[:80]!r}")
    fields = [mail_from, c.to_addr, *c.cc]
    # All-ASCII fields hold ASCII addresses; only a non-ASCII one is parsed to tell a
    # non-ASCII display name (encoded here) from a non-ASCII address (SMTPUTF8).
    if not all(f.isascii() for f in fields) and not all(
            a.isascii() for _, a in getaddresses(fields)):
        return _international(c, mail_from)
    msg = MIMEMultipart("alternative", policy=_POLICY) if c.body_html else _text(c.body_text, "plain")
    msg["Subject"] = _header(c.subject)
    msg["From"] = _addresses(mail_from)
    msg["To"] = _addresses(c.to_addr)
    if c.cc:
        msg["Cc"] = _addresses(", ".join(c.cc))
    for name, value in _fixed_headers(c):
        msg[name] = value
    if c.body_html:
        msg.attach(_text(c.body_text, "plain"))
        msg.attach(_text(c.body_html, "html"))
    return msg


def _fixed_headers(c: Claimed) -> list[tuple[str, str]]:
    created = c.created_at if c.created_at.tzinfo else c.created_at.replace(tzinfo=UTC)
    return [
        # Derived from the idempotency key and stored with the row: a resend after a
        # crash carries the same Message-ID, so mail clients and tests see one message.
        ("Message-ID", c.message_id),
        ("Date", format_datetime(created.astimezone(UTC))),
        ("Auto-Submitted", "auto-generated"),  # RFC 3834: no vacation replies
        ("X-Hamkor-Key", c.key),
    ]


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
    part = MIMENonMultipart("text", subtype, policy=_POLICY, charset="utf-8")
    part.set_payload(body, _UTF8)
    return part


def _international(c: Claimed, mail_from: str) -> EmailMessage:
    """The same message for SMTPUTF8 addresses (slower header handling)."""
    msg = EmailMessage(policy=policy.SMTPUTF8)
    msg["Subject"] = c.subject
    msg["From"] = mail_from
    msg["To"] = c.to_addr
    if c.cc:
        msg["Cc"] = ", ".join(c.cc)
    for name, value in _fixed_headers(c):
        msg[name] = value
    msg.set_content(c.body_text)
    if c.body_html:
        msg.add_alternative(c.body_html, subtype="html")
    return msg


def recipients(c: Claimed) -> list[str]:
    """Every recipient of the message (To, then Cc), each once."""
    return c.all_recipients()
