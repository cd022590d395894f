"""Users and partner organisations: add, list, look up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from typing_extensions import TypedDict  # pydantic needs it for API responses on Python 3.11

from config import languages
from models import Organization, User, normalize_name
from workflow import rules
from workflow.clock import Clock
from workflow.errors import Duplicate, NotFound, PermissionDenied
from workflow.lifecycle import Role
from workflow.rules import INVISIBLE
from workflow.uow import UnitOfWork

KINDS = ("university", "company", "government", "ngo", "other")
ROLES = tuple(r.label for r in Role)
#: Languages a user can read their mail in (notifications/locale has their catalogs).
LANGUAGES = languages.LANGUAGES
SYSTEM_ACTOR = "system"


def valid_country(code: str | None, *, field: str = "country") -> str | None:
    """Upper-cased ISO 3166 alpha-2 code, or Invalid."""
    return rules.country(code, field)


def valid_kind(kind: str) -> str:
    return rules.choice(kind, "kind", KINDS)


def valid_hei_id(value: str | None) -> str | None:
    return rules.hei_id(value)


class UserRow(TypedDict):
    """A user: e-mail address, name, role, whether active, mail language."""

    email: str
    name: str
    role: str
    active: bool
    lang: str


class PartnerRow(TypedDict):
    id: int
    name: str
    country: str | None
    kind: str
    city: str | None
    erasmus_code: str | None
    hei_id: str | None


def user_dict(u: User) -> UserRow:
    return {"email": u.email, "name": u.name, "role": u.role, "active": u.active,
            "lang": u.lang or "en"}


def partner_dict(o: Organization) -> PartnerRow:
    return {
        "id": o.id,
        "name": o.name,
        "country": o.country,
        "kind": o.kind,
        "city": o.city,
        "erasmus_code": o.erasmus_code,
        "hei_id": o.hei_id,
    }


# --- users ----------------------------------------------------------------------------


def valid_lang(lang: str) -> str:
    """The language a user's mail is written in: en, uz or ru."""
    value = lang.strip().lower()
    if value not in LANGUAGES:
        rules.refuse("language.choice", "lang", value=lang, choices=", ".join(LANGUAGES))
    return value


@dataclass(frozen=True)
class NewUser:
    """A user to add, its e-mail address, name, role and mail language checked."""

    email: str
    name: str
    role: str
    lang: str

    @classmethod
    def checked(cls, email: str, name: str, role: str, lang: str) -> NewUser:
        """Refused at the first value that is wrong (address, name, role, language)."""
        address = rules.email(email)
        assert address is not None
        clean_name = rules.name(name, "name")
        rules.choice(role, "role", ROLES)
        return cls(address, clean_name, role, valid_lang(lang))

    def insert(self, s: Session, clock: Clock) -> User:
        """The new active user, without a password (flushed); Duplicate if the address is
        taken."""
        if s.scalar(select(User.id).where(User.email == self.email)) is not None:
            raise Duplicate("user", self.email)
        user = User(email=self.email, name=self.name, role=self.role, active=True,
                    lang=self.lang, created_at=clock.utcnow)
        s.add(user)
        try:
            s.flush()
        except IntegrityError:
            raise Duplicate("user", self.email) from None
        return user


def add_user(uow: UnitOfWork, clock: Clock, email: str, name: str, role: str,
             lang: str = "en") -> UserRow:
    new = NewUser.checked(email, name, role, lang)
    with uow.writing():
        user = new.insert(uow.session, clock)
        uow.commit()
        return user_dict(user)


def edit_user(uow: UnitOfWork, email: str, *, name: str | None = None, role: str | None = None,
              lang: str | None = None) -> UserRow:
    """Change a user's name, role or mail language; at least one must be given."""
    if name is None and role is None and lang is None:
        rules.refuse("user.nothing_to_edit")
    if name is not None and not name.strip():
        rules.refuse("required", "name")
    if role is not None and role not in ROLES:
        rules.refuse("choice", "role", value=role, choices=", ".join(ROLES))
    lang = valid_lang(lang) if lang is not None else None
    with uow:
        user = get_user(uow.session, email)
        if name is not None:
            user.name = name.strip()
        if role is not None:
            user.role = role
        if lang is not None:
            user.lang = lang
        uow.subject = user.email
        uow.commit()
        return user_dict(user)


def list_users(uow: UnitOfWork) -> list[UserRow]:
    with uow:
        return [user_dict(u) for u in uow.session.scalars(select(User).order_by(User.email))]


def get_user(s: Session, email: str) -> User:
    user = s.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound("user", email)
    return user


def actor(s: Session, email: str | None) -> User:
    """The active user acting; `--by` or HAMKOR_USER must name one."""
    if not email:
        rules.refuse("actor.missing", "by")
    return active_user(s.scalar(select(User).where(User.email == email.strip().lower())), email)


def active_user(user: User | None, email: str) -> User:
    """`user` (looked up by `email`) if it exists and is active; refused otherwise."""
    if user is None:
        raise NotFound("user", email)
    if not user.active:
        rules.refuse("user.not_active", "email", email=user.email)
    return user


def require_role(user: User, needed: Role, action: str) -> Role:
    role = Role.parse(user.role)
    if role < needed:
        raise PermissionDenied(user.email, action, needed.label, role.label)
    return role


def acting_as(s: Session, by: str | None, needed: Role, action: str) -> str:
    """The email of the user acting (`by`) once they may `action` (role `needed` or above);
    the operator at the command line (`by` None) acts as `system`, unchecked."""
    if by is None:
        return SYSTEM_ACTOR
    who = actor(s, by)
    require_role(who, needed, action)
    return who.email


def named_actor(s: Session, by: str | None, needed: Role, action: str) -> User | None:
    """The user acting (`by`) once they may `action` (role `needed` or above); None where
    nobody is named (the operator at the command line), unchecked."""
    if not by:
        return None
    who = actor(s, by)
    require_role(who, needed, action)
    return who


def check_role(uow: UnitOfWork, by: str | None, needed: Role, action: str) -> None:
    """Refuse (PermissionDenied) before any work when `by` may not `action`."""
    if by is not None:
        with uow:
            acting_as(uow.session, by, needed, action)


# --- partners -------------------------------------------------------------------------


def find_partner(s: Session, name_or_id: str) -> Organization | None:
    key = INVISIBLE.sub("", name_or_id).strip()
    if key.isdigit() and len(key) < 19:
        org = s.get(Organization, int(key))
        if org is not None:
            return org
    org = s.scalar(select(Organization).where(Organization.name_key == normalize_name(key)))
    if org is None and rules.looks_like_hei_id(key):
        org = s.scalar(select(Organization).where(Organization.hei_id == key))
    return org


def get_partner(s: Session, name_or_id: str) -> Organization:
    org = find_partner(s, name_or_id)
    if org is None:
        raise NotFound("partner", name_or_id)
    return org


def new_organization(
    s: Session,
    clock: Clock,
    name: str,
    *,
    country: str | None,
    kind: str = "university",
    city: str | None = None,
    erasmus_code: str | None = None,
    pic: str | None = None,
    website: str | None = None,
    hei_id: str | None = None,
    created_on: Any = None,
) -> Organization:
    clean = rules.name(name, "partner_name")
    if find_partner(s, clean) is not None and not clean.isdigit():
        raise Duplicate("partner", clean)
    hei = valid_hei_id(hei_id)
    if hei and s.scalar(select(Organization.id).where(Organization.hei_id == hei)) is not None:
        raise Duplicate("partner with hei-id", hei)
    org = Organization(
        name=clean,
        name_key=normalize_name(clean),
        country=valid_country(country),
        kind=valid_kind(kind),
        city=rules.text(city, "city"),
        erasmus_code=rules.text(erasmus_code, "erasmus_code"),
        pic=rules.text(pic, "pic"),
        website=rules.text(website, "website"),
        hei_id=hei,
        created_on=created_on or clock.today,
        created_at=clock.utcnow,
    )
    s.add(org)
    return org


def add_partner(uow: UnitOfWork, clock: Clock, name: str, *, by: str | None = None,
                **fields: Any) -> PartnerRow:
    """Add a partner organisation; a named actor (`by`) must be an officer or above."""
    with uow.writing():
        acting_as(uow.session, by, Role.OFFICER, "add partners")
        org = new_organization(uow.session, clock, name, **fields)
        try:
            uow.commit()
        except IntegrityError:
            raise Duplicate("partner", name) from None
        return partner_dict(org)


def list_partners(uow: UnitOfWork) -> list[PartnerRow]:
    with uow:
        orgs = uow.session.scalars(select(Organization).order_by(func.lower(Organization.name)))
        return [partner_dict(o) for o in orgs]
