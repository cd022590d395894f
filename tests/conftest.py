"""Fixtures shared by every test layer.

`db_url` is parametrised over SQLite and PostgreSQL so one test body runs on
both (APScheduler's backend-parametrised style). Each test gets an empty,
migrated database with real commits allowed (CLI and multi-process tests need
them): SQLite by copying a migrated template file, PostgreSQL by truncating.
On CI (`CI` set) an unreachable PostgreSQL fails the run instead of skipping.

PostgreSQL tests run in a private database created next to the configured one
(`<name>_<worker>_<host>_<pid>`, dropped at the end), so two suites -- or pytest-xdist
workers -- on one server never truncate each other's tables. Where the role may
not create databases, the configured database itself is used.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import socket
import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, make_url, text
from sqlalchemy.exc import DBAPIError

from migrations.schema import upgrade
from models import metadata
from models.database import make_engine, session_factory
from workflow.clock import Clock

PG_URL = os.environ.get(
    "HAMKOR_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
_pg_state: dict[str, object] = {}


def _private_database(url: str) -> str:
    """A database of this run's own beside `url`'s (dropped at exit), or `url` itself
    when the role may not create one. Leftovers of this host's killed runs are
    dropped first (the name carries the host and the process id)."""
    from psycopg import errors

    base = make_url(url)
    host = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
    prefix = f"{base.database}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{host}_"
    name = f"{prefix}{os.getpid()}"
    admin = make_engine(url, connect_args={"connect_timeout": 3}, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for old in conn.scalars(text("SELECT datname FROM pg_database")).all():
                pid = old.removeprefix(prefix)
                if old.startswith(prefix) and pid.isdigit() and not _alive(int(pid)):
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)'))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except DBAPIError as exc:
        if not isinstance(exc.orig, errors.InsufficientPrivilege):
            raise
        warnings.warn(f"cannot create a private test database ({exc.orig}); using {base.database} "
                      "itself: do not run two suites against it at once", stacklevel=2)
        return url
    finally:
        admin.dispose()

    def drop() -> None:
        eng = make_engine(url, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        eng.dispose()

    atexit.register(drop)
    return base.set(database=name).render_as_string(hide_password=False)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pg_ready() -> bool:
    if "ok" not in _pg_state:
        try:
            url = _private_database(PG_URL)
            engine = make_engine(url, connect_args={"connect_timeout": 3})
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            upgrade(engine)
            engine.dispose()
            _pg_state["ok"], _pg_state["url"] = True, url
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
            _pg_state["ok"] = False
            _pg_state["why"] = f"{type(exc).__name__}: {exc}"
    return bool(_pg_state["ok"])


def require_pg() -> str:
    """Return this run's PostgreSQL URL, or skip (locally) / fail (CI) when unreachable."""
    if not _pg_ready():
        why = f"PostgreSQL not reachable at {PG_URL}: {_pg_state.get('why')}"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    return str(_pg_state["url"])


def truncate_pg(url: str) -> None:
    engine = make_engine(url)
    names = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer `.env` or HAMKOR_* variable leaks into a test."""
    for name in list(os.environ):
        if name.startswith("HAMKOR_") and name != "HAMKOR_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "hamkor.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def fresh_sqlite(template: Path, directory: Path) -> str:
    target = directory / "hamkor.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> str:
    """An empty migrated database on each backend."""
    if request.param == "sqlite":
        return fresh_sqlite(sqlite_template, tmp_path)
    url = require_pg()
    truncate_pg(url)
    return url


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    return fresh_sqlite(sqlite_template, tmp_path)


@pytest.fixture
def pg_url() -> str:
    url = require_pg()
    truncate_pg(url)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine):  # type: ignore[no-untyped-def]
    return session_factory(engine)


UTC_ZONE = ZoneInfo("UTC")


def clock_on(day: date | str, hour: int = 12) -> Clock:
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return Clock(datetime(day.year, day.month, day.day, hour, tzinfo=UTC), UTC_ZONE)
