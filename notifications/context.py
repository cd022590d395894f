"""What each email template is told: one function per message kind.

Templates get plain values (strings, dates, lists), never ORM objects, so a
template cannot lazy-load or walk relationships. `AgreementView` is the
snapshot of an agreement taken when a message is queued; `Recipient` is who
reads it (the language it is written in, whether it is an approver's copy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from notifications import i18n
from notifications.links import Links
from workflow.dates import ONE_DAY, extend_term
from workflow.reminders import Rule


@dataclass(frozen=True)
class AgreementView:
    """An agreement as a message describes it."""

    ref: str
    title: str
    type: str
    term: int
    parties: tuple[str, ...]
    owner_name: str | None = None
    owner_email: str | None = None
    department: str | None = None
    starts_on: date | None = None
    expires_on: date | None = None
    ends_on: date | None = None
    renewal_months: int | None = None
    notice_days: int | None = None
    unsigned_parties: tuple[str, ...] = ()
    state_since: date | None = None
    successor_ref: str | None = None


@dataclass(frozen=True)
class Recipient:
    """Who a message is written for: one row, one reader, one language."""

    email: str
    name: str
    lang: str = "en"
    user_id: int | None = None
    #: An approver's copy of a message addressed to the owner.
    copy: bool = False


@dataclass(frozen=True)
class Occasion:
    """Why a reminder is sent: the rule, its offset and the date it counts from."""

    rule: Rule
    offset: int
    today: date
    deadline: date | None = None
    final: bool = False  # the last reminder of its countdown
    escalated: bool = False  # ... nobody acted on: approvers get a copy


#: The page action each reminder points to.
REMINDER_ACTIONS = {Rule.RENEWAL: "renew", Rule.NOTICE: "give_notice", Rule.SIGNATURE: "sign"}
ACTION_LABELS = {
    "renew": i18n.N_("Start the renewal"),
    "give_notice": i18n.N_("Give notice"),
    "sign": i18n.N_("Record a signature"),
    "approve": i18n.N_("Review it"),
    "send_for_signature": i18n.N_("Send it for signature"),
    "edit": i18n.N_("Edit the draft"),
    "show": i18n.N_("Open it in Hamkor"),
    "activities": i18n.N_("Record the activities"),
}


def agreement_context(a: AgreementView, institution: str) -> dict[str, Any]:
    partners = [p for p in a.parties if p.casefold() != institution.casefold()] or list(a.parties)
    return {
        "ref": a.ref,
        "title": a.title,
        "type_code": a.type,
        "type": a.type.replace("_", " "),
        "term": a.term,
        "parties": list(a.parties),
        "partners": partners,
        "department": a.department,
        "starts_on": a.starts_on,
        "expires_on": a.expires_on,
    }


def _base(a: AgreementView, today: date, institution: str, links: Links, r: Recipient,
          action: str | None) -> dict[str, Any]:
    t = i18n.translations(i18n.language(r.lang))
    agreement = agreement_context(a, institution)
    label = i18n.TYPE_LABELS.get(a.type)
    if label:
        agreement["type"] = t.gettext(label)
    if action == "edit":
        action_link = links.edit(a.ref)
    elif action == "show" or action == "activities":
        action_link = links.agreement(a.ref)
    else:
        action_link = links.action(a.ref, action) if action else None
    return {
        "institution": institution,
        "today": today,
        "agreement": agreement,
        "owner": {"name": a.owner_name or t.gettext(i18n.N_("colleague")), "email": a.owner_email},
        "recipient": {"name": r.name or t.gettext(i18n.N_("colleague")), "email": r.email},
        "copy": r.copy,
        "link": links.agreement(a.ref),
        "action_link": action_link,
        "action_label": t.gettext(ACTION_LABELS[action]) if action else None,
    }


def _reminder_base(a: AgreementView, o: Occasion, institution: str, links: Links,
                   r: Recipient) -> dict[str, Any]:
    return {
        **_base(a, o.today, institution, links, r, REMINDER_ACTIONS.get(o.rule)),
        "rule": o.rule.value,
        "offset": o.offset,
        "final": o.final,
        "escalated": o.escalated,
    }


def renewal_context(a: AgreementView, o: Occasion, institution: str, links: Links,
                    r: Recipient) -> dict[str, Any]:
    """The agreement ends on `ends_on` (last day in force); renew it or let it go."""
    ends_on = o.deadline or a.ends_on or a.expires_on
    return {
        **_reminder_base(a, o, institution, links, r),
        "ends_on": ends_on,
        "days_left": (ends_on - o.today).days if ends_on else o.offset,
        "notice_given": a.ends_on is not None,
    }


def notice_context(a: AgreementView, o: Occasion, institution: str, links: Links,
                   r: Recipient) -> dict[str, Any]:
    """It renews tacitly on `renews_on` unless notice is given by `notice_by`."""
    if a.expires_on is None:
        raise ValueError(f"{a.ref}: a notice reminder needs an expiry date")
    notice_by = o.deadline or a.expires_on - timedelta(days=a.notice_days or 0)
    months = a.renewal_months
    return {
        **_reminder_base(a, o, institution, links, r),
        "renews_on": a.expires_on + ONE_DAY,
        "notice_by": notice_by,
        "days_left": (notice_by - o.today).days,
        "renewal_months": months,
        "new_expires_on": extend_term(a.expires_on, months) if months else None,
    }


def signature_context(a: AgreementView, o: Occasion, institution: str, links: Links,
                      r: Recipient) -> dict[str, Any]:
    """Signatures have been awaited for `waiting_days`; who has not signed yet."""
    return {
        **_reminder_base(a, o, institution, links, r),
        "waiting_days": o.offset,
        "since": a.state_since,
        "unsigned_parties": list(a.unsigned_parties),
    }


def expired_context(a: AgreementView, o: Occasion, institution: str, links: Links,
                    r: Recipient) -> dict[str, Any]:
    """The agreement is no longer in force; whether a successor is on its way."""
    last_day = a.ends_on or a.expires_on
    return {
        **_reminder_base(a, o, institution, links, r),
        "action_link": None,
        "action_label": None,
        "last_day": last_day,
        "expired_on": last_day + ONE_DAY if last_day else o.today,
        "successor": a.successor_ref,
    }


CONTEXTS: dict[Rule, Callable[[AgreementView, Occasion, str, Links, Recipient], dict[str, Any]]] = {
    Rule.RENEWAL: renewal_context,
    Rule.NOTICE: notice_context,
    Rule.SIGNATURE: signature_context,
    Rule.EXPIRED: expired_context,
}


def context_for(a: AgreementView, o: Occasion, institution: str, links: Links | None = None,
                recipient: Recipient | None = None) -> dict[str, Any]:
    r = recipient or Recipient(a.owner_email or "", a.owner_name or "")
    return CONTEXTS[o.rule](a, o, institution, links or Links(), r)


# --- workflow mail -------------------------------------------------------------------------


@dataclass(frozen=True)
class Happening:
    """A staff action a workflow mail reports: who did what, when, with which note."""

    kind: str  # the message kind: submitted, changes_requested, approved, signed, ...
    actor: str  # the actor's name
    on: date
    note: str | None = None


#: What a workflow mail asks its reader to do next.
WORKFLOW_ACTIONS = {"submitted": "approve", "changes_requested": "edit",
                    "approved": "send_for_signature", "signed": "show",
                    "terminated": "show", "withdrawn": "show"}


def workflow_context(a: AgreementView, h: Happening, institution: str, links: Links,
                     r: Recipient) -> dict[str, Any]:
    return {
        **_base(a, h.on, institution, links, r, WORKFLOW_ACTIONS[h.kind]),
        "actor": h.actor,
        "note": h.note or "",
        "activates_on": a.starts_on,
        "last_day": a.ends_on,
    }


def quota_context(a: AgreementView, today: date, institution: str, links: Links, r: Recipient,
                  **extra: Any) -> dict[str, Any]:
    """The under-used quota warning (tick.quota): the base context plus its rows."""
    return {**_base(a, today, institution, links, r, "activities"), **extra}


# --- the weekly digest ---------------------------------------------------------------------


def digest_context(sections: list[dict[str, Any]], week_of: date, count: int, institution: str,
                   links: Links, r: Recipient) -> dict[str, Any]:
    t = i18n.translations(i18n.language(r.lang))
    return {
        "institution": institution,
        "today": week_of,
        "week_of": week_of,
        "count": count,
        "sections": sections,
        "agreement": None,
        "recipient": {"name": r.name or t.gettext(i18n.N_("colleague")), "email": r.email},
        "copy": False,
        "link": links.dashboard(),
        "action_link": None,
        "action_label": None,
    }
