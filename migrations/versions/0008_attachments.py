"""attachments: files kept with an agreement (content-addressed by SHA-256)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 10:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'attachments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agreement_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('media_type', sa.String(length=100), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('uploaded_by', sa.String(length=254), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('template', sa.String(length=300), nullable=True),
        sa.Column('template_sha256', sa.String(length=64), nullable=True),
        sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('removed_by', sa.String(length=254), nullable=True),
        sa.Column('removed_reason', sa.Text(), nullable=True),
        sa.CheckConstraint("kind IN ('signed-copy', 'draft', 'partner-version', 'annex', 'other')",
                           name=op.f('ck_attachments_kind')),
        sa.CheckConstraint('size > 0', name=op.f('ck_attachments_size_positive')),
        sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'],
                                name=op.f('fk_attachments_agreement_id_agreements')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
    )
    op.create_index('ix_attachments_agreement_id', 'attachments', ['agreement_id', 'id'], unique=False)
    op.create_index('ix_attachments_sha256', 'attachments', ['sha256'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_attachments_sha256', table_name='attachments')
    op.drop_index('ix_attachments_agreement_id', table_name='attachments')
    op.drop_table('attachments')
