"""agreement_search: the search index (PostgreSQL pg_trgm GIN; SQLite FTS5 trigram)

One folded document per agreement; rows are built by the search itself the
first time it runs after this migration (and whenever an agreement changes).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 10:50:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The FTS5 table follows `agreement_search` (external content): these keep it in step.
SQLITE_FTS = [
    "CREATE VIRTUAL TABLE agreement_search_fts USING fts5("
    "doc, content='agreement_search', content_rowid='agreement_id', tokenize='trigram')",
    "CREATE TRIGGER agreement_search_ai AFTER INSERT ON agreement_search BEGIN "
    "INSERT INTO agreement_search_fts(rowid, doc) VALUES (new.agreement_id, new.doc); END",
    "CREATE TRIGGER agreement_search_ad AFTER DELETE ON agreement_search BEGIN "
    "INSERT INTO agreement_search_fts(agreement_search_fts, rowid, doc) "
    "VALUES ('delete', old.agreement_id, old.doc); END",
    "CREATE TRIGGER agreement_search_au AFTER UPDATE ON agreement_search BEGIN "
    "INSERT INTO agreement_search_fts(agreement_search_fts, rowid, doc) "
    "VALUES ('delete', old.agreement_id, old.doc); "
    "INSERT INTO agreement_search_fts(rowid, doc) VALUES (new.agreement_id, new.doc); END",
]


def upgrade() -> None:
    op.create_table(
        'agreement_search',
        sa.Column('agreement_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('doc', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'],
                                name=op.f('fk_agreement_search_agreement_id_agreements'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('agreement_id', name=op.f('pk_agreement_search')),
    )
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_agreement_search_doc_trgm ON agreement_search "
                   "USING gin (doc gin_trgm_ops)")
    elif dialect == 'sqlite':
        for statement in SQLITE_FTS:
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for name in ('agreement_search_ai', 'agreement_search_ad', 'agreement_search_au'):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS agreement_search_fts")
    elif dialect == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_agreement_search_doc_trgm")
    op.drop_table('agreement_search')
