"""activities: cooperation activities and their audit trail

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 10:06:30
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('department', sa.String(length=200), nullable=True),
    sa.Column('academic_year', sa.String(length=9), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=True),
    sa.Column('category', sa.String(length=24), nullable=True),
    sa.Column('people', sa.Integer(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=True),
    sa.Column('purpose', sa.Text(), nullable=True),
    sa.Column('place', sa.String(length=300), nullable=True),
    sa.Column('funder', sa.String(length=300), nullable=True),
    sa.Column('amount', sa.String(length=32), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('role', sa.String(length=12), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('doi', sa.String(length=200), nullable=True),
    sa.Column('names', sa.JSON(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("category IS NULL OR category IN ('student-studies', 'student-traineeship', 'staff-teaching', 'staff-training', 'other')", name=op.f('ck_activities_category')),
    sa.CheckConstraint("direction IS NULL OR direction IN ('in', 'out')", name=op.f('ck_activities_direction')),
    sa.CheckConstraint("kind IN ('mobility', 'visit', 'event', 'project', 'publication')", name=op.f('ck_activities_kind')),
    sa.CheckConstraint("role IS NULL OR role IN ('coordinator', 'partner', 'associate')", name=op.f('ck_activities_role')),
    sa.CheckConstraint('agreement_id IS NOT NULL OR organization_id IS NOT NULL', name=op.f('ck_activities_linked')),
    sa.CheckConstraint('ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on', name=op.f('ck_activities_date_order')),
    sa.CheckConstraint('people IS NULL OR people > 0', name=op.f('ck_activities_people_positive')),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_activities_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_activities_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activities'))
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_academic_year', ['academic_year'], unique=False)
        batch_op.create_index('ix_activities_agreement_id', ['agreement_id'], unique=False)
        batch_op.create_index('ix_activities_organization_id', ['organization_id'], unique=False)

    op.create_table('activity_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_activity_events_activity_id_activities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_events'))
    )
    with op.batch_alter_table('activity_events', schema=None) as batch_op:
        batch_op.create_index('ix_activity_events_activity_id', ['activity_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('activity_events', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_events_activity_id')

    op.drop_table('activity_events')
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_organization_id')
        batch_op.drop_index('ix_activities_agreement_id')
        batch_op.drop_index('ix_activities_academic_year')

    op.drop_table('activities')
