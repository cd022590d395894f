"""The web application: pages, JSON API, static files, sessions and error pages.

`create_app(App)` takes the composition root (`root.App`), so the server uses the
same settings, database, clock and services as `hamkor` itself.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException as FastAPIHTTPException
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.errors import api_error, humanize, status_for
from web.security import (
    SESSION_COOKIE,
    SESSION_MAX_AGE_S,
    CsrfRejected,
    SignInRequired,
    secret_key,
    secure_cookie,
)
from workflow.errors import HamkorError

if TYPE_CHECKING:
    from root import App

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("hamkor.web")

#: No inline script, no third-party origin: the pages need nothing but this server.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                               "script-src 'self'; frame-ancestors 'none'; form-action 'self'; "
                               "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def server_error(request: Request) -> Response:
    """The answer to a bug: no detail (it is in the log), the headers of every response."""
    if request.url.path.startswith("/api/"):
        response: Response = JSONResponse({"detail": "internal error; the server log has the details"},
                                          status_code=500)
    else:
        response = HTMLResponse("<!doctype html><title>Hamkor: error</title><h1>Something went wrong"
                                "</h1><p>The server log has the details. Nothing was changed by "
                                "this request unless it says so.</p>", status_code=500)
    return response


class SecurityHeaders:
    """Every response's security headers (and `Cache-Control: no-store` but for static
    files); a bug is answered here with a 500 that carries them too. Plain ASGI: as an
    `@app.middleware("http")` function each request went through two extra tasks and
    memory streams, and each response's body through them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Signed-in pages and downloads: never kept by a browser's or a proxy's cache
        # (the back button after signing out shows nothing).
        no_store = not scope["path"].startswith("/static/")
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if no_store:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # A bug: answered here, not by Starlette's outermost error handler, so that
            # the 500 carries the same headers as every other response.
            log.exception("%s %s failed", scope["method"], scope["path"])
            if started:
                raise
            await server_error(Request(scope))(scope, receive, send_with_headers)


def create_app(app: App, *, secret: str | None = None) -> FastAPI:
    from web import api, api_ops, docs, files, mail_pages, pages

    web = FastAPI(
        title="Hamkor API",
        version="0.1.0",
        description="Agreement lifecycle for university international offices. Authenticate "
                    "with a per-user API token: `Authorization: Bearer hmk_...` "
                    "(from the Account page, or `hamkor user token create EMAIL --name N`).",
        docs_url=None, redoc_url=None, openapi_url="/api/openapi.json",
    )
    web.state.hamkor = app
    web.add_middleware(SessionMiddleware, secret_key=secret_key(app.settings, secret), session_cookie=SESSION_COOKIE,
                       max_age=SESSION_MAX_AGE_S, same_site="lax", https_only=secure_cookie(app.settings))

    web.add_middleware(SecurityHeaders)

    web.mount("/static", StaticFiles(directory=STATIC), name="static")
    # Before `api`: its /api/agreements/{ref} would take /api/agreements/export.csv.
    web.include_router(api_ops.router)
    web.include_router(api.router)
    web.include_router(docs.router)
    from web import dashboard, register

    web.include_router(dashboard.router)
    web.include_router(register.router)  # before `pages`: /agreements/export.csv is not a reference
    web.include_router(pages.router)
    from web import report_pages

    web.include_router(report_pages.router)
    from web import activities  # cooperation activity (issue 21)

    web.include_router(activities.api)
    web.include_router(activities.pages)
    web.include_router(files.api)  # an agreement's files and documents (issue 20)
    web.include_router(files.pages)
    web.include_router(mail_pages.router)
    from web import people  # partners and their contacts, users, set-password links

    web.include_router(people.api)
    web.include_router(people.pages)
    from web import audit, conditions, ewp_pages, imports  # the CLI's operations (issue 18)

    for module in (conditions, ewp_pages, imports, audit):
        web.include_router(module.api)
        web.include_router(module.pages)

    @web.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, exc: SignInRequired) -> Response:
        return Response(status_code=303, headers={"Location": f"/login?next={quote(exc.next_url)}"})

    @web.exception_handler(CsrfRejected)
    async def csrf_rejected(request: Request, exc: CsrfRejected) -> Response:
        from web.render import render, translator

        t = translator(request)
        return render(request, "error.html", {"title": t("e.title"), "message": t("e.csrf")},
                      status=403)

    @web.exception_handler(HamkorError)
    async def refused(request: Request, exc: HamkorError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse(api_error(exc), status_code=status_for(exc))
        from web.render import render, translator

        t = translator(request)
        return render(request, "error.html", {"title": t("e.title"), "message": humanize(exc, t)},
                      status=status_for(exc))

    @web.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/") or isinstance(exc, FastAPIHTTPException) and exc.headers:
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        from web.render import render, translator

        t = translator(request)
        title = t("e.not_found") if exc.status_code == 404 else t("e.title")
        message = t.text(f"e.http.{exc.status_code}") or str(exc.detail)  # Starlette's phrases are English
        return render(request, "error.html", {"title": title, "message": message},
                      status=exc.status_code)

    return web
