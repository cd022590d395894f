"""`hamkor serve`: the web interface and JSON API (FastAPI + uvicorn, imported only here).

The command line does not import the web package: it loads the web
application by its entry point, `WEB_APP`, the way uvicorn names an app, and
hands it the composition root (README "Layout").
"""

from __future__ import annotations

import click

from root import App

#: The web application's factory, `module:function`, taking a `root.App`.
WEB_APP = "web.app:create_app"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
@click.pass_obj
def serve(app: App, host: str, port: int, log_level: str) -> None:
    """Serve the web interface for office staff (sign in with `hamkor user set-password`).

    Uses the same database and settings as every other command. Set
    HAMKOR_SECRET_KEY so sessions survive a restart.
    """
    from importlib import import_module

    import uvicorn

    from config.logs import OneLineFormatter, configure

    configure(log_level, "%(levelname)s: %(name)s: %(message)s")
    app.engine  # noqa: B018 - an un-migrated database fails here, before the port is opened
    module, factory = WEB_APP.split(":")
    web = getattr(import_module(module), factory)(app)
    click.echo(f"Hamkor web interface on http://{host}:{port}/ (API docs: /api/docs)", err=True)
    uvicorn.run(web, host=host, port=port, log_level=log_level, proxy_headers=False,
                server_header=False, log_config=_uvicorn_logging(OneLineFormatter))


def _uvicorn_logging(formatter: type) -> dict[str, object]:
    """uvicorn's own loggers (errors, access lines) through the one-line formatter too."""
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"one_line": {"()": formatter, "fmt": "%(levelname)s: %(name)s: %(message)s"}},
        "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "one_line",
                                 "stream": "ext://sys.stderr"}},
        "loggers": {"uvicorn": {"handlers": ["default"], "propagate": False},
                    "uvicorn.error": {"handlers": ["default"], "propagate": False},
                    "uvicorn.access": {"handlers": ["default"], "propagate": False}},
    }
