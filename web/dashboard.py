"""The dashboard: what needs doing, and the register's count per state.

Reading only; every rule comes from `workflow` (which states count as expiring,
the notice deadline, who may approve what). Each section is counted and its
first `SECTION_LIMIT` agreements listed by one indexed query each (migration
0016): at 100,000 agreements the page reads a few hundred rows, not the register.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import (
    Date,
    Integer,
    bindparam,
    func,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased

from models import Agreement, AgreementParty, Event as EventRow, Organization, User
from web.queries import activation_day
from web.render import render, translator
from web.security import page_user
from web.state import hamkor
from workflow.agreements import Office
from workflow.clock import Clock
from workflow.errors import ConcurrentUpdate
from workflow.lifecycle import IN_FORCE, TERMINAL, Event, Role, State
from workflow.queue_read import allowed_in_queue, ids_param
from workflow.state_counts import FOLD_AT, fold, state_counts
from workflow.uow import UnitOfWork

router = APIRouter(include_in_schema=False)
log = logging.getLogger("hamkor.web")

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
        counts, summed = counts_by_state(app.uow())
        todo = needs_action(app.uow(), app.clock(), app.office(), user, scope)
        missing_copies = None
        if app.settings.require_signed_copy:  # HAMKOR_REQUIRE_SIGNED_COPY (issue 20)
            from documents.attachments import missing_signed_copies

            missing_copies = missing_signed_copies(app.uow())
        t = translator(request)
        mail_problems: list[str] = []
        if Role.parse(user["role"]) >= Role.ADMIN:
            from tick.worker import problem_rules

            mail_problems = [t.worded(p.code, p.params) for p in problem_rules(app)]
        under_used = under_used_quotas(app, user)
    if summed > FOLD_AT:  # the counts' rows have piled up: one per state again
        try:
            fold(hamkor(request).uow())
        except (ConcurrentUpdate, OperationalError):  # busy: the next visit folds them
            log.info("state counts not folded now (the database is busy)", exc_info=True)
    return render(request, "dashboard.html", {
        "missing_copies": missing_copies,
        "counts": counts, "total": sum(n for _, n in counts), "todo": todo,
        "terminal": {s.value for s in TERMINAL}, "nav": "dashboard",
        "under_used": under_used,
        "mail_problems": mail_problems,
        "state_labels": {st: t.state(st) for st in State},
    })


def counts_by_state(uow: UnitOfWork) -> tuple[list[tuple[str, int]], int]:
    """Every state in lifecycle order, with how many agreements are in it (exact: the
    sums the database's triggers keep, `workflow.state_counts`); and how many rows
    were summed."""
    with uow:
        rows, summed = state_counts(uow.session)
    return [(s.value, rows.get(s.value, 0)) for s in State], summed


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
    Each section lists its `limit` (SECTION_LIMIT) most urgent agreements and counts them
    all: every count in one statement, then each non-empty section's first `limit`
    (statements built once per database and scope, `_sections`)."""
    limit = limit or SECTION_LIMIT
    window = office.policy.window_days
    today = clock.today
    horizon = today + timedelta(days=window)
    role = Role.parse(user["role"])
    scope = scope if scope in ("mine", "office") else default_scope(user)
    with uow:
        s = uow.session
        me = s.scalar(_me_statement(), {"email": user["email"]})
        q = _sections(s.get_bind().dialect.name, scope == "mine")
        params = {"owner": me.id if me else -1, "today": today, "horizon": horizon, "limit": limit}
        counted = s.execute(q.counts, params).one()
        totals = {name: int(n or 0) for name, n in zip(_COUNTED, counted, strict=True)}
        totals["drafts"] -= totals["returned"]  # the drafts counted are all of them

        def first(name: str, statement: Any) -> list[Any]:
            return list(s.execute(statement, params)) if totals[name] else []

        expiring_ids = [r[0] for r in first("expiring", q.expiring)]
        deadlines = {aid: d for aid, d in first("notice", q.notice)}
        signature_ids = [r[0] for r in first("signatures", q.signatures)]
        signed_ids = [r[0] for r in first("signed", q.signed)]
        returned_events = {r.agreement_id: r for r in first("returned", q.returned)}
        draft_ids = [r[0] for r in first("drafts", q.drafts)]
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
        notice = [{**d, "deadline": _iso(_as_date(deadlines[i]))} for i, d in dicts(deadlines)]
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


def _as_date(value: Any) -> date:
    """A deadline as the database returns it (SQLite's `date()` gives text)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


@cache
def _me_statement() -> Any:
    return select(User).where(User.email == bindparam("email"))


#: The sections `_Sections.counts` counts, in its columns' order ("drafts": all of them).
_COUNTED = ("expiring", "notice", "signatures", "signed", "returned", "drafts")


@dataclass(frozen=True)
class _Sections:
    counts: Any  # one row: each section's count, in _COUNTED's order
    expiring: Any  # (id,) of the first :limit
    notice: Any  # (id, deadline)
    signatures: Any
    signed: Any
    returned: Any  # (agreement_id, actor, occurred_on, note) of the request_changes event
    drafts: Any


@cache
def _sections(dialect: str, mine: bool) -> _Sections:
    """The dashboard's statements for a database and a scope (the user's own: `mine`),
    built once; parameters :owner, :today, :horizon (the window's last day), :limit.

    Expiring: agreements signed or in force whose last day is within the window, the
    first by last day asked per state and merged (each state's first `limit` is a range
    of the (state, expires_on) index, where one `state IN (...)` query would read and
    sort every match: 2,200 at 100k, 30 ms). Notice: tacitly renewing agreements in
    force whose notice deadline is within the window, by deadline (a range of the
    deadline's expression index, migration 0016). Returned: drafts an approver sent
    back (their latest event is `request_changes`); the other drafts oldest first."""
    a = Agreement
    own = [a.owner_id == bindparam("owner")] if mine else []
    today, horizon = bindparam("today", type_=Date), bindparam("horizon", type_=Date)
    limit = bindparam("limit", type_=Integer)

    def count(*where: Any) -> Any:
        return select(func.count()).select_from(a).where(*own, *where).scalar_subquery()

    def state(value: State) -> Any:
        return a.state == literal(value.value)

    in_window = (a.expires_on.is_not(None), a.expires_on <= horizon)
    expiring_states = (State.SIGNED, State.ACTIVE, State.RENEWAL_DUE)
    deadline = literal_column(_DEADLINE.get(dialect, _DEADLINE["postgresql"]), Date)
    # Constants in the SQL, not parameters: PostgreSQL's partial index of the open notice
    # deadlines (migration 0017) says them word for word, and a prepared statement's
    # generic plan may use that index only if the query states its conditions.
    in_force = sorted(x.value for x in IN_FORCE)
    notice = (a.state.in_([literal_column(f"'{v}'") for v in in_force]), a.auto_renew.is_(True),
              a.notice_given_on.is_(None), a.expires_on.is_not(None),
              deadline >= today, deadline <= horizon)
    # A draft's latest event (by id): `request_changes` makes it a returned draft. Asked
    # per draft (a probe of the events' (agreement_id, id) index each): the drafts are
    # the office's work in progress, where the request_changes events only grow.
    later = aliased(EventRow)
    last_event = (select(later.id).where(later.agreement_id == a.id)
                  .order_by(later.id.desc()).limit(1).correlate(a).scalar_subquery())
    returned_where = (*own, state(State.DRAFT), EventRow.id == last_event,
                      EventRow.event == literal(Event.REQUEST_CHANGES.value))
    returned_ids = select(EventRow.agreement_id).join(a, a.id == EventRow.agreement_id).where(*returned_where)
    counts = select(
        count(a.state.in_([literal(x.value) for x in expiring_states]), *in_window),
        count(*notice),
        count(state(State.AWAITING_SIGNATURES)),
        count(state(State.SIGNED)),
        select(func.count()).select_from(returned_ids.subquery()).scalar_subquery(),
        count(state(State.DRAFT)))
    firsts = [select(a.id, a.expires_on).where(*own, state(x), *in_window)
              .order_by(a.expires_on, a.id).limit(limit).subquery() for x in expiring_states]
    merged = union_all(*(select(f.c.id, f.c.expires_on) for f in firsts)).subquery()
    return _Sections(
        counts=counts,
        expiring=select(merged.c.id).order_by(merged.c.expires_on, merged.c.id).limit(limit),
        notice=select(a.id, deadline).where(*own, *notice).order_by(deadline, a.id).limit(limit),
        signatures=select(a.id).where(*own, state(State.AWAITING_SIGNATURES))
        .order_by(a.state_since, a.id).limit(limit),
        signed=select(a.id).where(*own, state(State.SIGNED)).order_by(a.starts_on, a.id).limit(limit),
        returned=(select(EventRow.agreement_id, EventRow.actor, EventRow.occurred_on, EventRow.note)
                  .join(a, a.id == EventRow.agreement_id).where(*returned_where)
                  .order_by(EventRow.agreement_id).limit(limit)),
        drafts=select(a.id).where(*own, state(State.DRAFT), a.id.not_in(returned_ids))
        .order_by(a.id).limit(limit),
    )


def _review(s: Session, me: User, today: Any, office: Office, limit: int) -> tuple[int, list[int]]:
    """How many agreements in review this approver may approve, and the ids of the first
    `limit` of them, oldest in review first (four eyes: the guards decide, for each, on its
    row and surroundings as stored; `workflow.queue_read`, on plain rows)."""
    ids = allowed_in_queue(s, me.email, Role.parse(me.role), Event.APPROVE, today, office)
    return len(ids), ids[:limit]
