"""Read models of the pages: what the dashboard and the list show.

Reading only; every rule comes from `workflow` (which states count as
expiring, the notice deadline, who may approve what): nothing here decides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from models import Agreement, User
from workflow import dates
from workflow.agreements import (
    Office,
    agreement_dict,
    available_events,
)
from workflow.clock import Clock
from workflow.lifecycle import IN_FORCE, Event, Role, State
from workflow.uow import UnitOfWork

PAGE_SIZE = 50


def counts_by_state(uow: UnitOfWork) -> list[tuple[str, int]]:
    """Every state in lifecycle order, with how many agreements are in it."""
    with uow:
        rows: dict[str, int] = {state: int(n) for state, n in uow.session.execute(
            select(Agreement.state, func.count()).group_by(Agreement.state))}
    return [(s.value, int(rows.get(s.value, 0))) for s in State]


@dataclass
class NeedsAction:
    window_days: int
    scope: str  # "mine" (the user's own agreements) or "office" (everyone's)
    expiring: list[dict[str, Any]]
    notice: list[dict[str, Any]]
    signatures: list[dict[str, Any]]
    review: list[dict[str, Any]]
    drafts: list[dict[str, Any]]
    returned: list[dict[str, Any]]  # drafts an approver sent back, with the approver's note
    signed: list[dict[str, Any]]  # fully signed, waiting for their start date


def default_scope(user: dict[str, Any]) -> str:
    """Approvers and admins (the head of office) look after the whole office; an officer
    after their own agreements; a viewer reads the office's."""
    role = Role.parse(user["role"])
    return "mine" if role is Role.OFFICER else "office"


def needs_action(uow: UnitOfWork, clock: Clock, office: Office, user: dict[str, Any],
                 scope: str | None = None) -> NeedsAction:
    """What needs doing soon: agreements expiring or at their notice deadline within the
    renewal window, awaiting signatures, signed and about to start, drafts (those an
    approver returned first, with the note), and what waits for this approver's approval
    (four eyes decided by the guards). `scope` "mine" keeps the user's own agreements."""
    window = office.policy.window_days
    today = clock.today
    role = Role.parse(user["role"])
    scope = scope if scope in ("mine", "office") else default_scope(user)
    with uow:
        s = uow.session
        me = s.scalar(select(User).where(User.email == user["email"]))
        base = select(Agreement)
        if scope == "mine":
            base = base.where(Agreement.owner_id == (me.id if me else -1))
        horizon = today + timedelta(days=window)
        expiring = [agreement_dict(a) for a in s.scalars(
            base.where(Agreement.state.in_(("signed", "active", "renewal_due")),
                       Agreement.expires_on.is_not(None), Agreement.expires_on <= horizon)
            .order_by(Agreement.expires_on, Agreement.id))]
        notice = []
        for a in s.scalars(base.where(Agreement.state.in_([x.value for x in IN_FORCE]),
                                      Agreement.auto_renew.is_(True),
                                      Agreement.notice_given_on.is_(None),
                                      Agreement.expires_on.is_not(None))
                           .order_by(Agreement.expires_on)):
            assert a.expires_on is not None
            deadline = dates.notice_deadline(a.expires_on, a.notice_days or 0)
            if today <= deadline <= horizon:
                notice.append({**agreement_dict(a), "deadline": deadline.isoformat()})
        signatures = [agreement_dict(a) for a in s.scalars(
            base.where(Agreement.state == State.AWAITING_SIGNATURES.value).order_by(Agreement.state_since))]
        signed = [{**agreement_dict(a), "activates_on": activation_day(a.starts_on, today)}
                  for a in s.scalars(base.where(Agreement.state == State.SIGNED.value)
                                     .order_by(Agreement.starts_on, Agreement.id))]
        drafts, returned = [], []
        draft_rows = list(s.scalars(base.where(Agreement.state == State.DRAFT.value).order_by(Agreement.id)))
        last = _last_events(s, [a.id for a in draft_rows])
        for a in draft_rows:
            ev = last.get(a.id)
            if ev is not None and ev.event == Event.REQUEST_CHANGES.value:
                returned.append({**agreement_dict(a), "returned_by": ev.actor,
                                 "returned_on": ev.occurred_on.isoformat(), "returned_note": ev.note})
            else:
                drafts.append(agreement_dict(a))
        review = []
        if role >= Role.APPROVER and me is not None:
            for a in s.scalars(select(Agreement).where(Agreement.state == State.IN_REVIEW.value)
                               .order_by(Agreement.state_since, Agreement.id)):
                events = available_events(s, a, me, today, office)
                if any(e["event"] == Event.APPROVE.value and e["allowed"] for e in events):
                    review.append(agreement_dict(a))
    return NeedsAction(window, scope, expiring, notice, signatures, review, drafts, returned, signed)


def activation_day(starts_on: date | None, today: date) -> str | None:
    """When a signed agreement becomes active by itself: its start date (the daily check
    activates it), or today's check if it has already started."""
    if starts_on is None:
        return None
    return max(starts_on, today).isoformat()


def _last_events(s: Any, ids: list[int]) -> dict[int, Any]:
    """Each agreement's latest audit row."""
    from models import Event as EventRow

    if not ids:
        return {}
    latest = (select(func.max(EventRow.id)).where(EventRow.agreement_id.in_(ids))
              .group_by(EventRow.agreement_id))
    return {e.agreement_id: e for e in s.scalars(select(EventRow).where(EventRow.id.in_(latest)))}


@dataclass
class Page:
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int


def search_agreements(uow: UnitOfWork, clock: Clock, *, institution: str = "",
                      state: str | None = None, partner: str | None = None,
                      expiring_within: int | None = None, q: str | None = None,
                      country: str | None = None, department: str | None = None,
                      type: str | None = None, owner: str | None = None, sort: str | None = None,
                      page: int = 1, size: int | None = PAGE_SIZE) -> Page:
    """One page of the agreements matching the search box and the filters (by index)."""
    from workflow.search import search

    filters = {"q": q, "state": state, "partner": partner, "expiring_within": expiring_within,
               "country": country, "department": department, "type": type, "owner": owner}
    page = max(1, page)
    count, ids = search(uow, clock, institution, sort=sort, offset=(page - 1) * (size or 0),
                        limit=size, **filters)
    pages = max(1, math.ceil(count / size)) if size else 1
    if page > pages:  # past the end (the list shrank): the last page
        page = pages
        count, ids = search(uow, clock, institution, sort=sort, offset=(page - 1) * (size or 0),
                            limit=size, **filters)
    return Page(agreements_by_id(uow, ids), count, page, pages)


def agreements_by_id(uow: UnitOfWork, ids: list[int]) -> list[dict[str, Any]]:
    """The agreements (with parties and owner), in the order of `ids`."""
    from sqlalchemy.orm import joinedload

    from models import AgreementParty

    if not ids:
        return []
    with uow:
        rows = uow.session.scalars(
            select(Agreement).where(Agreement.id.in_(ids))
            .options(joinedload(Agreement.parties).joinedload(AgreementParty.organization),
                     joinedload(Agreement.owner), joinedload(Agreement.renews))).unique()
        by_id = {a.id: agreement_dict(a) for a in rows}
    return [by_id[i] for i in ids if i in by_id]


def departments(uow: UnitOfWork) -> list[str]:
    """Every department an agreement names, once each (as first written), sorted."""
    with uow:
        stored = uow.session.scalars(select(Agreement.department).where(
            Agreement.department.is_not(None)).distinct())
        seen: dict[str, str] = {}
        for d in stored:
            if d and d.strip():
                seen.setdefault(d.strip().casefold(), d.strip())
    return sorted(seen.values(), key=str.casefold)


def unknown_department(wanted: str, known: list[str]) -> list[str] | None:
    """None when `wanted` names a known department (any case); else the known ones
    closest to it first (a typo's likely meaning), then the rest."""
    import difflib

    key = wanted.strip().casefold()
    if any(d.casefold() == key for d in known):
        return None
    folded = {d.casefold(): d for d in known}
    close = [folded[c] for c in difflib.get_close_matches(key, list(folded), n=3, cutoff=0.5)]
    return close + [d for d in known if d not in close]

