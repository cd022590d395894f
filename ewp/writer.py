"""Write IIAs v7 get responses and IIAs Approval v2 responses (pure, no I/O).

Strings are built directly (no element tree): exporting 10,000 IIAs must take
seconds, and the layout below is fixed by the schema anyway. Element order
follows ``get-response.xsd`` v7; the iia-hash of each IIA is
:func:`ewp.model.hash_of`, the text the official XSLT builds from this very
XML (the tests re-hash written documents with :mod:`ewp.iia_hash`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ewp.iia_hash import IIAS_V7_NAMESPACE
from ewp.model import Iia, Partner, Spec, SubjectArea, element_name, hash_of

__all__ = [
    "APPROVAL_V2_NAMESPACE",
    "Approval",
    "approval_response",
    "check_xml_text",
    "get_response",
    "iia_xml",
]

APPROVAL_V2_NAMESPACE = (
    "https://github.com/erasmus-without-paper/ewp-specs-api-iias-approval/tree/stable-v2"
)
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
# Characters XML 1.0 cannot carry at all (a parser would refuse the document).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
# In attributes a parser also turns tabs and line feeds into spaces: keep them as references.
_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                               "\r": "&#13;", "\n": "&#10;", "\t": "&#9;"})


def check_xml_text(value: str) -> str | None:
    """A reason why ``value`` cannot be written as XML text, or None."""
    bad = _NOT_XML.search(value)
    return None if bad is None else f"character U+{ord(bad.group()):04X} cannot be written in XML"


_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _text(value: str) -> str:
    if _SPECIAL.search(value) is None:  # the common case: one scan, nothing to do
        return value
    # A carriage return would come back from any XML parser as a line feed and
    # change the hash; the character reference keeps it.
    if _NOT_XML.search(value):
        raise ValueError(check_xml_text(value))
    return value.translate(_ESCAPES)


def _attr(value: str) -> str:
    _text(value)  # same refusal of impossible characters
    return value.translate(_ATTR_ESCAPES)


def _el(out: list[str], name: str, value: str | None) -> None:
    if value is not None:
        out.append(f"<{name}>{_text(value)}</{name}>")


def _subject_area(out: list[str], sa: SubjectArea) -> None:
    v6 = f' v6-value="{_attr(sa.v6_value)}"' if sa.v6_value is not None else ""
    out.append(f"<subject-area><isced-f-code{v6}>{_text(sa.code)}</isced-f-code>"
               f"{_opt('isced-clarification', sa.clarification)}</subject-area>")


def _partner(out: list[str], p: Partner) -> None:
    out.append("<partner>")
    _el(out, "hei-id", p.hei_id)
    _el(out, "ounit-id", p.ounit_id)
    _el(out, "iia-id", p.iia_id)
    _el(out, "iia-code", p.iia_code)
    if p.signing_date is not None:
        out.append(f"<signing-date>{p.signing_date.isoformat()}</signing-date>")
    out.append("</partner>")


def _opt(name: str, value: str | None) -> str:
    return "" if value is None else f"<{name}>{_text(value)}</{name}>"


def _spec(out: list[str], s: Spec) -> None:
    name, t = element_name(s.kind), _text
    out.append(
        f"<{name}><sending-hei-id>{t(s.sending_hei_id)}</sending-hei-id>"
        f"{_opt('sending-ounit-id', s.sending_ounit_id)}"
        f"<receiving-hei-id>{t(s.receiving_hei_id)}</receiving-hei-id>"
        f"{_opt('receiving-ounit-id', s.receiving_ounit_id)}"
        f"<receiving-first-academic-year-id>{t(s.first_year)}</receiving-first-academic-year-id>"
        f"<receiving-last-academic-year-id>{t(s.last_year)}</receiving-last-academic-year-id>"
        f"<mobilities-per-year>{s.mobilities_per_year}</mobilities-per-year>")
    for lang in s.languages:
        out.append(f"<recommended-language-skill><language>{t(lang.language)}</language>"
                   f"{_opt('cefr-level', lang.level)}")
        if lang.subject_area is not None:
            _subject_area(out, lang.subject_area)
        out.append("</recommended-language-skill>")
    for sa in s.subject_areas:
        _subject_area(out, sa)
    _el(out, "other-info-terms", s.other_info)
    if s.is_student:
        levels = "".join(f"<eqf-level>{level}</eqf-level>" for level in s.eqf_levels)
        out.append(f"{_opt('total-months-per-year', s.total)}"
                   f"<blended>{'true' if s.blended else 'false'}</blended>{levels}</{name}>")
    else:
        out.append(f"{_opt('total-days-per-year', s.total)}</{name}>")


def iia_xml(iia: Iia, iia_hash: str | None = None) -> str:
    """One ``<iia>`` element (unqualified names: it inherits the response's namespace),
    on one line: no whitespace between elements, so that partners parse less."""
    out: list[str] = ["<iia>"]
    for p in iia.partners:
        _partner(out, p)
    out.append(f"<in-effect>{'true' if iia.in_effect else 'false'}</in-effect>")
    terminated = ' terminated-as-a-whole="true"' if iia.terminated else ""
    out.append(f"<cooperation-conditions{terminated}>")
    for spec in iia.ordered_specs():
        _spec(out, spec)
    out.append("</cooperation-conditions>")
    out.append(f"<iia-hash>{iia_hash or hash_of(iia)}</iia-hash></iia>\n")
    return "".join(out)


def get_response(iias: Iterable[Iia | str]) -> bytes:
    """An ``iias-get-response`` (v7) holding ``iias`` in order, UTF-8 encoded.

    An item may be an :class:`Iia` or an ``<iia>`` element already written by
    :func:`iia_xml`.
    """
    parts = [_DECLARATION, f'<iias-get-response xmlns="{IIAS_V7_NAMESPACE}">\n']
    parts.extend(item if isinstance(item, str) else iia_xml(item) for item in iias)
    parts.append("</iias-get-response>\n")
    return "".join(parts).encode("utf-8")


@dataclass(frozen=True, slots=True)
class Approval:
    iia_id: str  # the id the *asking* partner gave the IIA (their own)
    iia_hash: str  # the hash of their copy that is approved


def approval_response(approvals: Iterable[Approval]) -> bytes:
    """An ``iias-approval-response`` (IIAs Approval API v2), UTF-8 encoded."""
    parts = [_DECLARATION, f'<iias-approval-response xmlns="{APPROVAL_V2_NAMESPACE}">\n']
    for a in approvals:
        parts.append(f"  <approval>\n    <iia-id>{_text(a.iia_id)}</iia-id>\n"
                     f"    <iia-hash>{_text(a.iia_hash)}</iia-hash>\n  </approval>\n")
    parts.append("</iias-approval-response>\n")
    return "".join(parts).encode("utf-8")
