"""SQLAlchemy 2.0 typed ORM models (one metadata with a naming convention)."""

from models.activities import Activity, ActivityEvent
from models.base import Base, metadata
from models.entities import (
    ATTACHMENT_KINDS,
    Agreement,
    AgreementParty,
    ApiToken,
    Attachment,
    CalendarToken,
    EndedSession,
    Event,
    EwpApproval,
    EwpSnapshot,
    MobilitySpec,
    Notification,
    Organization,
    Report,
    TickDay,
    User,
    normalize_name,
)
from models.people import CONTACT_ROLES, PartnerContact, PartnerEvent, PasswordLink
from models.search_index import AgreementSearch

__all__ = [
    "ATTACHMENT_KINDS",
    "Activity",
    "ActivityEvent",
    "Agreement",
    "Attachment",
    "ApiToken",
    "EndedSession",
    "CalendarToken",
    "EwpApproval",
    "EwpSnapshot",
    "MobilitySpec",
    "AgreementParty",
    "AgreementSearch",
    "Base",
    "Event",
    "Notification",
    "Organization",
    "Report",
    "TickDay",
    "User",
    "metadata",
    "CONTACT_ROLES",
    "PartnerContact",
    "PartnerEvent",
    "PasswordLink",
    "normalize_name",
]
