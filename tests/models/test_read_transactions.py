"""On PostgreSQL a transaction that only read ends with COMMIT, so its connection keeps
the statements psycopg prepared (a ROLLBACK makes psycopg deallocate them all); one that
wrote, or failed, still ends with ROLLBACK and leaves nothing behind."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError

from models import Organization
from models.database import make_engine, session_factory


@pytest.fixture
def pg(pg_url: str) -> Engine:
    engine = make_engine(pg_url, pool_size=1, max_overflow=0)  # one connection: always the same
    yield engine
    engine.dispose()


def _partner() -> Organization:
    return Organization(name="Hiroshima University", name_key="hiroshima university",
                        country="JP", created_on=date(2026, 1, 5),
                        created_at=datetime(2026, 1, 5, tzinfo=UTC))


def _prepared(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text("SELECT count(*) FROM pg_prepared_statements")) or 0)


def test_reads_in_units_of_their_own_keep_the_prepared_statement(pg: Engine) -> None:
    sessions = session_factory(pg)
    for _ in range(7):  # psycopg prepares a statement on its fifth run on a connection
        with sessions() as s:
            assert s.scalar(select(func.count()).select_from(Organization)) == 0
    assert _prepared(pg) >= 1


def test_a_write_rolled_back_is_gone_and_a_failed_one_leaves_nothing(pg: Engine) -> None:
    sessions = session_factory(pg)
    with sessions() as s:  # written, never committed: closed with ROLLBACK
        s.add(_partner())
        s.flush()
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Organization)) == 0
    with sessions() as s:
        s.add(_partner())
        s.commit()
    with pytest.raises(IntegrityError), sessions() as s:
        s.add(_partner())
        s.flush()
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Organization)) == 1


def test_the_web_servers_connections_plan_each_execution_the_others_keep_the_default(
        pg_url: str) -> None:
    from models.database import plan_each_execution

    def setting(engine: Engine) -> tuple[str, str]:
        with engine.connect() as conn:
            return (str(conn.scalar(text("SHOW plan_cache_mode"))),
                    str(conn.scalar(text("SHOW jit"))))

    cli, web = make_engine(pg_url), make_engine(pg_url)
    try:
        assert setting(web) == ("auto", "off")  # a connection opened before is replaced
        plan_each_execution(web)
        assert setting(cli) == ("auto", "off")
        assert setting(web) == ("force_custom_plan", "off")
    finally:
        cli.dispose()
        web.dispose()
