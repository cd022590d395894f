"""Templates and what every page gets: the user, the translator, the CSRF token, flashes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from web.i18n import LANGUAGES, Translator, pick_language
from web.security import CSRF_FIELD, csrf_token, session_user
from web.state import hamkor
from workflow.lifecycle import Role

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.trim_blocks = True
TEMPLATES.env.lstrip_blocks = True
#: The templates are part of the installed code: compiled once, never checked for changes on
#: disk again (a `stat` of each template a page extends or includes, on every request).
TEMPLATES.env.auto_reload = False


def translator(request: Request) -> Translator:
    if not hasattr(request.state, "t"):
        lang = pick_language(request.session.get("lang"), request.headers.get("accept-language"))
        request.state.t = Translator(lang, hamkor(request).settings.zone)
    t: Translator = request.state.t
    return t


def role_of(user: Mapping[str, Any] | None) -> Role | None:
    return Role.parse(user["role"]) if user else None


#: A flash lives in the session cookie until shown: its size is bounded whatever the user
#: typed (browsers drop cookies over 4 KB, and a session would silently end).
FLASH_CHARS, FLASHES_KEPT = 300, 3


def flash(request: Request, kind: str, text: str) -> None:
    """A message shown once on the next page (kind: ok | error)."""
    if len(text) > FLASH_CHARS:
        text = text[:FLASH_CHARS - 1] + "…"
    kept = request.session.get("flash", [])[-(FLASHES_KEPT - 1):]
    request.session["flash"] = [*kept, [kind, text]]


def render(request: Request, name: str, context: dict[str, Any] | None = None, *,
           status: int = 200) -> HTMLResponse:
    user = session_user(request)
    role = role_of(user)
    t = translator(request)
    base = {
        "user": user,
        "role": role.label if role else None,
        "can_edit": role is not None and role >= Role.OFFICER,
        "can_approve": role is not None and role >= Role.APPROVER,
        "t": t,
        "lang": t.lang,
        "languages": LANGUAGES,
        "csrf_field": CSRF_FIELD,
        "csrf": csrf_token(request),
        "flashes": request.session.pop("flash", []),
        "path": request.url.path,
        "institution": hamkor(request).settings.institution,
    }
    return TEMPLATES.TemplateResponse(request, name, {**base, **(context or {})}, status_code=status)


def redirect(url: str) -> RedirectResponse:
    """After a successful POST: see the result with a GET (no resubmission on reload)."""
    return RedirectResponse(url, status_code=303)


def safe_next(url: str | None) -> str:
    """Only a local path may be a redirect target after sign-in."""
    if url and url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return "/"
