"""events: indexes for the audit log's filters (by person, by date range, by event newest first)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 14:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_actor', ['actor', 'id'], unique=False)
        batch_op.create_index('ix_events_occurred_on', ['occurred_on', 'id'], unique=False)
        batch_op.create_index('ix_events_event_id', ['event', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_event_id')
        batch_op.drop_index('ix_events_occurred_on')
        batch_op.drop_index('ix_events_actor')
