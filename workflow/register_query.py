"""The register as plain rows: `hamkor agreement list` without the ORM.

Two Core statements — the agreements (with their owner's e-mail and the reference of the
agreement they renew) and then their parties (with each organisation) — give the same
dictionaries as `workflow.agreements.agreement_dict` over the ORM's objects, in the same
order. A read-only command then neither configures the mappers nor imports the lifecycle's
domain modules (rules, guards, the machine, the schedule…): those are what the start-up of
a simple command paid beyond SQLAlchemy itself (issue 22).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, Table, select

from models.base import Base
from workflow.clock import Clock
from workflow.uow import UnitOfWork


def _tables() -> tuple[Table, Table, Table, Table]:
    t = Base.metadata.tables
    return t["agreements"], t["agreement_parties"], t["organizations"], t["users"]


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def list_agreements(uow: UnitOfWork, clock: Clock, *, state: str | None = None,
                    partner: str | None = None, expiring_within: int | None = None,
                    limit: int | None = None) -> list[dict[str, Any]]:
    """The agreements by reference, filtered as `workflow.agreements.list_agreements`
    filters them (same checks, same errors), each as `agreement_dict` has it."""
    from workflow import dates, rules
    from workflow.lifecycle import BINDING, State

    a, ap, org, users = _tables()
    with uow:
        s = uow.session
        ids: Select[Any] = select(a.c.id)
        if state:
            rules.choice(state, "state", [x.value for x in State])
            ids = ids.where(a.c.state == state)
        if partner:
            from workflow.registry import get_partner

            found = get_partner(s, partner)
            ids = ids.where(a.c.id.in_(select(ap.c.agreement_id).correlate(None)
                                       .where(ap.c.organization_id == found.id)))
        if expiring_within is not None:
            rules.integer(expiring_within, "expiring_within", minimum=0,
                          maximum=dates.MAX_WITHIN_DAYS)
            ids = ids.where(
                a.c.state.in_(sorted(x.value for x in BINDING)),
                a.c.expires_on.is_not(None),
                a.c.expires_on <= clock.today + timedelta(days=expiring_within),
            )
        if limit:
            ids = ids.order_by(a.c.ref_year, a.c.ref_seq).limit(rules.integer(limit, "limit", minimum=1))
        # Every agreement, or those the filters chose (a subquery of their ids).
        chosen = [a.c.id.in_(ids.correlate(None))] if state or partner or limit or \
            expiring_within is not None else []
        renewed = a.alias("renewed")
        conn = s.connection()
        rows = conn.execute(
            select(a, users.c.email.label("owner_email"), renewed.c.ref.label("renews_ref"))
            .outerjoin(users, users.c.id == a.c.owner_id)
            .outerjoin(renewed, renewed.c.id == a.c.renews_id)
            .where(*chosen)
            .order_by(a.c.ref_year, a.c.ref_seq)
        ).mappings().all()
        parties: dict[int, list[dict[str, Any]]] = {}
        for p in conn.execute(
            select(ap.c.agreement_id, ap.c.signed_on, org.c.name, org.c.country, org.c.kind)
            .join(org, org.c.id == ap.c.organization_id)
            .where(*([ap.c.agreement_id.in_(ids.correlate(None))] if chosen else []))
            .order_by(ap.c.agreement_id, ap.c.position)
        ):
            parties.setdefault(p.agreement_id, []).append(
                {"name": p.name, "country": p.country, "kind": p.kind, "signed_on": _iso(p.signed_on)})
        return [{
            "ref": r["ref"],
            "title": r["title"],
            "type": r["type"],
            "state": r["state"],
            "starts_on": _iso(r["starts_on"]),
            "expires_on": _iso(r["expires_on"]),
            "indefinite": r["indefinite"],
            "term": r["term"],
            "auto_renew": r["auto_renew"],
            "renewal_months": r["renewal_months"],
            "notice_days": r["notice_days"],
            "notice_given_on": _iso(r["notice_given_on"]),
            "ends_on": _iso(r["ends_on"]),
            "owner": r["owner_email"],
            "department": r["department"],
            "parties": parties.get(r["id"], []),
            "forms": list(r["forms"] or []),
            "renews": r["renews_ref"],
            "created_on": _iso(r["created_on"]),
            "iia_id": r["iia_id"],
            "partner_iia_id": r["partner_iia_id"],
            "version": r["version"],
        } for r in rows]
