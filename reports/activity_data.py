"""The annual report's cooperation activity: what the partnerships produced.

Everything counts the live activities of the academic year that starts in the
report year (`academic_year`, e.g. 2025/2026; see README "Cooperation
activity"), read in one query (plus one for the agreed quotas and one for the
references of agreements outside the register): never a query per agreement.
Participant names are never read here, so no report carries them.

- *mobility* in (incoming) and out (outgoing), by category, by country and by
  partner: people, and for Erasmus+ mobility (under an agreement with
  cooperation conditions) person-months of students and person-days of staff;
- *visits*, *events*, *projects* (and funding by currency), *publications*:
  one row each;
- *quota utilisation* of each Erasmus+ agreement of the report's scope in the
  academic year: agreed and used mobilities, months/days, and the gap;
- *activity per department*; key figures students out/in, staff out/in.

`--department` keeps the activities recorded under that department.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session

from models import Activity, Agreement, MobilitySpec
from models.activities import MOBILITY_CATEGORIES as MOBILITY_CATEGORIES_ORDER
from workflow.activities import Quota, add_usage, read_quotas, utilisation
from workflow.activity_rules import (
    DAYS_PER_MONTH,
    STAFF_CATEGORIES,
    STUDENT_CATEGORIES,
    first_year,
)

DIRECTION = {"out": "outgoing", "in": "incoming"}
#: The activity figures that join the report's key figures (`summary`).
KEY_FIGURES = ("students_out", "students_in", "staff_out", "staff_in")
KINDS = ("mobility", "visit", "event", "project", "publication")


def _days(s: Session) -> Any:
    """Days of a mobility, both ends included, as SQL (per dialect)."""
    a = Activity.__table__
    if s.get_bind().dialect.name == "postgresql":
        return a.c.ends_on - a.c.starts_on + 1
    return cast(func.julianday(a.c.ends_on) - func.julianday(a.c.starts_on) + 1, Integer)


def fetch_rows(s: Session, label: str, department: str | None) -> list[tuple[Any, ...]]:
    """The live activities of academic year `label` (the department's only, if given)."""
    a = Activity.__table__
    stmt = select(a.c.id, a.c.kind, a.c.agreement_id, a.c.organization_id, a.c.department,
                  a.c.direction, a.c.category, a.c.people, a.c.starts_on, a.c.ends_on, _days(s),
                  a.c.title, a.c.purpose, a.c.place, a.c.funder, a.c.amount, a.c.currency,
                  a.c.role, a.c.year, a.c.doi).where(a.c.academic_year == label,
                                                     a.c.removed_at.is_(None))
    if department:
        # As for agreements: case-insensitive in Python (SQLite's lower() is ASCII only).
        wanted = department.casefold()
        stored = s.scalars(select(a.c.department).distinct().where(a.c.department.is_not(None),
                                                                    a.c.academic_year == label))
        stmt = stmt.where(a.c.department.in_([d for d in stored if d.strip().casefold() == wanted]))
    return list(s.execute(stmt.order_by(a.c.id)).tuples().all())


def activity_sections(s: Session, label: str, department: str | None, *, home_ids: set[int],
                      orgs: dict[int, Any], register: dict[int, tuple[str, str]],
                      year_start: tuple[int, int]) -> dict[str, Any]:
    """Read and build the sections. `orgs`: organisation id -> facts with `name` and
    `country`; `register`: agreement id -> (ref, title) of the report's agreements."""
    rows = fetch_rows(s, label, department)
    with_specs = set(s.scalars(select(MobilitySpec.agreement_id).distinct()))
    refs = dict(register)
    missing = sorted({r[2] for r in rows if r[2] is not None and r[2] not in refs})
    for i in range(0, len(missing), 500):
        refs.update({aid: (ref, title) for aid, ref, title in s.execute(
            select(Agreement.id, Agreement.ref, Agreement.title)
            .where(Agreement.id.in_(missing[i:i + 500]))).tuples().all()})
    # Quotas of the report's Erasmus+ agreements (the register's, with conditions).
    quotas = [q for q in read_quotas(s, home_ids, sorted(set(register) & with_specs))
              if q.first <= first_year(label) <= q.last] if home_ids else []
    return build_sections(rows, label, orgs=orgs, refs=refs, erasmus=with_specs, quotas=quotas,
                          year_start=year_start)


def _money(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


def build_sections(rows: Iterable[tuple[Any, ...]], label: str, *, orgs: dict[int, Any],
                   refs: dict[int, tuple[str, str]], erasmus: set[int], quotas: list[Quota],
                   year_start: tuple[int, int]) -> dict[str, Any]:
    """The sections from the rows of `fetch_rows` (pure)."""
    def partner(oid: int | None) -> tuple[str | None, str | None]:
        if oid is None or oid not in orgs:
            return None, None
        o = orgs[oid]
        return o.name, o.country

    # (direction, key) -> [people, erasmus people, person-months (students), person-days (staff)]
    by_category: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0, 0.0, 0])
    by_country: dict[tuple[str, str | None], list[float]] = defaultdict(lambda: [0, 0, 0.0, 0])
    by_partner: dict[tuple[str, str | None, str | None], list[float]] = defaultdict(
        lambda: [0, 0, 0.0, 0])
    figures: Counter[str] = Counter()
    departments: dict[str | None, Counter[str]] = defaultdict(Counter)
    per_agreement: dict[str, Counter[str]] = defaultdict(Counter)
    usage: dict[tuple[int, int, str, str], list[int]] = {}
    visits, events, projects, publications = [], [], [], []
    funding: dict[str, list[Any]] = {}
    for (_id, kind, aid, oid, dept, direction, category, people, starts_on, ends_on, days, title,
         purpose, place, funder, amount, currency, role, year, doi) in rows:
        name, country = partner(oid)
        ref = refs[aid][0] if aid is not None and aid in refs else None
        dep = departments[dept]
        dep["activities"] += 1
        if ref is not None:
            per_agreement[ref][kind] += 1
        if kind == "mobility":
            d = DIRECTION[direction]
            n = people or 0
            cells = [by_category[(d, category)], by_country[(d, country)],
                     by_partner[(d, name, country)]]
            is_erasmus = aid is not None and aid in erasmus
            student = category in STUDENT_CATEGORIES
            for cell in cells:
                cell[0] += n
                if is_erasmus:
                    cell[1] += n
                    if student:
                        cell[2] += n * (days or 0) / DAYS_PER_MONTH
                    elif category in STAFF_CATEGORIES:
                        cell[3] += n * (days or 0)
            who = "students" if student else "staff" if category in STAFF_CATEGORIES else "other"
            figures[f"{who}_{direction}"] += n
            figures[f"mobility_{direction}"] += n
            dep[f"mobility_{direction}"] += n
            if ref is not None:
                per_agreement[ref][f"mobility_{direction}_people"] += n
            if aid is not None:
                add_usage(usage, aid, label, direction, category, n, days or 0)
        elif kind == "visit":
            visits.append({"date": starts_on, "direction": DIRECTION[direction], "partner": name,
                           "country": country, "agreement": ref, "people": people,
                           "purpose": purpose, "department": dept})
            figures[f"visits_{direction}"] += 1
            figures[f"visitors_{direction}"] += people or 0
            dep["visits"] += 1
        elif kind == "event":
            events.append({"date": starts_on, "title": title, "place": place, "people": people,
                           "partner": name, "country": country, "agreement": ref,
                           "department": dept})
            figures["events"] += 1
            figures["event_participants"] += people or 0
            dep["events"] += 1
        elif kind == "project":
            projects.append({"title": title, "funder": funder, "amount": amount,
                             "currency": currency, "role": role, "starts_on": starts_on,
                             "ends_on": ends_on, "partner": name, "country": country,
                             "agreement": ref, "department": dept})
            if amount is not None and currency is not None:
                money = funding.setdefault(currency, [Decimal(0), 0])
                money[0] += Decimal(amount)
                money[1] += 1
            figures["projects"] += 1
            dep["projects"] += 1
        else:
            publications.append({"title": title, "year": year, "doi": doi, "partner": name,
                                 "country": country, "agreement": ref, "department": dept})
            figures["publications"] += 1
            dep["publications"] += 1

    def mobility_rows(table: dict[Any, list[float]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
        out = []
        for key, (n, en, months, pdays) in table.items():
            row = dict(zip(("direction", *keys), key, strict=True))
            row.update(people=int(n), erasmus_people=int(en), months=round(months, 1),
                       days=int(pdays))
            out.append(row)
        return out

    order = {c: i for i, c in enumerate(MOBILITY_CATEGORIES_ORDER)}
    cat_rows = sorted(mobility_rows(by_category, ("category",)),
                      key=lambda r: (r["direction"] != "outgoing", order.get(r["category"], 99)))
    country_rows = sorted(mobility_rows(by_country, ("country",)),
                          key=lambda r: (r["direction"] != "outgoing", -r["people"],
                                         r["country"] is None, r["country"] or ""))
    partner_rows = sorted(mobility_rows(by_partner, ("partner", "country")),
                          key=lambda r: (r["direction"] != "outgoing", -r["people"],
                                         r["partner"] is None, (r["partner"] or "").casefold()))
    visits.sort(key=lambda v: (v["date"] or date.min, v["partner"] or ""))
    events.sort(key=lambda v: (v["date"] or date.min, v["title"] or ""))
    projects.sort(key=lambda v: (v["starts_on"] or date.min, v["title"] or ""))
    publications.sort(key=lambda v: (v["year"] or 0, (v["title"] or "").casefold()))

    quota_rows = []
    titles = {aid: refs.get(aid, ("?", "")) for aid in {q.agreement_id for q in quotas}}
    for aid, items in utilisation(quotas, usage, year_start, years=[first_year(label)]).items():
        ref, title = titles[aid]
        for r in items:
            quota_rows.append({
                "agreement": ref, "title": title, "direction": DIRECTION[r["direction"]],
                "kind": r["kind"], "category": r["category"],
                "agreed": r["agreed"]["mobilities"], "used": r["used"]["mobilities"],
                "gap": r["gap"], "share": r["share"],
                "agreed_months": r["agreed"]["months"], "agreed_days": r["agreed"]["days"],
                "used_months": r["used"]["months"], "used_days": r["used"]["days"],
                "under_used": r["used"]["mobilities"] < 0.5 * r["agreed"]["mobilities"],
            })
    quota_rows.sort(key=lambda r: (r["agreement"], r["direction"] != "outgoing", r["kind"]))

    dep_rows: list[dict[str, Any]] = [{"department": d, **{k: c[k] for k in (
        "mobility_out", "mobility_in", "visits", "events", "projects", "publications",
        "activities")}} for d, c in departments.items()]
    dep_rows.sort(key=lambda r: (-r["activities"], r["department"] is None, r["department"] or ""))
    return {
        "mobility_by_category": cat_rows,
        "mobility_by_country": country_rows,
        "mobility_by_partner": partner_rows,
        "visits": visits,
        "events": events,
        "projects": projects,
        "funding": [{"currency": c, "amount": _money(v[0]), "projects": v[1]}
                    for c, v in sorted(funding.items())],
        "publications": publications,
        "quota_utilisation": quota_rows,
        "activity_by_department": dep_rows,
        "activity_summary": {
            "students_out": figures["students_out"], "students_in": figures["students_in"],
            "staff_out": figures["staff_out"], "staff_in": figures["staff_in"],
            "mobility_out": figures["mobility_out"], "mobility_in": figures["mobility_in"],
            "visits": len(visits), "visits_in": figures["visits_in"],
            "visits_out": figures["visits_out"], "visitors_in": figures["visitors_in"],
            "visitors_out": figures["visitors_out"], "events": len(events),
            "event_participants": figures["event_participants"], "projects": len(projects),
            "publications": len(publications),
            "under_used_quotas": sum(1 for r in quota_rows if r["under_used"]),
        },
        "per_agreement": {ref: dict(c) for ref, c in per_agreement.items()},
    }


def merge(data: dict[str, Any], sections: dict[str, Any]) -> None:
    """Put the sections into the report data (before its hash): the key figures into
    `summary`, each register row's activity counts into the row (for the CSV)."""
    per_agreement = sections.pop("per_agreement")
    data["summary"].update({k: sections["activity_summary"][k] for k in KEY_FIGURES})
    data.update(sections)
    for row in data["agreements"]:
        c = per_agreement.get(row["ref"])
        row["mobility_out"] = c.get("mobility_out_people", 0) if c else 0
        row["mobility_in"] = c.get("mobility_in_people", 0) if c else 0
        row["visits"] = c.get("visit", 0) if c else 0
        row["events"] = c.get("event", 0) if c else 0
        row["projects"] = c.get("project", 0) if c else 0
        row["publications"] = c.get("publication", 0) if c else 0
