"""Cooperation activities (what a partnership produced) and their audit trail.

One table for the five kinds; the columns a kind does not use stay empty. The
rules of what each kind needs live in `workflow.activities`; here only shape
and what the database must enforce.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
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

ACTIVITY_KINDS = ("mobility", "visit", "event", "project", "publication")
MOBILITY_CATEGORIES = ("student-studies", "student-traineeship", "staff-teaching",
                       "staff-training", "other")
DIRECTIONS = ("in", "out")
PROJECT_ROLES = ("coordinator", "partner", "associate")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IS NULL OR {column} IN ({', '.join(repr(v) for v in values)})"


class Activity(Base):
    """A mobility, visit, event, joint project or joint publication.

    Linked to an agreement, or to a partner where no agreement covers it.
    `names` (participants) is personal data: stored only when given, and a
    removed activity keeps no names.
    """

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    department: Mapped[str | None] = mapped_column(String(200))
    academic_year: Mapped[str] = mapped_column(String(9))
    direction: Mapped[str | None] = mapped_column(String(3))
    category: Mapped[str | None] = mapped_column(String(24))
    people: Mapped[int | None] = mapped_column(Integer)
    starts_on: Mapped[date | None] = mapped_column(Date)  # visit and event: their date
    ends_on: Mapped[date | None] = mapped_column(Date)
    title: Mapped[str | None] = mapped_column(String(500))
    purpose: Mapped[str | None] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(String(300))
    funder: Mapped[str | None] = mapped_column(String(300))
    amount: Mapped[str | None] = mapped_column(String(32))  # decimal as written, canonical
    currency: Mapped[str | None] = mapped_column(String(3))
    role: Mapped[str | None] = mapped_column(String(12))
    year: Mapped[int | None] = mapped_column(Integer)  # publication
    doi: Mapped[str | None] = mapped_column(String(200))
    names: Mapped[list[str] | None] = mapped_column(JSON)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in ACTIVITY_KINDS)})", name="kind"),
        CheckConstraint(_in("direction", DIRECTIONS), name="direction"),
        CheckConstraint(_in("category", MOBILITY_CATEGORIES), name="category"),
        CheckConstraint(_in("role", PROJECT_ROLES), name="role"),
        CheckConstraint("people IS NULL OR people > 0", name="people_positive"),
        CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on",
                        name="date_order"),
        CheckConstraint("agreement_id IS NOT NULL OR organization_id IS NOT NULL",
                        name="linked"),
        # The annual report reads one academic year's activities by kind: with every column
        # it sums in the index, that read is one sequential index scan (no table lookups).
        Index("ix_activities_academic_year_kind", "academic_year", "kind", "agreement_id",
              "organization_id", "department", "direction", "category", "people", "starts_on",
              "ends_on", "removed_at"),
        Index("ix_activities_agreement_id", "agreement_id"),
        Index("ix_activities_organization_id", "organization_id"),
    )


class ActivityEvent(Base):
    """Append-only audit row of an activity: create, edit, import, names_removed, remove.

    Notes never carry participant names.
    """

    __tablename__ = "activity_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"))
    event: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(254))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_activity_events_activity_id", "activity_id", "id"),)
