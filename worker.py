"""`python worker.py` runs the scheduler, exactly like `hamkor worker`: the daily tick
at HAMKOR_TICK_AT (retried, and caught up after downtime) and the outbox sender every
minute, until SIGTERM or SIGINT.

Usage: `python worker.py [--db URL]`. It is an adapter like `hamkor`: it builds the
composition root's `App` and runs `tick.worker.run_worker`; it imports no other adapter.
"""

from __future__ import annotations

import argparse
import sys


def _message(exc: Exception) -> str | None:
    """The one line for a start-up failure the user can fix, or None for a bug."""
    from sqlalchemy.exc import OperationalError

    from config import ConfigError, redact_url
    from workflow.errors import HamkorError

    if isinstance(exc, HamkorError):
        return exc.describe()
    if isinstance(exc, ConfigError):
        return str(exc)
    if isinstance(exc, OperationalError):
        return f"cannot use the database: {redact_url(str(exc.orig)).splitlines()[0]}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python worker.py", description=__doc__.splitlines()[0])
    parser.add_argument("--db", metavar="URL", help="Database URL (overrides HAMKOR_DATABASE_URL).")
    args = parser.parse_args(argv)

    from root import App
    from tick.worker import run_worker

    app = App(args.db)
    try:
        app.engine  # noqa: B018 - bad settings or an unusable database fail now, in one line
    except Exception as exc:
        msg = _message(exc)
        if msg is None:
            raise
        print(f"error: {msg}", file=sys.stderr)
        return 1
    try:
        run_worker(app)
    finally:
        app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
