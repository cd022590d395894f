"""Engines and sessions (the schema's migrations are in `migrations.schema`).

SQLite gets foreign keys, WAL, a busy timeout and explicit BEGIN (the
pysqlite recipe); writers that must serialise ask for BEGIN IMMEDIATE with the
execution option ``sqlite_begin="IMMEDIATE"``.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary, WeakSet

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
        _end_reads_with_commit(engine)
        _configure_postgresql(engine)
    return engine


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # No JIT compilation: Hamkor's statements are short, and a plan the planner
        # overestimates (a search's first page read along the reference index, costed
        # for the whole table) spent 130 ms compiling a 2 ms query. Set per connection
        # (not as a startup option, which a connection pooler may refuse).
        _set(dbapi_conn, "SET jit = off")


def _set(dbapi_conn: Any, *commands: str) -> None:
    autocommit = dbapi_conn.autocommit
    dbapi_conn.autocommit = True
    with dbapi_conn.cursor() as cur:
        for command in commands:
            cur.execute(command)
    dbapi_conn.autocommit = autocommit


def plan_each_execution(engine: Engine) -> None:
    """The web server's connections plan each execution for its values.

    psycopg prepares a statement run five times; PostgreSQL then may switch to one
    generic plan for every value, planned without knowing how common the value is.
    The register's filters are skewed (a state, a country): the generic plan of the
    list's count read all 15,000 active agreements for one country (113 ms instead of
    27). The web server asks for custom plans (the parse is still kept); the worker
    and the command line, whose statements look rows up by key, keep PostgreSQL's
    default, where a generic plan saves planning each lifecycle event (measured: 0.43
    of the Core baseline with custom plans, 0.55-0.6 without). Connections opened
    before are closed, so every connection has it."""
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        _set(dbapi_conn, "SET plan_cache_mode = force_custom_plan")

    engine.dispose()


#: The driver connections whose transaction has run anything but a plain SELECT.
_WROTE: WeakSet[Any] = WeakSet()


def _is_read(statement: str, context: Any) -> bool:
    """A compiled SELECT (no data-modifying WITH, no text the code wrote by hand)."""
    compiled = getattr(context, "compiled", None)
    return (compiled is not None and getattr(compiled.statement, "is_select", False)
            and statement.lstrip()[:6].upper() == "SELECT")


def _end_reads_with_commit(engine: Engine) -> None:
    """On PostgreSQL a transaction that only read ends with COMMIT, not ROLLBACK.

    psycopg deallocates every prepared statement of a connection on ROLLBACK, and every
    read-only unit of work -- each web page, each session check -- ends with one (so
    does the pool's reset when a connection is returned): PostgreSQL parsed and planned
    every statement of every page anew. For a transaction that ran nothing but compiled
    SELECTs, COMMIT and ROLLBACK leave the database the same; with COMMIT the
    connection keeps its prepared statements (psycopg prepares a statement run five
    times). Anything else -- a write, DDL, text SQL, a savepoint, an error -- still
    ends with ROLLBACK.
    """
    from psycopg import pq

    dialect = engine.dialect
    rollback, commit = dialect.do_rollback, dialect.do_commit

    @event.listens_for(engine, "before_cursor_execute")
    def _track(conn: Any, _cursor: Any, statement: str, _params: Any, context: Any,
               _many: bool) -> None:
        if not _is_read(statement, context):
            _WROTE.add(conn.connection.dbapi_connection)

    def do_rollback(dbapi_connection: Any) -> None:
        # Given the pool's proxy or the driver's connection itself.
        raw = getattr(dbapi_connection, "dbapi_connection", dbapi_connection)
        wrote = raw in _WROTE
        _WROTE.discard(raw)
        if not wrote and raw.pgconn.transaction_status == pq.TransactionStatus.INTRANS:
            raw.commit()
        else:
            rollback(dbapi_connection)

    def do_commit(dbapi_connection: Any) -> None:
        _WROTE.discard(getattr(dbapi_connection, "dbapi_connection", dbapi_connection))
        commit(dbapi_connection)

    dialect.do_rollback = do_rollback  # type: ignore[method-assign]
    dialect.do_commit = do_commit  # type: ignore[method-assign]


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
    """Sessions; `immediate` makes SQLite writers take the write lock at BEGIN.

    One factory per engine and mode, made once: a new `sessionmaker` makes a new Session
    subclass, whose event dispatch SQLAlchemy sets up again on its first session (about
    half a millisecond of CPU for every unit of work, i.e. every web request)."""
    made = _factories.get(engine)
    if made is None:
        made = _factories.setdefault(engine, {})
    factory = made.get(immediate)
    if factory is None:
        bind = engine.execution_options(sqlite_begin="IMMEDIATE") if immediate and is_sqlite(engine) else engine
        factory = made.setdefault(immediate, sessionmaker(bind=bind, expire_on_commit=False))
    return factory


#: `session_factory`'s factories, by engine (dropped with it).
_factories: WeakKeyDictionary[Engine, dict[bool, sessionmaker[Session]]] = WeakKeyDictionary()
