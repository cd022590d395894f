"""SQLAlchemy 2.0 typed ORM models (one metadata with a naming convention).

The agreement core (`models.entities`, the search index and its listeners) is mapped on
import; activities and partner people (`models.activities`, `models.people`: no
relationship points to them) are mapped on first use of one of their names, so a simple
command does not pay for mapping them. `metadata` (migrations, `create_all`) loads every
model first, so it always holds every table.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from models.base import Base
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
from models.search_index import AgreementSearch

if TYPE_CHECKING:
    from sqlalchemy import MetaData

    from models.activities import Activity, ActivityEvent
    from models.people import CONTACT_ROLES, PartnerContact, PartnerEvent, PasswordLink

    metadata: MetaData

#: Names mapped on first use, and their modules.
LAZY = {
    "Activity": "models.activities", "ActivityEvent": "models.activities",
    "CONTACT_ROLES": "models.people", "PartnerContact": "models.people",
    "PartnerEvent": "models.people", "PasswordLink": "models.people",
}


def load_all() -> None:
    """Map every model (idempotent): what needs the whole schema calls it."""
    for module in sorted(set(LAZY.values())):
        importlib.import_module(module)


def __getattr__(name: str) -> Any:
    if name == "metadata":
        load_all()
        return Base.metadata
    if name in LAZY:
        value = getattr(importlib.import_module(LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'models' has no attribute {name!r}")

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
