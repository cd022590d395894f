"""User administration and one-time set-password links.

Admins add users, change their role and language, deactivate and reactivate them;
nobody types another person's password. Adding a user (or asking for a new link)
makes a one-time set-password link: the database keeps only the SHA-256 of its
token, it works once, for `LINK_LIFETIME`, and a newer link for the same user
replaces it. "Forgot password?" makes one too, for an active user only, at most
one per `RESET_COOLDOWN`, and never tells whether the address exists.

`actor_email` None is the operator at the command line (`hamkor user ...` without
`--by`/HAMKOR_USER), who administers users as before; a named actor must be an
active admin. An admin cannot deactivate or demote themself, and the last active
admin stays one. Each use case commits once; a refusal changes nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import PasswordLink, User
from workflow import rules
from workflow.clock import Clock
from workflow.lifecycle import Role
from workflow.registry import ROLES, NewUser, acting_as, get_user, valid_lang
from workflow.uow import UnitOfWork

LINK_LIFETIME = timedelta(hours=72)
#: "Forgot password?" makes at most one link per user in this time (mail bombing).
RESET_COOLDOWN = timedelta(minutes=10)


@dataclass(frozen=True)
class UserInfo:
    email: str
    name: str
    role: str
    lang: str
    active: bool
    has_password: bool


@dataclass(frozen=True)
class IssuedLink:
    """A set-password link just made: `token` is the only copy there will ever be."""

    email: str
    name: str
    lang: str
    token: str
    purpose: str  # invite | reset
    expires_at: datetime
    mailed: bool


@dataclass(frozen=True)
class AddedUser:
    user: UserInfo
    link: IssuedLink


#: Called inside the link's transaction to queue its mail (the notifications layer
#: composes it); returns whether a mail was queued.
Mailer = Callable[[Session, User, str, str, datetime], bool]


def user_info(u: User) -> UserInfo:
    return UserInfo(email=u.email, name=u.name, role=u.role, lang=u.lang or "en", active=u.active,
                    has_password=bool(u.password_hash))


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _admin(s: Session, email: str | None, action: str) -> str:
    return acting_as(s, email, Role.ADMIN, action)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _issue(s: Session, clock: Clock, user: User, purpose: str, by: str,
           mailer: Mailer | None) -> IssuedLink:
    """A new link for `user`; any older unused link of theirs stops working."""
    s.execute(delete(PasswordLink).where(PasswordLink.user_id == user.id))
    token = secrets.token_urlsafe(32)
    expires = clock.utcnow + LINK_LIFETIME
    s.add(PasswordLink(user_id=user.id, token_sha256=token_sha256(token), purpose=purpose,
                       created_by=by, created_at=clock.utcnow, expires_at=expires))
    s.flush()
    mailed = mailer(s, user, token, purpose, expires) if mailer is not None else False
    return IssuedLink(email=user.email, name=user.name, lang=user.lang or "en", token=token,
                      purpose=purpose, expires_at=expires, mailed=mailed)


def list_users(uow: UnitOfWork, *, actor_email: str | None) -> list[UserInfo]:
    with uow:
        _admin(uow.session, actor_email, "administer users")
        return [user_info(u) for u in uow.session.scalars(select(User).order_by(User.email))]


def add_user(uow: UnitOfWork, clock: Clock, email: str, name: str, role: str, lang: str = "en", *,
             actor_email: str | None, mailer: Mailer | None = None) -> AddedUser:
    """A new active user without a password, and the link that lets them set one."""
    new = NewUser.checked(email, name, role, lang)
    with uow.writing():
        s = uow.session
        by = _admin(s, actor_email, "add users")
        user = new.insert(s, clock)
        link = _issue(s, clock, user, "invite", by, mailer)
        uow.commit()
        return AddedUser(user=user_info(user), link=link)


def _active_admins(s: Session) -> int:
    return int(s.scalar(select(func.count()).select_from(User)
                        .where(User.role == "admin", User.active.is_(True))) or 0)


def change_user(uow: UnitOfWork, email: str, *, role: str | None = None, lang: str | None = None,
                name: str | None = None, actor_email: str | None) -> UserInfo:
    """Change a user's role, mail language or name."""
    if role is None and lang is None and name is None:
        rules.refuse("partner.nothing_to_change", None)
    if role is not None:
        rules.choice(role, "role", ROLES)
    language = valid_lang(lang) if lang is not None else None
    clean_name = rules.name(name, "name") if name is not None else None
    with uow.writing():
        s = uow.session
        by = _admin(s, actor_email, "change users")
        user = get_user(s, email)
        uow.subject = user.email
        if role is not None and role != user.role:
            if user.email == by:
                rules.refuse("user.self_role", "role")
            if user.role == "admin" and user.active and _active_admins(s) <= 1:
                rules.refuse("user.last_admin", "role", email=user.email)
            user.role = role
        if language is not None:
            user.lang = language
        if clean_name is not None:
            user.name = clean_name
        uow.commit()
        return user_info(user)


def set_active(uow: UnitOfWork, clock: Clock, email: str, active: bool, *,
               actor_email: str | None) -> UserInfo:
    """Deactivate (signed out at once: sessions, API tokens and links stop working) or
    reactivate a user."""
    with uow.writing():
        s = uow.session
        by = _admin(s, actor_email, "deactivate users" if not active else "reactivate users")
        user = get_user(s, email)
        uow.subject = user.email
        if not active and user.active:
            if user.email == by:
                rules.refuse("user.self_deactivate", "email")
            if user.role == "admin" and _active_admins(s) <= 1:
                rules.refuse("user.last_admin", "email", email=user.email)
            s.execute(delete(PasswordLink).where(PasswordLink.user_id == user.id))
        user.active = active
        uow.commit()
        return user_info(user)


def issue_link(uow: UnitOfWork, clock: Clock, email: str, *, actor_email: str | None,
               mailer: Mailer | None = None) -> IssuedLink:
    """A new set-password link for an active user (an admin hands it over, or it is mailed)."""
    with uow.writing():
        s = uow.session
        by = _admin(s, actor_email, "make set-password links")
        user = get_user(s, email)
        uow.subject = user.email
        if not user.active:
            rules.refuse("user.inactive", "email", email=user.email)
        link = _issue(s, clock, user, "reset" if user.password_hash else "invite", by, mailer)
        uow.commit()
        return link


def request_reset(uow: UnitOfWork, clock: Clock, email: str, mailer: Mailer) -> bool:
    """"Forgot password?": mail a link if `email` is an active user's and no link was
    made for them within `RESET_COOLDOWN`. The answer (whether a mail was queued) is for
    logs and tests only: the page says the same thing either way."""
    address = (email or "").strip().lower()
    if not address or len(address) > rules.LIMITS["email"]:
        return False
    with uow.writing():
        s = uow.session
        user = s.scalar(select(User).where(User.email == address))
        if user is None or not user.active:
            return False
        last = s.scalar(select(func.max(PasswordLink.created_at))
                        .where(PasswordLink.user_id == user.id))
        if last is not None and clock.utcnow - _aware(last) < RESET_COOLDOWN:
            return False
        link = _issue(s, clock, user, "reset", "forgot-password", mailer)
        uow.commit()
        return link.mailed


def _valid_link(s: Session, clock: Clock, token: str) -> tuple[PasswordLink, User]:
    row = None
    if token and len(token) <= 100:
        row = s.execute(select(PasswordLink, User).join(User, User.id == PasswordLink.user_id)
                        .where(PasswordLink.token_sha256 == token_sha256(token))).one_or_none()
    if row is None:
        rules.refuse("link.invalid", None)
    link, user = row
    if link.used_at is not None or _aware(link.expires_at) <= clock.utcnow or not user.active:
        rules.refuse("link.invalid", None)
    return link, user


def link_user(uow: UnitOfWork, clock: Clock, token: str) -> UserInfo:
    """Whose link this is, while it can still be used; else refused (`link.invalid`)."""
    with uow:
        _, user = _valid_link(uow.session, clock, token)
        return user_info(user)


def use_link(uow: UnitOfWork, clock: Clock, token: str, password: str) -> UserInfo:
    """Set the password through a link; the link is used up, the user's other sessions end."""
    from workflow.accounts import hash_password

    with uow.writing():
        s = uow.session
        link, user = _valid_link(s, clock, token)
        rules.password(password, user.email)
        user.password_hash = hash_password(password)  # other sessions end: see session_user
        link.used_at = clock.utcnow
        uow.commit()
        return user_info(user)
