"""Export Hamkor's IIAs as a v7 get response; import a partner's get response.

Export: one ``iia`` per bilateral agreement between the home institution and a
partner with a hei-id, the home institution first (its iia-id, the ref as
iia-code), conditions in stored order, the iia-hash computed. IIA ids are
assigned on first export.

Import is all-or-nothing: a declared hash that does not match the recomputed
one, an IIA that is not ours, or a conflict with what is stored refuses the
whole file and writes nothing. Per IIA, an agreement is matched by our iia-id
(when the file carries it), else by the partner's hei-id and iia-id, else
created - keeping our iia-id from the file, so a mapping made elsewhere
survives. The partner's copy (XML and hash) is kept as a snapshot; importing
the same file again changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from typing_extensions import TypedDict  # pydantic: API responses on Python 3.11

from ewp.conditions import change_mode
from ewp.identity import Home, country_of_hei_id, new_iia_id
from ewp.iia_hash import gc_paused
from ewp.model import Iia, Partner, Spec, hash_of
from ewp.reader import ReadIia, read_get_response
from ewp.rules import term_for_years, year_key
from ewp.store import (
    AgreementView,
    NotExportable,
    load_views,
    ordered_rows,
    our_hash,
    spec_of,
    spec_values,
    to_iia,
)
from ewp.writer import get_response, iia_xml
from models import Agreement, AgreementParty, EwpSnapshot, MobilitySpec, Organization
from workflow import rules
from workflow.agreements import _insert_agreement, record, reschedule
from workflow.clock import Clock
from workflow.errors import HamkorError, Invalid, NotFound, Problem, TransitionRefused
from workflow.lifecycle import BEFORE_SIGNED, RecordEvent, Role, State
from workflow.registry import SYSTEM_ACTOR, named_actor, new_organization, valid_hei_id
from workflow.uow import UnitOfWork

__all__ = ["ExportResult", "ImportOutcome", "export_iias", "import_iias"]

_CHUNK = 500
#: Forms of cooperation the mobility kinds amount to (for the office's reports).
_FORMS = {"student-studies": "student exchange", "student-traineeship": "internship",
          "staff-teacher": "staff exchange", "staff-training": "staff exchange"}


# --- export -----------------------------------------------------------------------------


@dataclass
class ExportResult:
    xml: bytes
    exported: list[dict[str, Any]] = field(default_factory=list)  # {ref, iia_id, iia_hash}
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (ref, reason)
    #: Each skipped agreement's reason as a rule (`ewp.why.*`), to word it in any language.
    why: dict[str, Problem] = field(default_factory=dict)


def _assign_ids(s: Session, ids: list[int]) -> dict[int, str]:
    """Give IIA ids to agreements without one; returns every id's value afterwards.

    ``WHERE iia_id IS NULL``: when two exports race, the first id written stays
    and both read it back.
    """
    table = Agreement.__table__
    assert isinstance(table, Table)
    stmt = (update(table).where(table.c.id == bindparam("b_id"), table.c.iia_id.is_(None))
            .values(iia_id=bindparam("b_iia")))
    out: dict[int, str] = {}
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i:i + _CHUNK]
        s.execute(stmt, [{"b_id": aid, "b_iia": new_iia_id()} for aid in chunk])
        for aid, iia_id in s.execute(select(Agreement.id, Agreement.iia_id)
                                     .where(Agreement.id.in_(chunk))).tuples():
            assert iia_id is not None
            out[aid] = iia_id
    return out


def export_iias(uow: UnitOfWork, home: Home, refs: Sequence[str] = ()) -> ExportResult:
    """An ``iias-get-response`` of the agreements ``refs`` (all eligible ones if empty).

    Named agreements that cannot be IIAs are refused (NotExportable); without
    names they are skipped and listed in ``skipped``. Withdrawn agreements are
    only exported when named.
    """
    home.require_hei_id()
    wanted = [r.strip().upper() for r in refs]
    with uow, gc_paused():
        s = uow.session
        where = Agreement.ref.in_(wanted) if wanted else Agreement.state != State.WITHDRAWN
        views = load_views(s, where, home)
        found = {v.ref for v in views}
        for ref in wanted:
            if ref not in found:
                raise NotFound("agreement", ref)
        if wanted:  # in the order asked for
            order = {ref: i for i, ref in enumerate(wanted)}
            views.sort(key=lambda v: order[v.ref])
        result = ExportResult(b"")
        eligible: list[tuple[AgreementView, Iia]] = []
        for v in views:
            try:
                eligible.append((v, to_iia(v, home)))
            except NotExportable as exc:
                if wanted:
                    raise
                result.skipped.append((v.ref, exc.reason))
                result.why[v.ref] = exc.why
        missing = [v.id for v, _ in eligible if v.iia_id is None]
        assigned = _assign_ids(s, missing) if missing else {}
        parts = []
        for v, iia in eligible:
            if v.iia_id is None:
                ours, theirs = iia.partners
                iia = replace(iia, partners=(replace(ours, iia_id=assigned[v.id]), theirs))
            iia_hash = hash_of(iia)
            parts.append(iia_xml(iia, iia_hash))
            result.exported.append({"ref": v.ref, "iia_id": iia.partners[0].iia_id,
                                    "iia_hash": iia_hash})
        result.xml = get_response(parts)
        if missing:
            uow.commit()
        return result


# --- import -----------------------------------------------------------------------------


class IiaImportSummary(TypedDict):
    """An EWP import's report as JSON: counts, every IIA's reference, warnings."""

    created: int
    updated: int
    unchanged: int
    agreements: list[str]
    partners_created: list[str]
    warnings: list[str]
    dry_run: bool


@dataclass
class ImportOutcome:
    source: str
    dry_run: bool
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    agreements: list[str] = field(default_factory=list)  # every IIA's ref, in file order
    partners_created: list[str] = field(default_factory=list)
    #: Each warning as a rule (`ewp.warn.*`), to word it in any language; `warnings` are
    #: their sentences.
    warned: list[Problem] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        return [w.text() for w in self.warned]

    def digest(self) -> str:
        """What this import does (agreements created, updated, unchanged; partners created):
        equal for two runs of the same file against the same data."""
        import hashlib
        import json

        return hashlib.sha256(json.dumps([self.created, self.updated, self.unchanged,
                                          self.partners_created]).encode()).hexdigest()

    def as_dict(self) -> IiaImportSummary:
        return {"created": len(self.created), "updated": len(self.updated),
                "unchanged": len(self.unchanged), "agreements": self.agreements,
                "partners_created": self.partners_created, "warnings": self.warnings,
                "dry_run": self.dry_run}


@dataclass(frozen=True)
class _Sides:
    item: ReadIia
    ours: Partner
    theirs: Partner


def _sides(items: list[ReadIia], hei: str) -> list[_Sides]:
    """Which partner is us in each IIA; everything checked before the database is touched."""
    bad = [item.label for item in items if not item.matches]
    if bad:
        raise Invalid(rules.problem("ewp.hash_mismatch", "file", ids=", ".join(bad)))
    out = []
    seen: dict[tuple[str, str], str] = {}
    for item in items:
        partners = item.iia.partners
        mine = [i for i, p in enumerate(partners) if p.hei_id == hei]
        if not mine:
            raise Invalid(rules.problem("ewp.not_ours", "file", label=item.label, hei_id=hei))
        ours, theirs = partners[mine[0]], partners[1 - mine[0]]
        try:
            valid_hei_id(theirs.hei_id)
        except Invalid as exc:
            raise Invalid(in_iia(item.label, exc.problem)) from None
        if theirs.iia_id is None:
            raise Invalid(rules.problem("ewp.partner_no_id", "file", label=item.label,
                                        hei_id=theirs.hei_id))
        key = (theirs.hei_id, theirs.iia_id)
        if key in seen:
            raise Invalid(rules.problem("ewp.twice", "file", label=item.label, hei_id=theirs.hei_id,
                                        iia_id=theirs.iia_id))
        seen[key] = item.label
        out.append(_Sides(item, ours, theirs))
    return out


def in_iia(label: str, reason: Problem | str) -> Problem:
    """A refusal about one IIA of a file, the IIA's label in front of its sentence."""
    if isinstance(reason, str):
        return rules.problem("ewp.in_iia", "file", label=label, why=reason)
    return Problem(reason.code, reason.field, "iia {iia_label}: " + reason.template,
                   {**reason.params, "iia_label": label})


def _partner_org(s: Session, clock: Clock, hei_id: str, outcome: ImportOutcome) -> Organization:
    org = s.scalar(select(Organization).where(Organization.hei_id == hei_id))
    if org is None:
        # Named by its hei-id until someone renames it; the country from a country-code
        # domain, else left empty for the report's data-quality list.
        org = new_organization(s, clock, hei_id, country=country_of_hei_id(hei_id),
                               hei_id=hei_id)
        s.flush()
        outcome.partners_created.append(hei_id)
    return org


def _match(s: Session, side: _Sides, partner: Organization, home_org: Organization) -> Agreement | None:
    ours, theirs, label = side.ours, side.theirs, side.item.label
    a = None
    if ours.iia_id:
        a = s.scalar(select(Agreement).where(Agreement.iia_id == ours.iia_id))
    if a is None:
        found = list(s.scalars(
            select(Agreement).join(AgreementParty, AgreementParty.agreement_id == Agreement.id)
            .where(Agreement.partner_iia_id == theirs.iia_id,
                   AgreementParty.organization_id == partner.id)))
        if len(found) > 1:
            raise Invalid(rules.problem("ewp.mapped_many", "file", label=label,
                                        refs=", ".join(x.ref for x in found),
                                        hei_id=theirs.hei_id, iia_id=theirs.iia_id))
        a = found[0] if found else None
        if a is not None and ours.iia_id and a.iia_id not in (None, ours.iia_id):
            raise Invalid(rules.problem("ewp.our_id", "file", label=label, ours=ours.iia_id, ref=a.ref,
                                        hei_id=theirs.hei_id, iia_id=theirs.iia_id,
                                        theirs=a.iia_id))
    if a is None:
        return None
    if a.partner_iia_id not in (None, theirs.iia_id):
        raise Invalid(rules.problem("ewp.mapped_other", "file", label=label, ref=a.ref,
                                    hei_id=theirs.hei_id, mapped=a.partner_iia_id,
                                    iia_id=theirs.iia_id))
    orgs = sorted(p.organization_id for p in a.parties)
    if orgs != sorted((home_org.id, partner.id)):
        raise Invalid(rules.problem("ewp.other_parties", "file", label=label, ref=a.ref,
                                    home=home_org.name, partner=partner.name))
    return a


def _state_by_dates(in_effect: bool, starts: date | None, expires: date | None,
                    today: date) -> State:
    if not in_effect:
        return State.DRAFT
    if starts is None or today < starts:
        return State.SIGNED
    if expires is not None and expires < today:
        return State.EXPIRED
    return State.ACTIVE


def _dated(state: State, created: date, signatures: list[date], starts: date | None,
           expires: date | None, today: date) -> date:
    """Business date of the `import` event: the latest date the state implies, at most
    today (the tick never dates a later event before it)."""
    known = [created, *signatures]
    if state is State.ACTIVE and starts is not None:
        known.append(starts)
    if state is State.EXPIRED and expires is not None:
        known.append(expires + timedelta(days=1))
    return min(max(known), today)


def _spec_rows(specs: tuple[Spec, ...], orgs: dict[str, int]) -> list[dict[str, Any]]:
    return [spec_values(sp, orgs[sp.sending_hei_id], orgs[sp.receiving_hei_id]) for sp in specs]


def _snapshot(s: Session, clock: Clock, a: Agreement, item: ReadIia) -> bool:
    """Keep the partner's copy unless the latest one kept has the same hash."""
    latest = s.scalar(select(EwpSnapshot.iia_hash).where(EwpSnapshot.agreement_id == a.id)
                      .order_by(EwpSnapshot.id.desc()).limit(1))
    if latest == item.computed:
        return False
    s.add(EwpSnapshot(agreement_id=a.id, received_at=clock.utcnow, iia_hash=item.computed,
                      valid_for_approval=item.valid_for_approval, xml=item.xml))
    return True


def _create(s: Session, clock: Clock, home: Home, side: _Sides, partner: Organization,
            home_org: Organization, who: str, source: str) -> Agreement:
    iia, today = side.item.iia, clock.today
    specs = iia.specs
    starts = expires = None
    if specs:
        first = min((sp.first_year for sp in specs), key=year_key)
        last = max((sp.last_year for sp in specs), key=year_key)
        starts, expires = term_for_years(first, last, home.year_start)
    state = _state_by_dates(iia.in_effect, starts, expires, today)
    signed = iia.in_effect  # a draft's signatures are not taken over
    ours_on = side.ours.signing_date if signed else None
    theirs_on = side.theirs.signing_date if signed else None
    signatures = [d for d in (ours_on, theirs_on) if d is not None]
    created = min([*signatures, *([starts] if signed and starts else []), today])
    day = _dated(state, created, signatures, starts, expires, today)
    code = f" ({side.theirs.iia_code})" if side.theirs.iia_code else ""
    forms = list(dict.fromkeys(_FORMS[sp.kind] for sp in specs))
    a = _insert_agreement(
        s, clock, created,
        title=f"Erasmus+ inter-institutional agreement with {partner.name}{code}"[:500],
        type="exchange", starts_on=starts, expires_on=expires, indefinite=False, forms=forms,
        iia_id=side.ours.iia_id or new_iia_id(), partner_iia_id=side.theirs.iia_id,
        notes=f"Imported from EWP ({source}): {side.theirs.hei_id} iia-id {side.theirs.iia_id}",
    )
    a.state, a.state_since = state, day
    s.add(AgreementParty(agreement=a, organization=home_org, position=0, signed_on=ours_on))
    s.add(AgreementParty(agreement=a, organization=partner, position=1, signed_on=theirs_on))
    orgs = {home.require_hei_id(): home_org.id, side.theirs.hei_id: partner.id}
    for position, values in enumerate(_spec_rows(specs, orgs), start=1):
        s.add(MobilitySpec(agreement_id=a.id, position=position, **values))
    s.flush()
    _snapshot(s, clock, a, side.item)
    record(s, a, RecordEvent.IMPORT, actor=who, on=day, clock=clock, from_state=None, to_state=state,
           note=f"EWP IIA from {source}: {side.theirs.hei_id} iia-id {side.theirs.iia_id}, "
                f"partner iia-hash {side.item.computed}")
    reschedule(s, a, home.office.policy, today - timedelta(days=1), last_on=day)
    return a


def _update(s: Session, clock: Clock, home: Home, side: _Sides, a: Agreement,
            partner: Organization, home_org: Organization, who: str, source: str) -> bool:
    """Bring ``a`` in line with the partner's copy; False when nothing changed."""
    item, theirs = side.item, side.theirs
    old_hash = our_hash(s, a.id, home)
    changes = []
    if a.iia_id is None:
        a.iia_id = side.ours.iia_id or new_iia_id()
    if a.partner_iia_id is None:
        a.partner_iia_id = theirs.iia_id
        changes.append(f"mapped to {theirs.hei_id} iia-id {theirs.iia_id}")
    hei = home.require_hei_id()
    heis = {home_org.id: hei, partner.id: theirs.hei_id}
    rows = ordered_rows(list(s.scalars(select(MobilitySpec).where(MobilitySpec.agreement_id == a.id))))
    amended = False
    if [spec_of(r, heis) for r in rows] != list(item.iia.specs):
        try:
            amended = change_mode(a, "take the partner's conditions") == "amend"
        except TransitionRefused as exc:  # signed or closed: a rule of its own, naming the agreement
            code = "ewp.take." + exc.problem.code.removeprefix("conditions.")
            why = rules.problem(code, "file", ref=a.ref, state=a.state) if code in rules.MESSAGES else str(exc)
            raise Invalid(in_iia(item.label, why)) from None
        except HamkorError as exc:
            raise Invalid(in_iia(item.label, exc.problem if isinstance(exc, Invalid) else str(exc))) from None
        for r in rows:
            s.delete(r)
        s.flush()
        orgs = {hei: home_org.id, theirs.hei_id: partner.id}
        for position, values in enumerate(_spec_rows(item.iia.specs, orgs), start=1):
            s.add(MobilitySpec(agreement_id=a.id, position=position, **values))
        changes.append("cooperation conditions")
    s.flush()
    if _snapshot(s, clock, a, item):
        changes.append(f"partner iia-hash {item.computed}")
    if not changes:
        return False
    s.flush()
    new_hash = our_hash(s, a.id, home)
    if new_hash != old_hash:
        changes.append(f"iia-hash {old_hash or '-'} -> {new_hash or '-'}")
    flag_modified(a, "title")  # bump the version (optimistic locking)
    record(s, a, RecordEvent.AMEND if amended else RecordEvent.IMPORT, actor=who, on=clock.today, clock=clock,
           from_state=a.state, to_state=a.state,
           note=f"EWP IIA from {source}: {'; '.join(changes)}")
    return True


def import_iias(uow: UnitOfWork, clock: Clock, home: Home, xml: bytes, *, source: str,
                by: str | None, dry_run: bool = False, expect: str | None = None) -> ImportOutcome:
    """Import a partner's ``iias-get-response`` (v7): all IIAs or none.

    ``expect``: the ``digest()`` of the dry run a person saw; refused (nothing written)
    when the import would now do something else."""
    hei = home.require_hei_id()
    sides = _sides(read_get_response(xml), hei)
    outcome = ImportOutcome(source=source, dry_run=dry_run)
    for side in sides:
        outcome.warned.extend(side.item.warned)
    with uow:
        s = uow.session
        who = named_actor(s, by, Role.OFFICER, "import EWP IIAs")
        who_email = who.email if who else SYSTEM_ACTOR
        home_org = home.home_org(s, clock)
        for side in sides:
            partner = _partner_org(s, clock, side.theirs.hei_id, outcome)
            a = _match(s, side, partner, home_org)
            if a is None:
                a = _create(s, clock, home, side, partner, home_org, who_email, source)
                outcome.created.append(a.ref)
            elif _update(s, clock, home, side, a, partner, home_org, who_email, source):
                outcome.updated.append(a.ref)
            else:
                outcome.unchanged.append(a.ref)
            uow.subject = a.ref
            outcome.agreements.append(a.ref)
            if side.item.iia.in_effect and a.state in BEFORE_SIGNED:
                outcome.warned.append(rules.problem("ewp.warn.in_effect", None, ref=a.ref,
                                                    state=a.state))
        s.flush()
        if not dry_run:
            if expect is not None and outcome.digest() != expect:
                raise Invalid(Problem("import.changed", None, "the agreements changed since the "
                                      "preview, so this file would now do something else; nothing "
                                      "was imported: preview it again"))
            uow.commit()
    return outcome
