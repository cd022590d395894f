"""Export: every agreement as an import row, written as CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from models import Agreement
from workflow import rules
from workflow.atomic import write_atomically
from workflow.dates import iso
from workflow.errors import Invalid
from workflow.spreadsheet import inert
from workflow.transfer.columns import EXPORT_COLUMNS, INDEFINITE, LIST_SEP
from workflow.uow import UnitOfWork


def export_records(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Every agreement as an import row (EXPORT_COLUMNS), oldest reference first."""
    with uow:
        s = uow.session
        refs = {aid: ref for aid, ref in s.execute(select(Agreement.id, Agreement.ref))}
        out = []
        for a in s.scalars(select(Agreement).order_by(Agreement.ref_year, Agreement.ref_seq)):
            orgs = [p.organization for p in a.parties]
            out.append({
                "ref": a.ref, "title": a.title, "type": a.type, "state": a.state,
                "partners": [o.name for o in orgs],
                "countries": [o.country or "" for o in orgs],
                "signed_on": [p.signed_on.isoformat() if p.signed_on else "" for p in a.parties],
                "department": a.department, "owner": a.owner.email if a.owner else None,
                "starts_on": iso(a.starts_on),
                "expires_on": INDEFINITE if a.indefinite else iso(a.expires_on),
                "term": a.term, "auto_renew": a.auto_renew, "renewal_months": a.renewal_months,
                "notice_days": a.notice_days, "forms": list(a.forms or []),
                "renews": refs.get(a.renews_id) if a.renews_id else None,
                "kinds": [o.kind for o in orgs],
                "erasmus_codes": [o.erasmus_code or "" for o in orgs],
                "created_on": iso(a.created_on), "notice_given_on": iso(a.notice_given_on),
                "ends_on": iso(a.ends_on) if a.notice_given_on else None, "notes": a.notes,
            })
        return out


def write_export(path: Path, records: list[dict[str, Any]]) -> None:
    """Write `records` as CSV or JSON (by extension), atomically."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(EXPORT_COLUMNS)
        for r in records:
            writer.writerow([_csv_cell(r["ref"], col, r[col]) for col in EXPORT_COLUMNS])
        text = buf.getvalue()
    elif suffix == ".json":
        text = json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    else:
        raise Invalid(rules.problem("export.file_type", "file", source=path.name))
    _atomic_write(path, text)


def _csv_cell(ref: str, column: str, value: Any) -> str:
    """The cell's text; text that a spreadsheet would run as a formula is made inert
    (README "Limits and safety"); the import takes the added quote away again."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        for item in value:
            if LIST_SEP in str(item):
                raise Invalid(rules.problem("export.list_sep", "file", ref=ref, column=column, item=item,
                                            sep=LIST_SEP))
        if all(v in ("", None) for v in value):
            return ""
        return inert(LIST_SEP.join(str(v) for v in value))
    if isinstance(value, str):
        return inert(value)
    return str(value)  # numbers stay numbers


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, text)


def export_file(uow: UnitOfWork, path: Path) -> int:
    if path.suffix.lower() not in (".csv", ".json"):
        raise Invalid(rules.problem("export.file_type", "file", source=path.name))
    records = export_records(uow)
    write_export(path, records)
    return len(records)
