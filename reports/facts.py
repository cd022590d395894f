"""What the database says for the annual report: the period, and per agreement and
organisation the facts the report is computed from (`fetch`: set-based queries over the
append-only events), plus the mobility places and activity sections of the year.

The definitions are in `reports.data` (README "Annual report")."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Text, and_, case, cast, func, null, or_, select
from sqlalchemy.orm import Session

from models import Agreement, AgreementParty, Event, Organization, User
from workflow import rules
from workflow.errors import Invalid
from workflow.lifecycle import IN_FORCE, ON_ITS_WAY, SIGNED_OR_LATER, TERMINAL, Event as Ev, State

ONE_DAY = timedelta(days=1)
CLOSED = TERMINAL
#: States in which an agreement has been signed by every party.
SIGNED_STATES = SIGNED_OR_LATER
#: States of a successor that is still on its way (its predecessor's gap stays open).
FIRST_YEAR = 1900


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
