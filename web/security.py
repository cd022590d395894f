"""Who is asking: the signed-in session user (pages) or the bearer token's user (API).

Sessions are a signed cookie (HttpOnly, SameSite=Lax) holding the user's email,
a fingerprint of their password hash and when the session began: a new
password, a deactivated user or a changed role takes effect on the next
request, because the user is read from the database every time. A session ends
12 hours after sign-in however active it is. Signing out ends this session
server-side (`ended_sessions`), so a copied cookie dies with it; "sign out
everywhere" ends every session of the user (`users.sessions_ended_at`). Every form carries a session-bound CSRF token.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import FormData

from web.state import hamkor

if TYPE_CHECKING:
    from config import Settings
    from workflow.accounts import SessionUser
    from workflow.registry import UserRow

log = logging.getLogger("hamkor.web")

SECRET_ENV = "HAMKOR_SECRET_KEY"
SESSION_COOKIE = "hamkor_session"
SESSION_MAX_AGE_S = 12 * 3600
CSRF_FIELD = "csrf_token"


def secret_key(settings: Settings, explicit: str | None = None) -> str:
    """The key that signs session cookies: explicit, else HAMKOR_SECRET_KEY, else a random one."""
    if explicit:
        return explicit
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    log.warning("%s is not set: using a random key, so sessions end when the server restarts "
                "and several server processes would not share them", SECRET_ENV)
    return secrets.token_urlsafe(48)


def secure_cookie(settings: Settings) -> bool:
    """Mark the cookie Secure (HTTPS only) when HAMKOR_SECURE_COOKIE is true."""
    return settings.secure_cookie


# --- sessions -------------------------------------------------------------------------------


class SignInRequired(Exception):
    """Raised by page dependencies; answered with a redirect to the sign-in page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def session_user(request: Request) -> SessionUser | None:
    """The signed-in user (fresh from the database), or None; cached on the request."""
    if hasattr(request.state, "user"):
        user: SessionUser | None = request.state.user
        return user
    from workflow.accounts import current_user

    user = None
    email, auth = request.session.get("user"), request.session.get("auth")
    since = _since(request.session.get("since"))
    if isinstance(email, str) and isinstance(auth, str):
        app = hamkor(request)
        now = app.clock().utcnow
        if since is not None and now - since < timedelta(seconds=SESSION_MAX_AGE_S):
            sid = request.session.get("sid")
            user = current_user(app.uow(), email, auth, since, sid if isinstance(sid, str) else None)
        if user is None:  # expired, signed out, deactivated or password changed: over
            for key in ("user", "auth", "since", "sid"):
                request.session.pop(key, None)
    request.state.user = user
    return user


def _since(value: object) -> datetime | None:
    """When the session began (stored at sign-in); None for a session without it."""
    if not isinstance(value, str):
        return None
    try:
        since = datetime.fromisoformat(value)
    except ValueError:
        return None
    return since if since.tzinfo else None


def page_user(request: Request) -> SessionUser:
    """Dependency of every page but sign-in: the user, or a redirect to sign in."""
    user = session_user(request)
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            # A form posted after the session ended: return to the page it came from
            # (its address answers only POST); the form must be sent again anyway.
            referer = urlsplit(request.headers.get("referer", ""))
            same_site = not referer.netloc or referer.netloc == request.url.netloc
            target = referer.path if same_site and referer.path else "/"
        raise SignInRequired(target)
    return user


def sign_in(request: Request, user: SessionUser) -> None:
    """Start a fresh session for `user` (a new CSRF token: nothing carries over)."""
    lang = request.session.get("lang")
    request.session.clear()
    # The session lasts SESSION_MAX_AGE_S from here, however often its cookie is renewed.
    request.session.update({"user": user["email"], "auth": user["auth"],
                            "since": hamkor(request).clock().utcnow.isoformat(),
                            "csrf": secrets.token_urlsafe(32), "sid": secrets.token_urlsafe(24)})
    if lang:
        request.session["lang"] = lang
    request.state.user = user


def sign_out(request: Request, *, everywhere: bool = False) -> None:
    """End this session, server-side too (a copy of its cookie is worthless); with
    `everywhere`, every session of this user begun until now (other browsers, phones)."""
    from workflow.accounts import end_session, end_sessions

    email, sid = request.session.get("user"), request.session.get("sid")
    if isinstance(email, str):
        app = hamkor(request)
        if everywhere or not isinstance(sid, str):
            end_sessions(app.uow(), email, app.clock().utcnow)
        else:
            end_session(app.uow(), email, sid, app.clock().utcnow, timedelta(seconds=SESSION_MAX_AGE_S))
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang
    request.state.user = None


# --- CSRF -----------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


class CsrfRejected(Exception):
    """A form without this session's CSRF token: refused before anything runs."""


async def checked_form(request: Request) -> FormData:
    """Dependency of every form POST: the form, once its CSRF token matched the session's."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = request.session.get("csrf")
    if not (isinstance(sent, str) and isinstance(expected, str)
            and hmac.compare_digest(sent.encode(), expected.encode())):
        raise CsrfRejected()
    return form


# --- API tokens -----------------------------------------------------------------------------

_bearer = HTTPBearer(auto_error=False, description="A per-user API token: `hamkor user token create EMAIL --name N`.")


def api_user(request: Request,
             credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> UserRow:
    """Dependency of every API route: the active user the bearer token belongs to."""
    from workflow.accounts import authenticate_token

    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "missing API token (Authorization: Bearer TOKEN)",
                            headers={"WWW-Authenticate": "Bearer"})
    app = hamkor(request)
    user = authenticate_token(app.uow(), app.clock(), credentials.credentials)
    if user is None:
        raise HTTPException(401, "invalid or revoked API token",
                            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return user
