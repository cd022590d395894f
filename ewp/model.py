"""An IIA v7 as plain data, and its text-to-hash built straight from that data.

These immutable records are what Hamkor reads from a partner's get response
(`ewp.reader`), writes into its own (`ewp.writer`) and stores as cooperation
conditions. Every optional element keeps the difference between *absent*
(``None``) and *present but empty* (``""``), because the iia-hash does.

:func:`text_to_hash` is the fast path used when exporting thousands of IIAs: it
builds, from the data, exactly the string ``transform_version_7.xsl`` (ported
in :mod:`ewp.iia_hash`) builds from the XML that :mod:`ewp.writer` writes for
the same data. The tests check the two agree on generated IIAs, and every
export is verified against :func:`ewp.iia_hash.hash_document`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date

from ewp.iia_hash import sha256_hex

__all__ = [
    "KINDS",
    "LANGUAGE_REQUIRED",
    "STAFF_KINDS",
    "STUDENT_KINDS",
    "Iia",
    "LanguageSkill",
    "Partner",
    "Spec",
    "SubjectArea",
    "element_name",
    "hash_of",
    "text_to_hash",
]

#: Mobility kinds, in the order the v7 schema wants them inside cooperation-conditions.
KINDS = ("student-studies", "student-traineeship", "staff-teacher", "staff-training")
STUDENT_KINDS = frozenset(KINDS[:2])
STAFF_KINDS = frozenset(KINDS[2:])
#: Kinds whose schema type demands at least one recommended-language-skill.
LANGUAGE_REQUIRED = frozenset(("student-studies", "staff-teacher"))
_RANK = {kind: i for i, kind in enumerate(KINDS)}


def element_name(kind: str) -> str:
    """``student-studies`` -> ``student-studies-mobility-spec``."""
    return f"{kind}-mobility-spec"


@dataclass(frozen=True, slots=True)
class SubjectArea:
    code: str  # ISCED-F, 4 digits
    clarification: str | None = None  # None: no isced-clarification element; "": an empty one
    v6_value: str | None = None  # the code approved under IIA v6 (1-3 digits), hashed instead


@dataclass(frozen=True, slots=True)
class LanguageSkill:
    language: str  # xs:language, e.g. en
    level: str | None = None  # CEFR A1..C2
    subject_area: SubjectArea | None = None


@dataclass(frozen=True, slots=True)
class Spec:
    """One direction of one kind of mobility (a ``*-mobility-spec``)."""

    kind: str
    sending_hei_id: str
    receiving_hei_id: str
    first_year: str  # receiving academic year ids, YYYY/YYYY
    last_year: str
    mobilities_per_year: int
    sending_ounit_id: str | None = None
    receiving_ounit_id: str | None = None
    languages: tuple[LanguageSkill, ...] = ()
    subject_areas: tuple[SubjectArea, ...] = ()
    other_info: str | None = None
    #: total months (students) or days (staff) per year, a decimal as written
    total: str | None = None
    blended: bool = False  # students only
    eqf_levels: tuple[int, ...] = ()  # students only

    @property
    def is_student(self) -> bool:
        return self.kind in STUDENT_KINDS


@dataclass(frozen=True, slots=True)
class Partner:
    hei_id: str
    iia_id: str | None = None
    iia_code: str | None = None
    ounit_id: str | None = None
    signing_date: date | None = None


@dataclass(frozen=True, slots=True)
class Iia:
    """One IIA as one side publishes it: ``partners[0]`` is the serving HEI."""

    partners: tuple[Partner, Partner]
    in_effect: bool
    specs: tuple[Spec, ...] = ()
    terminated: bool = False  # cooperation-conditions/@terminated-as-a-whole

    def ordered_specs(self) -> Iterator[Spec]:
        """The specs in schema order: grouped by kind, stored order within a kind."""
        return iter(sorted(self.specs, key=lambda s: _RANK[s.kind]))

    def mirrored(self, serving_iia_id: str | None, *, iia_code: str | None = None) -> Iia:
        """The same IIA as the *other* partner publishes it: partners swapped, the
        other side's own id (and code) on the new serving partner."""
        ours, theirs = self.partners
        return replace(self, partners=(replace(theirs, iia_id=serving_iia_id, iia_code=iia_code),
                                       ours))


def _subject_area(out: list[str], parent: str, sa: SubjectArea) -> None:
    out.append(f"_{parent}.subject-area.isced-f-code={sa.v6_value or sa.code}_")
    if sa.clarification is not None:
        out.append(f"_{parent}.subject-area.isced-clarification={sa.clarification}_")


def text_to_hash(iia: Iia) -> str:
    """The v7 text-to-hash of the XML :mod:`ewp.writer` writes for ``iia`` (unescaped)."""
    out: list[str] = []
    add = out.append
    if iia.terminated:
        add("_@terminated-as-a-whole@_")
    for n, partner in enumerate(iia.partners, start=1):
        add(f"_iia-id_{n}={partner.iia_id or ''}_")
    for spec in iia.ordered_specs():
        name = element_name(spec.kind)
        top = f"cooperation-conditions.{name}"
        add(f"_{top}.sending-hei-id={spec.sending_hei_id}_")
        if spec.sending_ounit_id is not None:
            add(f"_{top}.sending-ounit-id={spec.sending_ounit_id}_")
        add(f"_{top}.receiving-hei-id={spec.receiving_hei_id}_")
        if spec.receiving_ounit_id is not None:
            add(f"_{top}.receiving-ounit-id={spec.receiving_ounit_id}_")
        add(f"_{top}.mobilities-per-year={spec.mobilities_per_year}_")
        skill = f"{name}.recommended-language-skill"
        for lang in spec.languages:
            add(f"_{skill}.language={lang.language}_")
            if lang.level is not None:
                add(f"_{skill}.cefr-level={lang.level}_")
            if lang.subject_area is not None:
                _subject_area(out, "recommended-language-skill", lang.subject_area)
        for sa in spec.subject_areas:
            _subject_area(out, name, sa)
        if spec.other_info is not None:
            add(f"_{top}.other-info-terms={spec.other_info}_")
        if spec.is_student:
            if spec.total is not None:
                add(f"_{top}.total-months-per-year={spec.total}_")
            add(f"_{top}.blended={'true' if spec.blended else 'false'}_")
            for level in spec.eqf_levels:
                add(f"_{top}.eqf-level={level}_")
        elif spec.total is not None:
            add(f"_{top}.total-days-per-year={spec.total}_")
        add(f"_receiving-first-academic-year-id={spec.first_year}_")
        add(f"_receiving-last-academic-year-id={spec.last_year}_")
    return "".join(out)


def hash_of(iia: Iia) -> str:
    """The iia-hash of ``iia`` as :mod:`ewp.writer` writes it."""
    return sha256_hex(text_to_hash(iia))
