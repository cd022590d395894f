"""The dashboard: what needs doing, and the register's count per state.

Reading only; every rule comes from `workflow` (which states count as expiring,
the notice deadline, who may approve what). Each section is counted and its
first `SECTION_LIMIT` agreements listed by one indexed query each (migration
0016): at 100,000 agreements the page reads a few hundred rows, not the register.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Date, and_, func, literal_column, select, union_all
from sqlalchemy.orm import Session, aliased

from models import Agreement, AgreementParty, Event as EventRow, Organization, User
from web.queries import activation_day
from web.render import render, translator
from web.security import page_user
from web.state import hamkor
from workflow.agreements import Office
from workflow.clock import Clock
from workflow.lifecycle import IN_FORCE, TERMINAL, Event, Role, State
from workflow.queue_read import allowed_in_queue, ids_param
from workflow.uow import UnitOfWork

router = APIRouter(include_in_schema=False)

#: The most urgent agreements a dashboard section lists; its count says how many there are.
SECTION_LIMIT = 25

#: `workflow.dates.notice_deadline` (expiry date minus notice days) as each database says
#: it, word for word as migration 0016's expression index, so that the index answers.
_DEADLINE = {
    "postgresql": "agreements.expires_on - coalesce(agreements.notice_days, 0)",
    "sqlite": "date(agreements.expires_on, '-' || coalesce(agreements.notice_days, 0) || ' days')",
}


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, scope: str | None = None, user: dict[str, Any] = Depends(page_user)) -> Response:
    """What needs doing: the whole office's for approvers and admins, an officer's own
    (with a switch to the team's, `?scope=office`)."""
    from web.activities import under_used_quotas  # cooperation activity (issue 21)
    from web.unit import one_unit

    # Every part reads in one session and one transaction (web/unit.py).
    with one_unit(hamkor(request)) as app:
        counts = counts_by_state(app.uow())
        todo = needs_action(app.uow(), app.clock(), app.office(), user, scope)
        missing_copies = None
        if app.settings.require_signed_copy:  # HAMKOR_REQUIRE_SIGNED_COPY (issue 20)
            from documents.attachments import missing_signed_copies

            missing_copies = missing_signed_copies(app.uow())
        mail_problems: list[str] = []
        if Role.parse(user["role"]) >= Role.ADMIN:
            from tick.worker import problem_rules

            t = translator(request)
            mail_problems = [t.worded(p.code, p.params) for p in problem_rules(app)]
        under_used = under_used_quotas(app, user)
    return render(request, "dashboard.html", {
        "missing_copies": missing_copies,
        "counts": counts, "total": sum(n for _, n in counts), "todo": todo,
        "terminal": {s.value for s in TERMINAL}, "nav": "dashboard",
        "under_used": under_used,
        "mail_problems": mail_problems,
    })


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
    #: Per section, how many agreements it has (each list holds the first SECTION_LIMIT).
    totals: dict[str, int] = field(default_factory=dict)


def default_scope(user: dict[str, Any]) -> str:
    """Approvers and admins (the head of office) look after the whole office; an officer
    after their own agreements; a viewer reads the office's."""
    role = Role.parse(user["role"])
    return "mine" if role is Role.OFFICER else "office"


@cache
def _shown_statements(dialect: str) -> tuple[Any, Any]:
    """`_listed`'s two statements, built once per database (a statement's building and
    cache key cost more CPU than running it); the ids are one parameter."""
    a = Agreement
    agreements = select(a.id, a.ref, a.title, a.state, a.starts_on, a.expires_on).where(
        ids_param(a.id, dialect))
    parties = (select(AgreementParty.agreement_id, Organization.name)
               .join(Organization, Organization.id == AgreementParty.organization_id)
               .where(ids_param(AgreementParty.agreement_id, dialect))
               .order_by(AgreementParty.agreement_id, AgreementParty.position))
    return agreements, parties


def _listed(s: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    """What the page shows of each agreement of `ids` (of `agreement_dict`'s fields: ref,
    title, state, start and expiry dates; and `partner_names`, its parties' names joined
    in their order), read as columns in two statements: the sections list up to 175
    agreements, and building more than the page shows was most of its CPU."""
    if not ids:
        return {}
    agreements, parties = _shown_statements(s.get_bind().dialect.name)
    names: dict[int, list[str]] = {i: [] for i in ids}
    for aid, name in s.execute(parties, {"ids": ids}):
        names[aid].append(name)
    return {aid: {"ref": ref, "title": title, "state": state,
                  "starts_on": starts_on.isoformat() if starts_on else None,
                  "expires_on": expires_on.isoformat() if expires_on else None,
                  "partner_names": ", ".join(names[aid])}
            for aid, ref, title, state, starts_on, expires_on in s.execute(agreements, {"ids": ids})}


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _day(iso: str | None) -> date | None:
    return date.fromisoformat(iso) if iso else None


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
    horizon = today + timedelta(days=window)
    role = Role.parse(user["role"])
    scope = scope if scope in ("mine", "office") else default_scope(user)
    totals: dict[str, int] = {}
    with uow:
        s = uow.session
        me = s.scalar(select(User).where(User.email == user["email"]))
        mine = [Agreement.owner_id == (me.id if me else -1)] if scope == "mine" else []

        def section(name: str, *where: Any, order: tuple[Any, ...]) -> list[int]:
            """Count the section, then the ids of its first `limit` agreements (loaded
            below, all sections' at once: a LIMIT beside joined eager loads would need a
            subquery)."""
            totals[name] = int(s.scalar(select(func.count()).select_from(Agreement)
                                        .where(*mine, *where)) or 0)
            if not totals[name]:
                return []
            return list(s.scalars(select(Agreement.id).where(*mine, *where)
                                  .order_by(*order).limit(limit)))

        expiring_ids = _expiring(s, mine, horizon, limit, totals)
        deadlines = _notice(s, mine, today, horizon, limit, totals)
        signature_ids = section("signatures", Agreement.state == State.AWAITING_SIGNATURES.value,
                                order=(Agreement.state_since, Agreement.id))
        signed_ids = section("signed", Agreement.state == State.SIGNED.value,
                             order=(Agreement.starts_on, Agreement.id))
        returned_events, draft_ids = _drafts(s, mine, limit, totals)
        review_ids: list[int] = []
        if role >= Role.APPROVER and me:
            totals["review"], review_ids = _review(s, me, today, office, limit)
        else:
            totals["review"] = 0
        ids = [*expiring_ids, *deadlines, *signature_ids, *signed_ids, *returned_events, *draft_ids,
               *review_ids]
        got = _listed(s, list(dict.fromkeys(ids)))

        def dicts(wanted: Any) -> list[tuple[int, dict[str, Any]]]:
            return [(i, got[i]) for i in wanted if i in got]

        expiring = [d for _, d in dicts(expiring_ids)]
        notice = [{**d, "deadline": deadlines[i].isoformat()} for i, d in dicts(deadlines)]
        signatures = [d for _, d in dicts(signature_ids)]
        signed = [{**d, "activates_on": activation_day(_day(d["starts_on"]), today)}
                  for _, d in dicts(signed_ids)]
        returned = [{**d, "returned_by": returned_events[i].actor,
                     "returned_on": returned_events[i].occurred_on.isoformat(),
                     "returned_note": returned_events[i].note}
                    for i, d in dicts(sorted(returned_events))]
        drafts = [d for _, d in dicts(draft_ids)]
        review = [d for _, d in dicts(review_ids)]
    return NeedsAction(window, scope, expiring, notice, signatures, review, drafts, returned,
                       signed, totals)


def _expiring(s: Session, mine: list[Any], horizon: Any, limit: int,
              totals: dict[str, int]) -> list[int]:
    """Agreements signed or in force whose last day is within the window: their count,
    and the ids of the first `limit` by last day. Asked per state and merged: each
    state's first `limit` is a range of the (state, expires_on) index, where one
    `state IN (...)` query would read and sort every match (2,200 at 100k, 30 ms)."""
    states = ("signed", "active", "renewal_due")
    where = (*mine, Agreement.expires_on.is_not(None), Agreement.expires_on <= horizon)
    totals["expiring"] = int(s.scalar(select(func.count()).select_from(Agreement)
                                      .where(Agreement.state.in_(states), *where)) or 0)
    if not totals["expiring"]:
        return []
    firsts = [select(Agreement.id, Agreement.expires_on).where(Agreement.state == state, *where)
              .order_by(Agreement.expires_on, Agreement.id).limit(limit).subquery()
              for state in states]
    merged = union_all(*(select(f.c.id, f.c.expires_on) for f in firsts)).subquery()
    return list(s.scalars(select(merged.c.id).order_by(merged.c.expires_on, merged.c.id).limit(limit)))


def _notice(s: Session, mine: list[Any], today: Any, horizon: Any, limit: int,
            totals: dict[str, int]) -> dict[int, Any]:
    """Tacitly renewing agreements in force whose notice deadline is within the window,
    by deadline (the first `limit`, id -> deadline, in that order): a range of the
    deadline's expression index."""
    deadline = literal_column(_DEADLINE.get(s.get_bind().dialect.name, _DEADLINE["postgresql"]),
                              Date)
    where = (*mine, Agreement.state.in_([x.value for x in IN_FORCE]), Agreement.auto_renew.is_(True),
             Agreement.notice_given_on.is_(None), Agreement.expires_on.is_not(None),
             deadline >= today, deadline <= horizon)
    totals["notice"] = int(s.scalar(select(func.count()).select_from(Agreement).where(*where)) or 0)
    if not totals["notice"]:
        return {}
    return {aid: d for aid, d in s.execute(select(Agreement.id, deadline).where(*where)
                                           .order_by(deadline, Agreement.id).limit(limit))}


def _drafts(s: Session, mine: list[Any], limit: int,
            totals: dict[str, int]) -> tuple[dict[int, EventRow], list[int]]:
    """Drafts an approver returned (their latest event is `request_changes`: agreement
    id -> that event, with the note), and the other drafts' ids, oldest first. Found
    from the `request_changes` events (few; by index), not by reading every draft's history."""
    later = aliased(EventRow)
    returned_events = (
        select(EventRow).join(Agreement, Agreement.id == EventRow.agreement_id)
        .where(*mine, EventRow.event == Event.REQUEST_CHANGES.value,
               Agreement.state == State.DRAFT.value,
               ~select(later.id).where(and_(later.agreement_id == EventRow.agreement_id,
                                            later.id > EventRow.id)).exists()))
    returned_ids = returned_events.with_only_columns(EventRow.agreement_id)
    all_drafts = int(s.scalar(select(func.count()).select_from(Agreement)
                              .where(*mine, Agreement.state == State.DRAFT.value)) or 0)
    totals["returned"] = int(s.scalar(select(func.count()).select_from(returned_ids.subquery())) or 0)
    totals["drafts"] = all_drafts - totals["returned"]
    returned: dict[int, EventRow] = {}
    if totals["returned"]:
        returned = {e.agreement_id: e for e in s.scalars(returned_events.order_by(EventRow.agreement_id)
                                                           .limit(limit))}
    drafts: list[int] = []
    if totals["drafts"]:
        drafts = list(s.scalars(select(Agreement.id).where(*mine, Agreement.state == State.DRAFT.value,
                                                           Agreement.id.not_in(returned_ids))
                                .order_by(Agreement.id).limit(limit)))
    return returned, drafts


def _review(s: Session, me: User, today: Any, office: Office, limit: int) -> tuple[int, list[int]]:
    """How many agreements in review this approver may approve, and the ids of the first
    `limit` of them, oldest in review first (four eyes: the guards decide, for each, on its
    row and surroundings as stored; `workflow.queue_read`, on plain rows)."""
    ids = allowed_in_queue(s, me.email, Role.parse(me.role), Event.APPROVE, today, office)
    return len(ids), ids[:limit]
