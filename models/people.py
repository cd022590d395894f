"""Partner contact persons, the partners' audit trail, and one-time set-password links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

#: What a contact person does for the partnership (`hamkor partner contact add --role`).
CONTACT_ROLES = ("signatory", "coordinator", "other")


class PartnerContact(Base):
    """A person at a partner organisation; signatories sign the agreement documents."""

    __tablename__ = "partner_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(16))
    position: Mapped[str | None] = mapped_column(String(200))  # e.g. Rector, Vice-President
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("role IN ('signatory', 'coordinator', 'other')", name="role"),
        Index("ix_partner_contacts_organization_id", "organization_id", "id"),
    )


class PartnerEvent(Base):
    """Append-only audit row of a partner: an edit (each field's old and new value) or a
    contact person added, changed or removed."""

    __tablename__ = "partner_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(254))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_partner_events_organization_id", "organization_id", "id"),)


class PasswordLink(Base):
    """A one-time set-password link: only the SHA-256 of its token is stored; it ends when
    used, when it expires, or when a newer link for the same user is made (deleted then)."""

    __tablename__ = "password_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(12))  # invite (new user) | reset
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("purpose IN ('invite', 'reset')", name="purpose"),
        Index("ix_password_links_user_id", "user_id"),
    )
