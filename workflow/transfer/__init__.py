"""Bulk import and export of agreements (README "Import and export"): all rows or nothing.

An import runs in four steps, one module each, so no check depends on what was
already written:

1. `decode`: a CSV, XLSX or JSON file into raw records (`read_file`);
2. `cells` and `rows`: type each record's cells into a `Row`, collecting every
   error with its row number and column (`parse_record`: pure, no database);
3. `planning`: the rows against a `snapshot` of the database (partners, users,
   agreements): create, update or skip each row, and find the errors that need
   the database (`plan`: pure);
4. `apply`: the plan in one transaction with bulk inserts (`import_sheet`).

`export` writes the agreements back in the import's columns; `columns` holds
what every step shares (the columns, the errors, the raw records).

Identity: `ref` when given; otherwise title + partner names + starts_on. An
unchanged row is skipped, so importing the same file twice creates nothing.
Columns missing from a file leave stored values alone; an empty cell clears.
The lifecycle is not bypassed: an import never changes the state, terms or
signatures of a stored agreement past draft (use `hamkor agreement ...`).
"""

from __future__ import annotations

from workflow.transfer import limits
from workflow.transfer.apply import ImportReport, bulk_insert, event_on, import_sheet
from workflow.transfer.columns import (
    ALIASES,
    BATCH,
    COLUMNS,
    COMPLETE_STATES,
    DESCRIPTIVE_FIELDS,
    EXPORT_COLUMNS,
    EXTRA_COLUMNS,
    IMPORT_COLUMNS,
    INDEFINITE,
    LIST_SEP,
    REQUIRED_COLUMNS,
    SIGNED_STATES,
    STARTED_STATES,
    UNSIGNED_STATES,
    ImportRejected,
    Progress,
    Record,
    RowError,
    Sheet,
)
from workflow.transfer.decode import (
    canonical_column,
    decode_csv,
    decode_objects,
    decode_xlsx,
    read_file,
)
from workflow.transfer.export import export_file, export_records, write_export
from workflow.transfer.planning import (
    FIELD_COLUMNS,
    Action,
    Plan,
    changed_fields,
    comparable,
    plan,
)
from workflow.transfer.rows import (
    PartyRow,
    Row,
    default_created_on,
    parse_record,
    parse_sheet,
)
from workflow.transfer.snapshot import Org, Snapshot, Stored, identity, load_snapshot

__all__ = [
    "ALIASES", "BATCH", "COLUMNS", "COMPLETE_STATES", "DESCRIPTIVE_FIELDS", "EXPORT_COLUMNS",
    "EXTRA_COLUMNS", "FIELD_COLUMNS", "IMPORT_COLUMNS", "INDEFINITE", "LIST_SEP",
    "REQUIRED_COLUMNS", "SIGNED_STATES", "STARTED_STATES", "UNSIGNED_STATES", "Action",
    "ImportRejected", "ImportReport", "Org", "PartyRow", "Plan", "Progress", "Record", "Row",
    "RowError", "Sheet", "Snapshot", "Stored", "bulk_insert", "canonical_column",
    "changed_fields", "comparable", "decode_csv", "decode_objects", "decode_xlsx",
    "default_created_on", "event_on", "export_file", "export_records", "identity",
    "import_sheet", "limits", "load_snapshot", "parse_record", "parse_sheet", "plan", "read_file",
    "write_export",
]
