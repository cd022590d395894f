"""Cooperation conditions of an agreement: add, list, remove; mobility places per year.

Editable by officers while the agreement is a draft or in review. Once signed
(signed, active, renewal_due) a change is an *amendment*: allowed, recorded in
the history as ``amend`` with the old and new iia-hash of Hamkor's copy, and
it leaves approvals of the old hash behind (they no longer match, so
``hamkor ewp status`` shows them as stale). Between approval and signature the
text being signed is fixed, and a closed agreement is never changed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from typing_extensions import TypedDict  # pydantic: API responses on Python 3.11

from ewp.identity import Home, ensure_iia_id
from ewp.model import LANGUAGE_REQUIRED, STUDENT_KINDS, Spec
from ewp.rules import (
    clean_text,
    covers,
    parse_decimal,
    parse_eqf,
    parse_isced,
    parse_kind,
    parse_language,
    parse_year_id,
    parse_years,
    refuse,
)
from ewp.store import IN_EFFECT_STATES, ordered_rows, our_hash, spec_values
from models import Agreement, AgreementParty, MobilitySpec, Organization, normalize_name
from workflow import rules
from workflow.agreements import Office, agreement_to_change, get_agreement, record
from workflow.clock import Clock
from workflow.errors import Invalid, NotFound, Problem, TransitionRefused
from workflow.lifecycle import BINDING, FROZEN, UNAPPROVED, RecordEvent, Role
from workflow.uow import UnitOfWork

__all__ = [
    "AMENDABLE",
    "EDITABLE",
    "ConditionInput",
    "ConditionChange",
    "add_condition",
    "edit_condition",
    "move_condition",
    "change_mode",
    "condition_dict",
    "describe",
    "list_conditions",
    "mobility_places",
    "remove_condition",
    "show_details",
    "validate",
]

EDITABLE = UNAPPROVED
_IDENTIFIER = re.compile(r"^[!-~]{1,64}$")  # an EWP organisational-unit id
AMENDABLE = BINDING


@dataclass(frozen=True)
class ConditionInput:
    """What `hamkor agreement conditions add` was given, unvalidated."""

    kind: str
    sending: str  # a party: name, id or hei-id
    receiving: str
    years: str  # 2025/2026:2029/2030
    mobilities: int
    months: str | None = None
    days: str | None = None
    isced: Sequence[str] = ()
    languages: Sequence[str] = ()
    eqf: Sequence[int] = ()
    blended: bool = False
    info: str | None = None
    sending_ounit: str | None = None
    receiving_ounit: str | None = None


@dataclass(frozen=True)
class _Valid:
    spec: Spec  # hei-ids left empty: the parties are resolved against the agreement
    sending: str
    receiving: str


def validate(ci: ConditionInput) -> _Valid:
    """Check everything that needs no database; raise Invalid naming the option."""
    kind = parse_kind(ci.kind)
    first, last = parse_years(ci.years)
    if ci.mobilities <= 0:
        raise refuse("--mobilities", "ewp.mobilities", "{field} {value} must be a positive number "
                     "per year", value=ci.mobilities)
    student = kind in STUDENT_KINDS
    if student and ci.days is not None:
        raise refuse("--days", "ewp.days_staff", "{field} is for staff mobility; {kind} takes "
                     "{f_total_months}", kind=kind)
    if not student and ci.months is not None:
        raise refuse("--months", "ewp.months_students", "{field} is for student mobility; {kind} "
                     "takes {f_total_days}", kind=kind)
    if not student and (ci.eqf or ci.blended):
        raise refuse("--eqf", "ewp.eqf_students", "{field} and {f_blended} are for student "
                     "mobility, not {kind}", kind=kind)
    total = ci.months if student else ci.days
    languages = tuple(parse_language(v) for v in ci.languages)
    if kind in LANGUAGE_REQUIRED and not languages:
        raise refuse("--language", "ewp.language_required", "{kind} needs at least one {field} "
                     "LANG:LEVEL (e.g. en:B2)", kind=kind)
    for option, ounit in (("--from-unit", ci.sending_ounit), ("--to-unit", ci.receiving_ounit)):
        if ounit is not None and not _IDENTIFIER.match(ounit):
            raise refuse(option, "ewp.ounit", "{field} {value!r} is not 1 to 64 printable ASCII "
                         "characters", value=ounit)
    spec = Spec(
        kind=kind, sending_hei_id="", receiving_hei_id="", first_year=first, last_year=last,
        mobilities_per_year=ci.mobilities,
        sending_ounit_id=ci.sending_ounit, receiving_ounit_id=ci.receiving_ounit,
        languages=languages,
        subject_areas=tuple(parse_isced(v) for v in ci.isced),
        other_info=clean_text(ci.info, "--info") if ci.info is not None else None,
        total=parse_decimal(total, "--months" if student else "--days") if total else None,
        blended=ci.blended,
        eqf_levels=tuple(parse_eqf(n) for n in ci.eqf),
    )
    return _Valid(spec, ci.sending, ci.receiving)


def change_mode(a: Agreement, what: str = "change conditions") -> str:
    """``edit`` or ``amend`` for an agreement in this state, else TransitionRefused."""
    if a.state in EDITABLE:
        return "edit"
    if a.state in AMENDABLE:
        return "amend"
    if a.state in FROZEN:
        reason = rules.problem("conditions.frozen")
    else:
        reason = rules.problem("conditions.closed")
    raise TransitionRefused(a.ref, what, a.state, reason)


def _party(a: Agreement, value: str, option: str, home: Home) -> AgreementParty:
    key = normalize_name(value)
    for p in a.parties:
        org = p.organization
        if (org.name_key == key or str(org.id) == value.strip()
                or (org.hei_id is not None and org.hei_id == value.strip().lower())
                or (home.hei_id == value.strip().lower() and home.is_home(org.name_key, org.hei_id))):
            return p
    names = ", ".join(p.organization.name for p in a.parties)
    raise refuse(option, "ewp.party", "{field} {value!r} is not a party of {ref} (parties: {names})",
                 value=value, ref=a.ref, names=names)


def _directions(a: Agreement, valid: _Valid, home: Home) -> tuple[AgreementParty, AgreementParty]:
    """The sending and the receiving party of a condition: two different parties of `a`."""
    sending = _party(a, valid.sending, "--from", home)
    receiving = _party(a, valid.receiving, "--to", home)
    if sending is receiving:
        raise refuse("--from", "ewp.same_party", "{field} and {f_receiving} are the same party "
                     "({name})", name=sending.organization.name)
    return sending, receiving


def _rows(s: Session, a: Agreement) -> list[MobilitySpec]:
    return ordered_rows(list(s.scalars(select(MobilitySpec).where(MobilitySpec.agreement_id == a.id))))


def _numbered(s: Session, a: Agreement, n: int) -> list[MobilitySpec]:
    """The conditions as listed, refused (NotFound) unless there is an ``n``-th."""
    rows = _rows(s, a)
    if not 1 <= n <= len(rows):
        raise NotFound("condition", f"{a.ref} #{n} (it has {len(rows)})")
    return rows


def _begin_change(uow: UnitOfWork, ref: str, by: str | None) -> tuple[Session, Agreement, str, str]:
    """Inside `with uow`: the session, the agreement (the unit of work's subject), and the
    actor and mode (edit or amend) of a change; assigns the IIA id if still missing
    (conditions make the agreement an IIA)."""
    s = uow.session
    a, who = agreement_to_change(uow, ref, by, Role.OFFICER, "change cooperation conditions")
    mode = change_mode(a)
    ensure_iia_id(a)
    # Bump the version first: of two people changing these conditions at once, the
    # second waits for this row and then gets "changed by someone else; retry".
    flag_modified(a, "title")
    s.flush()
    return s, a, who.email, mode


#: A stored mobility spec as the services give it (`from`/`to`: the parties' names).
Condition = TypedDict("Condition", {
    "n": int,
    "kind": str,
    "from": str,
    "to": str,
    "from_hei_id": str | None,
    "to_hei_id": str | None,
    "sending_ounit_id": str | None,
    "receiving_ounit_id": str | None,
    "first_year": str,
    "last_year": str,
    "mobilities_per_year": int,
    "total_months": str | None,
    "total_days": str | None,
    "subject_areas": list[dict[str, Any]],  # stored JSON: {code, clarification?}
    "languages": list[dict[str, Any]],  # stored JSON: {language, level?}
    "eqf_levels": list[int],
    "blended": bool | None,
    "other_info": str | None,
})


class _Finished(TypedDict):
    ref: str
    amended: bool
    old_hash: str | None
    hash: str | None


class ConditionRemoved(_Finished):
    """A condition removed, and the agreement's iia-hash before and after."""

    removed: Condition


class EwpDetails(TypedDict):
    """An agreement's EWP details: its IIA ids and its cooperation conditions."""

    iia_id: str | None
    partner_iia_id: str | None
    conditions: list[Condition]


def _finish_change(s: Session, clock: Clock, home: Home, a: Agreement, who: str, mode: str,
                   old_hash: str | None, what: str) -> _Finished:
    s.flush()
    new_hash = our_hash(s, a.id, home)
    if mode == "amend":
        record(s, a, RecordEvent.AMEND, actor=who, on=clock.today, clock=clock, from_state=a.state,
               to_state=a.state, note=f"cooperation conditions: {what}; "
                                      f"iia-hash {old_hash or '-'} -> {new_hash or '-'}")
    return {"ref": a.ref, "amended": mode == "amend", "old_hash": old_hash, "hash": new_hash}


def add_condition(uow: UnitOfWork, clock: Clock, home: Home, ref: str, ci: ConditionInput, *,
                  by: str | None) -> ConditionChange:
    """Append one mobility spec; returns ``{ref, n, condition, amended, old_hash, hash}``."""
    valid = validate(ci)
    with uow:
        s, a, who, mode = _begin_change(uow, ref, by)
        sending, receiving = _directions(a, valid, home)
        old_hash = our_hash(s, a.id, home)
        position = (s.scalar(select(func.max(MobilitySpec.position))
                             .where(MobilitySpec.agreement_id == a.id)) or 0) + 1
        row = MobilitySpec(agreement_id=a.id, position=position,
                           **spec_values(valid.spec, sending.organization_id,
                                         receiving.organization_id))
        s.add(row)
        s.flush()
        rows = _rows(s, a)
        n = rows.index(row) + 1
        orgs = {p.organization_id: p.organization for p in a.parties}
        condition = condition_dict(n, row, orgs, home)
        out = _finish_change(s, clock, home, a, who, mode, old_hash,
                             f"added {n}. {describe(condition)}")
        uow.commit()
        return {**out, "n": n, "condition": condition}


def remove_condition(uow: UnitOfWork, clock: Clock, home: Home, ref: str, n: int, *,
                     by: str | None) -> ConditionRemoved:
    """Remove the ``n``-th condition (as listed); returns ``{ref, removed, amended, …}``."""
    with uow:
        s, a, who, mode = _begin_change(uow, ref, by)
        rows = _numbered(s, a, n)
        old_hash = our_hash(s, a.id, home)
        orgs = {p.organization_id: p.organization for p in a.parties}
        removed = condition_dict(n, rows[n - 1], orgs, home)
        s.delete(rows[n - 1])
        out = _finish_change(s, clock, home, a, who, mode, old_hash,
                             f"removed {n}. {describe(removed)}")
        uow.commit()
        return {**out, "removed": removed}


class ConditionChange(TypedDict):
    """What a change of conditions did: the condition concerned (as listed after the change;
    the removed one for a removal), whether it was an amendment, and Hamkor's iia-hash
    before and after (None when the hash cannot be computed, e.g. no hei-id)."""

    ref: str
    n: int
    condition: Condition
    amended: bool
    old_hash: str | None
    hash: str | None


def edit_condition(uow: UnitOfWork, clock: Clock, home: Home, ref: str, n: int,
                   ci: ConditionInput, *, by: str | None) -> ConditionChange:
    """Replace the ``n``-th condition (as listed) with ``ci``, in its place among those of
    its kind; an amendment once signed. Nothing changes when any value is refused."""
    valid = validate(ci)
    with uow:
        s, a, who, mode = _begin_change(uow, ref, by)
        rows = _numbered(s, a, n)
        sending, receiving = _directions(a, valid, home)
        old_hash = our_hash(s, a.id, home)
        orgs = {p.organization_id: p.organization for p in a.parties}
        before = describe(condition_dict(n, rows[n - 1], orgs, home))
        row = rows[n - 1]
        for key, value in spec_values(valid.spec, sending.organization_id,
                                      receiving.organization_id).items():
            setattr(row, key, value)
        s.flush()
        m = _rows(s, a).index(row) + 1
        return _changed(uow, clock, home, a, who, mode, old_hash, m, row,
                        lambda now: f"changed {n}. {before} to {m}. {now}")


def _changed(uow: UnitOfWork, clock: Clock, home: Home, a: Agreement, who: str, mode: str,
             old_hash: str | None, m: int, row: MobilitySpec,
             note: Callable[[str], str]) -> ConditionChange:
    """Record and commit a change that leaves `row` as the ``m``-th condition; `note` words
    it from the condition's description."""
    orgs = {p.organization_id: p.organization for p in a.parties}
    condition = condition_dict(m, row, orgs, home)
    out = _finish_change(uow.session, clock, home, a, who, mode, old_hash, note(describe(condition)))
    uow.commit()
    return {"ref": out["ref"], "n": m, "condition": condition, "amended": out["amended"],
            "old_hash": out["old_hash"], "hash": out["hash"]}


def move_condition(uow: UnitOfWork, clock: Clock, home: Home, ref: str, n: int,
                   direction: Literal["up", "down"], *, by: str | None) -> ConditionChange:
    """Move the ``n``-th condition one place up or down among those of its kind (conditions
    are listed, exported and hashed by kind, then in stored order); an amendment once signed."""
    if direction not in ("up", "down"):
        raise refuse("direction", "choice", "{field} {value!r} is not one of {choices}",
                     value=direction, choices="up, down")
    with uow:
        s, a, who, mode = _begin_change(uow, ref, by)
        rows = _numbered(s, a, n)
        m = n - 1 if direction == "up" else n + 1
        if not 1 <= m <= len(rows) or rows[m - 1].kind != rows[n - 1].kind:
            raise Invalid(Problem("ewp.move", None, "condition {n} is already the {end} of its kind "
                                  "(conditions are listed by kind)",
                                  {"n": n, "end": "first" if direction == "up" else "last"}))
        old_hash = our_hash(s, a.id, home)
        row, other = rows[n - 1], rows[m - 1]
        # Swapped through a free position: (agreement, position) is unique at every statement.
        mine, theirs = row.position, other.position
        row.position = -1
        s.flush()
        other.position = mine
        s.flush()
        row.position = theirs
        s.flush()
        return _changed(uow, clock, home, a, who, mode, old_hash, m, row,
                        lambda now: f"moved {n}. to {m}. {now}")


def condition_dict(n: int, row: Any, orgs: dict[int, Any], home: Home) -> Condition:
    """A stored mobility spec as JSON (``orgs`` maps organisation ids to organisations)."""
    sending, receiving = orgs[row.sending_org_id], orgs[row.receiving_org_id]
    student = row.kind in STUDENT_KINDS
    return {
        "n": n,
        "kind": row.kind,
        "from": sending.name,
        "to": receiving.name,
        "from_hei_id": home.hei_of(sending.name_key, sending.hei_id),
        "to_hei_id": home.hei_of(receiving.name_key, receiving.hei_id),
        "sending_ounit_id": row.sending_ounit_id,
        "receiving_ounit_id": row.receiving_ounit_id,
        "first_year": row.first_year,
        "last_year": row.last_year,
        "mobilities_per_year": row.mobilities_per_year,
        "total_months": row.total_months,
        "total_days": row.total_days,
        "subject_areas": list(row.subject_areas or []),
        "languages": list(row.languages or []),
        "eqf_levels": list(row.eqf_levels or []) if student else [],
        "blended": bool(row.blended) if student else None,
        "other_info": row.other_info,
    }


def describe(c: Condition) -> str:
    """One line for people: ``student-studies Home -> Partner 2025/2026-2029/2030, 2 a year …``."""
    years = c["first_year"] if c["first_year"] == c["last_year"] else f"{c['first_year']}-{c['last_year']}"
    parts = [f"{c['kind']} {c['from']} -> {c['to']}", years, f"{c['mobilities_per_year']} a year"]
    if c["total_months"]:
        parts.append(f"{c['total_months']} months")
    if c["total_days"]:
        parts.append(f"{c['total_days']} days")
    if c["subject_areas"]:
        parts.append("ISCED " + " ".join(
            sa["code"] + (f" ({sa['clarification']})" if sa.get("clarification") else "")
            for sa in c["subject_areas"]))
    if c["languages"]:
        parts.append(" ".join(lang["language"] + (f" {lang['level']}" if lang.get("level") else "")
                              for lang in c["languages"]))
    if c["eqf_levels"]:
        parts.append("EQF " + ",".join(str(x) for x in c["eqf_levels"]))
    if c["blended"]:
        parts.append("blended")
    if c["other_info"]:
        parts.append(c["other_info"].replace("\n", " "))
    return ", ".join(parts)


def _conditions(s: Session, a: Agreement, home: Home) -> list[Condition]:
    orgs = {p.organization_id: p.organization for p in a.parties}
    return [condition_dict(n, row, orgs, home) for n, row in enumerate(_rows(s, a), start=1)]


def list_conditions(uow: UnitOfWork, home: Home, ref: str) -> list[Condition]:
    with uow:
        s = uow.session
        return _conditions(s, get_agreement(s, ref), home)


def show_details(uow: UnitOfWork, home: Home, ref: str) -> EwpDetails:
    """What `hamkor agreement show` adds: ``{iia_id, partner_iia_id, conditions}``."""
    with uow:
        s = uow.session
        return details_of(s, get_agreement(s, ref), home)[0]


def details_of(s: Session, a: Agreement, home: Home, *, any_conditions: bool = True
               ) -> tuple[EwpDetails, list[MobilitySpec]]:
    """`show_details` of an agreement already read with its parties and their
    organisations (one statement: its conditions, none when the caller knows it has none:
    `any_conditions`), and the conditions' rows in the order listed (for a caller that
    also needs their quotas)."""
    rows = _rows(s, a) if any_conditions else []
    orgs = {p.organization_id: p.organization for p in a.parties}
    return ({"iia_id": a.iia_id, "partner_iia_id": a.partner_iia_id,
             "conditions": [condition_dict(n, row, orgs, home) for n, row in enumerate(rows, start=1)]},
            rows)


_PLACE_KEYS = {"student-studies": "student_studies", "student-traineeship": "student_traineeship",
               "staff-teacher": "staff_teacher", "staff-training": "staff_training"}


def mobility_places(session: Session, academic_year: int | str, *, institution: str,
                    institution_hei_id: str | None = None,
                    agreement_ids: Collection[int] | None = None) -> list[dict[str, Any]]:
    """Mobility places per partner and direction in one academic year.

    ``academic_year``: the calendar year it starts in (``2025``) or its id
    (``"2025/2026"``). A spec counts when its years cover it. ``outgoing`` =
    the home institution (``institution`` name or ``institution_hei_id``)
    sends, ``incoming`` = it receives; specs between two other parties are
    not the office's places and are left out. By default the agreements that
    are or were in effect count (signed and later, not withdrawn);
    ``agreement_ids`` narrows that (e.g. to those in force on the report day).

    Rows, sorted by partner then direction: ``{partner, country, hei_id,
    direction, academic_year, student_studies, student_traineeship,
    staff_teacher, staff_training, students, staff, total, agreements}``
    (places = mobilities per year, summed).
    """
    if isinstance(academic_year, int):
        year, label = academic_year, f"{academic_year}/{academic_year + 1}"
    else:
        label = parse_year_id(academic_year, option="academic year")
        year = int(label[:4])
    stmt = (select(MobilitySpec, Agreement.ref)
            .join(Agreement, Agreement.id == MobilitySpec.agreement_id)
            .where(Agreement.state.in_(IN_EFFECT_STATES)))
    if agreement_ids is not None:
        stmt = stmt.where(Agreement.id.in_(list(agreement_ids)))
    rows = [(spec, ref) for spec, ref in session.execute(stmt).tuples()
            if covers(spec.first_year, spec.last_year, year)]
    if not rows:
        return []
    org_ids = {spec.sending_org_id for spec, _ in rows} | {spec.receiving_org_id for spec, _ in rows}
    orgs = {o.id: o for o in session.scalars(select(Organization).where(Organization.id.in_(org_ids)))}
    home = Home(Office(institution=institution), institution_hei_id)

    def is_home(org_id: int) -> bool:
        return home.is_home(orgs[org_id].name_key, orgs[org_id].hei_id)

    table: dict[tuple[int, str], dict[str, Any]] = {}
    refs: dict[tuple[int, str], set[str]] = defaultdict(set)
    for spec, ref in rows:
        if is_home(spec.sending_org_id) == is_home(spec.receiving_org_id):
            continue
        direction = "outgoing" if is_home(spec.sending_org_id) else "incoming"
        partner = orgs[spec.receiving_org_id if direction == "outgoing" else spec.sending_org_id]
        key = (partner.id, direction)
        row = table.setdefault(key, {
            "partner": partner.name, "country": partner.country, "hei_id": partner.hei_id,
            "direction": direction, "academic_year": label,
            **{k: 0 for k in _PLACE_KEYS.values()},
        })
        row[_PLACE_KEYS[spec.kind]] += spec.mobilities_per_year
        refs[key].add(ref)
    out = []
    for key, row in table.items():
        row["students"] = row["student_studies"] + row["student_traineeship"]
        row["staff"] = row["staff_teacher"] + row["staff_training"]
        row["total"] = row["students"] + row["staff"]
        row["agreements"] = sorted(refs[key])
        out.append(row)
    out.sort(key=lambda r: (r["partner"].casefold(), r["direction"] != "outgoing"))
    return out

