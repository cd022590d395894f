"""Per-invocation application object: settings, engine, clock, unit of work."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from config import Settings
    from workflow.agreements import Office
    from workflow.clock import Clock
    from workflow.uow import UnitOfWork


class App:
    def __init__(self, db_url: str | None = None, **overrides: Any) -> None:
        self._db_url = db_url
        self._overrides = overrides
        self._settings: Settings | None = None
        self._engine: Engine | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from config import load_settings

            self._settings = load_settings(**self._overrides)
        return self._settings

    @property
    def db_url(self) -> str:
        return self._db_url or self.settings.database_url

    def raw_engine(self) -> Engine:
        """The engine without the schema check (for `hamkor db`)."""
        if self._engine is None:
            from cli.database import make_engine

            self._engine = make_engine(self.db_url)
        return self._engine

    @property
    def engine(self) -> Engine:
        engine = self.raw_engine()
        if not getattr(self, "_checked", False):
            ensure_schema(engine)
            self._checked = True
        return engine

    def uow(self, *, immediate: bool = False) -> UnitOfWork:
        from cli.database import session_factory
        from workflow.uow import UnitOfWork

        return UnitOfWork(session_factory(self.engine, immediate=immediate))

    def clock(self, now: datetime | None = None) -> Clock:
        from workflow.clock import Clock

        zone = self.settings.zone
        return Clock.at(now, zone) if now is not None else Clock(datetime.now(UTC), zone)

    def office(self) -> Office:
        from workflow.agreements import Office
        from workflow.schedule import Policy

        s = self.settings
        return Office(s.institution, s.institution_country,
                      Policy(s.reminder_days, s.signature_nudge_days))

    def actor(self, by: str | None) -> str | None:
        return by or self.settings.user

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def ensure_schema(engine: Engine) -> None:
    """Refuse to work on an un-migrated database; create a new SQLite file's schema.

    An empty SQLite database (a new file) is upgraded on first use so that
    `hamkor demo` and first steps need no setup; anything else that is not at
    the latest revision is an error that says to run `hamkor db upgrade`.
    """
    from cli.database import is_sqlite, schema_state, upgrade
    from workflow.errors import SchemaNotReady

    state = schema_state(engine)
    if state == "current":
        return
    if state == "empty" and is_sqlite(engine):
        upgrade(engine)
        return
    detail = {
        "empty": "the database has no Hamkor tables",
        "behind": "the database schema is older than this version of Hamkor",
        "unknown": "the database has tables but no Hamkor schema version",
    }[state]
    raise SchemaNotReady(detail)


def parse_date(value: str | None, option: str) -> date | None:
    from workflow.errors import Invalid

    if value is None:
        return None
    from workflow.dates import out_of_range

    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{option} {value!r} is not a date (YYYY-MM-DD)") from None
    if why := out_of_range(day):
        raise Invalid(f"{option} {why}")
    return day
