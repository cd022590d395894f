"""`hamkor serve`: the web interface and JSON API (FastAPI + uvicorn, imported only here).

The command line does not import the web package: it loads the web
application by its entry point, `WEB_APP`, the way uvicorn names an app, and
hands it the composition root (README "Layout").

With `--workers N` (N > 1) uvicorn starts N server processes that share the
listening socket; each builds its own composition root through
`worker_app`, from the environment this process hands down (the database
URL given with `--db`, the log level and one session key for all of them).
"""

from __future__ import annotations

import os

import click

from root import App

#: The web application's factory, `module:function`, taking a `root.App`.
WEB_APP = "web.app:create_app"
#: How each of several worker processes builds its application (uvicorn's factory).
WORKER_APP = "cli.serve:worker_app"
#: Handed down to worker processes: uvicorn's and Hamkor's log level.
_LOG_LEVEL_ENV = "HAMKOR_SERVE_LOG_LEVEL"
LOG_FORMAT = "%(levelname)s: %(name)s: %(message)s"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes (one per CPU core is a good start).")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
@click.pass_obj
def serve(app: App, host: str, port: int, workers: int, log_level: str) -> None:
    """Serve the web interface for office staff (sign in with `hamkor user set-password`).

    Uses the same database and settings as every other command. Set
    HAMKOR_SECRET_KEY so sessions survive a restart.
    """
    import uvicorn

    from config.logs import OneLineFormatter, configure

    configure(log_level, LOG_FORMAT)
    app.engine  # noqa: B018 - an un-migrated database fails here, before the port is opened
    options: dict[str, object] = {
        "host": host, "port": port, "log_level": log_level, "proxy_headers": False,
        "server_header": False, "log_config": _uvicorn_logging(OneLineFormatter), **speedups(),
    }
    click.echo(f"Hamkor web interface on http://{host}:{port}/ (API docs: /api/docs)"
               + (f", {workers} worker processes" if workers > 1 else ""), err=True)
    if workers == 1:
        uvicorn.run(_web_app(app), **options)  # type: ignore[arg-type]
        return
    # Several processes: each must sign sessions with the same key and use this database.
    os.environ["HAMKOR_DATABASE_URL"] = app.db_url
    os.environ[_LOG_LEVEL_ENV] = log_level
    if app.settings.secret_key is None:
        import logging
        import secrets

        logging.getLogger("hamkor.web").warning(
            "HAMKOR_SECRET_KEY is not set: using a random key shared by the %d workers, so "
            "sessions end when the server restarts", workers)
        os.environ["HAMKOR_SECRET_KEY"] = secrets.token_urlsafe(48)
    app.close()
    uvicorn.run(WORKER_APP, factory=True, workers=workers, **options)  # type: ignore[arg-type]


def speedups() -> dict[str, str]:
    """uvicorn's event loop and HTTP parser: uvloop and httptools (dependencies of Hamkor)
    where they are installed, else the standard library's asyncio and the pure-Python h11."""
    from importlib.util import find_spec

    return {"loop": "uvloop" if find_spec("uvloop") else "asyncio",
            "http": "httptools" if find_spec("httptools") else "h11"}


def worker_app() -> object:
    """The application of one of several worker processes (see the module's note)."""
    from config.logs import configure

    configure(os.environ.get(_LOG_LEVEL_ENV, "info"), LOG_FORMAT)
    return _web_app(App())


def _web_app(app: App) -> object:
    from importlib import import_module

    from models.database import plan_each_execution

    plan_each_execution(app.raw_engine())
    module, factory = WEB_APP.split(":")
    web = getattr(import_module(module), factory)(app)
    settle_heap()
    return web


def settle_heap() -> None:
    """Once the server's application is built: what is loaded by then (the web package,
    FastAPI, SQLAlchemy, the mapped classes) lives as long as the process, so it moves to
    the collector's permanent generation. A full collection then walks only what the
    requests allocate: in a worker it walked all of it, ~90 ms that stalled every request
    the process was serving."""
    import gc

    gc.collect()
    gc.freeze()


def _uvicorn_logging(formatter: type) -> dict[str, object]:
    """uvicorn's own loggers (errors, access lines) through the one-line formatter too."""
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"one_line": {"()": formatter, "fmt": LOG_FORMAT}},
        "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "one_line",
                                 "stream": "ext://sys.stderr"}},
        "loggers": {"uvicorn": {"handlers": ["default"], "propagate": False},
                    "uvicorn.error": {"handlers": ["default"], "propagate": False},
                    "uvicorn.access": {"handlers": ["default"], "propagate": False}},
    }
