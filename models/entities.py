"""The tables. Business rules live in `workflow/`; here only shape and the
constraints the database must enforce (uniqueness, one live successor)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from sqlalchemy.types import TypeDecorator

from models.base import Base
from workflow.lifecycle import TERMINAL, State

_SPACES = re.compile(r"\s+")

#: An ended agreement no longer occupies its predecessor's "successor slot".
_ENDED_SQL = ", ".join(f"'{s.value}'" for s in State if s in TERMINAL)


class StateColumn(TypeDecorator[State]):
    """The lifecycle state, stored as its name (text) and read as a `State`."""

    impl = String(24)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return value.value if isinstance(value, State) else value

    def process_result_value(self, value: Any, dialect: Dialect) -> State | None:
        return None if value is None else State(value)


#: Apostrophe-like characters written interchangeably, notably in Uzbek Latin
#: (Oʻzbekiston, O‘zbekiston, O'zbekiston, O`zbekiston): one key for all of them.
_APOSTROPHES = str.maketrans(dict.fromkeys("\u02bb\u02bc\u2018\u2019\u0060\u00b4\u02b9\u2032", "'"))


def normalize_name(name: str) -> str:
    """Key for organisation names: insensitive to case, spacing, Unicode composition
    (NFKC: "e" + combining accent = "é") and the apostrophe variant used."""
    folded = unicodedata.normalize("NFKC", name).translate(_APOSTROPHES)
    return _SPACES.sub(" ", folded).strip().casefold()


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))  # web sign-in (argon2)
    #: Web sessions that began before this moment are over (set by signing out).
    sessions_ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: The language of the mail this user receives (en, uz, ru).
    lang: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("role IN ('viewer', 'officer', 'approver', 'admin')", name="role"),
        CheckConstraint("lang IN ('en', 'uz', 'ru')", name="lang"),
    )


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    name_key: Mapped[str] = mapped_column(String(300), unique=True)
    country: Mapped[str | None] = mapped_column(String(2))
    kind: Mapped[str] = mapped_column(String(16), default="university")
    city: Mapped[str | None] = mapped_column(String(120))
    erasmus_code: Mapped[str | None] = mapped_column(String(40))
    pic: Mapped[str | None] = mapped_column(String(20))
    website: Mapped[str | None] = mapped_column(String(300))
    hei_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(
            "kind IN ('university', 'company', 'government', 'ngo', 'other')", name="kind"
        ),
    )


class Agreement(Base):
    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    ref_year: Mapped[int] = mapped_column(Integer)
    ref_seq: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    type: Mapped[str] = mapped_column(String(20))
    state: Mapped[State] = mapped_column(StateColumn())
    department: Mapped[str | None] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    starts_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    indefinite: Mapped[bool] = mapped_column(Boolean, default=False)
    term: Mapped[int] = mapped_column(Integer, default=1)
    auto_renew: Mapped[bool] = mapped_column(Boolean, default=False)
    renewal_months: Mapped[int | None] = mapped_column(Integer)
    notice_days: Mapped[int | None] = mapped_column(Integer)
    notice_given_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)  # last day in force set by give_notice
    state_since: Mapped[date | None] = mapped_column(Date)  # business date of the last state change
    forms: Mapped[list[str]] = mapped_column(JSON, default=list)
    quotas: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    notes: Mapped[str | None] = mapped_column(Text)
    renews_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"))
    # Erasmus Without Paper: our immutable IIA id (UUID, assigned when first needed)
    # and the partner's own id for the same agreement once mapped.
    iia_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    partner_iia_id: Mapped[str | None] = mapped_column(String(64))
    # The earliest business date on which the tick has something to do for this
    # agreement (a transition or a notification). Indexed so the tick reads only
    # what is due, never the whole table.
    next_due_on: Mapped[date | None] = mapped_column(Date)
    created_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    owner: Mapped[User | None] = relationship(lazy="selectin")
    parties: Mapped[list[AgreementParty]] = relationship(
        back_populates="agreement",
        order_by="AgreementParty.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    renews: Mapped[Agreement | None] = relationship(remote_side=[id], lazy="select")

    @validates("state")
    def _a_state(self, _key: str, value: str) -> State:
        """Whatever sets the state (the machine gives its name) leaves a `State`."""
        return State(value)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("ref_year", "ref_seq"),
        CheckConstraint("term >= 1", name="term_positive"),
        CheckConstraint(
            "expires_on IS NULL OR starts_on IS NULL OR expires_on >= starts_on",
            name="term_order",
        ),
        Index(
            "ix_agreements_next_due_on",
            "next_due_on",
            sqlite_where=text("next_due_on IS NOT NULL"),
        ),
        Index("ix_agreements_state", "state"),
        Index("ix_agreements_renews_id", "renews_id"),
        # The dashboard's sections and the list's department filter (migration 0016).
        Index("ix_agreements_state_expires_on", "state", "expires_on"),
        Index("ix_agreements_state_state_since", "state", "state_since"),
        Index("ix_agreements_state_starts_on", "state", "starts_on"),
        Index("ix_agreements_department", "department"),
        # At most one live successor per predecessor: the database, not Python, says so.
        Index(
            "uq_agreements_live_successor",
            "renews_id",
            unique=True,
            sqlite_where=text(f"renews_id IS NOT NULL AND state NOT IN ({_ENDED_SQL})"),
        ),
    )


class AgreementParty(Base):
    __tablename__ = "agreement_parties"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    position: Mapped[int] = mapped_column(Integer)
    signed_on: Mapped[date | None] = mapped_column(Date)

    agreement: Mapped[Agreement] = relationship(back_populates="parties")
    organization: Mapped[Organization] = relationship(lazy="selectin")

    __table_args__ = (
        UniqueConstraint("agreement_id", "organization_id"),
        # With the agreement: a partner's (or a country's) agreements from the index alone.
        Index("ix_agreement_parties_organization_id", "organization_id", "agreement_id"),
    )


def postgresql_index_options() -> None:
    """Give the partial indexes their PostgreSQL WHERE (the same as SQLite's).

    Called when a PostgreSQL engine is made (`models.database.make_engine`). Written
    as `postgresql_where=` in the models, the option would make SQLAlchemy import its
    PostgreSQL dialect (and asyncpg's adapter) in every process, SQLite's included:
    a twentieth of a second on each `hamkor` command.
    """
    import models

    for table in models.metadata.tables.values():  # every model mapped first
        for index in table.indexes:
            where = index.dialect_options["sqlite"]["where"]
            if where is not None and index.dialect_options["postgresql"]["where"] is None:
                index.dialect_options["postgresql"]["where"] = where
