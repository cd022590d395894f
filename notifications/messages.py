"""Outbox rows for reminders and workflow mail: one row per reader, in the reader's language.

A message to the owner keeps the reminder's idempotency key; an approver's
copy is a row of its own (`<key>:cc:<user id>`), so each reader gets the mail
in their language and each copy is still sent exactly once. Workflow mail is
keyed by the change it reports (`wf:<agreement id>:v<version changed>:<event>:<user
id>`): queued in the event's own transaction, it exists exactly when the event
does, and an event replayed at the same version queues nothing more.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Agreement, Event as EventRow, User
from notifications import outbox
from notifications.compose import kind_of
from notifications.context import (
    AgreementView,
    Happening,
    Occasion,
    Recipient,
    context_for,
    workflow_context,
)
from notifications.links import Links
from workflow.lifecycle import TERMINAL
from workflow.reminders import notification_key

#: Renders one message kind: (kind, context, lang) -> (subject, text, html).
Compose = Callable[[str, Mapping[str, Any], str], tuple[str, str, str]]
NO_RECIPIENT = "no recipient: the agreement has no active owner and there is no approver"


def is_copy(key: str) -> bool:
    """Whether an outbox key is an approver's copy of a reminder."""
    return ":cc:" in key


def recipient_of(u: User, *, copy: bool = False) -> Recipient:
    return Recipient(u.email, u.name, u.lang or "en", u.id, copy)


def approvers(s: Session) -> list[User]:
    """Active approvers, in a stable order."""
    return list(s.scalars(select(User).where(User.role == "approver", User.active.is_(True))
                          .order_by(User.email)))


def active_owner(a: Agreement) -> User | None:
    return a.owner if a.owner is not None and a.owner.active else None


def agreement_view(s: Session, a: Agreement) -> AgreementView:
    """The snapshot of `a` that a message describes."""
    from workflow.lifecycle import State

    successor = None
    if a.state in (State.EXPIRED.value, State.TERMINATED.value):
        successor = s.scalar(select(Agreement.ref).where(
            Agreement.renews_id == a.id, Agreement.state.not_in([t.value for t in TERMINAL])).limit(1))
    return AgreementView(
        ref=a.ref, title=a.title, type=a.type, term=a.term,
        parties=tuple(p.organization.name for p in a.parties),
        owner_name=a.owner.name if a.owner is not None else None,
        owner_email=a.owner.email if a.owner is not None else None,
        department=a.department, starts_on=a.starts_on, expires_on=a.expires_on,
        ends_on=a.ends_on, renewal_months=a.renewal_months, notice_days=a.notice_days,
        unsigned_parties=tuple(p.organization.name for p in a.parties if p.signed_on is None),
        state_since=a.state_since, successor_ref=successor,
    )


def successor_started(s: Session, a: Agreement) -> bool:
    """Whether a renewal of `a` is under way (a successor in any live state)."""
    return s.scalar(select(Agreement.id).where(
        Agreement.renews_id == a.id, Agreement.state.not_in([t.value for t in TERMINAL])).limit(1)) is not None


def reminder_rows(a: Agreement, view: AgreementView, o: Occasion, due_on: date, status: str, *,
                  owner: User | None, copies: Sequence[User], compose: Compose, links: Links,
                  institution: str) -> list[outbox.Outgoing]:
    """The reminder for the owner (or, with no active owner, the first of `copies`) and a
    copy for every other user in `copies`."""
    base_key = notification_key(a.id, a.term, o.rule.value, o.offset)
    main = owner or (copies[0] if copies else None)
    if main is None:
        subject, text, html = compose(o.rule.value, context_for(view, o, institution, links), "en")
        return [_row(a, base_key, o.rule.value, o.offset, due_on, "", subject, text, html,
                     "skipped", NO_RECIPIENT)]
    rows = []
    for u in [main, *(c for c in copies if c.id != main.id)]:
        r = recipient_of(u, copy=u is not main)
        subject, text, html = compose(o.rule.value, context_for(view, o, institution, links, r),
                                      r.lang)
        key = base_key if u is main else f"{base_key}:cc:{u.id}"
        rows.append(_row(a, key, o.rule.value, o.offset, due_on, u.email, subject, text, html,
                         status, None))
    return rows


def _row(a: Agreement, key: str, template: str, offset: int, due_on: date, to: str, subject: str,
         text: str, html: str, status: str, error: str | None) -> outbox.Outgoing:
    return outbox.Outgoing(key=key, agreement_id=a.id, term=a.term, rule=template,
                           offset_days=offset, due_on=due_on, to_addr=to, subject=subject,
                           body_text=text, body_html=html, status=status, last_error=error,
                           kind=kind_of(template))


# --- workflow mail ---------------------------------------------------------------------------

#: event -> (message kind, who reads it)
WORKFLOW_MAIL: dict[str, tuple[str, str]] = {
    "submit": ("submitted", "approvers"),
    "request_changes": ("changes_requested", "owner"),
    "approve": ("approved", "owner"),
    "sign": ("signed", "owner"),  # only the last signature
    "terminate": ("terminated", "owner+approvers"),
    "withdraw": ("withdrawn", "owner+approvers"),
}


def workflow_rows(s: Session, a: Agreement, ev: EventRow, *, version: int, actor: User,
                  compose: Compose, links: Links, institution: str) -> list[outbox.Outgoing]:
    """The mail event `ev` (just recorded on `a`, which was at `version` before it) sends;
    none for an event that mails nobody. Whoever submits is not asked to approve it."""
    spec = WORKFLOW_MAIL.get(ev.event)
    if spec is None or (ev.event == "sign" and ev.to_state != "signed"):
        return []
    template, who = spec
    readers: list[User] = []
    owner = active_owner(a)
    if "owner" in who and owner is not None:
        readers.append(owner)
    if "approvers" in who:
        readers += [u for u in approvers(s) if u.id not in {r.id for r in readers}]
    if template == "submitted":
        readers = [u for u in readers if u.id != actor.id]
    if not readers:
        return []
    view = agreement_view(s, a)
    happening = Happening(template, actor.name or actor.email, ev.occurred_on, ev.note)
    rows = []
    for u in readers:
        r = recipient_of(u)
        subject, text, html = compose(template, workflow_context(view, happening, institution,
                                                                 links, r), r.lang)
        rows.append(_row(a, f"wf:{a.id}:v{version}:{ev.event}:{u.id}", template, 0, ev.occurred_on, u.email, subject,
                         text, html, "pending", None))
    return rows
