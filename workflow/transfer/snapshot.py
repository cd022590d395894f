"""What planning compares rows with: the partners, users and agreements stored.

`load_snapshot` reads it in a few queries (no per-row lookups); planning itself is pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from models import Agreement, AgreementParty, Organization, User, normalize_name


@dataclass
class Org:
    """A partner as the plan sees it; `id` None: created by this import."""

    id: int | None
    name: str
    key: str
    country: str | None
    kind: str
    erasmus_code: str | None


@dataclass(frozen=True)
class Stored:
    """A stored agreement, in the shape rows are compared in."""

    id: int
    ref: str
    state: str
    renews_id: int | None
    fields: dict[str, Any]


@dataclass
class Snapshot:
    orgs_by_key: dict[str, Org] = field(default_factory=dict)
    orgs_by_code: dict[str, Org] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    by_ref: dict[str, Stored] = field(default_factory=dict)
    by_identity: dict[tuple[Any, ...], list[Stored]] = field(default_factory=dict)
    max_seq: dict[int, int] = field(default_factory=dict)



def _code_key(code: str) -> str:
    return "".join(code.split()).upper()


def identity(title: str, party_keys: Iterable[str], starts_on: date | None) -> tuple[Any, ...]:
    return (normalize_name(title), tuple(sorted(party_keys)), starts_on)


def load_snapshot(s: Session) -> Snapshot:
    """What planning needs from the database, in a few queries (no per-row lookups)."""
    snap = Snapshot()
    for o in s.execute(select(Organization.id, Organization.name, Organization.name_key,
                              Organization.country, Organization.kind, Organization.erasmus_code)):
        org = Org(o.id, o.name, o.name_key, o.country, o.kind, o.erasmus_code)
        snap.orgs_by_key[o.name_key] = org
        if o.erasmus_code:
            snap.orgs_by_code.setdefault(_code_key(o.erasmus_code), org)
    snap.users = {email: uid for uid, email in s.execute(select(User.id, User.email))}
    key_of = {o.id: o.key for o in snap.orgs_by_key.values()}
    parties: dict[int, list[tuple[str, date | None]]] = {}
    for agreement_id, org_id, signed_on in s.execute(
        select(AgreementParty.agreement_id, AgreementParty.organization_id, AgreementParty.signed_on)
        .order_by(AgreementParty.agreement_id, AgreementParty.position)
    ):
        parties.setdefault(agreement_id, []).append((key_of[org_id], signed_on))
    pred = aliased(Agreement)
    cols = Agreement.__table__.c
    core = (select(cols.id, cols.ref, cols.ref_year, cols.ref_seq, cols.title, cols.type, cols.state,
                   cols.department, cols.starts_on, cols.expires_on, cols.indefinite, cols.term,
                   cols.auto_renew, cols.renewal_months, cols.notice_days, cols.forms,
                   cols.created_on, cols.notice_given_on, cols.ends_on, cols.notes, cols.renews_id,
                   User.email, pred.ref.label("renews_ref"))
            .select_from(Agreement.__table__)
            .outerjoin(User, User.id == cols.owner_id)
            .outerjoin(pred, pred.id == cols.renews_id))
    for r in s.execute(core):
        ps = parties.get(r.id, [])
        fields = {
            "title": r.title, "type": r.type, "state": r.state,
            "parties": tuple(k for k, _ in ps), "signed_on": tuple(d for _, d in ps),
            "department": r.department, "owner": r.email, "starts_on": r.starts_on,
            "expires_on": (r.expires_on, bool(r.indefinite)), "term": r.term,
            "auto_renew": bool(r.auto_renew), "renewal_months": r.renewal_months,
            "notice_days": r.notice_days, "forms": tuple(r.forms or ()), "renews": r.renews_ref,
            "created_on": r.created_on, "notice_given_on": r.notice_given_on,
            "ends_on": r.ends_on, "notes": r.notes,
        }
        stored = Stored(r.id, r.ref, r.state, r.renews_id, fields)
        snap.by_ref[r.ref] = stored
        snap.by_identity.setdefault(identity(r.title, fields["parties"], r.starts_on), []).append(stored)
        snap.max_seq[r.ref_year] = max(snap.max_seq.get(r.ref_year, 0), r.ref_seq)
    return snap

