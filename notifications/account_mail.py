"""Account mail: the one-time set-password link, in the user's language.

Queued in the outbox (kind `account`) in the same transaction as the link, only
when mail is configured (`HAMKOR_BASE_URL`, the address the link points to). The
body holds a working link, so the outbox shows such a message to admins only.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models import User
from notifications import i18n, outbox
from notifications.context import Recipient
from notifications.i18n import N_
from notifications.messages import Compose
from workflow.users import Mailer

TEMPLATE = "password_link"
ACTION = N_("Set your password")


def password_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/password/{token}"


def link_context(r: Recipient, url: str, purpose: str, expires: datetime, institution: str,
                 zone: Any) -> dict[str, Any]:
    """What the `password_link` templates need (`purpose`: invite or reset)."""
    from babel.dates import format_datetime

    lang = i18n.language(r.lang)
    t = i18n.translations(lang)
    return {
        "institution": institution,
        "agreement": None,
        "recipient": {"name": r.name, "email": r.email},
        "copy": False,
        "link": None,
        "purpose": purpose,
        "expires": format_datetime(expires, format="medium", tzinfo=zone, locale=lang),
        "action_link": url,
        "action_label": t.gettext(ACTION),
    }


def mailer(compose: Compose, base_url: str | None, institution: str, now: datetime,
           zone: Any) -> Mailer | None:
    """What queues a link's mail, or None when mail is not configured (no base URL)."""
    if not base_url:
        return None

    def queue(s: Session, user: User, token: str, purpose: str, expires: datetime) -> bool:
        url = password_url(base_url, token)
        r = Recipient(user.email, user.name, user.lang or "en", user.id)
        subject, text, html = compose(TEMPLATE, link_context(r, url, purpose, expires, institution,
                                                             zone), r.lang)
        key = "account:" + hashlib.sha256(token.encode()).hexdigest()[:32]
        row = outbox.Outgoing(key=key, agreement_id=None, term=0, rule=TEMPLATE, offset_days=0,
                              due_on=now.date(), to_addr=user.email, subject=subject,
                              body_text=text, body_html=html, kind="account")
        return bool(outbox.enqueue(s, [row], now))

    return queue
