"""The annual report's content, computed once from the audit history.

`annual_data(session, year, today)` returns plain data (dicts, lists, strings,
numbers and `datetime.date`s) that every format and language renders; nothing
here knows about templates or languages, and no ORM object leaves this module.

Definitions (README "Annual report"). Everything is read from the append-only `events` table
by business date (`occurred_on`), so back-dated events count in the year they
happened and a late tick changes nothing:

- *report day*: 31 December, or today for the current year;
- *state on a day*: the `to_state` of the agreement's last event (highest id)
  dated on or before that day (an `import` event carries the imported state);
  an agreement with no event by then did not exist yet;
- *in force*: state `active` or `renewal_due`;
- *signed*: the date of the signature that made it `signed` (for imported
  agreements, the last party's `signed_on`);
- *renewed*: a successor activated during the year (the predecessor is
  renewed), or a tacit `auto_renew`;
- *expired* / *terminated*: an `expire` / `terminate` event during the year
  (its date is the first day no longer in force);
- *new partner*: an organisation, other than the home institution, whose first
  signature on any agreement (its party's `signed_on`) falls in the year;
- *expiring*: in force on the report day and ending (expiry, or the end date of
  a notice) on or before 31 December of the next year;
- *coverage gap*: a predecessor expired before its successor activated; open
  while the successor is still on its way;
- *data quality*: agreements of the register (drafts included: an imported
  table without dates lands there) that lack a start or expiry date, a
  signature date once signed, an owner, or a partner's country.
- *mobility places*: the Erasmus+ places per partner and direction in the
  academic year that starts in the report year (`academic_year`, e.g.
  ``2024/2025``), from the cooperation conditions of the agreements in force
  on the report day (`ewp.conditions.mobility_places`).

The register (`agreements`) holds every agreement that existed on the report
day, except those already closed before the year began: they have no part in
it. The lists and counts are selections of it.

The data hash is the sha256 of the canonical JSON of the data: the same data
gives the same hash, whatever the format, language or template.

Set-based: eight queries in all (one aggregate over the events of the
agreements still open when the year began), never one per agreement, plus up
to three for the mobility places.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy import Text, and_, case, cast, func, null, or_, select
from sqlalchemy.orm import Session

from models import Agreement, AgreementParty, Event, Organization, User, normalize_name
from reports.gcpause import no_gc
from workflow import rules
from workflow.errors import Invalid
from workflow.lifecycle import IN_FORCE, ON_ITS_WAY, SIGNED_OR_LATER, TERMINAL, RecordEvent, State
from workflow.lifecycle import Event as Ev

ONE_DAY = timedelta(days=1)
CLOSED = TERMINAL
#: States in which an agreement has been signed by every party.
SIGNED_STATES = SIGNED_OR_LATER
#: States of a successor that is still on its way (its predecessor's gap stays open).
FIRST_YEAR = 1900

#: The data-quality codes, in the order a row lists them (labels: `reports.i18n`).
PROBLEMS = ("no_start_date", "no_expiry_date", "no_signature_date", "no_owner",
            "partner_without_country", "mixed_script")


@dataclass(frozen=True)
class Period:
    year: int
    start: date
    end: date  # the report day

    @property
    def partial(self) -> bool:
        return self.end < date(self.year, 12, 31)

    @property
    def expiring_until(self) -> date:
        return date(self.year + 1, 12, 31)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


def report_period(year: int, today: date) -> Period:
    """The year's period; refuses a future year or one before 1900."""
    if year > today.year:
        raise Invalid(rules.problem("report.year_future", "year", year=year, today=today.isoformat()))
    if year < FIRST_YEAR:
        raise Invalid(rules.problem("report.year_early", "year", year=year, first=FIRST_YEAR))
    end = date(year, 12, 31) if year < today.year else today
    return Period(year, date(year, 1, 1), end)


# --- what the database says, per agreement ---------------------------------------------


@dataclass(slots=True)
class AgreementFacts:
    """One agreement as of the report day: its row plus what its events say."""

    id: int
    ref: str
    title: str
    type: str
    state_end: str  # state on the report day
    since_end: date  # date of the event that set it
    event_end: str  # that event's name
    ref_year: int = 0
    ref_seq: int = 0
    department: str | None = None
    owner_id: int | None = None
    starts_on: date | None = None
    expires_on: date | None = None  # today's value; tacit renewals may have moved it since
    indefinite: bool = False
    auto_renew: bool = False
    ends_on: date | None = None
    forms: list[str] = field(default_factory=list)
    renews_id: int | None = None
    renews_ref: str | None = None
    #: the predecessor's `expire` date (for gaps when it closed before the year)
    renews_expired_on: date | None = None
    state_start: str | None = None  # state on the day before the year began
    signed_event_on: date | None = None
    activated_on: date | None = None
    expired_on: date | None = None
    terminated_on: date | None = None
    notice_on: date | None = None


@dataclass(frozen=True, slots=True)
class OrgFacts:
    id: int
    name: str
    name_key: str
    country: str | None
    kind: str
    city: str | None = None


@dataclass
class Facts:
    """Everything `build` needs, as plain values."""

    agreements: list[AgreementFacts]
    #: agreement id -> [(organization id, signed_on)] in party order
    parties: dict[int, list[tuple[int, date | None]]]
    orgs: dict[int, OrgFacts]
    #: user id -> (email, name)
    users: dict[int, tuple[str, str]]
    #: agreement id -> dates of its tacit renewals, oldest first
    auto_renewals: dict[int, list[date]] = field(default_factory=dict)
    #: agreement id -> reason given with its termination during the period
    termination_notes: dict[int, str | None] = field(default_factory=dict)
    #: organisation id -> its first signature on any agreement in scope, up to the report day
    first_signatures: dict[int, date] = field(default_factory=dict)
    #: agreements with a signed copy on file at the end of the report day
    signed_copies: set[int] = field(default_factory=set)


def fetch(s: Session, period: Period, department: str | None = None) -> Facts:
    """Read the facts with a fixed number of set-based queries."""
    a = Agreement.__table__
    pred = a.alias("pred")
    e = Event.__table__
    ap = AgreementParty.__table__
    end, before = period.end, period.start - ONE_DAY

    in_department = None
    if department:
        # Case-insensitive in Python: SQLite's lower() knows only ASCII (Кафедра, Boʻlim).
        wanted = department.casefold()
        stored = s.scalars(select(a.c.department).distinct().where(a.c.department.is_not(None)))
        in_department = a.c.department.in_([d for d in stored if d.strip().casefold() == wanted])
    # Terminal states are final, so an agreement that entered one before the year
    # began has nothing to say about it: skip its events altogether.
    closed_before = and_(a.c.state.in_(sorted(CLOSED)), a.c.state_since.is_not(None),
                         a.c.state_since < period.start)
    scope = select(a.c.id).where(~closed_before)
    if in_department is not None:
        scope = scope.where(in_department)

    def upto(day: date, *conds: Any) -> Any:
        return and_(e.c.occurred_on <= day, *conds)

    def last_of(name: str) -> Any:
        return func.max(case((upto(end, e.c.event == name), e.c.occurred_on)))

    with_state = e.c.to_state.is_not(None)
    agg = (
        select(
            e.c.agreement_id.label("aid"),
            func.max(case((upto(end, with_state), e.c.id))).label("last_end"),
            func.max(case((upto(before, with_state), e.c.id))).label("last_start"),
            func.max(case((upto(end, e.c.event == Ev.SIGN, e.c.to_state == State.SIGNED),
                           e.c.occurred_on))).label("signed_event_on"),
            func.min(case((upto(end, e.c.event == "activate"), e.c.occurred_on))).label(
                "activated_on"),
            last_of("expire").label("expired_on"),
            last_of("terminate").label("terminated_on"),
            last_of("give_notice").label("notice_on"),
        )
        # Every aggregate looks at the events up to the report day only (an agreement
        # without one did not exist yet: the join on `last_end` drops it anyway).
        .where(e.c.agreement_id.in_(scope), e.c.occurred_on <= end)
        .group_by(e.c.agreement_id)
        .subquery("agg")
    )
    e_end, e_start = e.alias("e_end"), e.alias("e_start")
    # Columns in the order of AgreementFacts' fields: rows become facts positionally.
    # (No ORDER BY: `build` sorts by reference.)
    stmt = (
        select(
            a.c.id, a.c.ref, a.c.title, a.c.type, e_end.c.to_state, e_end.c.occurred_on,
            e_end.c.event, a.c.ref_year, a.c.ref_seq, a.c.department, a.c.owner_id,
            a.c.starts_on, a.c.expires_on, a.c.indefinite, a.c.auto_renew, a.c.ends_on,
            # As text on every database: psycopg would parse each row's JSON, and many
            # agreements share the same list (parsed once below).
            cast(a.c.forms, Text), a.c.renews_id, pred.c.ref, null(),
            e_start.c.to_state, agg.c.signed_event_on, agg.c.activated_on, agg.c.expired_on,
            agg.c.terminated_on, agg.c.notice_on,
        )
        .select_from(
            agg.join(a, a.c.id == agg.c.aid)
            .join(e_end, e_end.c.id == agg.c.last_end)
            .outerjoin(e_start, e_start.c.id == agg.c.last_start)
            .outerjoin(pred, pred.c.id == a.c.renews_id)
        )
    )
    agreements = []
    forms_cache: dict[str, list[str]] = {}
    for row in s.execute(stmt).tuples().all():  # fetchall: one driver call, not one per row
        f = AgreementFacts(*row)
        raw: Any = f.forms
        if isinstance(raw, str):  # SQLite gives the JSON text; many agreements share it
            parsed = forms_cache.get(raw)
            if parsed is None:
                parsed = forms_cache[raw] = list(json.loads(raw) or ())
            raw = parsed
        f.forms = list(raw or ())
        agreements.append(f)
    ids = {f.id for f in agreements}

    # A successor that came (or is coming) this year after a predecessor closed before
    # it: the predecessor's expiry dates the coverage gap.
    closed_preds = {f.renews_id for f in agreements
                    if f.renews_id is not None and f.renews_id not in ids
                    and (f.state_end in ON_ITS_WAY or (f.activated_on or end) >= period.start)}
    lapsed: dict[int, date] = {}
    for chunk in _chunks(sorted(closed_preds), 500):
        lapsed.update(s.execute(
            select(e.c.agreement_id, func.max(e.c.occurred_on))
            .where(e.c.event == "expire", e.c.occurred_on <= end, e.c.agreement_id.in_(chunk))
            .group_by(e.c.agreement_id)).tuples().all())
    for f in agreements:
        if f.renews_id in lapsed:
            f.renews_expired_on = lapsed[f.renews_id]

    parties: dict[int, list[tuple[int, date | None]]] = defaultdict(list)
    pstmt = (select(ap.c.agreement_id, ap.c.organization_id, ap.c.signed_on)
             .where(ap.c.agreement_id.in_(scope)).order_by(ap.c.agreement_id, ap.c.position))
    for aid, oid, signed_on in s.execute(pstmt).tuples().all():
        parties[aid].append((oid, signed_on))

    # First signatures look at every agreement: an old partner is not new again.
    fstmt = (select(ap.c.organization_id, func.min(ap.c.signed_on))
             .where(ap.c.signed_on.is_not(None), ap.c.signed_on <= end)
             .group_by(ap.c.organization_id))
    if in_department is not None:
        fstmt = fstmt.where(ap.c.agreement_id.in_(select(a.c.id).where(in_department)))
    first_signatures = {oid: day for oid, day in s.execute(fstmt).tuples().all()}

    o = Organization.__table__
    orgs = {r.id: OrgFacts(r.id, r.name, r.name_key, r.country, r.kind, r.city)
            for r in s.execute(select(o.c.id, o.c.name, o.c.name_key, o.c.country, o.c.kind,
                                      o.c.city))}
    u = User.__table__
    users = {r.id: (r.email, r.name) for r in s.execute(select(u.c.id, u.c.email, u.c.name))}

    # By the (event, occurred_on) index, kept to the scope here: cheaper than joining.
    renewals: dict[int, list[date]] = defaultdict(list)
    rstmt = (select(e.c.agreement_id, e.c.occurred_on).where(e.c.event == "auto_renew")
             .order_by(e.c.agreement_id, e.c.occurred_on, e.c.id))
    for aid, day in s.execute(rstmt).tuples().all():
        if aid in ids:
            renewals[aid].append(day)
    tstmt = (select(e.c.agreement_id, e.c.note)
             .where(e.c.event == "terminate", e.c.occurred_on >= period.start,
                    e.c.occurred_on <= end)
             .order_by(e.c.id))
    notes = {aid: note for aid, note in s.execute(tstmt).tuples().all() if aid in ids}
    return Facts(agreements, dict(parties), orgs, users, dict(renewals), notes, first_signatures,
                 _signed_copies(s, end))


def _signed_copies(s: Session, end: date) -> set[int]:
    """Agreements with a signed copy attached by the end of `end` and not removed by then."""
    from datetime import UTC, datetime

    from models import Attachment

    t = Attachment.__table__
    until = datetime(end.year, end.month, end.day, tzinfo=UTC) + ONE_DAY
    return set(s.scalars(select(t.c.agreement_id).distinct().where(
        t.c.kind == "signed-copy", t.c.uploaded_at < until,
        or_(t.c.removed_at.is_(None), t.c.removed_at >= until))))


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# --- the report, from the facts (pure) -------------------------------------------------


def annual_data(s: Session, year: int, today: date, department: str | None = None, *,
                institution: str | None = None,
                institution_hei_id: str | None = None,
                year_start: tuple[int, int] = (9, 1)) -> dict[str, Any]:
    """The annual report's data for `year` as seen on `today` (plain values + hash).

    `department` limits it to that department's agreements (case-insensitive);
    `institution` names the home institution, which is never counted as a partner;
    `institution_hei_id` (its EWP code) recognises it in the mobility places too;
    `year_start` (HAMKOR_ACADEMIC_YEAR_START) names the academic year of the activities.
    """
    period = report_period(year, today)
    department = department.strip() if department and department.strip() else None
    with no_gc():
        facts = fetch(s, period, department)
        places = fetch_mobility_places(s, period, facts, institution=institution,
                                       institution_hei_id=institution_hei_id)
        activities = fetch_activities(s, period, facts, department, institution=institution,
                                      institution_hei_id=institution_hei_id,
                                      year_start=year_start)
        return build(period, facts, institution=institution, department=department,
                     mobility_places=places, activities=activities)


def fetch_activities(s: Session, period: Period, facts: Facts, department: str | None, *,
                     institution: str | None, institution_hei_id: str | None,
                     year_start: tuple[int, int]) -> dict[str, Any]:
    """The cooperation activity sections (`reports.activity_data`) of the academic year
    that starts in the report year."""
    from reports.activity_data import activity_sections
    from workflow.activities import home_org_ids
    from workflow.activity_rules import year_label

    home_ids = home_org_ids(s, institution, institution_hei_id) if institution else set()
    return activity_sections(
        s, year_label(period.year, year_start), department, home_ids=home_ids, orgs=facts.orgs,
        register={f.id: (f.ref, f.title) for f in facts.agreements}, year_start=year_start)


def fetch_mobility_places(s: Session, period: Period, facts: Facts, *,
                          institution: str | None = None,
                          institution_hei_id: str | None = None) -> list[dict[str, Any]]:
    """Erasmus+ mobility places (`ewp.conditions.mobility_places`) in the academic year
    that starts in the report year, from the cooperation conditions of the agreements
    of the report's scope (so the department filter applies) in force on the report day.

    The conditions are read as they are recorded now (they keep no history): an
    amendment made later changes a past year's places, and its data hash.
    """
    if not institution and not institution_hei_id:
        return []  # no home institution: no direction to count
    from ewp.conditions import mobility_places
    from models import MobilitySpec

    # Only agreements with conditions go into the IN list: it stays small at any scale.
    with_specs = set(s.scalars(select(MobilitySpec.agreement_id).distinct()))
    ids = sorted(f.id for f in facts.agreements if f.state_end in IN_FORCE and f.id in with_specs)
    if not ids:
        return []
    return mobility_places(s, period.year, institution=institution or "",
                           institution_hei_id=institution_hei_id, agreement_ids=ids)


def build(period: Period, facts: Facts, *, institution: str | None = None,
          department: str | None = None,
          mobility_places: list[dict[str, Any]] | None = None,
          activities: dict[str, Any] | None = None) -> dict[str, Any]:
    """Classify every agreement and assemble the lists, counts and hash.

    `mobility_places`: the rows of `fetch_mobility_places` (kept as they are);
    `activities`: the sections of `fetch_activities` (merged in before the hash).
    """
    home_key = normalize_name(institution) if institution else None
    home_ids = {o.id for o in facts.orgs.values() if o.name_key == home_key}
    kept = sorted((f for f in facts.agreements
                   if not (f.state_end in CLOSED and f.since_end < period.start)),
                  key=lambda f: (f.ref_year, f.ref_seq, f.ref))
    rows: list[dict[str, Any]] = []
    by_id: dict[int, dict[str, Any]] = {}
    partner_ids: dict[int, list[int]] = {}
    renewed: list[dict[str, Any]] = []
    # One dict per organisation, shared by the rows it appears in (read-only data).
    shown = {o.id: {"name": o.name, "country": o.country, "kind": o.kind}
             for o in facts.orgs.values()}

    for f in kept:
        parties = facts.parties.get(f.id, [])
        ids = partner_ids[f.id] = [oid for oid, _ in parties if oid not in home_ids]
        row = _row(period, f, parties, facts, [shown[oid] for oid in ids])
        rows.append(row)
        by_id[f.id] = row
        if f.id in facts.auto_renewals:
            renewed.extend(_tacit_renewals(period, f, row, facts.auto_renewals[f.id]))

    gaps: list[dict[str, Any]] = []
    for f in kept:
        if f.renews_id is None:
            continue
        row = by_id[f.id]
        pred = by_id.get(f.renews_id)
        if pred is not None and f.state_end != State.WITHDRAWN and (
                pred["successor"] is None or row["state"] not in CLOSED):
            pred["successor"] = f.ref
        if f.activated_on in period:
            renewed.append({"ref": f.renews_ref, "title": f.title, "partners": row["partners"],
                            "how": "successor", "on": f.activated_on, "successor": f.ref,
                            "expires_on": row["expires_on"]})
            if pred is not None:
                pred["renewed_in_year"] = True
        lapsed = pred["expired_on"] if pred is not None else f.renews_expired_on
        gap = _gap(period, f.renews_ref, lapsed, row)
        if gap is not None:
            gaps.append(gap)
            row["gap_days"] = gap["days"]
    renewed.sort(key=lambda r: (r["on"], r["ref"] or "", r["successor"] or ""))
    gaps.sort(key=lambda g: (g["from"], g["successor"]))

    for row in rows:
        row["expiring"] = bool(row["active_at_end"] and row["end_date"] is not None
                               and row["end_date"] <= period.expiring_until)
        row["problems"] = _problems(period, row)

    active_ids = [f.id for f in kept if by_id[f.id]["active_at_end"]]
    active = [by_id[i] for i in active_ids]
    signed = sorted((r for r in rows if r["signed_in_year"]), key=lambda r: (r["signed_on"], r["ref"]))
    expired = sorted((r for r in rows if r["expired_in_year"]), key=lambda r: (r["expired_on"], r["ref"]))
    terminated = sorted((r for r in rows if r["terminated_in_year"]),
                        key=lambda r: (r["terminated_on"], r["ref"]))
    expiring = sorted((r for r in rows if r["expiring"]), key=lambda r: (r["end_date"], r["ref"]))
    quality = [r for r in rows if r["problems"]]
    new_partners = _new_partners(period, facts, kept, by_id, partner_ids, home_ids)
    counts = _counts(active_ids, by_id, partner_ids, facts.orgs)

    # In force at year end without a signed copy on file (documents and files).
    without_copy = [by_id[i] for i in active_ids if i not in facts.signed_copies]
    partners_in_force = {oid for aid in active_ids for oid in partner_ids[aid]}
    summary = {
        "agreements": len(rows),
        "active_at_start": sum(1 for r in rows if r["active_at_start"]),
        "active": len(active),
        "signed": len(signed),
        "renewed": len(renewed),
        "renewed_by_successor": sum(1 for r in renewed if r["how"] == "successor"),
        "renewed_tacitly": sum(1 for r in renewed if r["how"] == "tacit"),
        "expired": len(expired),
        "terminated": len(terminated),
        "new_partners": len(new_partners),
        "partners": len(partners_in_force),
        "countries": len({facts.orgs[o].country for o in partners_in_force
                          if facts.orgs[o].country}),
        "expiring": len(expiring),
        "coverage_gaps": len(gaps),
        "data_quality": len(quality),
        "without_signed_copy": len(without_copy),
    }
    for row in rows:
        del row["end_date"]
    data: dict[str, Any] = {
        "year": period.year,
        "period": {"start": period.start, "end": period.end, "partial": period.partial,
                   "expiring_until": period.expiring_until},
        "institution": institution,
        "department": department,
        "summary": summary,
        "agreements": rows,
        "active": active,
        "signed": signed,
        "renewed": renewed,
        "expired": expired,
        "terminated": terminated,
        "new_partners": new_partners,
        "expiring": expiring,
        "gaps": gaps,
        "quality": quality,
        "without_signed_copy": [r["ref"] for r in without_copy],
        **counts,
        "academic_year": f"{period.year}/{period.year + 1}",
        "mobility_places": list(mobility_places or []),
    }
    from reports.activity_data import MobilitySums, build_sections, merge  # issue 21

    merge(data, activities if activities is not None else build_sections(
        MobilitySums(), (), data["academic_year"], orgs={}, refs={}, erasmus=set(), quotas=[],
        year_start=(9, 1)))
    data["data_hash"] = data_hash(data)
    return data


def _row(period: Period, f: AgreementFacts, parties: list[tuple[int, date | None]],
         facts: Facts, partners: list[dict[str, Any]]) -> dict[str, Any]:
    start, end = period.start, period.end
    signed_on = f.signed_event_on
    if signed_on is None and parties and all(d is not None for _, d in parties):
        last = max(d for _, d in parties if d is not None)  # imported: no sign events
        signed_on = last if last <= end else None
    expired_on, terminated_on = f.expired_on, f.terminated_on
    if f.event_end == RecordEvent.IMPORT:  # the state was imported: date its end by the terms
        if f.state_end == State.EXPIRED and expired_on is None and f.expires_on is not None:
            expired_on = f.expires_on + ONE_DAY
        if f.state_end == State.TERMINATED and terminated_on is None and f.ends_on is not None:
            terminated_on = f.ends_on + ONE_DAY
        expired_on = expired_on if expired_on and expired_on <= end else None
        terminated_on = terminated_on if terminated_on and terminated_on <= end else None
    expires_on = f.expires_on
    renewed_in_year = False
    renewals = facts.auto_renewals.get(f.id)
    if renewals:
        renewed_in_year = any(start <= d <= end for d in renewals)
        later = [d for d in renewals if d > end]
        if later:  # a tacit renewal happens the day after the expiry it extends
            expires_on = later[0] - ONE_DAY
    notice = f.notice_on is not None
    ends_on = f.ends_on if notice else None
    owner = facts.users.get(f.owner_id) if f.owner_id is not None else None
    ended = expired_on or terminated_on
    terminated_in_year = terminated_on is not None and start <= terminated_on <= end
    return {
        "ref": f.ref,
        "title": f.title,
        "type": f.type,
        "department": f.department,
        "owner": owner[0] if owner else None,
        "owner_name": owner[1] if owner else None,
        "partners": partners,
        "state": f.state_end,
        "state_at_start": f.state_start,
        "starts_on": f.starts_on,
        "expires_on": expires_on,
        "indefinite": f.indefinite,
        "auto_renew": f.auto_renew,
        "renews_automatically": f.auto_renew and not notice and expires_on is not None,
        "notice_given_on": f.notice_on,
        "ends_on": ends_on,
        "forms": sorted(f.forms),
        "renews": f.renews_ref,
        "successor": None,
        "signed_on": signed_on,
        "activated_on": f.activated_on,
        "expired_on": expired_on,
        "terminated_on": terminated_on,
        # The end events are dated on the first day out of force.
        "last_day": ended - ONE_DAY if ended else None,
        "termination_note": facts.termination_notes.get(f.id) if terminated_in_year else None,
        "active_at_start": f.state_start in IN_FORCE,
        "active_at_end": f.state_end in IN_FORCE,
        "signed_in_year": signed_on is not None and start <= signed_on <= end,
        "renewed_in_year": renewed_in_year,
        "expired_in_year": expired_on is not None and start <= expired_on <= end,
        "terminated_in_year": terminated_in_year,
        "gap_days": None,
        "state_since": f.since_end,
        "end_date": ends_on or expires_on,
    }


def _tacit_renewals(period: Period, f: AgreementFacts, row: dict[str, Any],
                    days: list[date]) -> list[dict[str, Any]]:
    out = []
    for i, day in enumerate(days):
        if day in period:
            # The new term runs until the day before the next tacit renewal, if any.
            new_expiry = days[i + 1] - ONE_DAY if i + 1 < len(days) else f.expires_on
            out.append({"ref": f.ref, "title": f.title, "partners": row["partners"],
                        "how": "tacit", "on": day, "successor": None, "expires_on": new_expiry})
    return out


def _gap(period: Period, pred_ref: str | None, lapsed: date | None,
         succ: dict[str, Any]) -> dict[str, Any] | None:
    """Uncovered days between a predecessor's expiry (`lapsed`: its first day out of
    force) and its successor's activation, if they touch the period."""
    if lapsed is None:
        return None
    started = succ["activated_on"]
    if started is not None:
        if started <= lapsed or started - ONE_DAY < period.start:
            return None
        last, days, open_ = started - ONE_DAY, (started - lapsed).days, False
    elif succ["state"] in ON_ITS_WAY:
        last, days, open_ = None, (period.end - lapsed).days + 1, True
    else:
        return None
    return {"predecessor": pred_ref, "successor": succ["ref"], "title": succ["title"],
            "partners": succ["partners"], "from": lapsed, "to": last, "days": days,
            "open": open_, "successor_state": succ["state"]}


def _problems(period: Period, row: dict[str, Any]) -> list[dict[str, Any]]:
    state = row["state"]
    if state == State.WITHDRAWN:
        return []
    out: list[dict[str, Any]] = []
    if row["starts_on"] is None:
        out.append({"code": "no_start_date", "detail": None})
    if row["expires_on"] is None and not row["indefinite"]:
        out.append({"code": "no_expiry_date", "detail": None})
    if state in SIGNED_STATES and row["signed_on"] is None:
        out.append({"code": "no_signature_date", "detail": None})
    if row["owner"] is None:
        out.append({"code": "no_owner", "detail": None})
    missing = [p["name"] for p in row["partners"] if not p["country"]]
    if missing:
        out.append({"code": "partner_without_country", "detail": ", ".join(missing)})
    # Look-alike letters of another script (a Cyrillic "о" in "Kyoto"): the name looks
    # right and is not the partner it seems to be (workflow/rules.py, mixed_script).
    from workflow.rules import mixed_script

    mixed = [f"{name}: {why}" for name in (row["title"], *(p["name"] for p in row["partners"]))
             if (why := mixed_script(name))]
    if mixed:
        out.append({"code": "mixed_script", "detail": "; ".join(mixed)})
    return out


def _new_partners(period: Period, facts: Facts, kept: list[AgreementFacts],
                  by_id: dict[int, dict[str, Any]], partner_ids: dict[int, list[int]],
                  home_ids: set[int]) -> list[dict[str, Any]]:
    new = {oid: day for oid, day in facts.first_signatures.items()
           if day in period and oid not in home_ids and oid in facts.orgs}
    first_ref: dict[int, str] = {}
    for f in kept:  # the agreement that signature was on
        for oid, signed_on in facts.parties.get(f.id, ()):
            if oid in new and signed_on == new[oid] and oid not in first_ref:
                first_ref[oid] = by_id[f.id]["ref"]
    out: list[dict[str, Any]] = []
    for oid, day in new.items():
        o = facts.orgs[oid]
        out.append({"name": o.name, "country": o.country, "kind": o.kind, "city": o.city,
                    "since": day, "ref": first_ref.get(oid)})
    out.sort(key=lambda p: (str(p["name"]).casefold(), str(p["name"])))
    return out


def _ranked(counter: Counter[Any], key: str, extra: dict[Any, dict[str, int]] | None = None
            ) -> list[dict[str, Any]]:
    """Largest first, then by key; the unknown (None) last."""
    items = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))
    return [{key: k, "agreements": n, **((extra or {}).get(k, {}))} for k, n in items]


def _counts(active_ids: list[int], by_id: dict[int, dict[str, Any]],
            partner_ids: dict[int, list[int]], orgs: dict[int, OrgFacts]) -> dict[str, Any]:
    countries: Counter[str | None] = Counter()
    country_partners: dict[str | None, set[int]] = defaultdict(set)
    kinds: Counter[str] = Counter()
    types: Counter[str] = Counter()
    forms: Counter[str | None] = Counter()
    departments: Counter[str | None] = Counter()
    for aid in active_ids:
        row = by_id[aid]
        seen_countries = set()
        for oid in partner_ids[aid]:
            c = orgs[oid].country
            seen_countries.add(c)
            country_partners[c].add(oid)
        countries.update(seen_countries)
        kinds.update({orgs[oid].kind for oid in partner_ids[aid]})
        types[row["type"]] += 1
        forms.update(row["forms"] or [None])
        departments[row["department"]] += 1
    partners = {c: {"partners": len(ids)} for c, ids in country_partners.items()}
    return {
        "by_country": _ranked(countries, "country", partners),
        "by_kind": _ranked(kinds, "kind"),
        "by_type": _ranked(types, "type"),
        "by_form": _ranked(forms, "form"),
        "by_department": _ranked(departments, "department"),
    }


def _json_default(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not plain data: {type(value).__name__}")


#: Long lists of dicts written as columns and rows in the canonical form (compact, quick).
COLUMNAR = frozenset({"visits", "events", "projects", "publications", "mobility_by_partner",
                      "mobility_by_country", "mobility_by_category", "quota_utilisation",
                      "activity_by_department"})

#: Lists that select rows of the register: the canonical form names them by ref.
SELECTIONS = ("active", "signed", "expired", "terminated", "expiring", "quality")


def canonical_json(data: dict[str, Any]) -> str:
    """Sorted keys, no spaces, dates in ISO 8601: one text per data.

    The register is written as columns (its sorted keys) and rows of values,
    and the selections of it as lists of refs (their rows are in the register
    already), so the text stays compact and quick to write for 100k agreements.
    """
    body: dict[str, Any] = {}
    for k, v in data.items():
        if k == "data_hash":
            continue
        if k in SELECTIONS:
            v = [r["ref"] for r in v]
        elif k == "agreements" or k in COLUMNAR:
            columns = sorted(v[0]) if v else []
            values = itemgetter(*columns) if len(columns) > 1 else None
            v = {"columns": columns, "rows": [values(r) for r in v] if values else []}
        body[k] = v
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_json_default)


def data_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()
