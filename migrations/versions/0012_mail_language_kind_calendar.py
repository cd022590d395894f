"""users.lang, notifications.kind (digests concern no agreement), calendar_tokens

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 10:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lang', sa.String(length=8), server_default='en', nullable=False))
        batch_op.create_check_constraint('lang', "lang IN ('en', 'uz', 'ru')")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=12), server_default='reminder',
                                      nullable=False))
        batch_op.alter_column('agreement_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint('kind', "kind IN ('reminder', 'workflow', 'digest')")
    op.create_table('calendar_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_tokens')),
    sa.UniqueConstraint('token_sha256', name=op.f('uq_calendar_tokens_token_sha256'))
    )
    with op.batch_alter_table('calendar_tokens', schema=None) as batch_op:
        batch_op.create_index('ix_calendar_tokens_user_id', ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('calendar_tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_calendar_tokens_user_id')
    op.drop_table('calendar_tokens')
    # Digests have no agreement: they cannot be kept in the older schema.
    op.execute("DELETE FROM notifications WHERE agreement_id IS NULL")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_kind'), type_='check')
        batch_op.alter_column('agreement_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('kind')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_lang'), type_='check')
        batch_op.drop_column('lang')
