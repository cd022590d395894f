"""Tables no simple command reads: API and calendar tokens, ended web sessions, tick
days, reports, EWP snapshots and approvals, attached files.

No relationship points to them, so they are mapped when `models` first hands out one
of their names (see `models/__init__.py`), not in every process.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
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
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


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


class TickDay(Base):
    """A business day whose tick completed (the worker catches up on the days missing)."""

    __tablename__ = "tick_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    completed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AgreementStateCount(Base):
    """A change to how many agreements are in a state: `n` (+1, -1, or a count). The
    database's triggers on `agreements` (migration 0017) add a row for every agreement
    inserted, deleted or moved to another state, so the sum of `n` per state is always
    that state's exact count, in every transaction's own view; `workflow.state_counts`
    reads it and now and then folds the rows into one per state."""

    __tablename__ = "agreement_state_counts"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(32))
    n: Mapped[int] = mapped_column(Integer)


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


