"""The optional guard HAMKOR_REQUIRE_SIGNED_COPY: no activation without a signed copy.

Queries only; the attachments themselves are managed by `documents.attachments`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from models import Attachment

SIGNED_COPY = "signed-copy"
REASON = "no signed copy is attached (HAMKOR_REQUIRE_SIGNED_COPY): attach one with --kind signed-copy"


def has_signed_copy_clause(agreement_id: Any) -> Any:
    """SQL: the agreement has a current (not removed) signed copy."""
    return exists().where(Attachment.agreement_id == agreement_id,
                          Attachment.kind == SIGNED_COPY, Attachment.removed_at.is_(None))


def has_signed_copy(s: Session, agreement_id: int) -> bool:
    return bool(s.scalar(select(has_signed_copy_clause(agreement_id))))


def without_signed_copy(s: Session, ids: Iterable[int]) -> set[int]:
    """Which of these agreements have no current signed copy (one query)."""
    wanted = list(ids)
    if not wanted:
        return set()
    having = set(s.scalars(select(Attachment.agreement_id).where(
        Attachment.agreement_id.in_(wanted), Attachment.kind == SIGNED_COPY,
        Attachment.removed_at.is_(None)).distinct()))
    return set(wanted) - having
