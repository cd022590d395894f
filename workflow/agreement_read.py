"""Reading agreements: the statements the services load them with, their surroundings
(predecessor, successor), their rows as the doors show them (`agreement_dict`,
`event_dict`) and their reminder facts (`facts`, `reschedule`). The use cases that write
are in `workflow.agreements`, which re-exports these names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, literal, select
from sqlalchemy.orm import Session, joinedload
from typing_extensions import TypedDict  # pydantic needs it for API responses on Python 3.11

from models import (
    Activity,
    Agreement,
    AgreementParty,
    Attachment,
    Event,
    MobilitySpec,
    PartnerContact,
    User,
)
from workflow import dates
from workflow.errors import (
    NotFound,
    Problem,
)
from workflow.lifecycle import (
    BINDING,
    TERMINAL,
    Event as Ev,
    State,
)
from workflow.register_query import Columns, agreement_row
from workflow.registry import active_user
from workflow.schedule import Facts, Policy, next_due_on

#: States in which a successor counts as "signed" and stops its predecessor's reminders.
SUCCESSOR_SIGNED = BINDING


# --- reading --------------------------------------------------------------------------


# The statements below are built once (with bind parameters): building a statement of
# this size costs more CPU than running it.


def _fixed(values: Any) -> list[Any]:
    """An IN list fixed when the statement is built: plain bind parameters, not the
    "expanding" one that is rendered into the SQL again on every execution."""
    return [literal(v.value if isinstance(v, State) else v) for v in values]


def _with_parties_and_owner(stmt: Any) -> Any:
    return (stmt.where(Agreement.ref == bindparam("ref"))
            .options(joinedload(Agreement.parties).joinedload(AgreementParty.organization),
                     joinedload(Agreement.owner)))


@cache
def _agreement_statement() -> Any:
    return _with_parties_and_owner(select(Agreement))


def get_agreement(s: Session, ref: str) -> Agreement:
    """The agreement with its parties, their organisations and the owner, in one query."""
    a: Agreement | None = s.scalars(_agreement_statement(),
                                    {"ref": ref.strip().upper()}).unique().one_or_none()
    if a is None:
        raise NotFound("agreement", ref)
    return a


@dataclass(frozen=True, slots=True)
class Surroundings:
    """What an action on an agreement needs to know besides its own row."""

    last_event_on: date | None  # the business date of its latest event (back-dating rule)
    last_submitter: str | None  # who last submitted it (four eyes)
    successor_signed: bool  # a successor is signed or in force (its reminders stop)
    approved_on: date | None = None  # the business date of its latest approval (signatures)


def _surroundings_of(agreement_id: Any) -> tuple[Any, Any, Any, Any]:
    """`Surroundings`' four fields as scalar subqueries on `agreement_id` (a value or
    a column to correlate with), all by index."""
    mine = Event.agreement_id == agreement_id
    # The latest business date, not the latest row's: a signature may be dated back
    # to the approval, before the "sent for signature" recorded after it.
    last_on = select(func.max(Event.occurred_on)).where(mine).scalar_subquery()
    submitter = (select(Event.actor).where(mine, Event.event == Ev.SUBMIT.value)
                 .order_by(Event.id.desc()).limit(1).scalar_subquery())
    successor = Agreement.__table__.alias("successor")
    # The id of a signed successor, if any. Not EXISTS: PostgreSQL may run a correlated
    # EXISTS as a hashed subplan over every signed or active agreement (0.3 ms at 10k,
    # growing with the register); a LIMIT 1 subquery always takes the renews_id index.
    signed = (select(successor.c.id)
              .where(successor.c.renews_id == agreement_id,
                     successor.c.state.in_(_fixed(SUCCESSOR_SIGNED)))
              .limit(1).scalar_subquery())
    approved = (select(Event.occurred_on).where(mine, Event.event == Ev.APPROVE.value)
                .order_by(Event.id.desc()).limit(1).scalar_subquery())
    return last_on, submitter, signed, approved


@cache
def _surroundings_statement() -> Any:
    return select(*_surroundings_of(bindparam("agreement_id")))


def surroundings(s: Session, a: Agreement) -> Surroundings:
    """`a`'s surroundings in one statement (an agreement not yet flushed has none)."""
    if a.id is None:
        return Surroundings(None, None, False)
    last_on, submitter, signed, approved = s.execute(_surroundings_statement(),
                                                     {"agreement_id": a.id}).one()
    return Surroundings(last_on, submitter, signed is not None, approved)


def surroundings_of_many(s: Session, ids: list[int]) -> dict[int, Surroundings]:
    """`surroundings` of several agreements in one statement (a page listing many)."""
    if not ids:
        return {}
    rows = s.execute(select(Agreement.id, *_surroundings_of(Agreement.id)).where(Agreement.id.in_(ids)))
    return {aid: Surroundings(last_on, submitter, signed is not None, approved)
            for aid, last_on, submitter, signed, approved in rows}


@cache
def _acting_statement() -> Any:
    """One statement: the agreement (parties, organisations, owner), the acting user and
    the agreement's `Surroundings` -- instead of four round trips."""
    return _with_parties_and_owner(
        select(Agreement, User, *_surroundings_of(Agreement.id))
        .outerjoin(User, User.email == bindparam("email")))


class PartyRow(TypedDict):
    name: str
    country: str | None
    kind: str
    signed_on: str | None


class AgreementRow(TypedDict):
    """An agreement, its terms and parties; dates in ISO form."""

    ref: str
    title: str
    type: str
    state: State
    starts_on: str | None
    expires_on: str | None
    indefinite: bool
    term: int
    auto_renew: bool
    renewal_months: int | None
    notice_days: int | None
    notice_given_on: str | None
    ends_on: str | None
    owner: str | None
    department: str | None
    parties: list[PartyRow]
    forms: list[str]
    renews: str | None
    created_on: str | None
    iia_id: str | None
    partner_iia_id: str | None
    version: int


class EventRow(TypedDict):
    """One line of an agreement's audit history."""

    event: str
    from_state: str | None
    to_state: str | None
    actor: str
    occurred_on: str
    recorded_at: str
    note: str | None
    party: str | None


class NextEvent(TypedDict):
    """A manual event and whether the actor could fire it now (`reason`: why not)."""

    event: str
    allowed: bool
    reason: Problem | None
    needs: list[str]
    help: str
    unsigned_parties: list[str]


class ActorRow(TypedDict):
    email: str
    role: str


class AgreementDetail(AgreementRow):
    """An agreement with who asks, what they may do next, its successors and its notes."""

    actor: ActorRow | None
    next_events: list[NextEvent]
    successors: list[str]
    next_due_on: str | None
    notes: str | None


def agreement_dict(a: Agreement) -> AgreementRow:
    return agreement_dict_renewing(a, a.renews.ref if a.renews_id and a.renews else None)


def agreement_dict_renewing(a: Agreement, renews: str | None) -> AgreementRow:
    """`agreement_dict(a)` for a caller that read the predecessor's reference (`renews`)
    with the agreement, instead of loading the predecessor."""
    return agreement_row(
        Columns(a), owner=a.owner.email if a.owner else None,
        parties=[{"name": p.organization.name, "country": p.organization.country,
                  "kind": p.organization.kind, "signed_on": dates.iso(p.signed_on)}
                 for p in a.parties],
        renews=renews)


@cache
def _history_statement() -> Any:
    e = Event.__table__
    return (select(e.c.event, e.c.from_state, e.c.to_state, e.c.actor, e.c.occurred_on,
                   e.c.recorded_at, e.c.note, e.c.party)
            .where(e.c.agreement_id == bindparam("agreement_id")).order_by(e.c.id))


def history_of(s: Session, agreement_id: int) -> list[EventRow]:
    """The agreement's audit history, oldest first (as `event_dict` gives each event), read
    as columns: an agreement with hundreds of events is not loaded as mapped objects."""
    return [{"event": event, "from_state": from_state, "to_state": to_state, "actor": actor,
             "occurred_on": occurred_on.isoformat(), "recorded_at": recorded_at.isoformat(),
             "note": note, "party": party}
            for event, from_state, to_state, actor, occurred_on, recorded_at, note, party
            in s.connection().execute(_history_statement(), {"agreement_id": agreement_id})]


@dataclass(frozen=True, slots=True)
class Related:
    """Whether an agreement has any of the rows its page lists besides its own: a page
    reads only those it has."""

    conditions: bool  # mobility specs (cooperation conditions)
    files: bool  # attachments, removed ones included
    activities: bool  # live activities
    contacts: bool  # contact persons of its parties


@dataclass(frozen=True, slots=True)
class Shown:
    """An agreement read to be shown (`read_shown`)."""

    agreement: Agreement  # with its parties, their organisations and its owner
    who: User | None  # the user asking (None: nobody named)
    around: Surroundings
    renews: str | None  # the predecessor's reference
    successors: tuple[tuple[str, State], ...]  # (reference, state) of each, oldest first
    related: Related | None = None  # asked for by a page


def _first_id(table: Any, *where: Any) -> Any:
    """The id of a row matching `where`, if any, as a scalar subquery (by index)."""
    return select(table.c.id).where(*where).limit(1).scalar_subquery()


@cache
def _shown_statement(related: bool) -> Any:
    """The agreement (parties, organisations, owner), the user asking (by e-mail; an empty
    one matches nobody), its surroundings but the successors, its predecessor's
    reference and whether it has successors (and, for a page, the `Related` rows):
    one statement, every subquery by index."""
    last_on, submitter, _signed, approved = _surroundings_of(Agreement.id)
    t = Agreement.__table__
    pred, succ = t.alias("predecessor"), t.alias("successor")
    renews = select(pred.c.ref).where(pred.c.id == Agreement.renews_id).scalar_subquery()
    columns = [last_on, submitter, approved, renews, _first_id(succ, succ.c.renews_id == Agreement.id)]
    if related:
        specs, files, acts = MobilitySpec.__table__, Attachment.__table__, Activity.__table__
        contacts, parties = PartnerContact.__table__, AgreementParty.__table__
        columns += [
            _first_id(specs, specs.c.agreement_id == Agreement.id),
            _first_id(files, files.c.agreement_id == Agreement.id),
            _first_id(acts, acts.c.agreement_id == Agreement.id, acts.c.removed_at.is_(None)),
            _first_id(contacts, contacts.c.organization_id.in_(
                select(parties.c.organization_id).where(parties.c.agreement_id == Agreement.id))),
        ]
    return _with_parties_and_owner(
        select(Agreement, User, *columns).outerjoin(User, User.email == bindparam("email")))


@cache
def _successors_statement() -> Any:
    return (select(Agreement.ref, Agreement.state)
            .where(Agreement.renews_id == bindparam("agreement_id")).order_by(Agreement.id))


def read_shown(s: Session, ref: str, by: str | None = None, *, related: bool = False) -> Shown:
    """Agreement `ref` and all that showing it needs, in one statement, and one more for
    its successors if it has any (they also say whether one is signed). `by`: the user
    asking, refused (NotFound, not active) as `registry.actor` refuses; None or empty:
    nobody. `related`: also say which of the `Related` rows it has."""
    row = s.execute(_shown_statement(related), {
        "ref": ref.strip().upper(), "email": (by or "").strip().lower()}).unique().one_or_none()
    if row is None:
        raise NotFound("agreement", ref)
    a, who, last_on, submitter, approved, renews, a_successor, *present = row
    who = active_user(who, by) if by else None
    successors: tuple[tuple[str, State], ...] = ()
    if a_successor is not None:
        successors = tuple((r, State(st)) for r, st in s.execute(_successors_statement(),
                                                                 {"agreement_id": a.id}).tuples())
    signed = any(st in SUCCESSOR_SIGNED for _, st in successors)
    return Shown(a, who, Surroundings(last_on, submitter, signed, approved), renews, successors,
                 Related(*(x is not None for x in present)) if related else None)


def event_dict(e: Event) -> EventRow:
    return {
        "event": e.event,
        "from_state": e.from_state,
        "to_state": e.to_state,
        "actor": e.actor,
        "occurred_on": e.occurred_on.isoformat(),
        "recorded_at": e.recorded_at.isoformat(),
        "note": e.note,
        "party": e.party,
    }


#: States whose reminders stop once a successor is signed (the only ones that need to know).
_REMINDABLE = (State.SIGNED.value, State.ACTIVE.value, State.RENEWAL_DUE.value)


def facts(s: Session, a: Agreement, *, last_on: date | None = None,
          successor_is_signed: bool | None = None) -> Facts:
    """The agreement as plain data for the date rules. Callers that already know
    the last event's date or whether a successor is signed (the tick, per batch)
    pass them and save the queries."""
    if last_on is None or (successor_is_signed is None and a.state in _REMINDABLE):
        around = surroundings(s, a)
        last_on = around.last_event_on if last_on is None else last_on
        if successor_is_signed is None:
            successor_is_signed = around.successor_signed
    return Facts(
        state=State(a.state),
        starts_on=a.starts_on,
        expires_on=a.expires_on,
        ends_on=a.ends_on,
        auto_renew=a.auto_renew,
        renewal_months=a.renewal_months,
        notice_days=a.notice_days,
        notice_given_on=a.notice_given_on,
        term=a.term,
        state_since=a.state_since,
        successor_signed=bool(successor_is_signed),
        last_event_on=last_on,
    )


def reschedule(s: Session, a: Agreement, policy: Policy, after: date, *, last_on: date | None = None,
               successor_is_signed: bool | None = None) -> None:
    """Store when the tick next has work for `a` (indexed `next_due_on`).

    No autoflush: the pending change and this date go out in one UPDATE.
    """
    with s.no_autoflush:
        due = None if a.state in TERMINAL else next_due_on(
            facts(s, a, last_on=last_on, successor_is_signed=successor_is_signed), after, policy)
    a.next_due_on = due
