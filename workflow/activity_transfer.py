"""Import and export of cooperation activities: all rows or nothing.

The same steps and the same error reporting as the agreement import
(`workflow.transfer`: `Record`, `Sheet`, `RowError`, `ImportRejected`):

1. *decode* a CSV, XLSX or JSON file into raw records, headers checked against
   `activity_rules.FIELDS` (case and spaces ignored; `date`, `start`, `end`,
   `ref` and `participants` are understood too);
2. *check* every row (`activity_rules.problems`: every problem of the row, by
   column) and its links (agreement, partner, an agreement ended before its
   date) against one read of the database (`activities.load_directory`);
3. *plan*: a row with the `id` of a stored activity updates it (skipped when
   unchanged); a row with a free `id` creates it under that id; a row without
   `id` whose values equal a live stored activity is skipped (importing the same
   file twice records nothing twice), else it creates one;
4. *apply* in one transaction: bulk inserts of the new activities and of their
   `import` audit rows, an `edit` for each changed one.

The export writes every live activity in these columns (names only when asked):
importing it into a database with the same agreements and partners gives the
same activities back.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Table, insert, select, text
from sqlalchemy.orm import Session
from typing_extensions import TypedDict  # pydantic: API responses on Python 3.11

from models import Activity, ActivityEvent, Agreement, Organization
from workflow import rules
from workflow.activities import (
    Directory,
    activity_dict,
    link,
    load_directory,
    new_values,
)
from workflow.activity_rules import (
    FIELDS,
    LIST_SEP,
    VALUE_COLUMNS,
    FieldInvalid,
    MonthDay,
    problems,
    summary,
)
from workflow.agreements import Office
from workflow.clock import Clock
from workflow.errors import Invalid
from workflow.lifecycle import Role
from workflow.registry import acting_as, actor, require_role
from workflow.spreadsheet import inert
from workflow.transfer import ImportRejected, RowError, Sheet, decode
from workflow.transfer.columns import _blank, row_error
from workflow.transfer.decode import Layout
from workflow.uow import UnitOfWork

#: What an activity file holds; decoded exactly as an agreements file is
#: (`workflow.transfer.decode`). Headers people write for the same field are aliases.
LAYOUT = Layout("activity", "activities", FIELDS, ("kind",), {
    "date": "starts_on", "start": "starts_on", "starts": "starts_on", "from": "starts_on",
    "end": "ends_on", "ends": "ends_on", "to": "ends_on", "ref": "agreement",
    "participants": "people", "name": "names", "type": "kind"})
#: Rows per bulk INSERT.
BATCH = 2000
Progress = Callable[[int], None]


def read_file(path: Path) -> Sheet:
    """Decode FILE by its extension: .csv (UTF-8), .xlsx (first sheet) or .json."""
    return decode.read_file(path, LAYOUT)


def decode_objects(items: Any, source: str) -> Sheet:
    """A list of objects (or `{"activities": [...]}`) with the columns as keys."""
    return decode.decode_objects(items, source, LAYOUT)


@dataclass
class Planned:
    row: int
    action: str  # create | update | skip
    values: dict[str, Any]  # the activity's columns
    activity_id: int | None = None
    changes: list[str] = field(default_factory=list)
    names: int = 0


class PlannedRow(TypedDict):
    row: int
    action: str  # create | update | skip
    id: int | None
    what: str
    changes: list[str]


class ActivityImportSummary(TypedDict):
    """What an activity import did (or its dry run would do), row by row."""

    source: str
    dry_run: bool
    created: int
    updated: int
    skipped: int
    rows: list[PlannedRow]


@dataclass
class ActivityImport:
    source: str
    dry_run: bool
    planned: list[Planned]

    def count(self, action: str) -> int:
        return sum(1 for p in self.planned if p.action == action)

    def as_dict(self) -> ActivityImportSummary:
        return {"source": self.source, "dry_run": self.dry_run,
                "created": self.count("create"), "updated": self.count("update"),
                "skipped": self.count("skip"),
                "rows": [{"row": p.row, "action": p.action, "id": p.activity_id,
                          "what": summary(p.values["kind"], p.values), "changes": p.changes}
                         for p in self.planned]}


def _raw(values: Mapping[str, Any]) -> dict[str, Any]:
    raw = dict(values)
    if isinstance(raw.get("names"), str):
        raw["names"] = [n for n in raw["names"].split(LIST_SEP)]
    return raw


_COMPARED = ("kind", "academic_year", "agreement_id", "organization_id") + VALUE_COLUMNS


def _key(values: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(tuple(v) if isinstance(v, list) else v for v in (values.get(k) for k in _COMPARED))


def plan(s: Session, office: Office, start: MonthDay, sheet: Sheet, source: str,
         progress: Progress | None = None) -> list[Planned]:
    """Check every row against one read of the database; raise ImportRejected listing
    every problem, or return what to do with each row."""
    refs = {str(r.values["agreement"]) for r in sheet.records if not _blank(r.values.get("agreement"))}
    directory = load_directory(s, office, refs)
    errors: list[RowError] = []
    out: list[Planned] = []
    wanted_ids: dict[int, int] = {}
    for i, record in enumerate(sheet.records):
        raw = _raw(record.values)
        checked, found = problems(raw, start)
        errors += [RowError(record.number, e.field, e.message, e.problem) for e in found]
        ident = raw.get("id")
        activity_id = None
        if not _blank(ident):
            try:
                activity_id = int(str(ident).strip().removesuffix(".0"))
                if activity_id <= 0:
                    raise ValueError
            except ValueError:
                errors.append(row_error(record.number, "id", "activity.bad_id", value=ident))
            else:
                if activity_id in wanted_ids:
                    errors.append(row_error(record.number, "id", "activity.id_twice", id=activity_id,
                                            row=wanted_ids[activity_id]))
                wanted_ids[activity_id] = record.number
        if checked is None:  # still say whether its links exist
            errors += _link_problems(directory, raw, record.number)
            continue
        try:
            linked = link(directory, checked, raw.get("agreement"), raw.get("partner"))
        except Invalid as exc:
            errors.append(RowError(record.number, getattr(exc, "field", "agreement"),
                                   getattr(exc, "message", str(exc)), exc.problem))
            continue
        out.append(Planned(record.number, "create", new_values(checked, linked), activity_id,
                           names=len(checked.values["names"] or [])))
        if progress is not None and i % 1000 == 999:
            progress(1000)
    if errors:
        raise ImportRejected(source, errors)
    _against_stored(s, out, sheet.columns, source)
    return out


def _link_problems(directory: Directory, raw: Mapping[str, Any], number: int) -> list[RowError]:
    out = []
    ref, partner = raw.get("agreement"), raw.get("partner")
    if _blank(ref) and _blank(partner):
        out.append(row_error(number, "partner", "activity.link_needed_row"))
    for name, value, find in (("agreement", ref, directory.agreement),
                              ("partner", partner, directory.partner)):
        if not _blank(value):
            try:
                find(str(value))
            except FieldInvalid as exc:
                out.append(RowError(number, name, exc.message, exc.problem))
    return out


def _against_stored(s: Session, planned: list[Planned], columns: frozenset[str],
                    source: str) -> None:
    """Updates for stored ids, skips for unchanged rows and for rows already recorded."""
    ids = sorted(p.activity_id for p in planned if p.activity_id is not None)
    stored: dict[int, Activity] = {}
    for i in range(0, len(ids), 500):
        for row in s.scalars(select(Activity).where(Activity.id.in_(ids[i:i + 500]))):
            stored[row.id] = row
    errors = []
    for p in planned:
        act = stored.get(p.activity_id) if p.activity_id is not None else None
        if act is None:
            continue
        if act.removed_at is not None:
            errors.append(row_error(p.row, "id", "activity.row_removed", id=act.id))
            continue
        if act.kind != p.values["kind"]:
            errors.append(row_error(p.row, "kind", "activity.kind_changed", id=act.id, kind=act.kind))
            continue
        if "names" not in columns:  # a file without names leaves stored names alone
            p.values["names"] = act.names
        p.changes = [k for k in _COMPARED if getattr(act, k) != p.values.get(k)]
        p.action = "update" if p.changes else "skip"
    if errors:
        raise ImportRejected(source, errors)
    fresh = [p for p in planned if p.action == "create" and p.activity_id is None]
    if fresh:  # rows without id already recorded exactly so: skipped
        years = sorted({p.values["academic_year"] for p in fresh})
        known = set()
        for year in years:
            for act in s.scalars(select(Activity).where(Activity.academic_year == year,
                                                        Activity.removed_at.is_(None))):
                known.add(_key({k: getattr(act, k) for k in _COMPARED}))
        for p in fresh:
            if _key(p.values) in known:
                p.action = "skip"


def import_activities(uow: UnitOfWork, clock: Clock, office: Office, sheet: Sheet, *,
                      source: str, by: str | None, dry_run: bool = False,
                      progress: Progress | None = None) -> ActivityImport:
    """Check everything, then write all rows in one transaction (or nothing)."""
    with uow:
        s = uow.session
        who = actor(s, by)
        require_role(who, Role.OFFICER, "import activities")
        planned = plan(s, office, office.year_start, sheet, source, progress)
        report = ActivityImport(source, dry_run, planned)
        if dry_run:
            return report
        _apply(s, planned, clock, who.email, source)
        uow.commit()
        return report


def _apply(s: Session, planned: list[Planned], clock: Clock, who: str, source: str) -> None:
    now = clock.utcnow
    creates = [p for p in planned if p.action == "create"]
    table: Table = Activity.__table__  # type: ignore[assignment]
    with_ids = [p for p in creates if p.activity_id is not None]
    if with_ids:
        taken = set()
        ids = sorted(p.activity_id for p in with_ids if p.activity_id is not None)
        for i in range(0, len(ids), 500):
            taken |= set(s.scalars(select(Activity.id).where(Activity.id.in_(ids[i:i + 500]))))
        for p in with_ids:
            if p.activity_id in taken:
                p.activity_id = None  # taken meanwhile: a new id
    for i in range(0, len(creates), BATCH):
        part = creates[i:i + BATCH]
        rows = [{**p.values, "created_by": who, "created_at": now, "version": 1,
                 **({"id": p.activity_id} if p.activity_id is not None else {})} for p in part]
        with_id = [r for r in rows if "id" in r]
        without = [r for r in rows if "id" not in r]
        if with_id:
            s.execute(insert(table), with_id)
        if without:
            new_ids = s.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                without).all()
            it = iter(new_ids)
            for p in part:
                if p.activity_id is None:
                    p.activity_id = next(it)
    if with_ids and s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT setval(pg_get_serial_sequence('activities', 'id'), "
                       "(SELECT max(id) FROM activities))"))
    audit = [{"activity_id": p.activity_id, "event": "import", "actor": who, "recorded_at": now,
              "note": f"{source} row {p.row}: {summary(p.values['kind'], p.values)}"
                      + (f"; {p.names} names" if p.names else "")} for p in creates]
    for i in range(0, len(audit), BATCH):
        s.execute(insert(ActivityEvent), audit[i:i + BATCH])
    for p in planned:
        if p.action != "update":
            continue
        act = s.get(Activity, p.activity_id)
        assert act is not None
        notes = []
        for k in p.changes:
            notes.append("names changed" if k == "names" else f"{k} {getattr(act, k)} -> {p.values.get(k)}")
            setattr(act, k, p.values.get(k))
        s.flush()
        s.add(ActivityEvent(activity_id=act.id, event="edit", actor=who, recorded_at=now,
                            note=f"{source} row {p.row}: " + "; ".join(notes)))


# --- export -----------------------------------------------------------------------------------


def export_rows(uow: UnitOfWork, *, with_names: bool = False,
                by: str | None = None) -> list[dict[str, Any]]:
    """Every live activity in the import's columns (names only when asked: a named actor,
    `by`, must be an officer or above)."""
    with uow:
        s = uow.session
        if with_names:
            acting_as(s, by, Role.OFFICER, "export participants' names")
        refs = dict(s.execute(select(Agreement.id, Agreement.ref)).tuples().all())
        orgs = {oid: (name, key, country) for oid, name, key, country in s.execute(
            select(Organization.id, Organization.name, Organization.name_key,
                   Organization.country)).tuples().all()}
        out = []
        for act in s.scalars(select(Activity).where(Activity.removed_at.is_(None))
                             .order_by(Activity.id)):
            d = activity_dict(act, ref=refs.get(act.agreement_id) if act.agreement_id else None,
                              partner=orgs.get(act.organization_id) if act.organization_id else None,
                              with_names=with_names)
            row = {f: d.get(f) for f in FIELDS if f != "names"}
            if with_names:
                row["names"] = d["names"]
            out.append(row)
        return out


def write_export(path: Path, rows: list[dict[str, Any]], *, with_names: bool = False) -> None:
    columns = [f for f in FIELDS if with_names or f != "names"]
    suffix = path.suffix.lower()
    if suffix == ".json":
        content = json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    elif suffix == ".csv":
        buf = io.StringIO(newline="")
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([_cell(r.get(c)) for c in columns])
        content = buf.getvalue()
    else:
        raise Invalid(rules.problem("export.file_type", "file", source=path.name))
    path.write_text(content, encoding="utf-8")


def _cell(value: Any) -> str:
    """Text a spreadsheet would run as a formula is written inert (`workflow.spreadsheet`)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return inert(LIST_SEP.join(str(v) for v in value))
    if isinstance(value, str):
        return inert(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)

