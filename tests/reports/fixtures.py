"""Fixtures for the report tests: the crafted history on each database.

Entering the history through the CLI takes seconds, so the SQLite copy is
built once per session and copied into each test's fresh database file; on
PostgreSQL it is entered again in each test's emptied database.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from models.database import make_engine
from tests.reports import crafted


@pytest.fixture(scope="session")
def crafted_sqlite_file(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("crafted")
    path = work / "crafted.db"
    shutil.copyfile(sqlite_template, path)
    crafted.build(f"sqlite:///{path}", work)
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def crafted_db(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """`db_url` holding the crafted history (see tests/reports/crafted.py)."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        source: Path = request.getfixturevalue("crafted_sqlite_file")
        shutil.copyfile(source, str(url.database))
    else:
        crafted.build(db_url, tmp_path)
    return db_url
