"""What every request can reach: the composition root (`root.App`) the server was built with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection

if TYPE_CHECKING:
    from root import App


def hamkor(conn: HTTPConnection) -> App:
    app: App = conn.app.state.hamkor
    return app
