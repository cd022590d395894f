"""Read a partner's IIAs v7 get response and IIAs Approval v2 responses (pure, no I/O).

Each ``iia`` becomes an :class:`ewp.model.Iia` together with its declared and
recomputed hash (:mod:`ewp.iia_hash`, the port of the official XSLT), whether
it may be approved, and a standalone get response holding it alone (the
snapshot Hamkor keeps). Text is kept verbatim wherever the hash sees it.

Structure is checked as far as Hamkor relies on it (the official XSDs are not
shipped with the package); a problem raises :class:`workflow.errors.Invalid`
naming the IIA. Things that do not stop an import - a code outside the ISCED-F
list, elements marked ``not-yet-defined``, values Hamkor stores normalised -
are returned as warnings.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ewp.iia_hash import IIAS_V7_NAMESPACE, conditions_text, sha256_hex, valid_for_approval
from ewp.isced import is_detailed_field
from ewp.model import (
    KINDS,
    STUDENT_KINDS,
    Iia,
    LanguageSkill,
    Partner,
    Spec,
    SubjectArea,
    element_name,
    text_to_hash,
)
from ewp.rules import CEFR_LEVELS, check_year_range, parse_year_id
from ewp.writer import APPROVAL_V2_NAMESPACE, Approval
from workflow import rules
from workflow.errors import Invalid, Problem

__all__ = ["ReadIia", "read_approval_response", "read_get_response", "read_partner_file"]

_Element = Any
_SPEC_KINDS = {element_name(kind): kind for kind in KINDS}
_IDENTIFIER = re.compile(r"^[!-~]{1,64}$")  # ewp:AsciiPrintableIdentifier
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_ISCED = re.compile(r"^[0-9]{4}$")
_V6 = re.compile(r"^[0-9]{1,3}$")
_DATE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})")
_TRUE, _FALSE = ("true", "1"), ("false", "0")
#: Limits on a partner's file (README "Limits and safety"): its size, how deep its elements
#: nest (an IIA needs about ten levels), the places per year of one mobility spec and the
#: length of a total of months or days (as stored).
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 32
MAX_MOBILITIES_PER_YEAR = 100_000
MAX_TOTAL_CHARS = 20
_SINGLE = frozenset((
    "sending-hei-id", "sending-ounit-id", "receiving-hei-id", "receiving-ounit-id",
    "receiving-first-academic-year-id", "receiving-last-academic-year-id",
    "mobilities-per-year", "other-info-terms", "total-months-per-year",
    "total-days-per-year", "blended",
))


@dataclass(frozen=True)
class ReadIia:
    """One ``iia`` of a get response."""

    position: int  # 1-based, in the file
    iia: Iia
    declared: str | None  # the iia-hash element's text (stripped)
    computed: str  # recomputed as the official XSLT does
    valid_for_approval: bool
    xml: str  # a get response holding this IIA alone (the snapshot kept)
    #: what Hamkor's own copy of these conditions would not reproduce exactly
    warnings: tuple[str, ...] = field(default=())
    warned: tuple[Problem, ...] = field(default=())  # the warnings as rules (`ewp.warn.*`)

    @property
    def matches(self) -> bool:
        return self.declared == self.computed

    @property
    def label(self) -> str:
        """The serving partner's iia-id, or the position for an IIA without one."""
        return self.iia.partners[0].iia_id or f"#{self.position}"


def _ln(tag: str) -> str:
    return tag.rpartition("}")[2]


def _children(elem: _Element) -> list[_Element]:
    return [c for c in elem if isinstance(c.tag, str)]


def _value(elem: _Element) -> str:
    return "".join(elem.itertext())


class _Problems:
    """Collects warnings for one IIA; errors raise at once, naming it."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.warnings: list[Problem] = []

    def fail(self, code: str | Problem, **params: Any) -> Invalid:
        """A refusal of this IIA: a rule's code (`iia.*` in workflow/rules.py) and its
        values, or another refusal's `Problem` with the IIA's label in front."""
        if isinstance(code, Problem):
            return Invalid(Problem(code.code, code.field, "iia {iia_label}: " + code.template,
                                   {**code.params, "iia_label": self.label}))
        return Invalid(rules.problem(code, "file", label=self.label, **params))

    def warn(self, code: str, **params: Any) -> None:
        """A warning about this IIA: a rule's code (`ewp.warn.*`) and its values."""
        self.warnings.append(rules.problem(code, "file", label=self.label, **params))


def _parse(xml: bytes | str, root_name: str, namespace: str, what: str) -> _Element:
    if len(xml) > MAX_FILE_BYTES:
        raise Invalid(rules.problem("ewp.xml_size", "file", size=len(xml), most=MAX_FILE_BYTES))
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise Invalid(rules.problem("ewp.xml", "file", detail=str(exc))) from None
    _check_depth(root)
    if root.tag != f"{{{namespace}}}{root_name}":
        raise Invalid(rules.problem("ewp.root", "file", what=what, tag=root.tag))
    return root


def read_partner_file(path: Path) -> bytes:
    """A partner's file from disk, refused before reading if it is over `MAX_FILE_BYTES`."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise Invalid(rules.problem("ewp.file_size", "file", source=path.name, size=size,
                                    most=MAX_FILE_BYTES))
    return path.read_bytes()


def _check_depth(root: _Element) -> None:
    """Elements nested deeper than `MAX_DEPTH` (inside a text field, say) are refused before
    anything walks the tree recursively."""
    stack = [(root, 1)]
    while stack:
        elem, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Invalid(rules.problem("ewp.depth", "file", most=MAX_DEPTH, tag=_ln(str(elem.tag))))
        stack.extend((child, depth + 1) for child in elem)


def _identifier(value: str, what: str, p: _Problems) -> str:
    if not _IDENTIFIER.match(value):
        raise p.fail("iia.identifier", what=what, value=value)
    return value


def _boolean(value: str, what: str, p: _Problems) -> bool:
    text = value.strip()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise p.fail("iia.boolean", what=what, value=value)


def _partner(elem: _Element, p: _Problems) -> Partner:
    values: dict[str, str] = {}
    for child in _children(elem):
        name = _ln(child.tag)
        if name in ("hei-id", "ounit-id", "iia-id", "iia-code", "signing-date"):
            if name in values:
                raise p.fail("iia.partner_twice", name=name)
            values[name] = _value(child)
    hei_id = values.get("hei-id", "").strip()
    if not hei_id:
        raise p.fail("iia.partner_no_hei")
    iia_id = values.get("iia-id")
    signing = values.get("signing-date")
    signing_date = None
    if signing is not None:
        m = _DATE.match(signing)
        try:
            signing_date = date.fromisoformat(m[1]) if m else None
        except ValueError:
            signing_date = None
        if signing_date is None:
            raise p.fail("iia.signing_date", value=signing)
    return Partner(
        hei_id=hei_id,
        iia_id=_identifier(iia_id, "iia-id", p) if iia_id is not None else None,
        iia_code=values.get("iia-code"),
        ounit_id=values.get("ounit-id"),
        signing_date=signing_date,
    )


def _not_yet_defined(elem: _Element) -> bool:
    return elem.get("not-yet-defined") in _TRUE


def _subject_area(elem: _Element, p: _Problems) -> SubjectArea:
    code = clarification = v6 = None
    for child in _children(elem):
        name = _ln(child.tag)
        if name == "isced-f-code":
            code = _value(child)
            v6 = child.get("v6-value")
        elif name == "isced-clarification":
            clarification = _value(child)
    if code is None or not _ISCED.match(code):
        raise p.fail("iia.isced", value=code)
    if not is_detailed_field(code):
        p.warn("ewp.warn.isced", isced=code)
    if v6 is not None and not _V6.match(v6):
        raise p.fail("iia.v6", value=v6)
    return SubjectArea(code, clarification, v6)


def _language(elem: _Element, p: _Problems) -> LanguageSkill:
    language = level = None
    subject = None
    for child in _children(elem):
        name = _ln(child.tag)
        if name == "language":
            language = _value(child)
        elif name == "cefr-level":
            level = _value(child)
            if level not in CEFR_LEVELS:
                raise p.fail("iia.cefr", value=level, choices=", ".join(CEFR_LEVELS))
        elif name == "subject-area":
            subject = _subject_area(child, p)
    if language is None or not language.strip():
        raise p.fail("iia.no_language")
    return LanguageSkill(language, level, subject)


def _positive_int(value: str, what: str, p: _Problems, *, most: int | None = None) -> int:
    text = value.strip()
    try:
        number = int(text) if len(text) <= 20 else 0  # no 5,000-digit conversions
    except ValueError:
        number = 0
    if number <= 0 or (most is not None and number > most):
        code = ("iia.int_range" if most and most < 1000 else "iia.int_most" if most
                else "iia.int_positive")
        raise p.fail(code, what=what, value=text[:30], most=most)
    return number


def _spec(elem: _Element, kind: str, p: _Problems) -> Spec:
    values: dict[str, str] = {}
    languages: list[LanguageSkill] = []
    subjects: list[SubjectArea] = []
    eqf: list[int] = []
    name = element_name(kind)
    for child in _children(elem):
        child_name = _ln(child.tag)
        if _not_yet_defined(child):
            p.warn("ewp.warn.not_yet_defined", name=name, child=child_name)
        if child_name in ("sending-contact", "receiving-contact"):
            continue
        if child_name == "recommended-language-skill":
            languages.append(_language(child, p))
        elif child_name == "subject-area":
            subjects.append(_subject_area(child, p))
        elif child_name == "eqf-level":
            eqf.append(_positive_int(_value(child), "eqf-level", p, most=8))
        elif child_name in _SINGLE:
            if child_name in values:
                raise p.fail("iia.spec_twice", name=name, child=child_name)
            values[child_name] = _value(child)
        else:
            raise p.fail("iia.spec_unexpected", name=name, child=child_name)
    for required in ("sending-hei-id", "receiving-hei-id", "receiving-first-academic-year-id",
                     "receiving-last-academic-year-id", "mobilities-per-year"):
        if required not in values:
            raise p.fail("iia.spec_missing", name=name, required=required)
    try:
        first = parse_year_id(values["receiving-first-academic-year-id"],
                              option="receiving-first-academic-year-id")
        last = parse_year_id(values["receiving-last-academic-year-id"],
                             option="receiving-last-academic-year-id")
        check_year_range(first, last, option=name)
    except Invalid as exc:
        raise p.fail(exc.problem) from None
    student = kind in STUDENT_KINDS
    total_name = "total-months-per-year" if student else "total-days-per-year"
    wrong = "total-days-per-year" if student else "total-months-per-year"
    if wrong in values or (not student and ("blended" in values or eqf)):
        raise p.fail("iia.other_type", name=name)
    total = values.get(total_name)
    if total is not None:
        try:
            positive = len(total.strip()) <= MAX_TOTAL_CHARS and Decimal(total.strip()) > 0
        except InvalidOperation:
            positive = False
        if not positive:
            raise p.fail("iia.total", what=total_name, value=total)
    if student and "blended" not in values:
        raise p.fail("iia.no_blended", name=name)
    return Spec(
        kind=kind,
        sending_hei_id=values["sending-hei-id"],
        receiving_hei_id=values["receiving-hei-id"],
        first_year=values["receiving-first-academic-year-id"],
        last_year=values["receiving-last-academic-year-id"],
        mobilities_per_year=_positive_int(values["mobilities-per-year"], "mobilities-per-year", p,
                                          most=MAX_MOBILITIES_PER_YEAR),
        sending_ounit_id=values.get("sending-ounit-id"),
        receiving_ounit_id=values.get("receiving-ounit-id"),
        languages=tuple(languages),
        subject_areas=tuple(subjects),
        other_info=values.get("other-info-terms"),
        total=total,
        blended=_boolean(values["blended"], "blended", p) if student else False,
        eqf_levels=tuple(eqf),
    )


def _standalone(elem: _Element) -> str:
    """A get response holding only ``elem`` (re-hashable with ``hamkor ewp hash``)."""
    try:
        body = ET.tostring(elem, encoding="unicode", default_namespace=IIAS_V7_NAMESPACE)
    except ValueError:  # unqualified elements inside: keep them as they are
        body = ET.tostring(elem, encoding="unicode")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<iias-get-response xmlns="{IIAS_V7_NAMESPACE}">{body}</iias-get-response>\n')


def _iia(elem: _Element, position: int) -> ReadIia:
    partners_el = [c for c in _children(elem) if _ln(c.tag) == "partner"]
    first_id = None
    if partners_el:
        ids = [c for c in _children(partners_el[0]) if _ln(c.tag) == "iia-id"]
        first_id = _value(ids[0]) if ids else None
    p = _Problems(first_id or f"#{position}")
    if len(partners_el) != 2:
        raise p.fail("iia.partners", count=len(partners_el))
    partners = (_partner(partners_el[0], p), _partner(partners_el[1], p))
    in_effect = declared = coop = None
    for child in _children(elem):
        name = _ln(child.tag)
        if name == "in-effect":
            in_effect = _boolean(_value(child), "in-effect", p)
        elif name == "iia-hash":
            declared = _value(child).strip()
        elif name == "cooperation-conditions":
            coop = child
    if in_effect is None:
        raise p.fail("iia.no_in_effect")
    if coop is None:
        raise p.fail("iia.no_conditions")
    specs = []
    for spec_el in _children(coop):
        kind = _SPEC_KINDS.get(_ln(spec_el.tag))
        if kind is None:
            raise p.fail("iia.conditions_unexpected", name=_ln(spec_el.tag))
        specs.append(_spec(spec_el, kind, p))
    heis = {partners[0].hei_id, partners[1].hei_id}
    if len(heis) != 2:
        raise p.fail("iia.same_partners", hei_id=partners[0].hei_id)
    for spec in specs:
        if spec.sending_hei_id not in heis or spec.receiving_hei_id not in heis:
            raise p.fail("iia.spec_between", element=element_name(spec.kind),
                         sending=spec.sending_hei_id, receiving=spec.receiving_hei_id)
        if spec.sending_hei_id == spec.receiving_hei_id:
            raise p.fail("iia.spec_itself", element=element_name(spec.kind), sending=spec.sending_hei_id)
    kinds_in_order = [s.kind for s in specs]
    if kinds_in_order != sorted(kinds_in_order, key=KINDS.index):
        raise p.fail("iia.spec_order")
    terminated = any(_ln(k) == "terminated-as-a-whole" and v in _TRUE for k, v in coop.items())
    iia = Iia(partners=partners, in_effect=in_effect, specs=tuple(specs), terminated=terminated)
    text = conditions_text(elem)
    if not valid_for_approval(elem):
        p.warn("ewp.warn.not_approvable")
    elif text_to_hash(iia) != text:
        p.warn("ewp.warn.hash_differs")
    return ReadIia(position=position, iia=iia, declared=declared, computed=sha256_hex(text),
                   valid_for_approval=valid_for_approval(elem), xml=_standalone(elem),
                   warnings=tuple(w.text() for w in p.warnings), warned=tuple(p.warnings))


def read_get_response(xml: bytes | str) -> list[ReadIia]:
    """Every ``iia`` of an ``iias-get-response`` (v7), in file order."""
    root = _parse(xml, "iias-get-response", IIAS_V7_NAMESPACE, "an IIAs API v7 get response")
    iias = [c for c in _children(root) if _ln(c.tag) == "iia"]
    return [_iia(elem, n) for n, elem in enumerate(iias, start=1)]


def read_approval_response(xml: bytes | str) -> list[Approval]:
    """The approvals of an ``iias-approval-response`` (IIAs Approval API v2)."""
    root = _parse(xml, "iias-approval-response", APPROVAL_V2_NAMESPACE,
                  "an IIAs Approval API v2 response")
    out = []
    for n, elem in enumerate((c for c in _children(root) if _ln(c.tag) == "approval"), start=1):
        values = {_ln(c.tag): _value(c).strip() for c in _children(elem)}
        iia_id, iia_hash = values.get("iia-id"), values.get("iia-hash")
        if iia_id is None or not _IDENTIFIER.match(iia_id):
            raise Invalid(rules.problem("ewp.approval_id", "file", n=n, iia_id=iia_id))
        if iia_hash is None or not _SHA256_HEX.match(iia_hash):
            raise Invalid(rules.problem("ewp.approval_hash", "file", n=n, iia_id=iia_id,
                                        iia_hash=iia_hash))
        out.append(Approval(iia_id, iia_hash))
    return out
