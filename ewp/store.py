"""Between the tables and :mod:`ewp.model`: stored conditions <-> specs, agreements -> IIAs.

Loading is set-based (one query per table, however many agreements), so the
same code serves one agreement's hash and an export of ten thousand.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Text, cast, func, select
from sqlalchemy.orm import Session

from ewp.identity import Home
from ewp.model import KINDS, STUDENT_KINDS, Iia, LanguageSkill, Partner, Spec, SubjectArea, hash_of
from ewp.rules import year_start
from models import Agreement, AgreementParty, Event, MobilitySpec, Organization
from workflow import rules
from workflow.errors import Invalid
from workflow.lifecycle import SIGNED_OR_LATER, Event as LifecycleEvent, State

__all__ = [
    "IN_EFFECT_STATES",
    "AgreementView",
    "NotExportable",
    "PartyView",
    "StoredSpec",
    "load_views",
    "ordered_rows",
    "our_hash",
    "spec_of",
    "spec_values",
    "to_iia",
]

#: States in which an agreement is or was in effect (signed by everyone): `in-effect` true.
IN_EFFECT_STATES = SIGNED_OR_LATER
_RANK = {kind: i for i, kind in enumerate(KINDS)}


class NotExportable(Invalid):
    """The agreement cannot be an EWP IIA (the message says why, naming it)."""

    def __init__(self, ref: str, reason: str, code: str, **params: Any) -> None:
        self.ref, self.reason = ref, reason  # `reason`: as the CLI's list of skipped ones says it
        super().__init__(rules.problem(code, None, ref=ref, **params))
        #: The reason as a rule (`ewp.why.*`: the code's sentence without the ref in front),
        #: for a list that names the agreement beside it, in the reader's language.
        self.why = rules.problem("ewp.why." + code.removeprefix("ewp."), None, **params)


@dataclass(frozen=True, slots=True)
class PartyView:
    org_id: int
    name: str
    name_key: str
    hei_id: str | None
    country: str | None
    signed_on: date | None


class StoredSpec(NamedTuple):
    """A loaded `mobility_specs` row: who sends to whom, and the spec (its hei-ids
    resolved, '' for an organisation without one)."""

    position: int
    sending_org_id: int
    receiving_org_id: int
    spec: Spec


@dataclass(frozen=True, slots=True)
class AgreementView:
    id: int
    ref: str
    state: str
    iia_id: str | None
    partner_iia_id: str | None
    parties: tuple[PartyView, ...]
    specs: tuple[StoredSpec, ...]  # schema order
    terminated_on: date | None  # date of the `terminate` event, if any


# --- one spec ---------------------------------------------------------------------------


def _subject_json(sa: SubjectArea) -> dict[str, Any]:
    out: dict[str, Any] = {"code": sa.code, "clarification": sa.clarification}
    if sa.v6_value is not None:
        out["v6_value"] = sa.v6_value
    return out


def _subject_of(d: Mapping[str, Any]) -> SubjectArea:
    return SubjectArea(d["code"], d.get("clarification"), d.get("v6_value"))


def _language_json(lang: LanguageSkill) -> dict[str, Any]:
    out: dict[str, Any] = {"language": lang.language, "level": lang.level}
    if lang.subject_area is not None:
        out["subject_area"] = _subject_json(lang.subject_area)
    return out


def _language_of(d: Mapping[str, Any]) -> LanguageSkill:
    sa = d.get("subject_area")
    return LanguageSkill(d["language"], d.get("level"), _subject_of(sa) if sa else None)


def spec_values(spec: Spec, sending_org_id: int, receiving_org_id: int) -> dict[str, Any]:
    """Column values of a `mobility_specs` row for ``spec`` (parties by organisation id;
    the spec's hei-ids are not stored)."""
    student = spec.kind in STUDENT_KINDS
    return {
        "kind": spec.kind,
        "sending_org_id": sending_org_id,
        "receiving_org_id": receiving_org_id,
        "sending_ounit_id": spec.sending_ounit_id,
        "receiving_ounit_id": spec.receiving_ounit_id,
        "first_year": spec.first_year,
        "last_year": spec.last_year,
        "mobilities_per_year": spec.mobilities_per_year,
        "total_months": spec.total if student else None,
        "total_days": None if student else spec.total,
        "subject_areas": [_subject_json(sa) for sa in spec.subject_areas],
        "languages": [_language_json(lang) for lang in spec.languages],
        "eqf_levels": list(spec.eqf_levels) if student else [],
        "blended": spec.blended if student else None,
        "other_info": spec.other_info,
    }


def spec_of(row: Any, heis: Mapping[int, str]) -> Spec:
    """The spec a `mobility_specs` row (ORM object or Core row) stores; ``heis`` maps
    organisation ids to hei-ids."""
    student = row.kind in STUDENT_KINDS
    return Spec(
        kind=row.kind,
        sending_hei_id=heis[row.sending_org_id],
        receiving_hei_id=heis[row.receiving_org_id],
        first_year=row.first_year,
        last_year=row.last_year,
        mobilities_per_year=row.mobilities_per_year,
        sending_ounit_id=row.sending_ounit_id,
        receiving_ounit_id=row.receiving_ounit_id,
        languages=tuple(_language_of(d) for d in row.languages or ()),
        subject_areas=tuple(_subject_of(d) for d in row.subject_areas or ()),
        other_info=row.other_info,
        total=row.total_months if student else row.total_days,
        blended=bool(row.blended) if student else False,
        eqf_levels=tuple(row.eqf_levels or ()) if student else (),
    )


def ordered_rows(rows: Sequence[Any]) -> list[Any]:
    """Spec rows in schema order (by kind, then stored position): the order they are
    listed, numbered, exported and hashed in."""
    return sorted(rows, key=lambda r: (_RANK[r.kind], r.position))


# --- agreements -------------------------------------------------------------------------


class _Decoder:
    """JSON columns to model values, memoised by their text: conditions repeat (the
    same languages, levels, subject areas), so an export decodes each shape once."""

    def __init__(self) -> None:
        self.subjects: dict[str | None, tuple[SubjectArea, ...]] = {}
        self.languages: dict[str | None, tuple[LanguageSkill, ...]] = {}
        self.levels: dict[str | None, tuple[int, ...]] = {}

    def subject_areas(self, raw: str | None) -> tuple[SubjectArea, ...]:
        found = self.subjects.get(raw)
        if found is None:
            found = self.subjects[raw] = tuple(_subject_of(d) for d in _json(raw))
        return found

    def language_skills(self, raw: str | None) -> tuple[LanguageSkill, ...]:
        found = self.languages.get(raw)
        if found is None:
            found = self.languages[raw] = tuple(_language_of(d) for d in _json(raw))
        return found

    def eqf_levels(self, raw: str | None) -> tuple[int, ...]:
        found = self.levels.get(raw)
        if found is None:
            found = self.levels[raw] = tuple(int(x) for x in _json(raw))
        return found


def _json(raw: str | None) -> list[Any]:
    value = json.loads(raw) if raw else []
    return value if isinstance(value, list) else []


def load_views(s: Session, where: ColumnElement[bool], home: Home) -> list[AgreementView]:
    """Every agreement matching ``where`` (a condition on `agreements`), in ref order,
    with parties and specs: four queries in all, whatever the number of agreements."""
    a_t = Agreement.__table__
    s.flush()  # Core statements on the session's connection skip the ORM (and its autoflush)
    conn = s.connection()
    agreements = conn.execute(
        select(Agreement.id, Agreement.ref, Agreement.state, Agreement.iia_id,
               Agreement.partner_iia_id)
        .where(where).order_by(Agreement.ref_year, Agreement.ref_seq)).all()
    if not agreements:
        return []
    parties: dict[int, list[PartyView]] = defaultdict(list)
    heis: dict[int, str] = {}
    for r in conn.execute(
        select(AgreementParty.agreement_id, Organization.id, Organization.name,
               Organization.name_key, Organization.hei_id, Organization.country,
               AgreementParty.signed_on)
        .join(Organization, Organization.id == AgreementParty.organization_id)
        .join(a_t, a_t.c.id == AgreementParty.agreement_id)
        .where(where).order_by(AgreementParty.agreement_id, AgreementParty.position)).tuples():
        parties[r[0]].append(PartyView(*r[1:]))
        heis[r[1]] = home.hei_of(r[3], r[4]) or ""
    specs: dict[int, list[StoredSpec]] = defaultdict(list)
    m = MobilitySpec
    decode = _Decoder()
    for (aid, position, kind, sending, receiving, s_unit, r_unit, first, last, mobilities,
         months, days, subjects, languages, levels, blended, other) in conn.execute(
            select(m.agreement_id, m.position, m.kind, m.sending_org_id, m.receiving_org_id,
                   m.sending_ounit_id, m.receiving_ounit_id, m.first_year, m.last_year,
                   m.mobilities_per_year, m.total_months, m.total_days,
                   cast(m.subject_areas, Text), cast(m.languages, Text),
                   cast(m.eqf_levels, Text), m.blended, m.other_info)
            .join(a_t, a_t.c.id == m.agreement_id).where(where)).tuples():
        student = kind in STUDENT_KINDS
        spec = Spec(kind, heis.get(sending, ""), heis.get(receiving, ""), first, last,
                    mobilities, s_unit, r_unit, decode.language_skills(languages),
                    decode.subject_areas(subjects), other, months if student else days,
                    bool(blended) if student else False,
                    decode.eqf_levels(levels) if student else ())
        specs[aid].append(StoredSpec(position, sending, receiving, spec))
    terminated = dict(conn.execute(
        select(Event.agreement_id, func.max(Event.occurred_on))
        .join(a_t, a_t.c.id == Event.agreement_id)
        .where(where, Agreement.state == State.TERMINATED, Event.event == LifecycleEvent.TERMINATE)
        .group_by(Event.agreement_id)).tuples().all())
    return [
        AgreementView(r.id, r.ref, r.state, r.iia_id, r.partner_iia_id, tuple(parties[r.id]),
                      tuple(sorted(specs[r.id], key=lambda x: (_RANK[x.spec.kind], x.position))),
                      terminated.get(r.id))
        for r in agreements
    ]


def _home_and_partner(v: AgreementView, home: Home) -> tuple[PartyView, PartyView]:
    if len(v.parties) != 2:
        raise NotExportable(v.ref, f"it has {len(v.parties)} parties; an IIA is bilateral "
                                   "(the home institution and one partner)",
                            "ewp.not_bilateral", count=len(v.parties))
    mine = [p for p in v.parties if home.is_home(p.name_key, p.hei_id)]
    if len(mine) != 1:
        raise NotExportable(v.ref, f"the home institution {home.office.institution} is not "
                                   "one of its parties", "ewp.home_not_party",
                            home=home.office.institution)
    other = v.parties[1] if mine[0] is v.parties[0] else v.parties[0]
    if not other.hei_id:
        raise NotExportable(v.ref, f"partner {other.name} has no hei-id (set it with "
                                   f"`hamkor partner edit \"{other.name}\" --hei-id CODE`)",
                            "ewp.partner_no_hei_id", name=other.name)
    return mine[0], other


def to_iia(v: AgreementView, home: Home) -> Iia:
    """The IIA Hamkor publishes for ``v``: the home institution first, with its iia-id
    and the ref as iia-code; the partner second with its own id once mapped.

    Raises :class:`NotExportable` for a consortium, a partner without hei-id or an
    agreement without the home institution.
    """
    hei = home.require_hei_id()
    ours, theirs = _home_and_partner(v, home)
    if ours.hei_id and ours.hei_id != hei:
        raise Invalid(rules.problem("ewp.home_hei_id", name=ours.name, hei_id=ours.hei_id,
                                    configured=hei))
    parties = (ours.org_id, theirs.org_id)
    for n, stored in enumerate(v.specs, start=1):
        if stored.sending_org_id not in parties or stored.receiving_org_id not in parties:
            raise NotExportable(v.ref, f"condition {n} is between organisations that are not "
                                       "both its parties", "ewp.condition_parties", n=n)
    specs = tuple(stored.spec for stored in v.specs)
    terminated = False
    if v.state == State.TERMINATED and v.terminated_on is not None and specs:
        first = min(year_start(sp.first_year, home.year_start) for sp in specs)
        # Ended on or before the first day of its first academic year: no mobility
        # happened under it, so it is terminated as a whole.
        terminated = v.terminated_on <= first
    assert theirs.hei_id is not None
    return Iia(
        partners=(Partner(hei, v.iia_id, v.ref, signing_date=ours.signed_on),
                  Partner(theirs.hei_id, v.partner_iia_id, signing_date=theirs.signed_on)),
        in_effect=v.state in IN_EFFECT_STATES,
        specs=specs,
        terminated=terminated,
    )


def our_hash(s: Session, agreement_id: int, home: Home) -> str | None:
    """The iia-hash of Hamkor's copy of the agreement now, or None when it is not an
    EWP IIA (no hei-id configured, a consortium, a partner without hei-id)."""
    if not home.hei_id:
        return None
    [view] = load_views(s, Agreement.id == agreement_id, home)
    try:
        return hash_of(to_iia(view, home))
    except NotExportable:
        return None
