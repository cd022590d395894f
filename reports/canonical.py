"""The report data's canonical JSON and its hash: the same data gives the same text and
hash, whatever the format, language or template."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from operator import itemgetter
from typing import Any


def _json_default(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not plain data: {type(value).__name__}")


#: Long lists of dicts written as columns and rows in the canonical form (compact, quick).
COLUMNAR = frozenset({"visits", "events", "projects", "publications", "mobility_by_partner",
                      "mobility_by_country", "mobility_by_category", "quota_utilisation",
                      "activity_by_department"})

#: Lists that select rows of the register: the canonical form names them by ref.
SELECTIONS = ("active", "signed", "expired", "terminated", "expiring", "quality")


def canonical_json(data: dict[str, Any]) -> str:
    """Sorted keys, no spaces, dates in ISO 8601: one text per data.

    The register is written as columns (its sorted keys) and rows of values,
    and the selections of it as lists of refs (their rows are in the register
    already), so the text stays compact and quick to write for 100k agreements.
    """
    body: dict[str, Any] = {}
    for k, v in data.items():
        if k == "data_hash":
            continue
        if k in SELECTIONS:
            v = [r["ref"] for r in v]
        elif k == "agreements" or k in COLUMNAR:
            columns = sorted(v[0]) if v else []
            values = itemgetter(*columns) if len(columns) > 1 else None
            v = {"columns": columns, "rows": [values(r) for r in v] if values else []}
        body[k] = v
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_json_default)


def data_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()
