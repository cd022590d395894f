"""The composition root: the one place that wires Hamkor together.

`App` builds, on first use and once per process, settings -> engine -> units
of work, the clock, the mail transport and the e-mail template environment,
and knows the home institution (`office()`, `home()`). The adapters - the
`hamkor` command line (`cli/`), the web server (`web/`) and the worker - each
make one `App` and pass it on; nothing below this module reads settings or
opens an engine of its own. The layers and what may import what are in
README.md, "Layout".

Everything is imported inside the methods, so `hamkor --help` loads none of it.
"""

from __future__ import annotations

import gc
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from config import Settings
    from ewp.identity import Home
    from notifications.compose import Templates
    from notifications.transports import Transport
    from workflow.agreements import Office
    from workflow.clock import Clock
    from workflow.uow import UnitOfWork
    from workflow.users import Mailer


#: The collector's thresholds while a command-line process starts (`pause_collector`).
_STARTUP_THRESHOLD = 200_000
_saved_thresholds: tuple[int, int, int] | None = None


def pause_collector() -> None:
    """For a `hamkor` process, from its first line: let the cyclic garbage collector run
    (almost) never while the command's modules load and its classes are mapped.

    Start-up allocates some 90,000 objects that live as long as the process (SQLAlchemy,
    the mapped classes): with the default thresholds the collector ran ~130 times over
    them, once over the whole heap (~18 ms, issue 22). Collection resumes as soon as the
    command opens its engine (`resume_collector`); a command that never does still collects,
    every 200,000 allocations."""
    global _saved_thresholds
    if _saved_thresholds is None:
        _saved_thresholds = gc.get_threshold()
        gc.set_threshold(_STARTUP_THRESHOLD, *_saved_thresholds[1:])


def resume_collector(*, freeze: bool = True) -> None:
    """End of start-up: the default thresholds again. With `freeze`, what start-up
    loaded moves to the collector's permanent generation (`gc.freeze`), so no later
    collection — nor the one at the interpreter's exit — walks those objects again.
    Nothing happens unless `pause_collector` ran (the web workers, tests)."""
    global _saved_thresholds
    if _saved_thresholds is not None:
        if freeze:
            gc.freeze()
        gc.set_threshold(*_saved_thresholds)
        _saved_thresholds = None


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
            from models.database import make_engine

            self._engine = make_engine(self.db_url)
            resume_collector()  # before the first connection: connections are never frozen
        return self._engine

    @property
    def engine(self) -> Engine:
        engine = self.raw_engine()
        if not getattr(self, "_checked", False):
            ensure_schema(engine)
            self._checked = True
        return engine

    def uow(self, *, immediate: bool = False) -> UnitOfWork:
        from models.database import session_factory
        from workflow.uow import UnitOfWork

        return UnitOfWork(session_factory(self.engine, immediate=immediate))

    def clock(self, now: datetime | None = None) -> Clock:
        from workflow.clock import Clock

        zone = self.settings.zone
        return Clock.at(now, zone) if now is not None else Clock(datetime.now(UTC), zone)

    def office(self) -> Office:
        from notifications.workflow_mail import queue_workflow_mail
        from workflow.agreements import Office
        from workflow.mail_policy import MailPolicy
        from workflow.schedule import Policy

        s = self.settings
        month, day = s.academic_year_start.split("-")
        return Office(s.institution, s.institution_country,
                      Policy(s.reminder_days, s.signature_nudge_days),
                      year_start=(int(month), int(day)), hei_id=s.institution_hei_id,
                      require_signed_copy=s.require_signed_copy,
                      mail=MailPolicy(s.base_url, s.workflow_mail, s.digest_weekday, s.escalate,
                                      s.templates_dir),
                      on_event=queue_workflow_mail)

    def home(self) -> Home:
        """The home institution for EWP (HAMKOR_INSTITUTION*, HAMKOR_ACADEMIC_YEAR_START)."""
        from ewp.identity import Home
        from ewp.rules import parse_month_day

        s = self.settings
        return Home(self.office(), s.institution_hei_id, parse_month_day(s.academic_year_start))

    def transport(self) -> Transport:
        """The mail transport HAMKOR_MAIL_BACKEND names (SMTP, files or the console)."""
        from notifications.transports import make_transport

        return make_transport(self.settings)

    def mail_templates(self) -> Templates:
        """The e-mail templates (HAMKOR_TEMPLATES_DIR over the built-in ones)."""
        return mail_templates(self.settings.templates_dir)

    def actor(self, by: str | None) -> str | None:
        return by or self.settings.user

    def password_mailer(self, clock: Clock) -> Mailer | None:
        """What mails a set-password link, or None when mail is not configured
        (HAMKOR_BASE_URL unset: a mailed link would have no address to point to)."""
        from notifications.account_mail import mailer

        s = self.settings
        return mailer(self.mail_templates(), s.base_url, s.institution, clock.utcnow, s.zone)

    def password_link(self, token: str, base_url: str | None = None) -> str:
        """The address of a set-password link (`base_url`: the web request's, when
        HAMKOR_BASE_URL is unset; without either, the path alone)."""
        from notifications.account_mail import password_url

        return password_url(self.settings.base_url or base_url or "", token)

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
    from migrations.schema import schema_state, upgrade
    from models.database import is_sqlite
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


@cache
def mail_templates(directory: Path | None) -> Templates:
    """One Jinja environment per template directory (it caches compiled templates and
    notices edits), shared by every tick of a long-running worker."""
    from notifications.compose import Templates

    return Templates(directory)
