"""Sign-in credentials: passwords (argon2) and per-user API tokens (SHA-256 stored).

Each use case runs in one unit of work and commits once. A token is shown to
its owner once, when created; the database keeps only its SHA-256, so a stolen
copy of the database signs nobody in.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, NotRequired, TypeVar  # pydantic: API responses on Python 3.11

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Select, bindparam, delete, exists, false, select, update
from typing_extensions import TypedDict

from models import ApiToken, EndedSession, User
from workflow import dates, rules
from workflow.clock import Clock
from workflow.errors import Invalid, NotFound
from workflow.lifecycle import Role
from workflow.registry import UserRow, actor, get_user, user_dict
from workflow.uow import UnitOfWork

MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH = rules.MIN_PASSWORD_LENGTH, rules.MAX_PASSWORD_LENGTH
#: Tokens look like `hmk_<43 url-safe characters>` so a leaked one is easy to recognise.
TOKEN_PREFIX = "hmk_"
#: How precisely `last_used_at` is kept.
USE_RESOLUTION = timedelta(minutes=1)
T = TypeVar("T")

_hasher = PasswordHasher()
#: Verified against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class SessionUser(UserRow):
    """A signed-in user: the user and a fingerprint of their password hash."""

    auth: str


class TokenRow(TypedDict):
    """An API token as listed (never its secret); `token` only when just created."""

    id: int
    user: str
    name: str
    created_at: str
    last_used_at: str | None
    revoked: bool
    token: NotRequired[str]


class SignInFailed(Invalid):
    """Wrong email or password (never says which)."""

    def __init__(self) -> None:
        super().__init__(rules.problem("auth.failed"))


def check_password_strength(password: str, email: str) -> None:
    rules.password(password, email)


def hash_password(password: str) -> str:
    """The argon2 hash stored for a password."""
    return _hasher.hash(password)


def set_password(uow: UnitOfWork, email: str, password: str) -> UserRow:
    """Store an argon2 hash of `password` for the user (replacing any previous one)."""
    check_password_strength(password, email)
    digest = hash_password(password)
    with uow.writing():
        user = get_user(uow.session, email)
        user.password_hash = digest
        uow.commit()
        return user_dict(user)


def verify_password(uow: UnitOfWork, email: str, password: str) -> SessionUser:
    """The active user with this email and password, or `SignInFailed`.

    Unknown, inactive and password-less users fail the same way, after the
    same argon2 work, so the answer tells nothing about which emails exist.
    """
    with uow:
        s = uow.session
        user = s.scalar(select(User).where(User.email == email.strip().lower()))
        stored = user.password_hash if user is not None and user.password_hash else None
        try:
            _hasher.verify(stored or _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            raise SignInFailed() from None
        if user is None or stored is None or not user.active:
            raise SignInFailed()
        if _hasher.check_needs_rehash(stored):
            user.password_hash = _hasher.hash(password)
            uow.commit()
        return session_user(user)


def session_user(user: User) -> SessionUser:
    """What a signed-in session remembers: identity, role, and a fingerprint of the
    password hash so that setting a new password signs out every other session."""
    return {**user_dict(user), "auth": credential_fingerprint(user.password_hash)}


def credential_fingerprint(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def current_user(uow: UnitOfWork, email: str, fingerprint: str,
                 since: datetime, sid: str | None = None) -> SessionUser | None:
    """The user of a session that began at `since`, if still active, its password
    unchanged, its sessions not ended since and this session (`sid`) not signed
    out; else None. One statement of columns (every request of the web asks)."""
    with uow.one_read() as conn:
        row = conn.execute(_session_check(bool(sid)),
                           {"email": email, "sid_sha256": _sid_sha256(sid)}).one_or_none()
    if row is None or row.ended_here or not row.active or not row.password_hash:
        return None
    if not secrets.compare_digest(credential_fingerprint(row.password_hash), fingerprint):
        return None
    ended = row.sessions_ended_at
    if ended is not None and since <= (ended if ended.tzinfo else ended.replace(tzinfo=UTC)):
        return None
    # As `session_user` gives it for the mapped user.
    return {"email": row.email, "name": row.name, "role": row.role, "active": row.active,
            "lang": row.lang or "en", "auth": credential_fingerprint(row.password_hash)}


@cache
def _session_check(with_sid: bool) -> Select[Any]:
    """The user's columns `current_user` checks, and whether this session (`sid`) was
    signed out; built once (bound values `email`, `sid_sha256`)."""
    u, ended = User.__table__.c, EndedSession.__table__.c
    ended_here = exists().where(ended.sid_sha256 == bindparam("sid_sha256")) if with_sid else false()
    return (select(u.email, u.name, u.role, u.active, u.lang, u.password_hash, u.sessions_ended_at,
                   ended_here.label("ended_here"))
            .where(u.email == bindparam("email")))


def _sid_sha256(sid: str | None) -> str:
    return hashlib.sha256((sid or "").encode()).hexdigest()


def end_session(uow: UnitOfWork, email: str, sid: str, now: datetime, max_age: timedelta) -> None:
    """Sign out of one session (`sid`): a copy of its cookie is worthless from now on,
    the user's other sessions go on. Records older than any session could live are
    dropped on the way."""
    with uow:
        s = uow.session
        user_id = s.scalar(select(User.id).where(User.email == email))
        s.execute(delete(EndedSession).where(EndedSession.ended_at < now - max_age))
        if user_id is not None and s.get(EndedSession, _sid_sha256(sid)) is None:
            s.add(EndedSession(sid_sha256=_sid_sha256(sid), user_id=user_id, ended_at=now))
        uow.commit()


def end_sessions(uow: UnitOfWork, email: str, now: datetime) -> None:
    """Sign the user out: every web session begun until `now` is over (the user's
    other browsers too: a signed cookie cannot be recalled one by one)."""
    with uow.writing():
        uow.session.execute(update(User).where(User.email == email)
                            .values(sessions_ended_at=now))
        uow.commit()


# --- API tokens -------------------------------------------------------------------------


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_dict(t: ApiToken, email: str) -> TokenRow:
    return {
        "id": t.id,
        "user": email,
        "name": t.name,
        "created_at": t.created_at.isoformat(),
        "last_used_at": dates.iso(t.last_used_at),
        "revoked": t.revoked,
    }


def create_token(uow: UnitOfWork, clock: Clock, email: str, name: str) -> TokenRow:
    """A new token for the user; the returned `token` is the only copy there will ever be."""
    clean = rules.name(name, "token_name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with uow.writing():
        user = get_user(uow.session, email)
        if not user.active:
            raise Invalid(rules.problem("user.not_active", "email", email=user.email))
        row = ApiToken(user_id=user.id, name=clean, token_sha256=token_sha256(token),
                       created_at=clock.utcnow, revoked=False)
        uow.session.add(row)
        uow.commit()
        return {**token_dict(row, user.email), "token": token}


def list_tokens(uow: UnitOfWork, email: str | None = None) -> list[TokenRow]:
    """Tokens (never their secret), all users' or one user's, oldest first."""
    with uow:
        s = uow.session
        stmt = select(ApiToken, User.email).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id)
        if email is not None:
            stmt = stmt.where(User.id == get_user(s, email).id)
        return [token_dict(t, e) for t, e in s.execute(stmt)]


def revoke_token(uow: UnitOfWork, token_id: int, *, owner: str | None = None,
                 by: str | None = None) -> TokenRow:
    """Revoke a token; with `owner`, only if it is theirs (someone else's is 'not found').
    A named actor (`by`) revokes anyone's token as an admin, else only their own."""
    with uow.writing():
        s = uow.session
        if by is not None:
            who = actor(s, by)
            if Role.parse(who.role) < Role.ADMIN:
                owner = who.email
        row = s.execute(select(ApiToken, User.email).join(User, User.id == ApiToken.user_id)
                        .where(ApiToken.id == token_id)).one_or_none()
        if row is None or (owner is not None and row[1] != owner.strip().lower()):
            raise NotFound("API token", token_id)
        token, email = row
        token.revoked = True
        uow.commit()
        return token_dict(token, email)


def use_token(uow: UnitOfWork, model: Any, sha256: str, now: datetime, every: timedelta,
              result: Callable[[User], T]) -> T | None:
    """`result` of the active user whose unrevoked token of `model` (API or calendar feed)
    has this hash, else None. Its use is noted unless noted less than `every` ago, so that
    reading stays cheap."""
    with uow:
        row = uow.session.execute(select(model, User).join(User, User.id == model.user_id)
                                  .where(model.token_sha256 == sha256)).one_or_none()
        if row is None:
            return None
        t, user = row
        if t.revoked or not user.active:
            return None
        last = t.last_used_at
        if last is not None and last.tzinfo is None:  # SQLite gives naive UTC back
            last = last.replace(tzinfo=UTC)
        if last is None or now - last >= every:
            t.last_used_at = now
            uow.commit()
        return result(user)


def authenticate_token(uow: UnitOfWork, clock: Clock, token: str) -> UserRow | None:
    """The active user a bearer token belongs to (and note its use), or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    # At most one write a minute per token.
    return use_token(uow, ApiToken, token_sha256(token), clock.utcnow, USE_RESOLUTION, user_dict)
