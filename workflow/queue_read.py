"""Which agreements of a queue an actor could move by a manual event now, decided by
the guards on plain rows: `workflow.agreements.event_allowed` for many agreements at
once, in two statements, without building mapped objects.

The dashboard's review queue asks it for `approve` over every agreement in review:
each agreement's columns and `Surroundings` in one statement, their parties in a
second, then `guards.refusal` on a `GuardInput` built exactly as `_guard_input`
builds it. tests/workflow/test_queue_read.py holds it to `event_allowed` for every
manual event and every agreement of a register.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Integer, bindparam, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from models import Agreement, AgreementParty, Organization, User
from workflow.agreement_read import Surroundings, _surroundings_of
from workflow.agreements import Office, _live_successor, _signed_copy_missing
from workflow.guards import GuardInput, refusal
from workflow.lifecycle import MANUAL_EVENTS, Event, Role, State, transition_for


@cache
def _queue_statements(event: Event, dialect: str) -> tuple[Any, Any]:
    """The queue's two statements, built once (building one costs more CPU than running it)."""
    a = Agreement
    last_on, submitter, signed, approved = _surroundings_of(a.id)
    queue = (select(a.id, a.state, a.title, User.email, a.starts_on, a.expires_on, a.indefinite,
                    a.auto_renew, a.renewal_months, a.notice_days, a.notice_given_on,
                    last_on, submitter, signed, approved)
             .outerjoin(User, User.id == a.owner_id)
             .where(a.state.in_([literal(x.value) for x in transition_for(event).sources]))
             .order_by(a.state_since, a.id))
    parties = (select(AgreementParty.agreement_id, Organization.name, AgreementParty.signed_on)
               .join(Organization, Organization.id == AgreementParty.organization_id)
               .where(ids_param(AgreementParty.agreement_id, dialect))
               .order_by(AgreementParty.agreement_id, AgreementParty.position, AgreementParty.id))
    return queue, parties


def allowed_in_queue(s: Session, who_email: str, who_role: Role, event: Event, today: date,
                     office: Office) -> list[int]:
    """The ids of the agreements in one of `event`'s source states that `who` could
    `event` now, the longest in their state first (by `state_since`, then id). Every such
    agreement is read (as columns): meant for queues of tens or hundreds, such as the
    agreements in review."""
    t = transition_for(event)
    if event.value not in MANUAL_EVENTS:
        return []
    queue, party_rows = _queue_statements(event, s.get_bind().dialect.name)
    rows = s.execute(queue).all()
    if not rows:
        return []
    parties: dict[int, list[tuple[str, bool]]] = {r[0]: [] for r in rows}
    for aid, name, signed_on in s.execute(party_rows, {"ids": list(parties)}):
        parties[aid].append((name, signed_on is None))
    out = []
    window = office.policy.window_days
    for (aid, state, title, owner, starts_on, expires_on, indefinite, auto_renew, renewal_months,
         notice_days, notice_given_on, last_event_on, last_submitter, successor, approved_on) in rows:
        names = tuple(n for n, _ in parties[aid])
        unsigned = tuple(n for n, not_signed in parties[aid] if not_signed)
        around = Surroundings(last_event_on, last_submitter, successor is not None, approved_on)
        st = State(state)
        missing_copy = (office.require_signed_copy and st is State.SIGNED
                        and _signed_copy_missing(s, _Row(aid, st.value), office))  # type: ignore[arg-type]
        g = GuardInput(
            state=st, on=today, today=today, actor=who_email, role=who_role, title=title,
            owner=owner, party_count=len(names), starts_on=starts_on, expires_on=expires_on,
            indefinite=indefinite, auto_renew=auto_renew, renewal_months=renewal_months,
            notice_days=notice_days, notice_given_on=notice_given_on,
            last_submitter=around.last_submitter, unsigned_parties=unsigned, parties=names,
            last_event_on=around.last_event_on, approved_on=around.approved_on,
            renewal_window_days=window, signed_copy_missing=missing_copy,
            note="x", party=(unsigned or (None,))[0])
        if refusal(t, g) is not None:
            continue
        if t.event is Event.RENEW and _live_successor(s, _Row(aid, st.value)):  # type: ignore[arg-type]
            continue
        out.append(aid)
    return out


def ids_param(column: Any, dialect: str) -> ColumnElement[bool]:
    """`column IN :ids`, the ids one parameter: an array on PostgreSQL (`= any(:ids)`),
    so that the statement's text stays the same whatever the ids (SQLAlchemy's compiled
    cache and psycopg's prepared statements serve it, where an IN list of a hundred
    parameters is rendered, bound and parsed again on every execution); an expanding
    parameter elsewhere."""
    if dialect == "postgresql":
        return column == func.any(bindparam("ids", type_=ARRAY(Integer)))  # type: ignore[no-any-return]
    return column.in_(bindparam("ids", expanding=True))  # type: ignore[no-any-return]


class _Row:
    """The two attributes `_signed_copy_missing` and `_live_successor` read of an agreement."""

    __slots__ = ("id", "state")

    def __init__(self, id: int, state: str) -> None:  # noqa: A002 - the column's name
        self.id = id
        self.state = state
