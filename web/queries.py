"""Read models of the pages: what the dashboard and the list show.

Reading only; every rule comes from `workflow` (which states count as
expiring, the notice deadline, who may approve what): nothing here decides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, lazyload, load_only

from models import Agreement, AgreementParty, Organization, User
from workflow import dates
from workflow.agreements import (
    AgreementRow,
    Office,
    agreement_dict,
    available_events,
    surroundings_of_many,
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


#: The most urgent agreements a dashboard section lists; its count says how many there are.
SECTION_LIMIT = 50


@dataclass
class NeedsAction:
    window_days: int
    scope: str  # "mine" (the user's own agreements) or "office" (everyone's)
    expiring: list[AgreementRow]
    notice: list[dict[str, Any]]
    signatures: list[AgreementRow]
    review: list[AgreementRow]
    drafts: list[AgreementRow]
    returned: list[dict[str, Any]]  # drafts an approver sent back, with the approver's note
    signed: list[dict[str, Any]]  # fully signed, waiting for their start date
    #: Per section, how many agreements it has (each list holds the first SECTION_LIMIT).
    totals: dict[str, int] = field(default_factory=dict)


def partner_choices(uow: UnitOfWork) -> list[dict[str, Any]]:
    """The list's partner filter: every organisation's id, name and country, by name
    (three columns, not mapped objects: an office may have thousands of partners)."""
    with uow:
        return [{"id": oid, "name": name, "country": country} for oid, name, country in
                uow.session.execute(select(Organization.id, Organization.name, Organization.country)
                                    .order_by(func.lower(Organization.name)))]


def default_scope(user: dict[str, Any]) -> str:
    """Approvers and admins (the head of office) look after the whole office; an officer
    after their own agreements; a viewer reads the office's."""
    role = Role.parse(user["role"])
    return "mine" if role is Role.OFFICER else "office"


def _loaded() -> tuple[Any, ...]:
    """What `agreement_dict` reads, joined to the rows (not one query per agreement); of
    the predecessor only its reference."""
    return (joinedload(Agreement.parties).joinedload(AgreementParty.organization),
            joinedload(Agreement.owner),
            joinedload(Agreement.renews).options(load_only(Agreement.ref), lazyload("*")))


def needs_action(uow: UnitOfWork, clock: Clock, office: Office, user: dict[str, Any],
                 scope: str | None = None, limit: int | None = None) -> NeedsAction:
    """What needs doing soon: agreements expiring or at their notice deadline within the
    renewal window, awaiting signatures, signed and about to start, drafts (those an
    approver returned first, with the note), and what waits for this approver's approval
    (four eyes decided by the guards). `scope` "mine" keeps the user's own agreements.
    Each section lists its `limit` (SECTION_LIMIT) most urgent agreements and counts them all."""
    limit = limit or SECTION_LIMIT
    window = office.policy.window_days
    today = clock.today
    role = Role.parse(user["role"])
    scope = scope if scope in ("mine", "office") else default_scope(user)
    totals: dict[str, int] = {}
    with uow:
        s = uow.session
        me = s.scalar(select(User).where(User.email == user["email"]))
        mine = [Agreement.owner_id == (me.id if me else -1)] if scope == "mine" else []
        horizon = today + timedelta(days=window)

        def first(name: str, *where: Any, order: tuple[Any, ...]) -> list[Agreement]:
            totals[name] = int(s.scalar(select(func.count()).select_from(Agreement)
                                        .where(*mine, *where)) or 0)
            return list(s.scalars(select(Agreement).options(*_loaded()).where(*mine, *where)
                                  .order_by(*order).limit(limit)).unique())

        def by_id(ids: list[int]) -> list[Agreement]:
            """The agreements of `ids`, in that order, loaded with what the page shows."""
            if not ids:
                return []
            rows = {a.id: a for a in s.scalars(select(Agreement).options(*_loaded())
                                                .where(Agreement.id.in_(ids))).unique()}
            return [rows[i] for i in ids]

        expiring = [agreement_dict(a) for a in first(
            "expiring", Agreement.state.in_(("signed", "active", "renewal_due")),
            Agreement.expires_on.is_not(None), Agreement.expires_on <= horizon,
            order=(Agreement.expires_on, Agreement.id))]
        # The deadline is a rule of `workflow.dates`: computed here from two columns, then
        # the first agreements by deadline are loaded whole.
        deadlines = []
        for aid, expires_on, notice_days in s.execute(
                select(Agreement.id, Agreement.expires_on, Agreement.notice_days)
                .where(*mine, Agreement.state.in_([x.value for x in IN_FORCE]),
                       Agreement.auto_renew.is_(True), Agreement.notice_given_on.is_(None),
                       Agreement.expires_on.is_not(None))
                .order_by(Agreement.expires_on, Agreement.id)):
            deadline = dates.notice_deadline(expires_on, notice_days or 0)
            if today <= deadline <= horizon:
                deadlines.append((aid, deadline))
        totals["notice"] = len(deadlines)
        notice = [{**agreement_dict(a), "deadline": on.isoformat()}
                  for a, (_, on) in zip(by_id([aid for aid, _ in deadlines[:limit]]),
                                        deadlines[:limit], strict=True)]
        signatures = [agreement_dict(a) for a in first(
            "signatures", Agreement.state == State.AWAITING_SIGNATURES.value,
            order=(Agreement.state_since, Agreement.id))]
        signed = [{**agreement_dict(a), "activates_on": activation_day(a.starts_on, today)}
                  for a in first("signed", Agreement.state == State.SIGNED.value,
                                 order=(Agreement.starts_on, Agreement.id))]
        draft_ids = list(s.scalars(select(Agreement.id).where(*mine, Agreement.state == State.DRAFT.value)
                                   .order_by(Agreement.id)))
        last = _last_events(s, draft_ids)
        returned_ids = [i for i in draft_ids
                        if (ev := last.get(i)) is not None and ev.event == Event.REQUEST_CHANGES.value]
        returned_set = set(returned_ids)
        plain_ids = [i for i in draft_ids if i not in returned_set]
        totals["returned"], totals["drafts"] = len(returned_ids), len(plain_ids)
        returned = []
        for a in by_id(returned_ids[:limit]):
            ev = last[a.id]
            returned.append({**agreement_dict(a), "returned_by": ev.actor,
                             "returned_on": ev.occurred_on.isoformat(), "returned_note": ev.note})
        drafts = [agreement_dict(a) for a in by_id(plain_ids[:limit])]
        review = []
        if role >= Role.APPROVER and me is not None:
            # Whether this approver may approve is the guards' decision (four eyes), for each.
            waiting = list(s.scalars(select(Agreement).options(*_loaded())
                                     .where(Agreement.state == State.IN_REVIEW.value)
                                     .order_by(Agreement.state_since, Agreement.id)).unique())
            around = surroundings_of_many(s, [a.id for a in waiting])
            for a in waiting:
                events = available_events(s, a, me, today, office, around.get(a.id))
                if any(e["event"] == Event.APPROVE.value and e["allowed"] for e in events):
                    review.append(agreement_dict(a))
        totals["review"] = len(review)
    return NeedsAction(window, scope, expiring, notice, signatures, review[:limit], drafts, returned,
                       signed, totals)


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
    rows: list[AgreementRow]
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


def agreements_by_id(uow: UnitOfWork, ids: list[int]) -> list[AgreementRow]:
    """The agreements (with parties and owner), in the order of `ids`."""
    if not ids:
        return []
    with uow:
        rows = uow.session.scalars(
            select(Agreement).where(Agreement.id.in_(ids)).options(*_loaded())).unique()
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

