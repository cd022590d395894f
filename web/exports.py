"""The agreement list as a file: the rows the page shows (all pages), in the columns
`hamkor export` writes, so a downloaded file imports back (`hamkor import`, or the
Import page)."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

from workflow.uow import UnitOfWork

MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def records_for(uow: UnitOfWork, refs: list[str]) -> list[dict[str, Any]]:
    """Export rows of these agreements, in the order given."""
    from workflow.transfer import export_records

    wanted = {ref: i for i, ref in enumerate(refs)}
    rows = [r for r in export_records(uow) if r["ref"] in wanted]
    return sorted(rows, key=lambda r: wanted[r["ref"]])


def as_csv(records: list[dict[str, Any]]) -> bytes:
    """The CLI's CSV (same writer, same list separator and refusals)."""
    from workflow.transfer import write_export

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "agreements.csv"
        write_export(path, records)
        return path.read_bytes()


def as_xlsx(records: list[dict[str, Any]]) -> bytes:
    """One sheet with the export columns; lists joined as in the CSV."""
    from openpyxl import Workbook

    from workflow.transfer import EXPORT_COLUMNS

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("agreements")
    ws.append(list(EXPORT_COLUMNS))
    for r in records:
        ws.append([_cell(r.get(c)) for c in EXPORT_COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(value: Any) -> Any:
    from workflow.transfer import LIST_SEP

    if isinstance(value, list):
        return LIST_SEP.join(str(v) for v in value) if any(v not in ("", None) for v in value) else None
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
