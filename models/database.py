"""Engines, sessions and migrations: the composition root's database half.

SQLite gets foreign keys, WAL, a busy timeout and explicit BEGIN (the
pysqlite recipe); writers that must serialise ask for BEGIN IMMEDIATE with the
execution option ``sqlite_begin="IMMEDIATE"``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_TIMEOUT_S = 30


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_TIMEOUT_S, "check_same_thread": False}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    if parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_TIMEOUT_S * 1000}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def session_factory(engine: Engine, *, immediate: bool = False) -> sessionmaker[Session]:
    """Sessions; `immediate` makes SQLite writers take the write lock at BEGIN."""
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if immediate and is_sqlite(engine) else engine
    return sessionmaker(bind=bind, expire_on_commit=False)


# --- migrations -----------------------------------------------------------------


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
    """'empty', 'current', 'behind' or 'unknown' (tables but no alembic stamp)."""
    from migrations import HEAD

    tables = set(inspect(engine).get_table_names())
    if "alembic_version" not in tables:
        return "empty" if not tables else "unknown"
    rev = current_revision(engine)
    if rev is None:
        return "empty" if tables == {"alembic_version"} else "unknown"
    return "current" if rev == HEAD else "behind"
