"""agreement_state_counts: each state's count kept by triggers; indexes for the dashboard

The dashboard shows how many agreements are in each state. Counting them was a
pass over the state index (100,000 entries at 100k agreements, 10-25 ms of the
database's time on every dashboard). Triggers on `agreements` now add a row to
`agreement_state_counts` for every agreement inserted (+1), deleted (-1) or moved
from one state to another (-1, +1): the sum per state is the exact count, in any
transaction's own view, and only inserts are made (no row every event would wait
on). `workflow.state_counts` reads the sums and folds the rows into one per state
when they pile up. Statement-level triggers with transition tables on PostgreSQL
for inserts and deletes (one INSERT ... SELECT per statement, not one per row); a
TRUNCATE of the agreements empties the counts.

On PostgreSQL a partial index holds the notice deadline of only the agreements
whose notice is still open (in force, tacit renewal, no notice given): the
dashboard counts them without reading the others. Notifications get a
(status, created_at) index: the outbox's health (the admins' dashboard, `/healthz`)
counts the open and dead mail and finds the oldest from the index alone.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 20:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_TRIGGERS = (
    "CREATE TRIGGER agreement_state_counts_insert AFTER INSERT ON agreements BEGIN "
    "INSERT INTO agreement_state_counts(state, n) VALUES (new.state, 1); END",
    "CREATE TRIGGER agreement_state_counts_delete AFTER DELETE ON agreements BEGIN "
    "INSERT INTO agreement_state_counts(state, n) VALUES (old.state, -1); END",
    "CREATE TRIGGER agreement_state_counts_update AFTER UPDATE OF state ON agreements "
    "WHEN old.state IS NOT new.state BEGIN "
    "INSERT INTO agreement_state_counts(state, n) VALUES (old.state, -1), (new.state, 1); END",
)
POSTGRESQL_TRIGGERS = (
    "CREATE FUNCTION agreement_state_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN INSERT INTO agreement_state_counts(state, n) SELECT state, count(*) FROM new_rows "
    "GROUP BY state; RETURN NULL; END $$",
    "CREATE TRIGGER agreement_state_counts_insert AFTER INSERT ON agreements "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION agreement_state_counts_insert()",
    "CREATE FUNCTION agreement_state_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN INSERT INTO agreement_state_counts(state, n) SELECT state, -count(*) FROM old_rows "
    "GROUP BY state; RETURN NULL; END $$",
    "CREATE TRIGGER agreement_state_counts_delete AFTER DELETE ON agreements "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION agreement_state_counts_delete()",
    "CREATE FUNCTION agreement_state_counts_update() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN INSERT INTO agreement_state_counts(state, n) VALUES (OLD.state, -1), (NEW.state, 1); "
    "RETURN NULL; END $$",
    "CREATE TRIGGER agreement_state_counts_update AFTER UPDATE OF state ON agreements "
    "FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) "
    "EXECUTE FUNCTION agreement_state_counts_update()",
    "CREATE FUNCTION agreement_state_counts_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN DELETE FROM agreement_state_counts; RETURN NULL; END $$",
    "CREATE TRIGGER agreement_state_counts_truncate AFTER TRUNCATE ON agreements "
    "FOR EACH STATEMENT EXECUTE FUNCTION agreement_state_counts_truncate()",
    # The dashboard's notice count says these conditions word for word (web/dashboard.py).
    "CREATE INDEX ix_agreements_notice_open ON agreements ((expires_on - coalesce(notice_days, 0))) "
    "WHERE state IN ('active', 'renewal_due') AND auto_renew IS true AND notice_given_on IS NULL "
    "AND expires_on IS NOT NULL",
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        'agreement_state_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=32), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_state_counts')),
    )
    op.execute("INSERT INTO agreement_state_counts(state, n) "
               "SELECT state, count(*) FROM agreements GROUP BY state")
    for statement in {'postgresql': POSTGRESQL_TRIGGERS, 'sqlite': SQLITE_TRIGGERS}.get(dialect, ()):
        op.execute(statement)
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_status_created_at', ['status', 'created_at'], unique=False)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_status_created_at')
    if dialect == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_agreements_notice_open")
        for what in ('insert', 'delete', 'update', 'truncate'):
            op.execute(f"DROP TRIGGER IF EXISTS agreement_state_counts_{what} ON agreements")
            op.execute(f"DROP FUNCTION IF EXISTS agreement_state_counts_{what}()")
    elif dialect == 'sqlite':
        for what in ('insert', 'delete', 'update'):
            op.execute(f"DROP TRIGGER IF EXISTS agreement_state_counts_{what}")
    op.drop_table('agreement_state_counts')
