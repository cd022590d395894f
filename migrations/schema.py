"""Upgrade, downgrade and inspect a database's schema with the Alembic scripts here.

Alembic is imported only inside the functions that run it, so the everyday
schema check (`schema_state`) costs one small query.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Engine, inspect


def alembic_config(engine: Engine | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "migrations:")
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
        cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The schema revision stamped in `alembic_version` (plain SQL: no Alembic import)."""
    from sqlalchemy import text

    if "alembic_version" not in inspect(engine).get_table_names():
        return None
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


@cache
def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def schema_state(engine: Engine) -> str:
    """'empty', 'current', 'behind' or 'unknown' (tables but no alembic stamp).

    The everyday answer, 'current', costs one query (the stamp); the table list is read
    only when the stamp is missing or older.
    """
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from migrations import HEAD

    try:
        with engine.connect() as conn:
            if conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD:
                return "current"
    except DBAPIError:
        pass  # no stamp table (or no database): the table list below says which
    tables = set(inspect(engine).get_table_names())
    if "alembic_version" not in tables:
        return "empty" if not tables else "unknown"
    rev = current_revision(engine)
    if rev is None:
        return "empty" if tables == {"alembic_version"} else "unknown"
    return "current" if rev == HEAD else "behind"
