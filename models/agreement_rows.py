"""An agreement's audit trail, its outbox and its EWP cooperation conditions: `Event`,
`Notification`, `MobilitySpec`.

No relationship points to them, so they are mapped when `models` first hands out one
of their names (see `models/__init__.py`), not by every command: a simple read such as
`hamkor agreement list` never maps them (issue 22).
"""

from __future__ import annotations

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
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


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
        # The outbox's health (the admins' dashboard): open and dead mail counted from the
        # index alone (migration 0017).
        Index("ix_notifications_status_created_at", "status", "created_at"),
        Index("ix_notifications_agreement_id", "agreement_id"),
        # The rows a sender may claim, in claim order: claims cost what is open, not the
        # history of everything ever sent.
        Index(
            "ix_notifications_open",
            "id",
            sqlite_where=text("status IN ('pending', 'failed', 'sending')"),
        ),
    )


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
