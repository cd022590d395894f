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
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session

from models import Activity, Agreement, MobilitySpec
from models.activities import MOBILITY_CATEGORIES as MOBILITY_CATEGORIES_ORDER
from workflow.activities import Quota, read_quotas, utilisation
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


def _scope(s: Session, label: str, department: str | None) -> list[Any]:
    """The conditions of the activities counted: the year's live ones (the department's)."""
    a = Activity.__table__
    cond: list[Any] = [a.c.academic_year == label, a.c.removed_at.is_(None)]
    if department:
        # As for agreements: case-insensitive in Python (SQLite's lower() is ASCII only).
        wanted = department.casefold()
        stored = s.scalars(select(a.c.department).distinct().where(a.c.department.is_not(None),
                                                                    a.c.academic_year == label))
        cond.append(a.c.department.in_([d for d in stored if d.strip().casefold() == wanted]))
    return cond


@dataclass
class MobilitySums:
    """The year's mobility summed in the database, four ways (rows of plain values)."""

    #: (direction, category, organisation id, erasmus 0/1, people, person-days)
    by_partner: list[tuple[Any, ...]] = field(default_factory=list)
    #: (department, direction, people, activities)
    by_department: list[tuple[Any, ...]] = field(default_factory=list)
    #: (agreement id, direction, people)
    by_agreement: list[tuple[Any, ...]] = field(default_factory=list)
    #: (agreement id, direction, category, people, person-days) of agreements with quotas
    usage: list[tuple[Any, ...]] = field(default_factory=list)


def fetch_mobility(s: Session, label: str, department: str | None,
                   quota_ids: Iterable[int] = ()) -> MobilitySums:
    """Mobility of academic year `label`, summed four ways from one read of the year's
    rows (their days computed by the database; no date reaches Python)."""
    a = Activity.__table__
    stmt = (select(a.c.agreement_id, a.c.organization_id, a.c.department, a.c.direction,
                   a.c.category, a.c.people, _days(s))
            .where(a.c.kind == "mobility", *_scope(s, label, department)))
    erasmus = set(s.scalars(select(MobilitySpec.agreement_id).distinct()))
    quotas = set(quota_ids)
    partner: dict[tuple[Any, ...], list[int]] = {}
    dept: dict[tuple[Any, ...], list[int]] = {}
    agreement: dict[tuple[Any, ...], list[int]] = {}
    usage: dict[tuple[Any, ...], list[int]] = {}
    for aid, oid, department_, direction, category, people, days in s.execute(stmt).tuples():
        n = people or 0
        pdays = n * int(days or 0)
        key = (direction, category, oid, 1 if aid in erasmus else 0)
        cell = partner.get(key)
        if cell is None:
            partner[key] = [n, pdays]
        else:
            cell[0] += n
            cell[1] += pdays
        cell = dept.get((department_, direction))
        if cell is None:
            dept[(department_, direction)] = [n, 1]
        else:
            cell[0] += n
            cell[1] += 1
        if aid is not None:
            cell = agreement.get((aid, direction))
            if cell is None:
                agreement[(aid, direction)] = [n]
            else:
                cell[0] += n
            if aid in quotas:
                cell = usage.setdefault((aid, direction, category), [0, 0])
                cell[0] += n
                cell[1] += pdays
    return MobilitySums([(*k, *v) for k, v in partner.items()],
                        [(*k, *v) for k, v in dept.items()],
                        [(*k, *v) for k, v in agreement.items()],
                        [(*k, *v) for k, v in usage.items()])


def fetch_items(s: Session, label: str, department: str | None) -> list[tuple[Any, ...]]:
    """The year's visits, events, projects and publications, one row each: (kind, agreement
    id, organisation id, department, direction, people, starts_on, ends_on, title,
    purpose, place, funder, amount, currency, role, year, doi)."""
    a = Activity.__table__
    stmt = (select(a.c.kind, a.c.agreement_id, a.c.organization_id, a.c.department,
                   a.c.direction, a.c.people, a.c.starts_on, a.c.ends_on, a.c.title, a.c.purpose,
                   a.c.place, a.c.funder, a.c.amount, a.c.currency, a.c.role, a.c.year, a.c.doi)
            .where(a.c.kind != "mobility", *_scope(s, label, department)).order_by(a.c.id))
    return list(s.execute(stmt).tuples().all())


def activity_sections(s: Session, label: str, department: str | None, *, home_ids: set[int],
                      orgs: dict[int, Any], register: dict[int, tuple[str, str]],
                      year_start: tuple[int, int]) -> dict[str, Any]:
    """Read and build the sections. `orgs`: organisation id -> facts with `name` and
    `country`; `register`: agreement id -> (ref, title) of the report's agreements."""
    with_specs = set(s.scalars(select(MobilitySpec.agreement_id).distinct()))
    # Quotas of the report's Erasmus+ agreements (the register's, with conditions).
    quotas = [q for q in read_quotas(s, home_ids, sorted(set(register) & with_specs))
              if q.first <= first_year(label) <= q.last] if home_ids else []
    mobility = fetch_mobility(s, label, department, {q.agreement_id for q in quotas})
    items = fetch_items(s, label, department)
    refs = dict(register)
    missing = sorted({r[1] for r in items if r[1] is not None and r[1] not in refs}
                     | {r[0] for r in mobility.usage if r[0] not in refs})
    for i in range(0, len(missing), 500):
        refs.update({aid: (ref, title) for aid, ref, title in s.execute(
            select(Agreement.id, Agreement.ref, Agreement.title)
            .where(Agreement.id.in_(missing[i:i + 500]))).tuples().all()})
    return build_sections(mobility, items, label, orgs=orgs, refs=refs, erasmus=with_specs,
                          quotas=quotas, year_start=year_start)


def _money(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


def build_sections(mobility: MobilitySums, items: Iterable[tuple[Any, ...]],
                   label: str, *, orgs: dict[int, Any], refs: dict[int, tuple[str, str]],
                   erasmus: set[int], quotas: list[Quota],
                   year_start: tuple[int, int]) -> dict[str, Any]:
    """The sections from `fetch_mobility` and `fetch_items` (pure)."""
    partners: dict[int | None, tuple[str | None, str | None]] = {None: (None, None)}
    for oid, o in orgs.items():
        partners[oid] = (o.name, o.country)

    # (direction, key) -> [people, erasmus people, person-months (students), person-days (staff)]
    by_category: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0, 0.0, 0])
    by_country: dict[tuple[str, str | None], list[float]] = defaultdict(lambda: [0, 0, 0.0, 0])
    by_partner: dict[tuple[str, str | None, str | None], list[float]] = defaultdict(
        lambda: [0, 0, 0.0, 0])
    figures: Counter[str] = Counter()
    departments: dict[str | None, Counter[str]] = defaultdict(Counter)
    per_agreement: dict[int, Counter[str]] = defaultdict(Counter)
    student_categories, staff_categories = set(STUDENT_CATEGORIES), set(STAFF_CATEGORIES)
    for direction, category, oid, is_erasmus, people, person_days in mobility.by_partner:
        name, country = partners.get(oid, (None, None))
        d = DIRECTION[direction]
        n = int(people or 0)
        pdays = int(round(person_days or 0))
        student = category in student_categories
        staff = category in staff_categories
        months = pdays / DAYS_PER_MONTH if is_erasmus and student else 0.0
        sdays = pdays if is_erasmus and staff else 0
        en = n if is_erasmus else 0
        for cell in (by_category[(d, category)], by_country[(d, country)],
                     by_partner[(d, name, country)]):
            cell[0] += n
            cell[1] += en
            cell[2] += months
            cell[3] += sdays
        who = "students" if student else "staff" if staff else "other"
        figures[f"{who}_{direction}"] += n
        figures[f"mobility_{direction}"] += n
    for dept, direction, people, count in mobility.by_department:
        dep = departments[dept]
        dep["activities"] += count
        dep[f"mobility_{direction}"] += int(people or 0)
    for aid, direction, people in mobility.by_agreement:
        per_agreement[aid][f"mobility_{direction}_people"] += int(people or 0)
    usage: dict[tuple[int, int, str, str], list[int]] = {}
    for aid, direction, category, people, person_days in mobility.usage:
        usage[(aid, first_year(label), direction, category)] = [
            int(people or 0), int(round(person_days or 0))]

    visits, events, projects, publications = [], [], [], []
    funding: dict[str, list[Any]] = {}
    for (kind, aid, oid, dept, direction, people, starts_on, ends_on, title, purpose, place,
         funder, amount, currency, role, year, doi) in items:
        name, country = partners.get(oid, (None, None))
        ref = refs[aid][0] if aid is not None and aid in refs else None
        dep = departments[dept]
        dep["activities"] += 1
        if aid is not None:
            per_agreement[aid][kind] += 1
        if kind == "visit":
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
            dep["projects"] += 1
        else:
            publications.append({"title": title, "year": year, "doi": doi, "partner": name,
                                 "country": country, "agreement": ref, "department": dept})
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
    for aid, rows in utilisation(quotas, usage, year_start, years=[first_year(label)]).items():
        ref, title = refs.get(aid, ("?", ""))
        for r in rows:
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
        "per_agreement": {refs[aid][0]: dict(c) for aid, c in per_agreement.items()
                          if aid in refs},
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
