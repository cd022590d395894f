"""The use of the agreed mobility: each agreement's quotas (its cooperation conditions
between the home institution and a partner) against the mobility its activities
recorded, per academic year, direction and kind. Read by the agreement page, the
dashboard's quota warnings and the annual report; the activities themselves are
recorded in `workflow.activities`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from typing_extensions import TypedDict

from models import Activity, Agreement, MobilitySpec, Organization, normalize_name
from workflow.activity_rules import DAYS_PER_MONTH, MonthDay, duration_days
from workflow.errors import NotFound
from workflow.uow import UnitOfWork


class Amounts(TypedDict):
    mobilities: int
    months: float | None
    days: int | float | None  # agreed: a float (1 decimal); used: whole days


class UtilisationRow(TypedDict):
    """Agreed and used mobility of one agreement, academic year, direction and kind."""

    academic_year: str
    direction: str
    kind: str
    category: str
    agreed: Amounts
    used: Amounts
    gap: int
    share: float | None


# --- use of the agreed mobility (quotas) ------------------------------------------------------


#: Conditions kinds (EWP) -> mobility categories (activities).
CONDITION_CATEGORY = {"student-studies": "student-studies",
                      "student-traineeship": "student-traineeship",
                      "staff-teacher": "staff-teaching", "staff-training": "staff-training"}
#: Usage: (agreement id, first calendar year of the academic year, direction, category)
#: -> [people, person-days].
Usage = dict[tuple[int, int, str, str], list[int]]


def add_usage(usage: Usage, agreement_id: int, academic_year: str, direction: str,
              category: str, people: int, days: int) -> None:
    cell = usage.setdefault((agreement_id, int(academic_year[:4]), direction, category), [0, 0])
    cell[0] += people
    cell[1] += people * days


def read_usage(s: Session, agreement_ids: Iterable[int] | None = None) -> Usage:
    """Recorded mobility per agreement, academic year, direction and category."""
    stmt = (select(Activity.agreement_id, Activity.academic_year, Activity.direction,
                   Activity.category, Activity.people, Activity.starts_on, Activity.ends_on)
            .where(Activity.kind == "mobility", Activity.removed_at.is_(None),
                   Activity.agreement_id.is_not(None)))
    usage: Usage = {}
    ids = sorted(set(agreement_ids)) if agreement_ids is not None else None
    chunks = [ids[i:i + 500] for i in range(0, len(ids), 500)] if ids is not None else [None]
    for chunk in chunks:
        part = stmt if chunk is None else stmt.where(Activity.agreement_id.in_(chunk))
        for aid, year, direction, category, people, starts, ends in s.execute(part).tuples():
            if aid is None or direction is None or category is None:
                continue  # not a mobility under an agreement (the query excludes them)
            add_usage(usage, aid, year, direction, category, people or 0, duration_days(starts, ends))
    return usage


@dataclass(frozen=True, slots=True)
class Quota:
    """One mobility spec as the quota arithmetic needs it."""

    agreement_id: int
    kind: str  # EWP kind (student-studies, staff-teacher, ...)
    direction: str  # out: the home institution sends; in: it receives
    first: int  # first calendar year of the first and last academic year
    last: int
    mobilities: int
    total_months: str | None
    total_days: str | None


def utilisation(quotas: Iterable[Quota], usage: Usage, start: MonthDay,
                years: Iterable[int] | None = None) -> dict[int, list[UtilisationRow]]:
    """Agreed and used mobility per agreement, academic year, direction and kind.

    Rows ``{academic_year, direction, kind, category, agreed: {mobilities, months,
    days}, used: {mobilities, months, days}, gap, share}``; `gap` is the mobilities
    still unused (never negative), `share` used/agreed. Specs of the same kind and
    direction add up. `years` limits the rows to those academic years.
    """
    from workflow.activity_rules import year_label

    only = set(years) if years is not None else None
    cells: dict[tuple[int, int, str, str], Amounts] = {}
    for q in quotas:
        for y in range(q.first, q.last + 1):
            if only is not None and y not in only:
                continue
            cell = cells.setdefault((q.agreement_id, y, q.direction, q.kind),
                                    {"mobilities": 0, "months": None, "days": None})
            cell["mobilities"] += q.mobilities
            if q.total_months:
                cell["months"] = round((cell["months"] or 0) + float(q.total_months), 1)
            if q.total_days:
                cell["days"] = round((cell["days"] or 0) + float(q.total_days), 1)
    out: dict[int, list[UtilisationRow]] = defaultdict(list)
    for (aid, y, direction, kind), agreed in sorted(cells.items()):
        category = CONDITION_CATEGORY[kind]
        people, person_days = usage.get((aid, y, direction, category), (0, 0))
        student = kind.startswith("student")
        used: Amounts = {"mobilities": people,
                "months": round(person_days / DAYS_PER_MONTH, 1) if student else None,
                "days": person_days if not student else None}
        out[aid].append({
            "academic_year": year_label(y, start), "direction": direction, "kind": kind,
            "category": category, "agreed": agreed, "used": used,
            "gap": max(agreed["mobilities"] - people, 0),
            "share": round(people / agreed["mobilities"], 3) if agreed["mobilities"] else None,
        })
    return dict(out)


def home_org_ids(s: Session, institution: str, hei_id: str | None = None) -> set[int]:
    """The organisation rows that are the home institution (by name, or by hei-id)."""
    o = Organization.__table__
    cond = o.c.name_key == normalize_name(institution)
    if hei_id:
        cond = or_(cond, o.c.hei_id == hei_id)
    return set(s.scalars(select(o.c.id).where(cond)))


def read_quotas(s: Session, home_ids: set[int],
                agreement_ids: Iterable[int] | None = None) -> list[Quota]:
    """The cooperation conditions between the home institution and a partner, as quotas."""
    m = MobilitySpec.__table__
    stmt = select(m.c.agreement_id, m.c.kind, m.c.sending_org_id, m.c.receiving_org_id,
                  m.c.first_year, m.c.last_year, m.c.mobilities_per_year, m.c.total_months,
                  m.c.total_days).order_by(m.c.agreement_id, m.c.position)
    ids = sorted(set(agreement_ids)) if agreement_ids is not None else None
    chunks = [ids[i:i + 500] for i in range(0, len(ids), 500)] if ids is not None else [None]
    out = []
    for chunk in chunks:
        part = stmt if chunk is None else stmt.where(m.c.agreement_id.in_(chunk))
        for aid, kind, sending, receiving, first, last, n, months, days in s.execute(part).tuples():
            if (q := _quota(home_ids, aid, kind, sending, receiving, first, last, n, months, days)):
                out.append(q)
    return out


def _quota(home_ids: set[int], aid: int, kind: str, sending: int, receiving: int, first: str,
           last: str, n: int, months: str | None, days: str | None) -> Quota | None:
    if (sending in home_ids) == (receiving in home_ids):
        return None  # between two partners: not the office's quota
    return Quota(aid, kind, "out" if sending in home_ids else "in", int(first[:4]), int(last[:4]),
                 n, months, days)


def utilisation_of(s: Session, start: MonthDay, agreement_id: int, specs: Sequence[MobilitySpec], *,
                   institution: str, hei_id: str | None = None) -> list[UtilisationRow]:
    """`agreement_utilisation` of an agreement whose conditions (`specs`, its mobility
    spec rows) were read already: no statement for an agreement without conditions."""
    if not specs:
        return []
    home_ids = home_org_ids(s, institution, hei_id)
    quotas = [q for m in sorted(specs, key=lambda m: m.position)
              if (q := _quota(home_ids, agreement_id, m.kind, m.sending_org_id, m.receiving_org_id,
                              m.first_year, m.last_year, m.mobilities_per_year, m.total_months,
                              m.total_days))]
    if not quotas:
        return []
    return utilisation(quotas, read_usage(s, [agreement_id]), start).get(agreement_id, [])


def agreement_utilisation(uow: UnitOfWork, start: MonthDay, ref: str, *, institution: str,
                          hei_id: str | None = None) -> list[UtilisationRow]:
    """`agreement show`'s `utilisation`: every academic year its conditions cover."""
    with uow:
        s = uow.session
        aid = s.scalar(select(Agreement.id).where(Agreement.ref == ref.strip().upper()))
        if aid is None:
            raise NotFound("agreement", ref)
        quotas = read_quotas(s, home_org_ids(s, institution, hei_id), [aid])
        if not quotas:
            return []
        return utilisation(quotas, read_usage(s, [aid]), start).get(aid, [])
