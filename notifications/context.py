"""What each email template is told: one function per message kind.

Templates get plain values (strings, dates, lists), never ORM objects, so a
template cannot lazy-load or walk relationships. `AgreementView` is the
snapshot of an agreement the tick takes when it queues a message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from notifications.rules import Rule
from workflow.dates import ONE_DAY, extend_term


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
class Occasion:
    """Why the message is sent: the rule, its offset and the date it counts from."""

    rule: Rule
    offset: int
    today: date
    deadline: date | None = None
    final: bool = False  # the last reminder of its countdown (approvers in Cc)


def _base(a: AgreementView, o: Occasion, institution: str) -> dict[str, Any]:
    partners = [p for p in a.parties if p.casefold() != institution.casefold()] or list(a.parties)
    return {
        "institution": institution,
        "today": o.today,
        "rule": o.rule.value,
        "offset": o.offset,
        "final": o.final,
        "agreement": {
            "ref": a.ref,
            "title": a.title,
            "type": a.type.replace("_", " "),
            "term": a.term,
            "parties": list(a.parties),
            "partners": partners,
            "department": a.department,
            "starts_on": a.starts_on,
            "expires_on": a.expires_on,
        },
        "owner": {"name": a.owner_name or "colleague", "email": a.owner_email},
    }


def renewal_context(a: AgreementView, o: Occasion, institution: str) -> dict[str, Any]:
    """The agreement ends on `ends_on` (last day in force); renew it or let it go."""
    ends_on = o.deadline or a.ends_on or a.expires_on
    return {
        **_base(a, o, institution),
        "ends_on": ends_on,
        "days_left": (ends_on - o.today).days if ends_on else o.offset,
        "notice_given": a.ends_on is not None,
    }


def notice_context(a: AgreementView, o: Occasion, institution: str) -> dict[str, Any]:
    """It renews tacitly on `renews_on` unless notice is given by `notice_by`."""
    if a.expires_on is None:
        raise ValueError(f"{a.ref}: a notice reminder needs an expiry date")
    notice_by = o.deadline or a.expires_on - timedelta(days=a.notice_days or 0)
    months = a.renewal_months
    return {
        **_base(a, o, institution),
        "renews_on": a.expires_on + ONE_DAY,
        "notice_by": notice_by,
        "days_left": (notice_by - o.today).days,
        "renewal_months": months,
        "new_expires_on": extend_term(a.expires_on, months) if months else None,
    }


def signature_context(a: AgreementView, o: Occasion, institution: str) -> dict[str, Any]:
    """Signatures have been awaited for `waiting_days`; who has not signed yet."""
    return {
        **_base(a, o, institution),
        "waiting_days": o.offset,
        "since": a.state_since,
        "unsigned_parties": list(a.unsigned_parties),
    }


def expired_context(a: AgreementView, o: Occasion, institution: str) -> dict[str, Any]:
    """The agreement is no longer in force; whether a successor is on its way."""
    last_day = a.ends_on or a.expires_on
    return {
        **_base(a, o, institution),
        "last_day": last_day,
        "expired_on": last_day + ONE_DAY if last_day else o.today,
        "successor": a.successor_ref,
    }


CONTEXTS: dict[Rule, Callable[[AgreementView, Occasion, str], dict[str, Any]]] = {
    Rule.RENEWAL: renewal_context,
    Rule.NOTICE: notice_context,
    Rule.SIGNATURE: signature_context,
    Rule.EXPIRED: expired_context,
}


def context_for(a: AgreementView, o: Occasion, institution: str) -> dict[str, Any]:
    return CONTEXTS[o.rule](a, o, institution)
