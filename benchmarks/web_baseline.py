"""The web benchmark's baseline: a minimal Starlette app returning a Jinja template.

`create_app()` (a uvicorn factory) renders one template whose output is
`HAMKOR_BENCH_PAGE_BYTES` bytes long (the mean size of the Hamkor pages the
same run fetched), so the baseline pays for uvicorn, the ASGI stack, Jinja and
the bytes on the wire, and nothing else: no session, no database.
"""

from __future__ import annotations

import os

from jinja2 import Environment
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

TEMPLATE = """<!doctype html><html><head><title>{{ title }}</title></head><body>
<h1>{{ title }}</h1><table>
{% for row in rows %}<tr><td>{{ row.ref }}</td><td>{{ row.state }}</td><td>{{ row.title }}</td></tr>
{% endfor %}</table></body></html>"""


def create_app() -> Starlette:
    size = int(os.environ.get("HAMKOR_BENCH_PAGE_BYTES", "20000"))
    template = Environment(autoescape=True).from_string(TEMPLATE)
    row = {"ref": "AGR-2026-00001", "state": "active", "title": "Student exchange & staff mobility"}
    one = len(template.render(title="x", rows=[row, row])) - len(template.render(title="x", rows=[row]))
    rows = [row] * max(1, (size - len(template.render(title="x", rows=[]))) // max(one, 1))

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(template.render(title="Agreements", rows=rows))

    return Starlette(routes=[Route("/", page)])
