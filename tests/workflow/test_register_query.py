"""`hamkor agreement list` reads the register with two Core statements
(`workflow.register_query`), not the ORM's objects: it must give what
`workflow.agreements.list_agreements` gives over mapped objects — the same dictionaries in
the same order, the same refusals — for every filter, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from models import Agreement, AgreementParty
from root import App
from tests.cli.test_lifecycle_cli import OFFICER, adv, create, to_signed
from tests.helpers import hamkor, ok, seed_people
from workflow import agreements, dates, rules
from workflow.agreements import agreement_dict, get_partner
from workflow.clock import Clock
from workflow.lifecycle import BINDING, State
from workflow.uow import UnitOfWork


@pytest.fixture
def db(db_url: str) -> str:
    seed_people(db_url)
    return db_url


def orm_list(uow: UnitOfWork, clock: Clock, *, state: str | None = None,
             partner: str | None = None, expiring_within: int | None = None,
             limit: int | None = None) -> list[Any]:
    """The oracle: the register read through mapped objects and `agreement_dict`."""
    with uow:
        s = uow.session
        stmt = select(Agreement).order_by(Agreement.ref_year, Agreement.ref_seq)
        if state:
            rules.choice(state, "state", [x.value for x in State])
            stmt = stmt.where(Agreement.state == state)
        if partner:
            org = get_partner(s, partner)
            stmt = stmt.where(Agreement.id.in_(
                select(AgreementParty.agreement_id).where(AgreementParty.organization_id == org.id)))
        if expiring_within is not None:
            rules.integer(expiring_within, "expiring_within", minimum=0,
                          maximum=dates.MAX_WITHIN_DAYS)
            stmt = stmt.where(
                Agreement.state.in_(BINDING),
                Agreement.expires_on.is_not(None),
                Agreement.expires_on <= clock.today + timedelta(days=expiring_within),
            )
        if limit:
            stmt = stmt.limit(rules.integer(limit, "limit", minimum=1))
        return [agreement_dict(a) for a in s.scalars(stmt)]


def _both(app: App, **kw: Any) -> tuple[Any, Any]:
    out = []
    for f in (orm_list, agreements.list_agreements):
        try:
            out.append(json.dumps(f(app.uow(), app.clock(), **kw), default=str, ensure_ascii=False))
        except Exception as e:  # noqa: BLE001 - the refusal itself is compared
            out.append(f"{type(e).__name__}: {e}")
    return out[0], out[1]


def test_the_core_read_equals_the_orm_read_for_every_filter(db: str) -> None:
    # A predecessor and its successor (`renews`), one with three parties, one signed (a
    # party's `signed_on`, an expiry), one without an owner's record change.
    old = create(db, "--starts", "2022-01-01", "--months", "36", on="2021-11-01")
    to_signed(db, old, dates=("2021-11-02", "2021-11-03", "2021-11-03", "2021-11-05", "2021-11-06"))
    ok(adv(db, old, "activate", OFFICER, "--on", "2022-01-01"))
    ok(hamkor(db, "agreement", "renew", old, "--by", OFFICER, "--on", "2024-10-01"))
    create(db, "--form", "internship")
    ok(hamkor(db, "agreement", "create", "--title", "Three parties", "--partner", "Politecnico di Torino",
              "--partner", "Hiroshima University", "--type", "mou", "--owner", OFFICER, "--by", OFFICER,
              "--on", "2024-11-05"))
    app = App(db)
    try:
        full = json.loads(_both(app)[1])
        assert len(full) == 4 and any(a["renews"] == old for a in full)
        assert any(len(a["parties"]) == 3 for a in full)
        assert any(p["signed_on"] for a in full for p in a["parties"])
        cases: list[dict[str, Any]] = [
            {}, {"state": "draft"}, {"state": "active"}, {"state": "expired"},
            {"partner": "Hiroshima University"}, {"partner": "Politecnico di Torino"},
            {"expiring_within": 0}, {"expiring_within": 3650}, {"limit": 1}, {"limit": 3},
            {"state": "draft", "limit": 1}, {"partner": "Hiroshima University", "limit": 2},
            {"partner": "Hiroshima University", "expiring_within": 3650},
            # refusals: the same error, same words
            {"state": "dormant"}, {"partner": "Nobody Anywhere"}, {"expiring_within": -1}, {"limit": -1},
        ]
        for kw in cases:
            orm, core = _both(app, **kw)
            assert core == orm, kw
    finally:
        app.close()
