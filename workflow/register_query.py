"""The register as plain rows: `hamkor agreement list` without the ORM.

Two Core statements — the agreements (with their owner's e-mail and the reference of the
agreement they renew) and then their parties (with each organisation) — give the same
dictionaries as `workflow.agreements.agreement_dict` over the ORM's objects (both are
built by `agreement_row`), in the same order. A read-only command then neither configures
the mappers nor imports the lifecycle's domain modules (rules, guards, the machine, the
schedule…): those are what the start-up of a simple command paid beyond SQLAlchemy itself
(issue 22).
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Connection, Select, Table, bindparam, select

from models.base import Base
from workflow.clock import Clock
from workflow.dates import iso
from workflow.uow import UnitOfWork

if TYPE_CHECKING:
    from workflow.agreements import AgreementRow, PartyRow


def _tables() -> tuple[Table, Table, Table, Table]:
    t = Base.metadata.tables
    return t["agreements"], t["agreement_parties"], t["organizations"], t["users"]


class ByName(Protocol):
    """An agreement's columns by name: a Core row's mapping, or `Columns` of an ORM object."""

    def __getitem__(self, name: str, /) -> Any: ...


class Columns(dict[str, Any]):
    """An ORM object's column values by name, as a Core row's mapping gives them: the values
    it has loaded, and any other read from the object (which loads it)."""

    __slots__ = ("_of",)

    def __init__(self, of: object) -> None:
        super().__init__(vars(of))
        self._of = of

    def __missing__(self, name: str) -> Any:
        return getattr(self._of, name)


def agreement_row(c: ByName, *, owner: str | None, parties: list[PartyRow],
                  renews: str | None) -> AgreementRow:
    """An agreement as the register has it (the list, `agreement_dict`), from its columns:
    `owner` is its owner's e-mail, `renews` the reference of the agreement it renews."""
    return {
        "ref": c["ref"],
        "title": c["title"],
        "type": c["type"],
        "state": c["state"],
        "starts_on": iso(c["starts_on"]),
        "expires_on": iso(c["expires_on"]),
        "indefinite": c["indefinite"],
        "term": c["term"],
        "auto_renew": c["auto_renew"],
        "renewal_months": c["renewal_months"],
        "notice_days": c["notice_days"],
        "notice_given_on": iso(c["notice_given_on"]),
        "ends_on": iso(c["ends_on"]),
        "owner": owner,
        "department": c["department"],
        "parties": parties,
        "forms": list(c["forms"] or []),
        "renews": renews,
        "created_on": iso(c["created_on"]),
        "iia_id": c["iia_id"],
        "partner_iia_id": c["partner_iia_id"],
        "version": c["version"],
    }


def list_agreements(uow: UnitOfWork, clock: Clock, *, state: str | None = None,
                    partner: str | None = None, expiring_within: int | None = None,
                    limit: int | None = None) -> list[AgreementRow]:
    """The agreements by reference, filtered as `workflow.agreements.list_agreements`
    filters them (same checks, same errors), each as `agreement_dict` has it."""
    from workflow import dates, rules
    from workflow.lifecycle import BINDING, State

    a, ap, org, users = _tables()
    with uow:
        s = uow.session
        ids: Select[Any] = select(a.c.id)
        if state:
            rules.choice(state, "state", [x.value for x in State])
            ids = ids.where(a.c.state == state)
        if partner:
            from workflow.registry import get_partner

            found = get_partner(s, partner)
            ids = ids.where(a.c.id.in_(select(ap.c.agreement_id).correlate(None)
                                       .where(ap.c.organization_id == found.id)))
        if expiring_within is not None:
            rules.integer(expiring_within, "expiring_within", minimum=0,
                          maximum=dates.MAX_WITHIN_DAYS)
            ids = ids.where(
                a.c.state.in_(sorted(x.value for x in BINDING)),
                a.c.expires_on.is_not(None),
                a.c.expires_on <= clock.today + timedelta(days=expiring_within),
            )
        if limit:
            ids = ids.order_by(a.c.ref_year, a.c.ref_seq).limit(rules.integer(limit, "limit", minimum=1))
        # Every agreement, or those the filters chose (a subquery of their ids).
        chosen = [a.c.id.in_(ids.correlate(None))] if state or partner or limit or \
            expiring_within is not None else []
        return [row for _, row in _read(
            s.connection(), _rows_statement(chosen, (a.c.ref_year, a.c.ref_seq)),
            _parties_statement([ap.c.agreement_id.in_(ids.correlate(None))] if chosen else []))]


def by_id(conn: Connection, ids: list[int]) -> list[AgreementRow]:
    """These agreements, each as `agreement_dict` has it, in the order of `ids` (the
    register's page: two Core statements, not mapped objects with their parties)."""
    rows, parties = _by_id_statements(conn.dialect.name == "postgresql")
    found = dict(_read(conn, rows, parties, {"ids": ids}))
    return [found[i] for i in ids if i in found]


@cache
def _by_id_statements(postgresql: bool) -> tuple[Select[Any], Select[Any]]:
    """`by_id`'s two statements, built once (the list's every page runs them). On
    PostgreSQL the ids are one array (`= ANY(:ids)`), not one parameter each."""
    a, ap, _, _ = _tables()
    if postgresql:
        from sqlalchemy import Integer, any_
        from sqlalchemy.dialects.postgresql import ARRAY

        ids: Any = any_(bindparam("ids", type_=ARRAY(Integer)))
        return _rows_statement([a.c.id == ids], ()), _parties_statement([ap.c.agreement_id == ids])
    wanted: Any = bindparam("ids", expanding=True)
    return _rows_statement([a.c.id.in_(wanted)], ()), _parties_statement([ap.c.agreement_id.in_(wanted)])


def _rows_statement(chosen: list[Any], order: tuple[Any, ...]) -> Select[Any]:
    """The agreements `chosen` selects, with their owner's e-mail and the reference of the
    agreement they renew."""
    a, _, _, users = _tables()
    renewed = a.alias("renewed")
    return (select(a, users.c.email.label("owner_email"), renewed.c.ref.label("renews_ref"))
            .outerjoin(users, users.c.id == a.c.owner_id)
            .outerjoin(renewed, renewed.c.id == a.c.renews_id)
            .where(*chosen)
            .order_by(*order))


def _parties_statement(chosen: list[Any]) -> Select[Any]:
    """The parties `chosen` selects, with each organisation, by agreement and position."""
    _, ap, org, _ = _tables()
    return (select(ap.c.agreement_id, ap.c.signed_on, org.c.name, org.c.country, org.c.kind)
            .join(org, org.c.id == ap.c.organization_id)
            .where(*chosen)
            .order_by(ap.c.agreement_id, ap.c.position))


def _read(conn: Connection, rows_stmt: Select[Any], parties_stmt: Select[Any],
          params: dict[str, Any] | None = None) -> list[tuple[int, AgreementRow]]:
    """The agreements of `rows_stmt`, then their parties (`parties_stmt`): (id, row) each."""
    rows = conn.execute(rows_stmt, params).mappings().all()
    parties: dict[int, list[PartyRow]] = {}
    for p in conn.execute(parties_stmt, params).all():
        parties.setdefault(p.agreement_id, []).append(
            {"name": p.name, "country": p.country, "kind": p.kind, "signed_on": iso(p.signed_on)})
    return [(r["id"], agreement_row(r, owner=r["owner_email"], parties=parties.get(r["id"], []),
                                    renews=r["renews_ref"])) for r in rows]
