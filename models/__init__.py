"""SQLAlchemy 2.0 typed ORM models (one metadata with a naming convention).

The agreement core (`models.entities`: users, organisations, agreements and their
parties; the search index and its listeners) is mapped on import; the rest
(`models.agreement_rows`, `models.activities`, `models.people`, `models.records`: no
relationship points to them) is mapped on first use of one of its names, so a simple
command does not pay for mapping 16 more classes. `metadata` (migrations, `create_all`) loads every
model first, so it always holds every table.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from models.base import Base
from models.entities import (
    Agreement,
    AgreementParty,
    Organization,
    User,
    normalize_name,
)
from models.search_index import AgreementSearch

if TYPE_CHECKING:
    from sqlalchemy import MetaData

    from models.activities import Activity, ActivityEvent
    from models.agreement_rows import Event, MobilitySpec, Notification
    from models.people import CONTACT_ROLES, PartnerContact, PartnerEvent, PasswordLink
    from models.records import (
        ATTACHMENT_KINDS,
        AgreementStateCount,
        ApiToken,
        Attachment,
        CalendarToken,
        EndedSession,
        EwpApproval,
        EwpSnapshot,
        Report,
        TickDay,
    )

    metadata: MetaData

#: Names mapped on first use, and their modules.
LAZY = {
    "Activity": "models.activities", "ActivityEvent": "models.activities",
    "Event": "models.agreement_rows", "Notification": "models.agreement_rows",
    "MobilitySpec": "models.agreement_rows",
    "CONTACT_ROLES": "models.people", "PartnerContact": "models.people",
    "PartnerEvent": "models.people", "PasswordLink": "models.people",
    **dict.fromkeys(("ATTACHMENT_KINDS", "AgreementStateCount", "ApiToken", "Attachment", "CalendarToken", "EndedSession",
                     "EwpApproval", "EwpSnapshot", "Report", "TickDay"), "models.records"),
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
    "AgreementStateCount",
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
