"""ended_sessions: signing out ends this session only ("sign out everywhere" ends all)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'ended_sessions',
        sa.Column('sid_sha256', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ended_sessions_user_id_users')),
        sa.PrimaryKeyConstraint('sid_sha256', name=op.f('pk_ended_sessions')),
    )
    op.create_index('ix_ended_sessions_ended_at', 'ended_sessions', ['ended_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_ended_sessions_ended_at', table_name='ended_sessions')
    op.drop_table('ended_sessions')
