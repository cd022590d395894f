"""Offline XSD validation of EWP IIAs v7 get responses and IIAs Approval v2 responses.

The official XSDs import each other by ``raw.githubusercontent.com`` URL. Here
every namespace is mapped to a local copy (``locations``) and the schema loader
and the validated document are both forbidden any remote access, so validation
never touches the network.

``xsd_dir`` must hold the files in this layout (as vendored under
``tests/ewp/xsd``)::

    ewp-specs-api-iias/get-response.xsd              (tag v7.0.0)
    ewp-specs-api-iias-approval/response.xsd         (tag v2.0.0)
    ewp-specs-architecture/common-types.xsd          (branch stable-v1)
    ewp-specs-types-contact/schema.xsd               (branch stable-v1)
    ewp-specs-types-academic-term/schema.xsd         (branch stable-v1)
    ewp-specs-types-address/schema.xsd               (branch stable-v1)
    ewp-specs-types-phonenumber/schema.xsd           (branch stable-v1)

The XML namespace (``xml:lang``, imported by common-types.xsd from w3.org) is
served by the copy bundled with ``xmlschema``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import xmlschema

__all__ = [
    "APPROVAL_V2_NAMESPACE",
    "IIAS_V7_NAMESPACE",
    "load_approval_response_schema",
    "load_get_response_schema",
    "validate_approval_response",
    "validate_get_response",
]

IIAS_V7_NAMESPACE = (
    "https://github.com/erasmus-without-paper/ewp-specs-api-iias/blob/stable-v7/"
    "endpoints/get-response.xsd"
)
APPROVAL_V2_NAMESPACE = (
    "https://github.com/erasmus-without-paper/ewp-specs-api-iias-approval/tree/stable-v2"
)

_GH = "https://github.com/erasmus-without-paper/"
# (imported namespace, local copy relative to xsd_dir)
_IMPORTS = (
    (
        _GH + "ewp-specs-architecture/blob/stable-v1/common-types.xsd",
        "ewp-specs-architecture/common-types.xsd",
    ),
    (_GH + "ewp-specs-types-contact/tree/stable-v1", "ewp-specs-types-contact/schema.xsd"),
    (
        _GH + "ewp-specs-types-academic-term/tree/stable-v1",
        "ewp-specs-types-academic-term/schema.xsd",
    ),
    (_GH + "ewp-specs-types-address/tree/stable-v1", "ewp-specs-types-address/schema.xsd"),
    (_GH + "ewp-specs-types-phonenumber/tree/stable-v1", "ewp-specs-types-phonenumber/schema.xsd"),
)
_GET_RESPONSE = "ewp-specs-api-iias/get-response.xsd"
_APPROVAL_RESPONSE = "ewp-specs-api-iias-approval/response.xsd"


def _locations(xsd_dir: Path) -> dict[str, str]:
    locations = {}
    for namespace, relative in _IMPORTS:
        path = xsd_dir / relative
        if not path.is_file():
            raise FileNotFoundError(f"missing vendored schema {path}")
        locations[namespace] = str(path)
    return locations


@functools.lru_cache(maxsize=8)
def _load(xsd_dir: str, main: str) -> xmlschema.XMLSchema:
    base = Path(xsd_dir).resolve()
    # `locations` serves every imported namespace from xsd_dir; allow="local"
    # guarantees no URL (the imports' raw.githubusercontent.com ones) is opened.
    return xmlschema.XMLSchema(
        str(base / main),
        locations=_locations(base),
        base_url=str(base),
        allow="local",
    )


def load_get_response_schema(xsd_dir: str | Path) -> xmlschema.XMLSchema:
    """The IIAs API v7 get-response schema, built from local files (cached)."""
    return _load(str(xsd_dir), _GET_RESPONSE)


def load_approval_response_schema(xsd_dir: str | Path) -> xmlschema.XMLSchema:
    """The IIAs Approval API v2 response schema, built from local files (cached)."""
    return _load(str(xsd_dir), _APPROVAL_RESPONSE)


def _validate(schema: xmlschema.XMLSchema, xml_bytes: bytes | str) -> None:
    if isinstance(xml_bytes, str):
        xml_bytes = xml_bytes.encode("utf-8")
    # The document may carry xsi:schemaLocation hints pointing at GitHub; they
    # are ignored and the resource may not open anything (allow="none").
    resource = xmlschema.XMLResource(xml_bytes, allow="none")
    schema.validate(resource, use_location_hints=False)


def validate_get_response(xml_bytes: bytes | str, xsd_dir: str | Path) -> None:
    """Validate an ``iias-get-response`` (v7) offline.

    Returns None when valid; raises ``xmlschema.XMLSchemaValidationError``
    (or ``xmlschema.XMLResourceError`` / ``ParseError`` for unusable input).
    """
    _validate(load_get_response_schema(xsd_dir), xml_bytes)


def validate_approval_response(xml_bytes: bytes | str, xsd_dir: str | Path) -> None:
    """Validate an ``iias-approval-response`` (v2) offline; same contract as
    :func:`validate_get_response`."""
    _validate(load_approval_response_schema(xsd_dir), xml_bytes)
