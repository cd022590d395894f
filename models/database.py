"""Engines and sessions (the schema's migrations are in `migrations.schema`).

SQLite gets foreign keys, WAL, a busy timeout and explicit BEGIN (the
pysqlite recipe); writers that must serialise ask for BEGIN IMMEDIATE with the
execution option ``sqlite_begin="IMMEDIATE"``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
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
    if parsed.get_backend_name() == "postgresql":
        from models.entities import postgresql_index_options

        postgresql_index_options()
    if parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    # A pooled connection is checked before use: after a database restart (or a
    # terminated backend) a stale one is replaced instead of failing the work.
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "postgresql":
        _configure_postgresql(engine)
    return engine


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # psycopg prepares a statement run five times; PostgreSQL then may switch to one
        # generic plan for every value, planned without knowing how common the value is.
        # The register's filters are skewed (a state, a country): the generic plan of the
        # list's count read all 15,000 active agreements for one country (113 ms instead
        # of 27). Each execution is planned for its values (the parse is still kept).
        # No JIT compilation: Hamkor's statements are short, and a plan the planner
        # overestimates (a search's first page read along the reference index, costed
        # for the whole table) spent 130 ms compiling a 2 ms query. Set per connection
        # (not as a startup option, which a connection pooler may refuse).
        autocommit = dbapi_conn.autocommit
        dbapi_conn.autocommit = True
        with dbapi_conn.cursor() as cur:
            cur.execute("SET plan_cache_mode = force_custom_plan")
            cur.execute("SET jit = off")
        dbapi_conn.autocommit = autocommit


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
