"""One read-only unit of work for everything a page shows.

A page such as the agreement's is assembled from several services (the agreement,
its history, its EWP details, files, activities, contacts), each written to open
its own unit of work. Given `one_unit(app)` instead of `app`, they all run in one
session and one transaction: one connection checkout, one BEGIN and one ROLLBACK
for the page instead of one per part, and the agreement's rows stay in the
session's identity map for the parts after the first.

The unit is for reading: `commit()` and `writing()` raise, and its transaction is
always rolled back (when the session is closed and its connection returned to the pool).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

from workflow.uow import UnitOfWork

if TYPE_CHECKING:
    from root import App


class SharedReadUnit(UnitOfWork):
    """A unit of work that nested `with` blocks share: the session opens at the
    outermost block and is rolled back and closed when that block ends."""

    def __init__(self, unit: UnitOfWork) -> None:
        super().__init__(unit._sessions)
        self._depth = 0

    def writing(self) -> UnitOfWork:
        raise RuntimeError("a page's shared unit of work is read-only")

    def commit(self) -> None:
        raise RuntimeError("a page's shared unit of work is read-only")

    def __enter__(self) -> UnitOfWork:
        if self._depth == 0:
            super().__enter__()
            if self.session.get_bind().dialect.name == "postgresql":
                # Reading only, at READ COMMITTED (each statement its own snapshot, in a
                # transaction or not): no BEGIN and no ROLLBACK, two round trips fewer.
                self.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        self._depth += 1
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._depth -= 1
        if self._depth == 0:
            # Nothing to roll back in the objects: closing the session detaches them and
            # returns the connection, whose transaction the pool rolls back (a rollback
            # first would expire every object read, a few ms on a full page).
            session, self._session = self.session, None
            session.close()


class _OneUnitApp:
    """`app` as the services see it, except that `uow()` is the page's shared unit and
    `clock()`/`office()` are built once for the page."""

    def __init__(self, app: App) -> None:
        self._app = app
        self._unit = SharedReadUnit(app.uow())
        self._clock: Any = None
        self._office: Any = None

    def uow(self, *, immediate: bool = False) -> UnitOfWork:
        return self._unit

    def clock(self, now: Any = None) -> Any:
        if now is not None:
            return self._app.clock(now)
        if self._clock is None:
            self._clock = self._app.clock()
        return self._clock

    def office(self) -> Any:
        if self._office is None:
            self._office = self._app.office()
        return self._office

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)


@contextmanager
def one_unit(app: App) -> Iterator[App]:
    """`with one_unit(app) as page_app:` -- pass `page_app` to the page's parts."""
    proxy = _OneUnitApp(app)
    with proxy.uow():
        yield cast("App", proxy)
