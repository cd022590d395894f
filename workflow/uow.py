"""Unit of work: one session, one explicit commit, rollback on anything else.

Lost races surface here as `ConcurrentUpdate` naming the subject: on
PostgreSQL as the ORM's `StaleDataError` (version column), on SQLite as a
write that finds its snapshot outdated ("database is locked").
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

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

    @property
    def bind(self) -> Any:
        """The engine (with its execution options) the sessions are bound to."""
        return self._sessions.kw["bind"]

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside its `with` block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self._sessions()
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
