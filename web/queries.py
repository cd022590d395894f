"""Read models of the pages: what the list shows (the dashboard: `web.dashboard`).

Reading only; every rule comes from `workflow` (which states count as
expiring, the notice deadline, who may approve what): nothing here decides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, lazyload, load_only

from models import Agreement, AgreementParty, Organization, User, normalize_name
from workflow.agreements import (
    AgreementRow,
)
from workflow.clock import Clock
from workflow.uow import UnitOfWork

PAGE_SIZE = 50
#: How many matches the list counts at most ("more than 2,000 agreements"): counting a
#: search as broad as "university" over 100,000 agreements costs more than its page.
COUNT_LIMIT = 2_000


def partners_named(uow: UnitOfWork, text: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """The first `limit` partners (id, name, country) whose name contains `text` (any case),
    by name: the partner box's suggestions. Never every partner: an office may have
    thousands, and the page carried all of them once (250 KB)."""
    key = normalize_name(text or "")
    if not key:
        return []
    like = "%" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with uow:
        return [{"id": oid, "name": name, "country": country} for oid, name, country in
                uow.session.execute(select(Organization.id, Organization.name, Organization.country)
                                    .where(Organization.name_key.like(like, escape="\\"))
                                    .order_by(func.lower(Organization.name)).limit(limit))]


def partner_filter(uow: UnitOfWork, value: str) -> dict[str, str]:
    """What the partner box shows for the filter `value`: a partner's name for its id
    (a link from a partner's page), else the text as typed."""
    if value.isdigit() and len(value) < 19:
        with uow:
            name = uow.session.scalar(select(Organization.name).where(Organization.id == int(value)))
        if name:
            return {"shown": name}
    return {"shown": value}


def countries(uow: UnitOfWork) -> list[str]:
    """The countries of the partners, once each (the list's country filter)."""
    with uow:
        return sorted(c for c in uow.session.connection().execute(_countries_statement()).scalars() if c)


@cache
def _countries_statement() -> Select[Any]:
    return select(Organization.__table__.c.country).distinct()


def loaded() -> tuple[Any, ...]:
    """What `agreement_dict` reads, joined to the rows (not one query per agreement); of
    the predecessor only its reference."""
    return (joinedload(Agreement.parties).joinedload(AgreementParty.organization),
            joinedload(Agreement.owner),
            joinedload(Agreement.renews).options(load_only(Agreement.ref), lazyload("*")))


def activation_day(starts_on: date | None, today: date) -> str | None:
    """When a signed agreement becomes active by itself: its start date (the daily check
    activates it), or today's check if it has already started."""
    if starts_on is None:
        return None
    return max(starts_on, today).isoformat()


@dataclass
class Page:
    rows: list[AgreementRow]
    total: int
    page: int
    pages: int
    capped: bool = False  # more than `total` match (counting stopped there)


def search_agreements(uow: UnitOfWork, clock: Clock, *, institution: str = "",
                      state: str | None = None, partner: str | None = None,
                      expiring_within: int | None = None, q: str | None = None,
                      country: str | None = None, department: str | None = None,
                      type: str | None = None, owner: str | None = None, sort: str | None = None,
                      partner_name: str | None = None, page: int = 1,
                      size: int | None = PAGE_SIZE, count_limit: int | None = None,
                      refreshed: bool = False) -> Page:
    """One page of the agreements matching the search box and the filters (by index).
    With `count_limit`, at most that many are counted (then `capped`). `refreshed`: the
    search index was just brought up to date (else the search does it)."""
    from workflow.search import search

    filters = {"q": q, "state": state, "partner": partner, "expiring_within": expiring_within,
               "country": country, "department": department, "type": type, "owner": owner,
               "partner_name": partner_name}
    page = max(1, page)
    count, ids = search(uow, clock, institution, sort=sort, offset=(page - 1) * (size or 0),
                        limit=size, count_limit=count_limit, refreshed=refreshed, **filters)
    capped = count_limit is not None and count > count_limit
    count = min(count, count_limit) if count_limit is not None else count
    pages = max(1, math.ceil(count / size)) if size else 1
    if page > pages:  # past the end (the list shrank): the last page
        page = pages
        count, ids = search(uow, clock, institution, sort=sort, offset=(page - 1) * (size or 0),
                            limit=size, count_limit=count_limit, refreshed=True, **filters)
        count = min(count, count_limit) if count_limit is not None else count
    return Page(agreements_by_id(uow, ids), count, page, pages, capped)


def agreements_by_id(uow: UnitOfWork, ids: list[int]) -> list[AgreementRow]:
    """The agreements (with parties and owner), in the order of `ids`: two Core
    statements (`workflow.register_query.by_id`), the dictionaries `agreement_dict` gives."""
    from workflow.register_query import by_id

    if not ids:
        return []
    with uow:
        return by_id(uow.session.connection(), ids)


def departments(uow: UnitOfWork) -> list[str]:
    """Every department an agreement names, once each (as first written), sorted.

    A loose index scan (a recursive query hopping from one department to the next
    along `ix_agreements_department`): a few index probes per department, not a
    pass over the register for its handful of distinct values."""
    with uow:
        stored = uow.session.connection().execute(_departments_statement()).scalars()
        seen: dict[str, str] = {}
        for d in stored:
            if d and d.strip():
                seen.setdefault(d.strip().casefold(), d.strip())
    return sorted(seen.values(), key=str.casefold)


@cache
def _departments_statement() -> Select[Any]:
    """`departments`' statement, built once (every list page asks)."""
    a = Agreement.__table__.c
    d = select(func.min(a.department).label("v")).cte("d", recursive=True)
    d = d.union_all(select(select(func.min(a.department)).where(a.department > d.c.v)
                           .scalar_subquery()).where(d.c.v.is_not(None)))
    return select(d.c.v).where(d.c.v.is_not(None))


def owners(uow: UnitOfWork) -> list[dict[str, str]]:
    """Who may own an agreement (every user but viewers), by e-mail: the owner filter's
    choices (e-mail and name)."""
    with uow:
        return [{"email": email, "name": name} for email, name
                in uow.session.connection().execute(_owners_statement())]


@cache
def _owners_statement() -> Select[Any]:
    u = User.__table__.c
    return select(u.email, u.name).where(u.role != "viewer").order_by(u.email)


def unknown_department(wanted: str, known: list[str]) -> list[str] | None:
    """None when `wanted` names a known department (any case); else the known ones
    closest to it first (a typo's likely meaning), then the rest."""
    import difflib

    key = wanted.strip().casefold()
    if any(d.casefold() == key for d in known):
        return None
    folded = {d.casefold(): d for d in known}
    close = [folded[c] for c in difflib.get_close_matches(key, list(folded), n=3, cutoff=0.5)]
    return close + [d for d in known if d not in close]

