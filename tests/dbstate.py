"""Snapshot every table so a test can prove a refusal changed nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from models import metadata
from models.database import make_engine


def snapshot(db_url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return {
                t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
                for t in metadata.sorted_tables
            }
    finally:
        engine.dispose()
