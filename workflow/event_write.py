"""Commit one event on one agreement with cached Core statements instead of the ORM flush.

A manual event leaves a session holding the agreement (changed columns, its
version to bump), perhaps one party's signature, and the new audit row. The
ORM's unit of work would spend more CPU sorting, diffing and emitting those
three writes than the database spends running them; this module writes them
with statements built once per shape (which columns changed):

- on PostgreSQL as one statement, the optimistic-lock UPDATE first and the
  other writes conditioned on it (data-modifying CTEs): a stale version writes
  nothing at all, in one round trip;
- on SQLite as the same writes one after the other (its statements do not
  cross a process boundary).

The version check is the ORM's (`UPDATE ... WHERE id = :id AND version = :v`):
no row updated means someone else changed the agreement since it was read, and
the unit of work rolls back whatever else the transaction wrote. Anything of
another shape (a predecessor rescheduled, a second audit row, a new party) is
left to the ORM flush, unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Table, bindparam, exists, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.sql import ColumnElement

from models import Agreement, AgreementParty, Event
from workflow.errors import ConcurrentUpdate
from workflow.uow import UnitOfWork

_AGREEMENTS: Table = Agreement.__table__  # type: ignore[assignment]
_PARTIES: Table = AgreementParty.__table__  # type: ignore[assignment]
_EVENTS: Table = Event.__table__  # type: ignore[assignment]
#: The audit row's columns, in insertion order (its id comes from the database).
_EVENT_COLUMNS = tuple(c.key for c in _EVENTS.columns if c.key != "id")
#: The agreement's own columns that an event may change (never its identity or version).
_AGREEMENT_COLUMNS = tuple(c.key for c in _AGREEMENTS.columns if c.key not in ("id", "version"))


@dataclass(frozen=True, slots=True)
class _Plan:
    """The session's pending writes, when they have the shape this module writes."""

    agreement: Agreement
    changed: tuple[str, ...]  # the agreement's changed columns
    event: Event
    party: AgreementParty | None  # a signature


def _changed(obj: Any, keys: tuple[str, ...]) -> tuple[str, ...] | None:
    """The attributes of `obj` set since it was loaded (those the ORM would compare to
    their loaded values); None if any is not among `keys` (a relationship, say)."""
    changed = tuple(instance_state(obj).committed_state)
    return changed if all(k in keys for k in changed) else None


def _plan(s: Session, a: Agreement) -> _Plan | None:
    if s.deleted or len(s.new) != 1:
        return None
    (event,) = s.new
    if type(event) is not Event or event.agreement_id != a.id:
        return None
    changed: tuple[str, ...] | None = ()
    party = None
    for obj in s.dirty:
        if obj is a:
            changed = _changed(a, _AGREEMENT_COLUMNS)
        elif type(obj) is AgreementParty and obj.agreement_id == a.id:
            cols = _changed(obj, ("signed_on",))
            if cols is None or (cols and party is not None):
                return None
            if cols:
                party = obj
        elif s.is_modified(obj):
            return None
        if changed is None:
            return None
    if changed is None:
        return None
    return _Plan(a, changed, event, party)


def _agreement_update(changed: tuple[str, ...]) -> Any:
    t = _AGREEMENTS
    values: dict[str, Any] = {k: bindparam(f"a_{k}", type_=t.c[k].type) for k in changed}
    values["version"] = bindparam("a_version", type_=t.c.version.type) + 1
    return (update(t).where(t.c.id == bindparam("a_id"), t.c.version == bindparam("a_version"))
            .values(values))


def _event_values() -> dict[str, ColumnElement[Any]]:
    return {k: bindparam(f"e_{k}", type_=_EVENTS.c[k].type) for k in _EVENT_COLUMNS}


def _party_update() -> Any:
    t = _PARTIES
    return (update(t).where(t.c.id == bindparam("p_id"))
            .values(signed_on=bindparam("p_signed_on", type_=t.c.signed_on.type)))


@cache
def _postgresql_statement(changed: tuple[str, ...], signature: bool) -> Any:
    """One statement: `WITH upd AS (UPDATE agreements ... RETURNING id), ev AS (INSERT INTO
    events SELECT ... FROM upd RETURNING id)[, party AS (UPDATE agreement_parties ... WHERE
    EXISTS (SELECT FROM upd))] SELECT (SELECT count(*) FROM upd), (SELECT id FROM ev)`."""
    upd = _agreement_update(changed).returning(_AGREEMENTS.c.id).cte("upd")
    values = _event_values()
    ev = (insert(_EVENTS)
          .from_select(list(values), select(*values.values()).select_from(upd))
          .returning(_EVENTS.c.id).cte("ev"))
    columns = [select(func.count()).select_from(upd).scalar_subquery().label("updated"),
               select(ev.c.id).scalar_subquery().label("event_id")]
    if signature:
        party = (_party_update().where(exists(select(upd.c.id)))
                 .returning(_PARTIES.c.id).cte("party"))
        columns.append(select(func.count()).select_from(party).scalar_subquery().label("signed"))
    return select(*columns)


@cache
def _sqlite_statements(changed: tuple[str, ...]) -> tuple[Any, Any, Any]:
    return (_agreement_update(changed), insert(_EVENTS).values(_event_values())
            .returning(_EVENTS.c.id), _party_update())


def _params(plan: _Plan) -> dict[str, Any]:
    a, ev = plan.agreement, plan.event
    params: dict[str, Any] = {"a_id": a.id, "a_version": a.version}
    for k in plan.changed:
        params[f"a_{k}"] = getattr(a, k)
    for k in _EVENT_COLUMNS:
        params[f"e_{k}"] = getattr(ev, k)
    if plan.party is not None:
        params.update(p_id=plan.party.id, p_signed_on=plan.party.signed_on)
    return params


def commit_event(uow: UnitOfWork, a: Agreement) -> None:
    """Commit `uow`: the event just applied to `a` with Core statements when the session
    holds exactly that (see the module's docstring), else through the ORM flush.

    Raises ConcurrentUpdate, having written nothing of the event, if `a` changed since
    it was read.
    """
    s = uow.session
    plan = _plan(s, a)
    if plan is None:
        uow.commit()
        return
    conn = s.connection()
    params = _params(plan)
    if conn.dialect.name == "postgresql":
        row = conn.execute(_postgresql_statement(plan.changed, plan.party is not None),
                           params).one()
        updated, event_id = row.updated, row.event_id
    else:
        agreement_stmt, event_stmt, party_stmt = _sqlite_statements(plan.changed)
        updated = conn.execute(agreement_stmt, params).rowcount
        event_id = None
        if updated:
            event_id = conn.execute(event_stmt, params).scalar_one()
            if plan.party is not None:
                conn.execute(party_stmt, params)
    if updated != 1:
        raise ConcurrentUpdate(uow.subject)
    # The session's objects now say what the database holds: nothing is left to flush.
    # (Each attribute committed with `set_committed_value` would still leave its object
    # marked modified, and the commit would run the whole unit of work over the
    # unchanged objects: the state's own "committed after flush" step clears that too.)
    set_committed_value(a, "version", a.version + 1)
    s.expunge(plan.event)
    plan.event.id = event_id
    for obj in (a, plan.party):
        if obj is not None:
            state = instance_state(obj)
            state._commit_all(state.dict, s.identity_map)  # noqa: SLF001 - see above
    uow.commit()
