"""Cooperation activities: record, list, edit, remove (use cases).

Each activity is linked to an agreement (`REF`), or to a partner where no
agreement covers it, and counts in one academic year. Officers and above
record; anyone may read. Participant names are personal data: stored only when
given, shown only when asked for (`with_names`), and removable on request with
an audited `names_removed` event; a removed activity keeps its audit trail and
no names. Every change appends an `activity_events` row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import (
    Any,
    NotRequired,  # pydantic: API responses on Python 3.11
)

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from typing_extensions import TypedDict

from models import (
    Activity,
    ActivityEvent,
    Agreement,
    AgreementParty,
    Event,
    Organization,
    normalize_name,
)
from workflow import rules
from workflow.activity_rules import (
    DAYS_PER_MONTH,
    FIELDS,
    ONE_DAY_KINDS,
    VALUE_COLUMNS,
    Checked,
    MonthDay,
    bad,
    check,
    duration_days,
    parse_academic_year,
    parse_kind,
    summary,
)
from workflow.agreements import Office
from workflow.clock import Clock
from workflow.dates import iso
from workflow.errors import Invalid, NotFound
from workflow.lifecycle import TERMINAL, Role, State
from workflow.quotas import (  # noqa: F401 - the quotas' use cases, re-exported
    CONDITION_CATEGORY as CONDITION_CATEGORY,
    Amounts as Amounts,
    Quota as Quota,
    Usage as Usage,
    UtilisationRow as UtilisationRow,
    add_usage as add_usage,
    agreement_utilisation as agreement_utilisation,
    home_org_ids as home_org_ids,
    read_quotas as read_quotas,
    read_usage as read_usage,
    utilisation as utilisation,
    utilisation_of as utilisation_of,
)
from workflow.registry import actor, check_role, require_role
from workflow.uow import UnitOfWork

#: States in which an agreement has ended; activities after its last day are refused.
ENDED = TERMINAL - {State.WITHDRAWN}


# --- what links an activity -------------------------------------------------------------


@dataclass(slots=True)
class AgreementInfo:
    id: int
    ref: str
    state: str
    department: str | None
    party_ids: list[int] = field(default_factory=list)
    last_day: date | None = None  # last day in force, for an ended agreement


@dataclass
class Directory:
    """The agreements and partners activities may link to, read once (one add or a
    whole import file): no query per activity."""

    agreements: dict[str, AgreementInfo]
    orgs: dict[int, tuple[str, str, str | None]]  # id -> (name, name_key, country)
    by_key: dict[str, int]
    home_ids: set[int]

    def agreement(self, ref: str) -> AgreementInfo:
        info = self.agreements.get(ref.strip().upper())
        if info is None:
            raise bad("agreement", "activity.no_agreement", ref=ref.strip())
        return info

    def partner(self, name: str) -> int:
        key = name.strip()
        oid = int(key) if key.isdigit() and int(key) in self.orgs else self.by_key.get(normalize_name(key))
        if oid is None:
            raise bad("partner", "activity.no_partner", key=key)
        return oid


def load_directory(s: Session, office: Office, refs: Iterable[str] | None) -> Directory:
    """Partners (all) and the agreements named by `refs` (all when None) with their
    parties and, for ended ones, their last day in force."""
    a, ap, e = Agreement.__table__, AgreementParty.__table__, Event.__table__
    wanted = sorted({r.strip().upper() for r in refs}) if refs is not None else None
    infos: dict[str, AgreementInfo] = {}
    by_id: dict[int, AgreementInfo] = {}
    terms: dict[int, date | None] = {}  # the last day of the term, for imported ended ones
    chunks = [wanted[i:i + 500] for i in range(0, len(wanted), 500)] if wanted is not None else [None]
    for chunk in chunks:
        if chunk == []:
            continue
        stmt = select(a.c.id, a.c.ref, a.c.state, a.c.department, a.c.ends_on, a.c.expires_on)
        if chunk is not None:
            stmt = stmt.where(a.c.ref.in_(chunk))
        for aid, ref, state, dept, ends_on, expires_on in s.execute(stmt).tuples().all():
            info = AgreementInfo(aid, ref, state, dept)
            infos[ref] = by_id[aid] = info
            terms[aid] = ends_on or expires_on
    if by_id:
        ids = sorted(by_id)
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            for aid, oid in s.execute(select(ap.c.agreement_id, ap.c.organization_id)
                                      .where(ap.c.agreement_id.in_(part))
                                      .order_by(ap.c.agreement_id, ap.c.position)).tuples():
                by_id[aid].party_ids.append(oid)
        ended = [i.id for i in by_id.values() if i.state in TERMINAL]
        for i in range(0, len(ended), 500):
            part = ended[i:i + 500]
            rows = s.execute(select(e.c.agreement_id, e.c.event, e.c.to_state, e.c.occurred_on)
                             .where(e.c.agreement_id.in_(part), e.c.to_state.in_(ENDED))
                             .order_by(e.c.id)).tuples().all()
            for aid, event, to_state, on in rows:
                if to_state != by_id[aid].state:
                    continue
                # The event that ended it is dated on its first day out of force; an
                # agreement imported as ended has only its terms to say when.
                by_id[aid].last_day = terms[aid] if event == "import" else on - timedelta(days=1)
    o = Organization.__table__
    orgs = {oid: (name, key, country) for oid, name, key, country in
            s.execute(select(o.c.id, o.c.name, o.c.name_key, o.c.country)).tuples()}
    home_key = normalize_name(office.institution)
    return Directory(infos, orgs, {key: oid for oid, (_, key, _) in orgs.items()},
                     {oid for oid, (_, key, _) in orgs.items() if key == home_key})


@dataclass(frozen=True)
class Linked:
    agreement_id: int | None
    organization_id: int | None
    department: str | None


def link(d: Directory, c: Checked, ref: str | None, partner: str | None) -> Linked:
    """Resolve an activity's agreement and partner; refuse an activity dated after its
    agreement ended (or on one that was withdrawn)."""
    partner = partner.strip() if partner and partner.strip() else None
    ref = ref.strip() if ref and ref.strip() else None
    if ref is None and partner is None:
        raise bad("partner", "activity.link_needed")
    org_id = d.partner(partner) if partner else None
    if org_id is not None and org_id in d.home_ids:
        raise bad("partner", "activity.home_partner", partner=partner)
    department = c.values["department"]
    if ref is None:
        return Linked(None, org_id, department)
    info = d.agreement(ref)
    others = [p for p in info.party_ids if p not in d.home_ids]
    if org_id is not None and org_id not in info.party_ids:
        names = ", ".join(d.orgs[p][0] for p in others)
        raise bad("partner", "activity.not_party", name=d.orgs[org_id][0], ref=info.ref,
                  names=names)
    if org_id is None and len(others) == 1:
        org_id = others[0]
    day: date | None = c.values["starts_on"]
    if info.state == State.WITHDRAWN:
        raise bad("agreement", "activity.withdrawn", ref=info.ref)
    if info.state in ENDED and info.last_day is not None and day is not None and day > info.last_day:
        raise bad("starts_on", "activity.after_end", ref=info.ref, last=info.last_day.isoformat(),
                  state=info.state, day=day.isoformat())
    return Linked(info.id, org_id, department if department is not None else info.department)


# --- reading ------------------------------------------------------------------------------


class ActivityRow(TypedDict):
    """An activity as the services give it; `names` only when asked for."""

    id: int
    kind: str
    agreement: str | None
    partner: str | None
    country: str | None
    department: str | None
    academic_year: str
    direction: str | None
    category: str | None
    people: int | None
    starts_on: str | None
    ends_on: str | None
    date: str | None
    title: str | None
    purpose: str | None
    place: str | None
    funder: str | None
    amount: str | None
    currency: str | None
    role: str | None
    year: int | None
    doi: str | None
    notes: str | None
    days: int | None
    person_days: int | None
    person_months: float | None
    named: int
    version: int
    names: NotRequired[list[str]]


class ActivityEventRow(TypedDict):
    event: str
    actor: str
    recorded_at: str
    note: str | None


class RemovedActivity(ActivityRow):
    removed: bool


class ActivityDetail(RemovedActivity):
    """An activity, whether it was removed, and its audit trail."""

    history: list[ActivityEventRow]


def activity_dict(act: Activity, *, ref: str | None, partner: tuple[str, str, str | None] | None,
                  with_names: bool = False) -> ActivityRow:
    """An activity as plain data. `names` only with `with_names`; `named` says how many
    names are stored either way."""
    days = duration_days(act.starts_on, act.ends_on) if act.kind == "mobility" else None
    out: ActivityRow = {
        "id": act.id,
        "kind": act.kind,
        "agreement": ref,
        "partner": partner[0] if partner else None,
        "country": partner[2] if partner else None,
        "department": act.department,
        "academic_year": act.academic_year,
        "direction": act.direction,
        "category": act.category,
        "people": act.people,
        "starts_on": iso(act.starts_on),
        "ends_on": iso(act.ends_on),
        "date": iso(act.starts_on) if act.kind in ONE_DAY_KINDS else None,
        "title": act.title,
        "purpose": act.purpose,
        "place": act.place,
        "funder": act.funder,
        "amount": act.amount,
        "currency": act.currency,
        "role": act.role,
        "year": act.year,
        "doi": act.doi,
        "notes": act.notes,
        "days": days,
        "person_days": days * (act.people or 0) if days is not None else None,
        "person_months": (round(days * (act.people or 0) / DAYS_PER_MONTH, 1)
                          if days is not None else None),
        "named": len(act.names or []),
        "version": act.version,
    }
    if with_names:
        out["names"] = list(act.names or [])
    return out


def _lookups(s: Session, acts: list[Activity], known: Agreement | None = None
             ) -> tuple[dict[int, str], dict[int, tuple[str, str, str | None]]]:
    aids = {x.agreement_id for x in acts if x.agreement_id is not None}
    oids = {x.organization_id for x in acts if x.organization_id is not None}
    refs: dict[int, str] = {}
    if known is not None:
        refs[known.id] = known.ref
        aids.discard(known.id)
    for i in range(0, len(aids), 500):
        part = sorted(aids)[i:i + 500]
        refs.update(s.execute(select(Agreement.id, Agreement.ref)
                              .where(Agreement.id.in_(part))).tuples().all())
    orgs: dict[int, tuple[str, str, str | None]] = {}
    for i in range(0, len(oids), 500):
        part = sorted(oids)[i:i + 500]
        for oid, name, key, country in s.execute(
                select(Organization.id, Organization.name, Organization.name_key,
                       Organization.country).where(Organization.id.in_(part))).tuples():
            orgs[oid] = (name, key, country)
    return refs, orgs


def _dicts(s: Session, acts: list[Activity], with_names: bool,
           known: Agreement | None = None) -> list[ActivityRow]:
    """`known`: the agreement of all of `acts`, when read already (its reference is not
    looked up again)."""
    refs, orgs = _lookups(s, acts, known)
    return [activity_dict(x, ref=refs.get(x.agreement_id) if x.agreement_id else None,
                          partner=orgs.get(x.organization_id) if x.organization_id else None,
                          with_names=with_names) for x in acts]


def get_activity(s: Session, activity_id: int, *, live: bool = True) -> Activity:
    act = s.get(Activity, activity_id)
    if act is None:
        raise NotFound("activity", activity_id)
    if live and act.removed_at is not None:
        raise Invalid(rules.problem("activity.removed", "id", id=activity_id))
    return act


def list_activities(uow: UnitOfWork, start: MonthDay, *, ref: str | None = None,
                    partner: str | None = None, year: str | None = None, kind: str | None = None,
                    with_names: bool = False, by: str | None = None) -> list[ActivityRow]:
    """Live activities, oldest first; filters: agreement, partner (directly or as a
    party of the agreement), academic year (`2025/2026`), kind. Names are personal data:
    a named actor (`by`) sees them as an officer or above."""
    if with_names:
        check_role(uow, by, Role.OFFICER, "see participant names")
    label = parse_academic_year(year, start, field="year") if year else None
    wanted_kind = parse_kind(kind) if kind else None
    with uow:
        s = uow.session
        stmt = select(Activity).where(Activity.removed_at.is_(None))
        if ref:
            aid = s.scalar(select(Agreement.id).where(Agreement.ref == ref.strip().upper()))
            if aid is None:
                raise NotFound("agreement", ref)
            stmt = stmt.where(Activity.agreement_id == aid)
        if partner:
            from workflow.registry import get_partner

            org = get_partner(s, partner)
            stmt = stmt.where(or_(
                Activity.organization_id == org.id,
                Activity.agreement_id.in_(select(AgreementParty.agreement_id)
                                          .where(AgreementParty.organization_id == org.id))))
        if label:
            stmt = stmt.where(Activity.academic_year == label)
        if wanted_kind:
            stmt = stmt.where(Activity.kind == wanted_kind)
        acts = list(s.scalars(stmt.order_by(Activity.id)))
        return _dicts(s, acts, with_names)


def activities_of(s: Session, a: Agreement) -> list[ActivityRow]:
    """`list_activities(ref=...)` (without names) of an agreement already read."""
    acts = list(s.scalars(select(Activity).where(Activity.removed_at.is_(None),
                                                 Activity.agreement_id == a.id)
                          .order_by(Activity.id)))
    return _dicts(s, acts, False, known=a)


def show_activity(uow: UnitOfWork, activity_id: int, *, with_names: bool = False,
                  by: str | None = None) -> ActivityDetail:
    if with_names:
        check_role(uow, by, Role.OFFICER, "see participant names")
    with uow:
        s = uow.session
        act = get_activity(s, activity_id, live=False)
        out: ActivityDetail = {
            **_dicts(s, [act], with_names)[0],
            "removed": act.removed_at is not None,
            "history": [
                {"event": ev.event, "actor": ev.actor, "recorded_at": ev.recorded_at.isoformat(),
                 "note": ev.note}
                for ev in s.scalars(select(ActivityEvent).where(ActivityEvent.activity_id == act.id)
                                    .order_by(ActivityEvent.id))],
        }
        return out


# --- writing --------------------------------------------------------------------------------


def _officer(s: Session, by: str | None, action: str) -> str:
    who = actor(s, by)
    require_role(who, Role.OFFICER, action)
    return who.email


def _audit(s: Session, act: Activity, event: str, who: str, clock: Clock, note: str | None) -> None:
    s.add(ActivityEvent(activity_id=act.id, event=event, actor=who, recorded_at=clock.utcnow,
                        note=note))


def _opened(uow: UnitOfWork, activity_id: int, by: str | None, action: str) -> tuple[str, Activity]:
    """Inside `uow`: the acting officer's email and the live activity `activity_id` (the
    unit of work's subject)."""
    uow.subject = f"activity {activity_id}"
    return _officer(uow.session, by, action), get_activity(uow.session, activity_id)


def _recorded(uow: UnitOfWork, clock: Clock, act: Activity, event: str, who: str,
              note: str) -> ActivityRow:
    """`act`'s change written with its audit row and committed; the activity as it is now."""
    s = uow.session
    s.flush()
    _audit(s, act, event, who, clock, note)
    uow.commit()
    return _dicts(s, [act], False)[0]


def new_values(c: Checked, linked: Linked) -> dict[str, Any]:
    """The columns of a new activity (no id, audit or version)."""
    values = {k: c.values[k] for k in VALUE_COLUMNS}
    values["department"] = linked.department
    return {"kind": c.kind, "academic_year": c.academic_year,
            "agreement_id": linked.agreement_id, "organization_id": linked.organization_id,
            **values}


def add_activity(uow: UnitOfWork, clock: Clock, office: Office, start: MonthDay,
                 raw: Mapping[str, Any], *, by: str | None) -> ActivityRow:
    """Record one activity. `raw`: field -> value as given (see `activity_rules.FIELDS`;
    `agreement` is the REF, `partner` a name or id)."""
    c = check(raw, start)
    with uow:
        s = uow.session
        who = _officer(s, by, "record activities")
        d = load_directory(s, office, [raw["agreement"]] if raw.get("agreement") else [])
        linked = link(d, c, raw.get("agreement"), raw.get("partner"))
        act = Activity(**new_values(c, linked), created_by=who, created_at=clock.utcnow)
        s.add(act)
        return _recorded(uow, clock, act, "create", who, summary(c.kind, c.values)
                         + (f"; {len(c.values['names'])} names" if c.values["names"] else ""))


#: Fields `edit` may change (everything but the kind, the id and the audit columns).
EDITABLE = tuple(f for f in FIELDS if f not in ("id", "kind"))


def _current(act: Activity, ref: str | None, partner: str | None) -> dict[str, Any]:
    raw: dict[str, Any] = {k: getattr(act, k) for k in VALUE_COLUMNS}
    raw.update(kind=act.kind, agreement=ref, partner=partner)
    if act.kind == "publication":
        raw["academic_year"] = act.academic_year
    return raw


def edit_activity(uow: UnitOfWork, clock: Clock, office: Office, start: MonthDay,
                  activity_id: int, changes: Mapping[str, Any], *, by: str | None,
                  version: int | None = None) -> ActivityRow:
    """Change some fields (`changes`: field -> new raw value; an empty value clears it).
    The whole activity is checked again; the audit note lists what changed (names only
    as "names changed")."""
    unknown = [k for k in changes if k not in EDITABLE]
    if "kind" in changes:
        raise bad("kind", "activity.kind_fixed")
    if unknown:
        raise bad(unknown[0], "activity.unknown_field")
    if not changes:
        raise Invalid(rules.problem("activity.nothing_to_change"))
    with uow:
        s = uow.session
        who, act = _opened(uow, activity_id, by, "edit activities")
        if version is not None and version != act.version:
            from workflow.errors import ConcurrentUpdate

            raise ConcurrentUpdate(f"activity {activity_id}")
        refs, orgs = _lookups(s, [act])
        ref = refs.get(act.agreement_id) if act.agreement_id else None
        partner = str(act.organization_id) if act.organization_id else None
        raw = _current(act, ref, partner)
        if "agreement" in changes and not changes.get("partner"):
            raw["partner"] = None  # a new agreement: its partner again by default
        raw.update(changes)
        c = check(raw, start)
        d = load_directory(s, office, [raw["agreement"]] if raw.get("agreement") else [])
        linked = link(d, c, raw.get("agreement"), raw.get("partner"))
        values = new_values(c, linked)
        if "department" not in changes and linked.agreement_id == act.agreement_id:
            values["department"] = act.department
        changed = []
        for key, value in values.items():
            if getattr(act, key) != value:
                changed.append("names changed" if key == "names"
                               else f"{key} {_shown(getattr(act, key))} -> {_shown(value)}")
                setattr(act, key, value)
        if not changed:
            return _dicts(s, [act], False)[0]
        return _recorded(uow, clock, act, "edit", who, "; ".join(changed))


def _shown(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return "-" if value is None else str(value)


def remove_names(uow: UnitOfWork, clock: Clock, activity_id: int, reason: str, *,
                 by: str | None) -> ActivityRow:
    """Erase an activity's participant names (a data subject's request), audited."""
    reason = _reason(reason)
    with uow:
        who, act = _opened(uow, activity_id, by, "remove participant names")
        if not act.names:
            raise Invalid(rules.problem("activity.no_names", "id", id=activity_id))
        count = len(act.names)
        act.names = None
        return _recorded(uow, clock, act, "names_removed", who, f"{count} names removed: {reason}")


def _reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise bad("reason", "activity.reason")
    if len(text) > 2000:
        raise bad("reason", "activity.reason_long")
    return text


def remove_activity(uow: UnitOfWork, clock: Clock, activity_id: int, reason: str, *,
                    by: str | None) -> RemovedActivity:
    """Remove an activity from every count and list; its audit trail stays, its names go."""
    reason = _reason(reason)
    with uow:
        who, act = _opened(uow, activity_id, by, "remove activities")
        act.removed_at = clock.utcnow
        named = len(act.names or [])
        act.names = None
        row = _recorded(uow, clock, act, "remove", who,
                        reason + (f"; {named} names removed" if named else ""))
        out: RemovedActivity = {**row, "removed": True}
        return out
