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
and processing instructions are ignored like in XPath string values. Where the
stylesheet would stop with a type error (two ``iia-id`` in one partner, two
academic-year elements in one spec) a ``ValueError`` is raised.

Known divergence, only for documents the XSD rejects: an ``iia`` nested inside
another ``iia`` is not hashed separately (the XSLT's ``//`` would find it too).
Attributes are taken in document order; only non-schema attributes (the
schema allows none besides ``not-yet-defined`` / ``v6-value`` /
``terminated-as-a-whole``) could expose XSLT-processor ordering differences.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from config.gcpause import no_gc

__all__ = [
    "HashRefused",
    "IIAS_V7_NAMESPACE",
    "IiaHashResult",
    "conditions_text",
    "gc_paused",
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
_TERMINATED_MARK = "_@terminated-as-a-whole@_"
_COOP = "cooperation-conditions"
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


def _is_element(node: _Element) -> bool:
    return isinstance(node.tag, str)  # comments / PIs have callable tags


def _named_children(elem: _Element, local_name: str) -> list[_Element]:
    return [c for c in elem if isinstance(c.tag, str) and _ln(c.tag) == local_name]


def _string_value(elem: _Element) -> str:
    """XPath string value: all descendant text, comments / PIs left out."""
    if len(elem):
        return "".join(elem.itertext())
    return elem.text or ""


def _has_child_elements(elem: _Element) -> bool:
    return len(elem) > 0 and any(isinstance(c.tag, str) for c in elem)


class HashRefused(ValueError):
    """The document has no iia-hash (the XSLT would fail): the rule's code in
    workflow/rules.py and its values, for a door to word in its reader's language."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code, self.params = code, params


def _single_value(found: list[_Element], what: str) -> str:
    """String value of the only element in ``found`` ('' when none).

    The XSLT hands ``*[local-name()=...]`` to ``concat``; more than one match is
    a type error there (XPTY0004), so it is an error here too.
    """
    if not found:
        return ""
    if len(found) > 1:
        raise HashRefused("ewp.hash_ambiguous",
                          f"{what}: {len(found)} elements where the XSLT accepts one",
                          what=what, count=len(found))
    return _string_value(found[0])


def _is_nyd(elem: _Element) -> bool:
    # .get() does not materialise an attribute dict on C ElementTree elements
    return elem.get(_NYD) in _TRUE


class _Flags:
    """What the XSLT's ``//`` look-ups find: terminated / approval blocker."""

    __slots__ = ("terminated", "blocked")

    def __init__(self) -> None:
        self.terminated = False
        self.blocked = False

    def check(self, elem: _Element, name: str, items: list[tuple[str, str]]) -> None:
        """Record ``elem``'s attributes (``items`` non-empty, ``name`` its local name)."""
        if elem.get(_NYD) in _TRUE or elem.get(_V6):  # @v6-value != ''
            self.blocked = True
        # //*[local-name()='cooperation-conditions']/@*[local-name()='terminated-as-a-whole']
        if name == _COOP and any(_ln(k) == _TERMINATED and v in _TRUE for k, v in items):
            self.terminated = True

    def scan(self, elements: Iterable[_Element]) -> None:
        for el in elements:
            tag = el.tag
            if isinstance(tag, str):
                items = el.items()
                if items:
                    self.check(el, _ln(tag), items)


def _walk(
    elem: _Element,
    elem_ln: str,
    parent_ln: str,
    nyd: bool,
    in_contact: bool,
    out: list[str],
    flags: _Flags,
    years: dict[str, list[_Element]] | None = None,
) -> None:
    """Dump the descendants of ``elem`` (a mobility spec or below), document order.

    ``nyd``: ``elem`` or an ancestor is not-yet-defined.
    ``in_contact``: ``elem`` or an ancestor is a sending/receiving contact.
    ``years``: given for the spec itself; collects its academic-year children.
    """
    emit = out.append
    names = _local_names
    for child in elem:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        name = names.get(tag) or _ln(tag)
        items = child.items()  # a list; unlike .attrib it allocates no dict
        child_nyd = nyd
        if items:
            flags.check(child, name, items)
            child_nyd = nyd or child.get(_NYD) in _TRUE
        size = len(child)
        if name in _YEARS:
            if years is not None:
                years[name].append(child)
        elif not (in_contact or child_nyd):
            path = f"{parent_ln}.{elem_ln}.{name}"
            for attr, value in items:
                if attr != _NYD and attr != _V6:
                    emit(f"_@{path}.{_ln(attr)}={value}@_")
            if not size or not _has_child_elements(child):
                text = (child.text or "") if not size else _string_value(child)
                if name == _ISCED:
                    text = child.get(_V6) or text
                emit(f"_{path}={text}_")
        if size:
            _walk(child, name, elem_ln, child_nyd, in_contact or name in _CONTACTS, out, flags)


def _analyse(iia: _Element, ancestors: Sequence[_Element]) -> tuple[str, _Flags]:
    """The text-to-hash *without* the terminated prefix, and the flags found
    in ``iia``, its subtree and its ``ancestors``."""
    flags = _Flags()
    for a in (*ancestors, iia):
        items = a.items()
        if items:
            flags.check(a, _ln(a.tag), items)

    out: list[str] = []
    position = 0
    coops = []
    for child in iia:
        if not _is_element(child):
            continue
        name = _ln(child.tag)
        if name == _COOP:
            coops.append(child)
            items = child.items()
            if items:
                flags.check(child, name, items)
            continue
        flags.scan(child.iter())
        if name == "partner":
            position += 1
            iia_id = _single_value(_named_children(child, "iia-id"), "partner/iia-id")
            out.append(f"_iia-id_{position}={iia_id}_")

    chain = (*ancestors, iia)
    chain_nyd = any(_is_nyd(a) for a in chain)
    chain_contact = any(_ln(a.tag) in _CONTACTS for a in chain)
    for coop in coops:
        coop_nyd = chain_nyd or _is_nyd(coop)
        for spec in coop:
            if not _is_element(spec):
                continue
            spec_ln = _ln(spec.tag)
            items = spec.items()
            if items:
                flags.check(spec, spec_ln, items)
            years: dict[str, list[_Element]] = {_FIRST_YEAR: [], _LAST_YEAR: []}
            _walk(
                spec,
                spec_ln,
                _COOP,
                coop_nyd or _is_nyd(spec),
                chain_contact or spec_ln in _CONTACTS,
                out,
                flags,
                years,
            )
            # "finally the first and the last academic year, as per version 7"
            for year in (_FIRST_YEAR, _LAST_YEAR):
                out.append(f"_{year}={_single_value(years[year], f'{spec_ln}/{year}')}_")
    return "".join(out), flags


def _text(body: str, terminated: bool) -> str:
    return _TERMINATED_MARK + body if terminated else body


def conditions_text(iia_element: _Element) -> str:
    """The ``text-to-hash`` string the v7 XSLT builds for one ``iia`` element.

    Unescaped (``&`` not ``&amp;``), for this IIA alone: the
    ``terminated-as-a-whole`` flag comes from this IIA's own conditions.
    """
    body, flags = _analyse(iia_element, ())
    return _text(body, flags.terminated)


def sha256_hex(text: str) -> str:
    """SHA-256 of ``text`` encoded as UTF-8, lowercase hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def iia_hash(iia_element: _Element) -> str:
    """The v7 ``iia-hash`` of one ``iia`` element (64 lowercase hex digits)."""
    return sha256_hex(conditions_text(iia_element))


def valid_for_approval(iia_element: _Element) -> bool:
    """False when the IIA holds an element with ``not-yet-defined`` = true/1
    or a non-empty ``v6-value`` (the XSLT's ``<valid-for-approval>false``)."""
    return not _analyse(iia_element, ())[1].blocked


@dataclass(frozen=True, slots=True)
class IiaHashResult:
    """Outcome for one ``iia`` of a get response."""

    iia_id: str | None  # first partner's iia-id (the serving HEI's id); None if absent
    declared: str | None  # the iia-hash element's text (stripped); None if absent
    computed: str  # the hash computed from the conditions
    matches: bool  # declared == computed (exact, lowercase as the XSD demands)
    valid_for_approval: bool


def _parse(xml: bytes | str) -> _Element:
    # ElementTree never fetches external entities; expat >= 2.4 (bundled with
    # CPython 3.11) refuses billion-laughs style entity expansion.
    return ET.fromstring(xml)


#: The cyclic GC paused while a tree is built and walked: a parsed tree has no reference
#: cycles, but its ~million tracked objects make the collector run full passes over it
#: again and again; pausing it roughly halves the time for big responses.
gc_paused = no_gc


def _find_iias(root: _Element) -> list[tuple[_Element, tuple[_Element, ...]]]:
    """``//*[local-name()='iia']`` in document order, with each one's ancestors
    (not descending into a found ``iia``)."""
    if _ln(root.tag) == "iia":
        return [(root, ())]
    found: list[tuple[_Element, tuple[_Element, ...]]] = []

    def visit(elem: _Element, chain: tuple[_Element, ...]) -> None:
        for child in elem:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            if _ln(tag) == "iia":
                found.append((child, chain))
            elif len(child):
                visit(child, (*chain, child))

    visit(root, (root,))
    return found


def hash_document(xml_bytes: bytes | str, *, document_scope: bool = False) -> list[IiaHashResult]:
    """Hash every ``iia`` of an IIAs v7 get response (several are allowed).

    Per IIA by default: each result is what the XSLT gives for a response
    holding that IIA alone. ``document_scope=True`` reproduces the stylesheet's
    ``//`` look-ups literally: a ``terminated-as-a-whole`` or an approval
    blocker anywhere in the document then applies to every IIA in it.
    Raises ``xml.etree.ElementTree.ParseError`` on malformed XML and
    ``ValueError`` where the XSLT would fail.
    """
    with gc_paused():
        # the tree dies when _hash_tree returns, before the GC is back on
        return _hash_tree(_parse(xml_bytes), document_scope)


def _hash_tree(root: _Element, document_scope: bool) -> list[IiaHashResult]:
    try:
        found = _find_iias(root)
        analysed = [(iia, *_analyse(iia, ancestors)) for iia, ancestors in found]
    except RecursionError:
        raise HashRefused("ewp.hash_depth", "XML nested too deeply") from None

    if document_scope and analysed:
        doc = _Flags()
        doc.scan(root.iter())

    results = []
    for iia, body, flags in analysed:
        if document_scope:
            terminated, blocked = doc.terminated, doc.blocked
        else:
            terminated, blocked = flags.terminated, flags.blocked
        computed = sha256_hex(_text(body, terminated))

        partners = _named_children(iia, "partner")
        ids = _named_children(partners[0], "iia-id") if partners else []
        hashes = _named_children(iia, "iia-hash")
        declared = _string_value(hashes[0]).strip() if hashes else None
        results.append(
            IiaHashResult(
                iia_id=_string_value(ids[0]) if ids else None,
                declared=declared,
                computed=computed,
                matches=declared == computed,
                valid_for_approval=not blocked,
            )
        )
    return results
