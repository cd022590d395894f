"""activities: one covering index for the annual report's read of an academic year

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 11:25:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ['academic_year', 'kind', 'agreement_id', 'organization_id', 'department', 'direction',
           'category', 'people', 'starts_on', 'ends_on', 'removed_at']


def upgrade() -> None:
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_academic_year')
        batch_op.create_index('ix_activities_academic_year_kind', COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_academic_year_kind')
        batch_op.create_index('ix_activities_academic_year', ['academic_year'], unique=False)
