"""The search index's table and what keeps it honest.

`agreement_search` holds one folded text per agreement (reference, title,
partners, countries, cities, department, notes, hei-ids, ISCED codes). A row is
deleted whenever something it was built from changes -- by the ORM (any
service) or by a bulk UPDATE/DELETE through a session (the import) -- and the
search rebuilds missing rows before it answers (`workflow.search.refresh`).
Rows are never edited in place, so a stale one cannot survive a change.

PostgreSQL indexes `doc` with a pg_trgm GIN index; SQLite with an FTS5 trigram
table kept in step by triggers on this table (both made by the migration).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Integer, Text, delete, event, inspect, or_, select
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, UOWTransaction, mapped_column

from models.base import Base
from models.entities import Agreement, AgreementParty, Organization

#: Columns each document is built from.
AGREEMENT_COLUMNS = ("ref", "title", "department", "notes")
ORGANIZATION_COLUMNS = ("name", "country", "city", "erasmus_code", "hei_id")
#: `models.agreement_rows.MobilitySpec`'s table (that class is mapped on first use only).
MOBILITY_SPECS = "mobility_specs"
#: Objects of the database that are not in the models (autogenerate leaves them alone).
UNMODELLED = ("agreement_search_fts", "ix_agreement_search_doc_trgm", "ix_agreements_notice_deadline",
              "ix_agreements_notice_open")


class AgreementSearch(Base):
    """One agreement's searchable text, folded (see `workflow.search.fold`)."""

    __tablename__ = "agreement_search"

    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)  # the agreement's version it was built from
    doc: Mapped[str] = mapped_column(Text)


class SearchPending(Base):
    """An agreement whose document may be missing: noted by the database's triggers
    (migration 0016) on each new agreement and each deleted document, cleared by
    `workflow.search.refresh` once it has built what was noted."""

    __tablename__ = "search_pending"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(Integer)


def _changed(obj: Any, columns: tuple[str, ...]) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[c].history.has_changes() for c in columns if c in attrs)


def _forget(session: Session, agreement_ids: set[int], organization_ids: Any = None) -> None:
    """Delete the documents of these agreements (and of every agreement of these
    organisations), locking the agreements first on PostgreSQL: a search rebuilding
    them at this moment waits for this transaction, and so reads what it wrote."""
    conds = []
    if agreement_ids:
        conds.append(Agreement.id.in_(sorted(agreement_ids)))
    if organization_ids is not None:
        conds.append(Agreement.id.in_(select(AgreementParty.agreement_id).where(
            AgreementParty.organization_id.in_(organization_ids))))
    if not conds:
        return
    conn = session.connection()
    which = select(Agreement.id).where(or_(*conds))
    if conn.dialect.name == "postgresql":
        conn.execute(which.order_by(Agreement.id).with_for_update())
    conn.execute(delete(AgreementSearch).where(AgreementSearch.agreement_id.in_(which)))


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    agreements: set[int] = set()
    organizations: set[int] = set()
    for obj in (*session.dirty, *session.deleted, *session.new):
        if isinstance(obj, Agreement):
            if obj not in session.new and _changed(obj, AGREEMENT_COLUMNS):
                agreements.add(obj.id)
        elif getattr(obj, "__tablename__", None) == MOBILITY_SPECS and obj.agreement_id is not None:
            agreements.add(obj.agreement_id)
        elif (isinstance(obj, AgreementParty) and obj.agreement_id is not None
              and (obj not in session.dirty or _changed(obj, ("organization_id", "agreement_id")))):
            agreements.add(obj.agreement_id)  # a party added, removed or replaced (not a signature)
        elif (isinstance(obj, Organization) and obj not in session.new
              and _changed(obj, ORGANIZATION_COLUMNS)):
            organizations.add(obj.id)
    if agreements or organizations:
        _forget(session, agreements, sorted(organizations) if organizations else None)


@event.listens_for(Session, "do_orm_execute")
def _bulk_statement(state: ORMExecuteState) -> None:
    """A bulk UPDATE or DELETE through a session (not row by row through the ORM)."""
    if not (state.is_update or state.is_delete):
        return
    stmt: Any = state.statement
    table = getattr(stmt, "table", None)
    name = getattr(table, "name", None)
    where = stmt.whereclause
    values = {getattr(k, "key", k) for k in (getattr(stmt, "_values", None) or {})}
    if name == Organization.__tablename__ and (state.is_delete or not values
                                              or values & set(ORGANIZATION_COLUMNS)):
        orgs = select(Organization.id)
        _forget(state.session, set(), orgs.where(where) if where is not None else orgs)
    elif name == Agreement.__tablename__ and (not values or values & set(AGREEMENT_COLUMNS)):
        if where is None:
            state.session.connection().execute(delete(AgreementSearch))
        else:
            ids = set(state.session.connection().execute(select(Agreement.id).where(where)).scalars())
            _forget(state.session, ids)
    elif name in (AgreementParty.__tablename__, MOBILITY_SPECS):
        sel = select(stmt.table.c.agreement_id)
        ids = set(state.session.connection().execute(
            sel.where(where) if where is not None else sel).scalars())
        _forget(state.session, ids)
