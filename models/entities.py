"""The tables. Business rules live in `workflow/`; here only shape and the
constraints the database must enforce (uniqueness, one live successor)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
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


class ApiToken(Base):
    """A per-user API token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_api_tokens_user_id", "user_id"),)


class EndedSession(Base):
    """A web session signed out on its own (the user's other sessions go on). Only a hash
    of the session's random id is kept, and only as long as the session could live."""

    __tablename__ = "ended_sessions"

    sid_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    ended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_ended_sessions_ended_at", "ended_at"),)


class CalendarToken(Base):
    """A user's secret calendar-feed address; only its SHA-256 is stored, as API tokens."""

    __tablename__ = "calendar_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_calendar_tokens_user_id", "user_id"),)


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


class Event(Base):
    """Append-only audit row. No code path updates or deletes one."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    event: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str | None] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(254))
    occurred_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)
    party: Mapped[str | None] = mapped_column(String(300))
    term: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_events_agreement_id", "agreement_id", "id"),
        Index("ix_events_event_occurred_on", "event", "occurred_on"),
        Index("ix_events_actor", "actor", "id"),  # the audit log's filters
        Index("ix_events_occurred_on", "occurred_on", "id"),
        Index("ix_events_event_id", "event", "id"),
    )


class Notification(Base):
    """Outbox row: written in the transaction of the change it comes from."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    #: reminder, workflow, digest or account (a digest or account mail concerns no agreement).
    kind: Mapped[str] = mapped_column(String(12), default="reminder", server_default="reminder")
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"))
    term: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(20))  # the message template (renewal, submitted, ...)
    offset_days: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    to_addr: Mapped[str] = mapped_column(String(254))
    cc: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(String(500))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: The claim that holds a `sending` row (random per claim): the fencing token.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    #: Retrying stops (`dead`) HAMKOR_MAIL_RETRY_FOR after this (queued, or retried by hand).
    retry_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Per recipient: [state, detail], state one of sent, deferred, refused, unknown.
    rcpt_state: Mapped[dict[str, list[str]] | None] = mapped_column(JSON)
    #: Attempts whose outcome was unknown (no reply to the end of DATA).
    unknown_outcomes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: When it was given up (`dead`), for `hamkor outbox retry --dead --since`.
    dead_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'dead', 'skipped', 'cancelled')",
            name="status",
        ),
        CheckConstraint("kind IN ('reminder', 'workflow', 'digest', 'account')", name="kind"),
        Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_notifications_agreement_id", "agreement_id"),
        # The rows a sender may claim, in claim order: claims cost what is open, not the
        # history of everything ever sent.
        Index(
            "ix_notifications_open",
            "id",
            sqlite_where=text("status IN ('pending', 'failed', 'sending')"),
        ),
    )


class TickDay(Base):
    """A business day whose tick completed (the worker catches up on the days missing)."""

    __tablename__ = "tick_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    completed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(8))
    lang: Mapped[str] = mapped_column(String(8))
    department: Mapped[str | None] = mapped_column(String(200))
    template: Mapped[str] = mapped_column(String(500))
    template_sha256: Mapped[str] = mapped_column(String(64))
    data_hash: Mapped[str] = mapped_column(String(64))
    generated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    path: Mapped[str] = mapped_column(String(1000))


class MobilitySpec(Base):
    """One direction of cooperation conditions (EWP IIA v7 mobility spec), in stored order."""

    __tablename__ = "mobility_specs"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(24))
    sending_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    receiving_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    sending_ounit_id: Mapped[str | None] = mapped_column(String(64))
    receiving_ounit_id: Mapped[str | None] = mapped_column(String(64))
    first_year: Mapped[str] = mapped_column(String(9))
    last_year: Mapped[str] = mapped_column(String(9))
    mobilities_per_year: Mapped[int] = mapped_column(Integer)
    total_months: Mapped[str | None] = mapped_column(String(20))  # decimal kept as written
    total_days: Mapped[str | None] = mapped_column(String(20))
    subject_areas: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    languages: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    eqf_levels: Mapped[list[int]] = mapped_column(JSON, default=list)
    blended: Mapped[bool | None] = mapped_column(Boolean)
    other_info: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("agreement_id", "position"),
        CheckConstraint(
            "kind IN ('student-studies', 'student-traineeship', 'staff-teacher', 'staff-training')",
            name="kind",
        ),
        CheckConstraint("mobilities_per_year > 0", name="mobilities_positive"),
    )


class EwpSnapshot(Base):
    """A partner's copy of an IIA as received (XML and its iia-hash)."""

    __tablename__ = "ewp_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    iia_hash: Mapped[str] = mapped_column(String(64))
    valid_for_approval: Mapped[bool] = mapped_column(Boolean)
    xml: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_ewp_snapshots_agreement_id", "agreement_id", "id"),)


class EwpApproval(Base):
    """An approval of one side's IIA hash: ours of the partner's copy, or theirs of ours."""

    __tablename__ = "ewp_approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    side: Mapped[str] = mapped_column(String(8))  # 'ours' | 'partner'
    iia_hash: Mapped[str] = mapped_column(String(64))
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[str] = mapped_column(String(254))
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("ewp_snapshots.id"))

    __table_args__ = (
        CheckConstraint("side IN ('ours', 'partner')", name="side"),
        Index("ix_ewp_approvals_agreement_id", "agreement_id", "id"),
    )


#: Kinds of file kept with an agreement (`hamkor agreement attach --kind`).
ATTACHMENT_KINDS = ("signed-copy", "draft", "partner-version", "annex", "other")


class Attachment(Base):
    """A file kept with an agreement. The bytes live in the content-addressed store
    under their SHA-256; removing ("detaching") hides the row and keeps bytes and row."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(255))  # sanitised display and download name
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(100))  # decided from the content
    note: Mapped[str | None] = mapped_column(Text)
    uploaded_by: Mapped[str] = mapped_column(String(254))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: For a generated document: the template it came from and the hash of its bytes.
    template: Mapped[str | None] = mapped_column(String(300))
    template_sha256: Mapped[str | None] = mapped_column(String(64))
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    removed_by: Mapped[str | None] = mapped_column(String(254))
    removed_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(
            "kind IN ('signed-copy', 'draft', 'partner-version', 'annex', 'other')", name="kind"
        ),
        CheckConstraint("size > 0", name="size_positive"),
        Index("ix_attachments_agreement_id", "agreement_id", "id"),
        Index("ix_attachments_sha256", "sha256"),
    )


def postgresql_index_options() -> None:
    """Give the partial indexes their PostgreSQL WHERE (the same as SQLite's).

    Called when a PostgreSQL engine is made (`models.database.make_engine`). Written
    as `postgresql_where=` in the models, the option would make SQLAlchemy import its
    PostgreSQL dialect (and asyncpg's adapter) in every process, SQLite's included:
    a twentieth of a second on each `hamkor` command.
    """
    for table in Base.metadata.tables.values():
        for index in table.indexes:
            where = index.dialect_options["sqlite"]["where"]
            if where is not None and index.dialect_options["postgresql"]["where"] is None:
                index.dialect_options["postgresql"]["where"] = where
