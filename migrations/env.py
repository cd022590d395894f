"""Alembic environment shipped inside the package.

Runs from `hamkor db ...` (engine passed in `config.attributes`) or from a
plain `alembic` call with `sqlalchemy.url` set. No logging file is needed.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from models import metadata
from models.search_index import UNMODELLED


def _modelled(name: str | None, type_: str, parent_names: object) -> bool:
    """Leave the search index's database-specific objects (FTS5 table, GIN index) alone."""
    return not (name and name.startswith(UNMODELLED))


config = context.config


def _run(engine: Engine) -> None:
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if connection.dialect.name == "postgresql":  # the partial indexes' WHERE, for comparisons
            from models.entities import postgresql_index_options

            postgresql_index_options()
        if sqlite:
            # Batch mode copies tables: FK checks must be off, and the pragma only
            # works outside a transaction, so it goes to the DBAPI connection.
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=True,
            compare_type=True,
            include_name=_modelled,
        )
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from models.database import make_engine

        engine = make_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///hamkor.db")
    _run(engine)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
