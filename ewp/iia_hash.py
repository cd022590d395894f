"""EWP IIAs API v7 ``iia-hash``, computed exactly like ``transform_version_7.xsl``.

The official algorithm is an XSLT 2.0 stylesheet
(``erasmus-without-paper/ewp-specs-api-iias`` tag ``v7.0.0``,
``resources/xsltKit/transform_version_7.xsl``). It turns every ``iia`` element
of an IIAs get response into a ``text-to-hash`` string; the ``iia-hash`` is the
SHA-256 (lowercase hex) of that string, UTF-8 encoded, *unescaped* (the XSLT
output is XML, so ``&amp;`` there stands for ``&``).

This module rebuilds that string in pure Python. The rules, read off the XSLT:

1. ``_@terminated-as-a-whole@_`` when a ``cooperation-conditions`` carries a
   ``terminated-as-a-whole`` attribute whose raw value is ``true`` or ``1``.
2. For every ``partner`` child, in order (position ``n`` = 1, 2):
   ``_iia-id_<n>=<string value of its iia-id, or empty>_``.
3. For every child element (mobility spec) of ``cooperation-conditions``, each
   descendant element in document order unless

   * it is *inside* a ``sending-contact`` / ``receiving-contact`` (the contact
     element itself is not excluded; it has children, so it adds nothing
     unless it is empty or carries attributes),
   * it is named ``receiving-first-academic-year-id`` or
     ``receiving-last-academic-year-id``,
   * it or one of its ancestors has ``not-yet-defined`` = ``true``/``1``.

   For a kept element: first each attribute except ``not-yet-defined`` and
   ``v6-value`` as ``_@<grandparent>.<parent>.<name>.<attr>=<value>@_``; then,
   only if it has no child elements,
   ``_<grandparent>.<parent>.<name>=<string value>_`` (local names; text
   verbatim; ``isced-f-code`` uses its ``v6-value`` attribute instead when that
   is non-empty). The spec ends with
   ``_receiving-first-academic-year-id=<y>_`` and
   ``_receiving-last-academic-year-id=<y>_`` (always, even if skipped above).

``valid-for-approval`` is false when an element has ``not-yet-defined`` =
``true``/``1`` or a non-empty ``v6-value``.

Scope: the stylesheet looks up ``terminated-as-a-whole`` and the
``valid-for-approval`` markers with ``//`` - over the *whole document*, not the
current ``iia``. In a get response carrying several IIAs, one terminated IIA
would therefore put the prefix into every IIA's text. :func:`hash_document`
computes per IIA by default (what the XSLT gives for a response with that IIA
alone, which is what partners compute and compare); pass
``document_scope=True`` to reproduce the stylesheet literally on a multi-IIA
response.

Elements are ElementTree elements (stdlib; lxml elements work too). Comments
and processing instructions are ignored like in XPath string values.
"""

from __future__ import annotations

import gc
import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "IIAS_V7_NAMESPACE",
    "IiaHashResult",
    "conditions_text",
    "hash_document",
    "iia_hash",
    "sha256_hex",
    "valid_for_approval",
]

IIAS_V7_NAMESPACE = (
    "https://github.com/erasmus-without-paper/ewp-specs-api-iias/blob/stable-v7/"
    "endpoints/get-response.xsd"
)

_NYD = "not-yet-defined"
_V6 = "v6-value"
# The XSLT compares the raw attribute string: @not-yet-defined='true' or ='1'.
_TRUE = ("true", "1")
_TERMINATED = "terminated-as-a-whole"
_ISCED = "isced-f-code"
_FIRST_YEAR = "receiving-first-academic-year-id"
_LAST_YEAR = "receiving-last-academic-year-id"
_YEARS = frozenset((_FIRST_YEAR, _LAST_YEAR))
_CONTACTS = frozenset(("sending-contact", "receiving-contact"))

_Element = Any  # xml.etree.ElementTree.Element or an lxml element

_local_names: dict[str, str] = {}


def _ln(tag: str) -> str:
    """Local name of a Clark-notation tag or attribute name (``{ns}name``)."""
    try:
        return _local_names[tag]
    except KeyError:
        name = tag.rpartition("}")[2]
        if len(_local_names) < 4096:  # bounded: names come from untrusted XML
            _local_names[tag] = name
        return name


def _children(elem: _Element) -> list[_Element]:
    """Child elements (comments / processing instructions have non-str tags)."""
    return [c for c in elem if isinstance(c.tag, str)]


def _named_children(elem: _Element, local_name: str) -> list[_Element]:
    return [c for c in elem if isinstance(c.tag, str) and _ln(c.tag) == local_name]


def _string_value(elem: _Element) -> str:
    """XPath string value of an element without child elements."""
    text = elem.text or ""
    if len(elem):  # only comments / PIs here: their tails are text
        text += "".join(c.tail or "" for c in elem)
    return text


def _has_child_elements(elem: _Element) -> bool:
    return len(elem) > 0 and any(isinstance(c.tag, str) for c in elem)


def _optional_value(elem: _Element, local_name: str, what: str) -> str:
    """String value of the only child ``local_name`` ('' when absent).

    The XSLT passes ``*[local-name()=...]`` to ``concat``; more than one match is
    a type error there (XPTY0004), so it is an error here too.
    """
    found = _named_children(elem, local_name)
    if not found:
        return ""
    if len(found) > 1:
        raise ValueError(f"{what} has {len(found)} <{local_name}> elements; the XSLT fails on this")
    return _string_value(found[0])


def _is_nyd(elem: _Element) -> bool:
    return elem.attrib.get(_NYD) in _TRUE


def _scan_flags(elements: Iterable[_Element]) -> tuple[bool, bool]:
    """(terminated-as-a-whole found, approval blocker found) over ``elements``."""
    terminated = blocked = False
    for el in elements:
        if not isinstance(el.tag, str):  # lxml yields comments / PIs too
            continue
        attrs = el.attrib
        if not attrs:
            continue
        if not blocked and (attrs.get(_NYD) in _TRUE or attrs.get(_V6, "") != ""):
            blocked = True
        if not terminated and _ln(el.tag) == "cooperation-conditions":
            # @*[local-name()='terminated-as-a-whole']: any namespace
            terminated = any(
                _ln(name) == _TERMINATED and value in _TRUE for name, value in attrs.items()
            )
        if terminated and blocked:
            break
    return terminated, blocked


def _walk(
    elem: _Element,
    elem_ln: str,
    parent_ln: str,
    nyd: bool,
    in_contact: bool,
    out: list[str],
) -> None:
    """Dump the descendants of ``elem`` (a mobility spec or below), document order.

    ``nyd``: ``elem`` or an ancestor is not-yet-defined.
    ``in_contact``: ``elem`` or an ancestor is a sending/receiving contact.
    """
    for child in elem:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        name = _ln(tag)
        attrs = child.attrib
        child_nyd = nyd or (bool(attrs) and attrs.get(_NYD) in _TRUE)
        if not (in_contact or child_nyd or name in _YEARS):
            path = f"{parent_ln}.{elem_ln}.{name}"
            if attrs:
                for attr, value in attrs.items():
                    if attr != _NYD and attr != _V6:
                        out.append(f"_@{path}.{_ln(attr)}={value}@_")
            if not _has_child_elements(child):
                value = (attrs.get(_V6) or _string_value(child)) if name == _ISCED else _string_value(child)
                out.append(f"_{path}={value}_")
        if len(child):
            _walk(child, name, elem_ln, child_nyd, in_contact or name in _CONTACTS, out)


def _build_text(iia: _Element, ancestors: Sequence[_Element], terminated: bool) -> str:
    out: list[str] = []
    if terminated:
        out.append("_@terminated-as-a-whole@_")

    for position, partner in enumerate(_named_children(iia, "partner"), start=1):
        out.append(f"_iia-id_{position}={_optional_value(partner, 'iia-id', 'partner')}_")

    chain = [*ancestors, iia]
    chain_nyd = any(_is_nyd(a) for a in chain)
    chain_contact = any(isinstance(a.tag, str) and _ln(a.tag) in _CONTACTS for a in chain)

    for coop in _named_children(iia, "cooperation-conditions"):
        coop_ln = _ln(coop.tag)
        coop_nyd = chain_nyd or _is_nyd(coop)
        coop_contact = chain_contact or coop_ln in _CONTACTS
        for spec in _children(coop):
            spec_ln = _ln(spec.tag)
            _walk(
                spec,
                spec_ln,
                coop_ln,
                coop_nyd or _is_nyd(spec),
                coop_contact or spec_ln in _CONTACTS,
                out,
            )
            out.append(f"_{_FIRST_YEAR}={_optional_value(spec, _FIRST_YEAR, spec_ln)}_")
            out.append(f"_{_LAST_YEAR}={_optional_value(spec, _LAST_YEAR, spec_ln)}_")
    return "".join(out)


def conditions_text(iia_element: _Element) -> str:
    """The ``text-to-hash`` string the v7 XSLT builds for one ``iia`` element.

    Unescaped (``&`` not ``&amp;``), per IIA: the ``terminated-as-a-whole``
    flag is taken from this IIA's own ``cooperation-conditions``.
    """
    terminated, _ = _scan_flags(iia_element.iter())
    return _build_text(iia_element, (), terminated)


def sha256_hex(text: str) -> str:
    """SHA-256 of ``text`` encoded as UTF-8, lowercase hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def iia_hash(iia_element: _Element) -> str:
    """The v7 ``iia-hash`` of one ``iia`` element (64 lowercase hex digits)."""
    return sha256_hex(conditions_text(iia_element))


def valid_for_approval(iia_element: _Element) -> bool:
    """False when the IIA holds an element with ``not-yet-defined`` = true/1
    or a non-empty ``v6-value`` (the XSLT's ``<valid-for-approval>false``)."""
    _, blocked = _scan_flags(iia_element.iter())
    return not blocked


@dataclass(frozen=True, slots=True)
class IiaHashResult:
    """Outcome for one ``iia`` of a get response."""

    iia_id: str | None  # first partner's iia-id (the serving HEI's id)
    declared: str | None  # the iia-hash element's text (stripped), None if absent
    computed: str  # the hash computed from the conditions
    matches: bool  # declared == computed
    valid_for_approval: bool


def _parse(xml: bytes | str) -> _Element:
    # ElementTree never fetches external entities; expat >= 2.4 (bundled with
    # CPython 3.11) refuses billion-laughs style entity expansion.
    # Building a large tree triggers many useless cyclic-GC passes (a tree has
    # no reference cycles); pausing the collector halves the parse time.
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return ET.fromstring(xml)
    finally:
        if paused:
            gc.enable()


def hash_document(xml_bytes: bytes | str, *, document_scope: bool = False) -> list[IiaHashResult]:
    """Hash every ``iia`` (any namespace, any depth, like ``//*[local-name()='iia']``)
    of an IIAs v7 get response.

    Per IIA by default. ``document_scope=True`` reproduces the stylesheet's
    ``//`` look-ups literally: a ``terminated-as-a-whole`` or an approval
    blocker anywhere in the document then applies to every IIA in it.
    """
    root = _parse(xml_bytes)
    iias = [el for el in root.iter() if isinstance(el.tag, str) and _ln(el.tag) == "iia"]
    if not iias:
        return []

    top_level = {id(c) for c in root}
    parents: dict[int, _Element] | None = None

    def ancestors_of(el: _Element) -> list[_Element]:
        nonlocal parents
        if el is root:
            return []
        if id(el) in top_level:
            return [root]
        if parents is None:
            parents = {id(c): p for p in root.iter() for c in p}
        chain = []
        node = parents.get(id(el))
        while node is not None:
            chain.append(node)
            node = parents.get(id(node))
        chain.reverse()
        return chain

    if document_scope:
        doc_terminated, doc_blocked = _scan_flags(root.iter())

    results = []
    for iia in iias:
        ancestors = ancestors_of(iia)
        if document_scope:
            terminated, blocked = doc_terminated, doc_blocked
        else:
            terminated, blocked = _scan_flags(iia.iter())
            if not blocked:  # //* from a single-IIA document also sees the ancestors
                blocked = _scan_flags(ancestors)[1]
        computed = sha256_hex(_build_text(iia, ancestors, terminated))

        partners = _named_children(iia, "partner")
        iia_id = None
        if partners:
            ids = _named_children(partners[0], "iia-id")
            iia_id = _string_value(ids[0]) if ids else None
        hashes = _named_children(iia, "iia-hash")
        declared = _string_value(hashes[0]).strip() if hashes else None

        results.append(
            IiaHashResult(
                iia_id=iia_id,
                declared=declared,
                computed=computed,
                matches=declared == computed,
                valid_for_approval=not blocked,
            )
        )
    return results
