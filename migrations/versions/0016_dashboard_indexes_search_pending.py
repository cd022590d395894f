"""agreements: indexes for the dashboard's sections; search_pending: what the search index lacks

The dashboard counts and lists, per section, the agreements expiring within the
renewal window (by state and expiry date), those whose notice deadline (expiry
date minus notice days, an expression index on each database) falls within it,
and those in each state by date: each one range of an index instead of a pass
over the register. The list's department filter reads the distinct departments
by hopping along their index; a partner's or a country's agreements come from
the parties' index alone (organisation, then agreement).

`search_pending` replaces the search index's freshness check (two full counts
on every search): triggers note each new agreement and each deleted document,
and the search rebuilds what is noted. Existing agreements without a document
are noted here.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 17:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The notice deadline as each database computes it (the query must say it the same way).
DEADLINE = {
    'postgresql': "(expires_on - coalesce(notice_days, 0))",
    'sqlite': "(date(expires_on, '-' || coalesce(notice_days, 0) || ' days'))",
}

SQLITE_TRIGGERS = (
    "CREATE TRIGGER search_pending_new_agreement AFTER INSERT ON agreements BEGIN "
    "INSERT INTO search_pending(agreement_id) VALUES (new.id); END",
    "CREATE TRIGGER search_pending_forgotten AFTER DELETE ON agreement_search BEGIN "
    "INSERT INTO search_pending(agreement_id) VALUES (old.agreement_id); END",
)
# Statement-level on PostgreSQL: one INSERT … SELECT per statement, not one per row.
POSTGRESQL_TRIGGERS = (
    "CREATE FUNCTION search_pending_new_agreements() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN INSERT INTO search_pending(agreement_id) SELECT id FROM new_rows; RETURN NULL; END $$",
    "CREATE TRIGGER search_pending_new_agreement AFTER INSERT ON agreements "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION search_pending_new_agreements()",
    "CREATE FUNCTION search_pending_forgotten_docs() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN INSERT INTO search_pending(agreement_id) SELECT agreement_id FROM old_rows; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER search_pending_forgotten AFTER DELETE ON agreement_search "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION search_pending_forgotten_docs()",
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.create_index('ix_agreements_state_expires_on', ['state', 'expires_on'], unique=False)
        batch_op.create_index('ix_agreements_state_state_since', ['state', 'state_since'], unique=False)
        batch_op.create_index('ix_agreements_state_starts_on', ['state', 'starts_on'], unique=False)
        batch_op.create_index('ix_agreements_department', ['department'], unique=False)
    with op.batch_alter_table('agreement_parties', schema=None) as batch_op:
        batch_op.drop_index('ix_agreement_parties_organization_id')
        batch_op.create_index('ix_agreement_parties_organization_id', ['organization_id', 'agreement_id'],
                              unique=False)
    if dialect in DEADLINE:
        op.execute(f"CREATE INDEX ix_agreements_notice_deadline ON agreements ({DEADLINE[dialect]})")
    op.create_table(
        'search_pending',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agreement_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_pending')),
    )
    op.execute("INSERT INTO search_pending(agreement_id) SELECT a.id FROM agreements a "
               "WHERE NOT EXISTS (SELECT 1 FROM agreement_search s WHERE s.agreement_id = a.id)")
    for statement in {'postgresql': POSTGRESQL_TRIGGERS, 'sqlite': SQLITE_TRIGGERS}.get(dialect, ()):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS search_pending_new_agreement ON agreements")
        op.execute("DROP TRIGGER IF EXISTS search_pending_forgotten ON agreement_search")
        op.execute("DROP FUNCTION IF EXISTS search_pending_new_agreements()")
        op.execute("DROP FUNCTION IF EXISTS search_pending_forgotten_docs()")
    elif dialect == 'sqlite':
        op.execute("DROP TRIGGER IF EXISTS search_pending_new_agreement")
        op.execute("DROP TRIGGER IF EXISTS search_pending_forgotten")
    op.drop_table('search_pending')
    op.execute("DROP INDEX IF EXISTS ix_agreements_notice_deadline")
    with op.batch_alter_table('agreement_parties', schema=None) as batch_op:
        batch_op.drop_index('ix_agreement_parties_organization_id')
        batch_op.create_index('ix_agreement_parties_organization_id', ['organization_id'], unique=False)
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.drop_index('ix_agreements_department')
        batch_op.drop_index('ix_agreements_state_starts_on')
        batch_op.drop_index('ix_agreements_state_state_since')
        batch_op.drop_index('ix_agreements_state_expires_on')
