"""outbox: claim token, per-recipient state, retry by time, unknown outcomes; tick days

`notifications.claim_token` fences a claimed row (the sender that claimed it,
not the attempt count, owns it); `retry_since` starts the HAMKOR_MAIL_RETRY_FOR
period; `rcpt_state` records each recipient's delivery; `unknown_outcomes`
counts attempts that got no reply to the end of DATA. `tick_days` records the
business days whose tick completed, so a missed day is caught up.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:20:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('retry_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('rcpt_state', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('unknown_outcomes', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('dead_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'tick_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('day', name=op.f('pk_tick_days')),
    )


def downgrade() -> None:
    op.drop_table('tick_days')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('dead_at')
        batch_op.drop_column('unknown_outcomes')
        batch_op.drop_column('rcpt_state')
        batch_op.drop_column('retry_since')
        batch_op.drop_column('claim_token')
