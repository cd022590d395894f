"""Partner organisations: edit every field, and their contact persons.

Officers and above change partners (`actor`: the acting user's email; None is the
operator at the command line without `--by`/HAMKOR_USER, as for `hamkor partner
add`). Each use case runs in one unit of work and commits once, with its audit row
(`partner_events`): an `edit` records every changed field with its old and new
value; `contact_added`, `contact_edited`, `contact_removed` name the person.
A refusal changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypedDict

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import (
    CONTACT_ROLES,
    Agreement,
    Organization,
    PartnerContact,
    PartnerEvent,
    normalize_name,
)
from workflow import rules
from workflow.clock import Clock
from workflow.corrections import describe
from workflow.errors import Duplicate, NotFound
from workflow.lifecycle import Role
from workflow.registry import PartnerRow, acting_as, get_partner, valid_kind
from workflow.uow import UnitOfWork

#: The partner's fields `edit_partner` may change, in the order the forms show them.
PARTNER_FIELDS = ("name", "country", "kind", "city", "erasmus_code", "pic", "website", "hei_id")
#: Fields that cannot be emptied.
_REQUIRED = ("name", "country", "kind")
CONTACT_FIELDS = ("name", "email", "phone", "role", "position")
#: A telephone number as people write it: digits, spaces, + - . ( ) and an extension.
_PHONE = re.compile(r"\+?[0-9 ()./-]{3,}(?:\s*(?:ext\.?|x)\s*[0-9]{1,6})?", re.IGNORECASE)


class PartnerInfo(PartnerRow):
    """A partner with every field (the register's row and its PIC and website)."""

    pic: str | None
    website: str | None


class Change(TypedDict):
    field: str
    old: str | None
    new: str | None


class PartnerEdited(TypedDict):
    partner: PartnerInfo
    changes: list[Change]


class ContactInfo(TypedDict):
    id: int
    partner_id: int
    partner: str
    name: str
    email: str | None
    phone: str | None
    role: str
    position: str | None


class PartnerEventInfo(TypedDict):
    id: int
    event: str
    actor: str
    recorded_at: str
    note: str | None


class PartnerDetail(TypedDict):
    partner: PartnerInfo
    contacts: list[ContactInfo]
    history: list[PartnerEventInfo]


def partner_info(o: Organization) -> PartnerInfo:
    return PartnerInfo(id=o.id, name=o.name, country=o.country, kind=o.kind, city=o.city,
                       erasmus_code=o.erasmus_code, pic=o.pic, website=o.website, hei_id=o.hei_id)


def contact_info(c: PartnerContact, partner: str) -> ContactInfo:
    return ContactInfo(id=c.id, partner_id=c.organization_id, partner=partner, name=c.name,
                       email=c.email, phone=c.phone, role=c.role, position=c.position)


def _who(s: Session, email: str | None, action: str) -> str:
    """The acting user's email once they may `action` (officer or above); the operator
    at the command line (no actor given) acts as `system`."""
    return acting_as(s, email, Role.OFFICER, action)


def _audit(s: Session, org: Organization, event: str, who: str, clock: Clock,
           note: str | None) -> None:
    s.add(PartnerEvent(organization_id=org.id, event=event, actor=who, recorded_at=clock.utcnow,
                       note=note))


def _cleaned(changes: Mapping[str, Any], fields: tuple[str, ...],
             clean: Callable[[str, Any], Any]) -> dict[str, Any]:
    """The `changes` to make (field -> new value), each checked by `clean`, in the order of
    `fields`; refused when one is not among `fields` or none is given."""
    unknown = sorted(set(changes) - set(fields))
    if unknown:
        rules.refuse("choice", unknown[0], value=unknown[0], choices=", ".join(fields))
    if not changes:
        rules.refuse("partner.nothing_to_change", None)
    return {f: clean(f, changes[f]) for f in fields if f in changes}


def _contacts(s: Session, org: Organization) -> list[ContactInfo]:
    """`org`'s contact persons in the order they were added."""
    return [contact_info(c, org.name) for c in s.scalars(
        select(PartnerContact).where(PartnerContact.organization_id == org.id)
        .order_by(PartnerContact.id))]


# --- partners -------------------------------------------------------------------------------


def _clean_partner_field(name: str, value: Any) -> Any:
    if name == "name":
        return rules.name(value, "partner_name")
    if name == "country":
        return rules.country(rules.text(value, "country", required=True))
    if name == "kind":
        return valid_kind(rules.text(value, "kind", required=True) or "")
    if name == "hei_id":
        return rules.hei_id(value)
    if name == "website":
        return _website(value)
    return rules.text(value, name)


def _website(value: Any) -> str | None:
    out = rules.text(value, "website")
    if out is not None and (" " in out or "." not in out):
        rules.refuse("website.format", "website", value=out[:80])
    return out


def edit_partner(uow: UnitOfWork, clock: Clock, partner: str, changes: Mapping[str, Any], *,
                 actor_email: str | None, home: str | None = None) -> PartnerEdited:
    """Change any of a partner's fields (`changes`: field -> new value; an empty value
    clears an optional field). Fields not given stay as they are; a value equal to the
    stored one is no change. Names stay unique (ignoring case and spacing), and so do
    hei-ids. The home institution (`home`, its configured name) keeps its name: Hamkor
    finds it by that name."""
    clean = _cleaned(changes, PARTNER_FIELDS, _clean_partner_field)
    with uow.writing():
        s = uow.session
        who = _who(s, actor_email, "edit partners")
        org = get_partner(s, partner)
        uow.subject = org.name
        done: list[Change] = []
        for f, new in clean.items():
            old = getattr(org, f)
            if old == new:
                continue
            if f == "name":
                if home is not None and org.name_key == normalize_name(home):
                    rules.refuse("partner.home_name", "partner_name", name=org.name)
                key = normalize_name(new)
                other = s.scalar(select(Organization.id).where(Organization.name_key == key,
                                                              Organization.id != org.id))
                if other is not None:
                    raise Duplicate("partner", new)
                org.name_key = key
            if f == "hei_id" and new is not None:
                other_name = s.scalar(select(Organization.name).where(
                    Organization.hei_id == new, Organization.id != org.id))
                if other_name is not None:
                    raise Duplicate("partner with hei-id", new, f" ({other_name})")
            setattr(org, f, new)
            done.append(Change(field=f, old=old, new=new))
        if done:  # `field: old → new`, a line each, as an agreement's `edit` event
            _audit(s, org, "edit", who, clock,
                   describe([(c["field"], c["old"], c["new"]) for c in done]))
        try:
            uow.commit()
        except IntegrityError:
            raise Duplicate("partner", org.name) from None
        return PartnerEdited(partner=partner_info(org), changes=done)


def partner_detail(uow: UnitOfWork, partner: str) -> PartnerDetail:
    """A partner with its contact persons and its history (newest last)."""
    with uow:
        s = uow.session
        org = get_partner(s, partner)
        contacts = _contacts(s, org)
        history = [PartnerEventInfo(id=e.id, event=e.event, actor=e.actor,
                                    recorded_at=e.recorded_at.isoformat(), note=e.note)
                   for e in s.scalars(select(PartnerEvent)
                                      .where(PartnerEvent.organization_id == org.id)
                                      .order_by(PartnerEvent.id))]
        return PartnerDetail(partner=partner_info(org), contacts=contacts, history=history)


# --- contact persons ------------------------------------------------------------------------


def _phone(value: Any) -> str | None:
    out = rules.text(value, "phone", limit=40)
    if out is not None and not _PHONE.fullmatch(out):
        rules.refuse("phone.format", "phone", value=out[:40])
    return out


def _clean_contact_field(name: str, value: Any) -> Any:
    if name == "name":
        return rules.name(value, "name")
    if name == "email":
        return rules.email(value, "contact_email", required=False)
    if name == "phone":
        return _phone(value)
    if name == "role":
        return rules.choice(value, "role", CONTACT_ROLES)
    return rules.text(value, "position", limit=200)


def add_contact(uow: UnitOfWork, clock: Clock, partner: str, *, name: str, role: str = "other",
                email: str | None = None, phone: str | None = None, position: str | None = None,
                actor_email: str | None) -> ContactInfo:
    """A new contact person of `partner` (role: signatory, coordinator or other)."""
    values = {f: _clean_contact_field(f, v) for f, v in
              (("name", name), ("email", email), ("phone", phone), ("role", role),
               ("position", position))}
    with uow.writing():
        s = uow.session
        who = _who(s, actor_email, "change partner contacts")
        org = get_partner(s, partner)
        uow.subject = org.name
        c = PartnerContact(organization_id=org.id, created_at=clock.utcnow, **values)
        s.add(c)
        s.flush()
        _audit(s, org, "contact_added", who, clock, _contact_note(c))
        uow.commit()
        return contact_info(c, org.name)


def _contact_note(c: PartnerContact) -> str:
    return f"{c.name} ({c.role}{', ' + c.position if c.position else ''})"


def _get_contact(s: Session, contact_id: int, partner: str | None) -> tuple[PartnerContact, Organization]:
    c = s.get(PartnerContact, contact_id)
    org = s.get(Organization, c.organization_id) if c is not None else None
    if c is None or org is None or (partner is not None and get_partner(s, partner).id != org.id):
        raise NotFound("contact", contact_id)
    return c, org


def edit_contact(uow: UnitOfWork, clock: Clock, contact_id: int, changes: Mapping[str, Any], *,
                 partner: str | None = None, actor_email: str | None) -> ContactInfo:
    """Change a contact person's fields (an empty e-mail, phone or position clears it);
    with `partner`, only one of that partner's contacts."""
    clean = _cleaned(changes, CONTACT_FIELDS, _clean_contact_field)
    with uow.writing():
        s = uow.session
        who = _who(s, actor_email, "change partner contacts")
        c, org = _get_contact(s, contact_id, partner)
        uow.subject = org.name
        changed = [f"{f}: {getattr(c, f) or '-'} → {v or '-'}" for f, v in clean.items()
                   if getattr(c, f) != v]
        for f, v in clean.items():
            setattr(c, f, v)
        if changed:
            _audit(s, org, "contact_edited", who, clock, f"{c.name}: " + "; ".join(changed))
        uow.commit()
        return contact_info(c, org.name)


def remove_contact(uow: UnitOfWork, clock: Clock, contact_id: int, *, partner: str | None = None,
                   actor_email: str | None) -> ContactInfo:
    """Delete a contact person (the partner's history keeps who it was)."""
    with uow.writing():
        s = uow.session
        who = _who(s, actor_email, "change partner contacts")
        c, org = _get_contact(s, contact_id, partner)
        uow.subject = org.name
        gone = contact_info(c, org.name)
        _audit(s, org, "contact_removed", who, clock, _contact_note(c))
        s.delete(c)
        uow.commit()
        return gone


def list_contacts(uow: UnitOfWork, partner: str) -> list[ContactInfo]:
    with uow:
        s = uow.session
        return _contacts(s, get_partner(s, partner))


def contacts_of(s: Session, organization_ids: Iterable[int],
                names: Mapping[int, str] | None = None) -> dict[int, list[ContactInfo]]:
    """Each organisation's contact persons, signatories first (for the agreement page and
    the agreement document). `names`: the organisations' names, when known already."""
    ids = sorted(set(organization_ids))
    out: dict[int, list[ContactInfo]] = {i: [] for i in ids}
    if not ids:
        return out
    if names is None:
        names = {i: n for i, n in s.execute(select(Organization.id, Organization.name)
                                            .where(Organization.id.in_(ids)))}
    for c in s.scalars(select(PartnerContact).where(PartnerContact.organization_id.in_(ids))
                       .order_by(PartnerContact.organization_id, PartnerContact.id)):
        out[c.organization_id].append(contact_info(c, names.get(c.organization_id, "")))
    for rows in out.values():
        rows.sort(key=lambda c: (CONTACT_ROLES.index(c["role"]), c["id"]))
    return out


def signatory(contacts: list[ContactInfo]) -> ContactInfo | None:
    """The first contact with role signatory, if any."""
    return next((c for c in contacts if c["role"] == "signatory"), None)


class PartyContacts(TypedDict):
    partner_id: int
    contacts: list[ContactInfo]


def agreement_contacts(uow: UnitOfWork, ref: str) -> dict[str, PartyContacts]:
    """An agreement's parties (by name): their id and contact persons, signatories first."""
    from workflow.agreements import get_agreement

    with uow:
        s = uow.session
        return party_contacts(s, get_agreement(s, ref))


def party_contacts(s: Session, a: Agreement, *, any_contacts: bool = True) -> dict[str, PartyContacts]:
    """`agreement_contacts` of an agreement already read with its parties and their
    organisations (one statement; none when the caller knows there are no contact
    persons: `any_contacts`)."""
    orgs = [p.organization for p in a.parties]
    found = contacts_of(s, [o.id for o in orgs], {o.id: o.name for o in orgs}) if any_contacts else {}
    return {o.name: PartyContacts(partner_id=o.id, contacts=found.get(o.id, [])) for o in orgs}

