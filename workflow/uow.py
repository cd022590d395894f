"""Unit of work: one session, one explicit commit, rollback on anything else.

Lost races surface here as `ConcurrentUpdate` naming the subject: on
PostgreSQL as the ORM's `StaleDataError` (version column), on SQLite as a
write that finds its snapshot outdated ("database is locked").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from workflow.errors import ConcurrentUpdate


def is_lock_error(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text or "deadlock detected" in text or "could not serialize" in text


class UnitOfWork:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        #: What the work is about (e.g. an agreement ref), for error messages.
        self.subject = "the record"
        self._session: Session | None = None
        self._write = False

    def writing(self) -> UnitOfWork:
        """`with uow.writing():` for a unit that writes. On SQLite its transaction begins
        with the write lock (BEGIN IMMEDIATE): a second writer waits for the first (up to
        the busy timeout) and then reads what it committed, instead of failing when its
        older snapshot cannot be upgraded to a write ("database is locked") -- which
        would say "changed by someone else" about an agreement nobody else touched."""
        self._write = True
        return self

    @property
    def bind(self) -> Any:
        """The engine (with its execution options) the sessions are bound to."""
        return self._sessions.kw["bind"]

    @contextmanager
    def one_read(self) -> Iterator[Connection]:
        """A connection for a single read statement, without a session: on PostgreSQL in
        autocommit (one statement is one snapshot anyway; no BEGIN and no ROLLBACK, two
        round trips fewer), elsewhere in a transaction that is rolled back. For reads
        made on every request, such as the signed-in user's check."""
        with self.bind.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside its `with` block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self._sessions()
        if self._write:
            self._write = False
            if self._session.get_bind().dialect.name == "sqlite":
                self._session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            session.rollback()
        finally:
            session.close()
            self._session = None
        if isinstance(exc, StaleDataError) or (isinstance(exc, OperationalError) and is_lock_error(exc)):
            raise ConcurrentUpdate(self.subject) from exc

    def commit(self) -> None:
        self.session.commit()

    def flush(self) -> None:
        self.session.flush()
