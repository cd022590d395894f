"""Step 4 of an import: apply the plan in one transaction with bulk inserts.

`import_sheet` runs the steps after decoding: type the cells, plan against a
snapshot, then write everything or nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table as SqlTable, bindparam, insert, select, update
from sqlalchemy.orm import Session
from typing_extensions import TypedDict  # pydantic: API responses on Python 3.11

from models import Agreement, AgreementParty, Event, Organization, User
from models.bulk import insert_dicts
from workflow import dates
from workflow.agreements import Office, cancel_pending, record, reschedule
from workflow.clock import Clock
from workflow.errors import Invalid, Problem
from workflow.lifecycle import BINDING, TERMINAL, RecordEvent, Role, State
from workflow.registry import SYSTEM_ACTOR, named_actor
from workflow.schedule import Facts, next_due_on
from workflow.transfer import columns as _columns
from workflow.transfer.columns import _REF, STARTED_STATES, ImportRejected, Progress, Sheet
from workflow.transfer.planning import Action, Plan, plan
from workflow.transfer.rows import Row, parse_sheet
from workflow.transfer.snapshot import Stored, load_snapshot
from workflow.uow import UnitOfWork


class ImportedRow(TypedDict):
    row: int
    action: str  # create | update | skip
    ref: str
    title: str
    changes: list[str]


class ImportSummary(TypedDict):
    """What an import did (or its dry run would do): the agreements, partners and users."""

    source: str
    dry_run: bool
    rows: int
    created: list[str]
    updated: list[str]
    skipped: list[str]
    partners_created: list[str]
    users_created: list[str]
    actions: list[ImportedRow]


@dataclass
class ImportReport:
    source: str
    dry_run: bool
    rows: int
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    partners_created: list[str] = field(default_factory=list)
    users_created: list[str] = field(default_factory=list)
    #: (row number, action, ref, title, changed fields) per row, in file order.
    actions: list[tuple[int, str, str, str, tuple[str, ...]]] = field(default_factory=list)

    def digest(self) -> str:
        """What this import does (each row's action, reference and changed fields): equal for
        two runs of the same file against the same data."""
        import hashlib
        import json

        return hashlib.sha256(json.dumps([list(a) for a in self.actions], default=list,
                                         ensure_ascii=False).encode()).hexdigest()

    def as_dict(self) -> ImportSummary:
        return {
            "source": self.source, "dry_run": self.dry_run, "rows": self.rows,
            "created": self.created, "updated": self.updated, "skipped": self.skipped,
            "partners_created": self.partners_created, "users_created": self.users_created,
            "actions": [{"row": n, "action": k, "ref": r, "title": t, "changes": list(c)}
                        for n, k, r, t, c in self.actions],
        }


def import_sheet(uow: UnitOfWork, clock: Clock, office: Office, sheet: Sheet, *, source: str,
                 by: str | None = None, dry_run: bool = False,
                 progress: Progress | None = None, expect: str | None = None) -> ImportReport:
    """Import every row of `sheet` or none. Raises `ImportRejected` listing all errors.

    `expect`: the `digest()` of a dry run shown to the user; when the data changed since
    (the import would now do something else), refused and nothing is written.

    `progress` is called with a number of rows done, twice per row in all
    (checking, then writing).
    """
    today = clock.today
    rows, errors = parse_sheet(sheet, today, progress)
    with uow:
        s = uow.session
        who = named_actor(s, by, Role.OFFICER, "import agreements")
        snap = load_snapshot(s)
        the_plan, more = plan(rows, snap)
        # A cell already reported as unreadable is not reported again by planning.
        bad = {(e.row, e.column) for e in errors}
        errors += [e for e in more if (e.row, e.column) not in bad]
        if errors:
            raise ImportRejected(source, errors)
        report = ImportReport(source, dry_run, len(sheet.records))
        for a in the_plan.actions:
            getattr(report, {"create": "created", "update": "updated", "skip": "skipped"}[a.kind]).append(a.ref)
            report.actions.append((a.row.number, a.kind, a.ref, a.row.title, a.changes))
        report.partners_created = [o.name for o in the_plan.new_orgs]
        report.users_created = list(the_plan.new_users)
        if dry_run:
            if progress:
                progress(len(sheet.records))
            return report
        if expect is not None and report.digest() != expect:
            raise Invalid(Problem("import.changed", None, "the agreements changed since the "
                                  "preview, so this file would now do something else; nothing "
                                  "was imported: preview it again"))
        _apply(s, the_plan, clock, office, who.email if who else SYSTEM_ACTOR, source, progress)
        uow.commit()
        return report



def _apply(s: Session, p: Plan, clock: Clock, office: Office, who: str, source: str,
           progress: Progress | None) -> None:
    now = clock.utcnow
    today = clock.today
    if p.new_users:
        # An owner who is not a user yet gets a read-only account, so reminders reach them.
        s.execute(insert(User), [{"email": e, "name": e.split("@")[0], "role": Role.VIEWER.label,
                                  "active": True, "created_at": now} for e in p.new_users])
    users = {email: uid for uid, email in s.execute(select(User.id, User.email))}
    for i in range(0, len(p.new_orgs), _columns.BATCH):
        orgs = p.new_orgs[i:i + _columns.BATCH]
        result = s.execute(insert(Organization).returning(Organization.id, Organization.name_key), [
            {"name": o.name, "name_key": o.key, "country": o.country, "kind": o.kind,
             "erasmus_code": o.erasmus_code, "created_on": today, "created_at": now}
            for o in orgs])
        org_ids = {key: oid for oid, key in result}
        for o in orgs:
            o.id = org_ids[o.key]
    for org_id, org_values in p.org_updates.items():
        s.execute(update(Organization).where(Organization.id == org_id).values(**org_values))

    creates = [a for a in p.actions if a.kind == "create"]
    ids_by_ref: dict[str, int] = {}
    window = office.policy.window_days
    for i in range(0, len(creates), _columns.BATCH):
        chunk = creates[i:i + _columns.BATCH]
        on = {a.ref: event_on(a.row, today, window) for a in chunk}
        # Core executemany: the ORM's bulk INSERT .. RETURNING goes row by row here.
        bulk_insert(s, Agreement, [_agreement_values(a, users, on[a.ref], now, office)
                                   for a in chunk])
        refs = [a.ref for a in chunk]
        ids_by_ref.update({ref: aid for aid, ref in s.execute(
            select(Agreement.id, Agreement.ref).where(Agreement.ref.in_(refs)))})
        bulk_insert(s, AgreementParty, [
            {"agreement_id": ids_by_ref[a.ref], "organization_id": org.id, "position": j,
             "signed_on": party.signed_on}
            for a in chunk for j, (org, party) in enumerate(zip(a.orgs, a.row.parties, strict=True))])
        bulk_insert(s, Event, [
            {"agreement_id": ids_by_ref[a.ref], "event": RecordEvent.IMPORT, "from_state": None,
             "to_state": a.row.state.value, "actor": who, "occurred_on": on[a.ref],
             "recorded_at": now, "note": _import_note(a, source), "party": None,
             "term": a.row.term}
            for a in chunk])
        if progress:
            progress(len(chunk))

    all_ids = {ref: st.id for ref, st in _stored_refs(p).items()} | ids_by_ref
    links = [{"b_id": ids_by_ref[a.ref], "b_renews": _ref_id(s, a.row.renews, all_ids)}
             for a in creates if a.row.renews]
    if links:
        table = _table(Agreement)
        s.execute(update(table).where(table.c.id == bindparam("b_id"))
                  .values(renews_id=bindparam("b_renews")), links)

    done = 0  # updates and skips: the bar moves as updates are written, not only at the end
    for a in p.actions:
        if a.kind == "update":
            _update(s, a, users, clock, who, source, all_ids)
        if a.kind != "create":
            done += 1
            if progress and done % _columns.BATCH == 0:
                progress(_columns.BATCH)
    if progress:
        progress(done % _columns.BATCH)

    _after_successors(s, p, creates, ids_by_ref, all_ids, clock, office)
    s.flush()


def bulk_insert(s: Session, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """INSERT many rows with one driver-level executemany (`models.bulk`).
    Every row must give the same keys."""
    insert_dicts(s.connection(), _table(model), rows)


def _table(model: type[Any]) -> SqlTable:
    table = model.__table__
    assert isinstance(table, SqlTable)
    return table


def _stored_refs(p: Plan) -> dict[str, Stored]:
    return {a.ref: a.stored for a in p.actions if a.stored is not None}


def _ref_id(s: Session, ref: str | None, known: dict[str, int]) -> int | None:
    if ref is None:
        return None
    if ref in known:
        return known[ref]
    found = s.scalar(select(Agreement.id).where(Agreement.ref == ref))
    assert found is not None, ref  # planning checked it exists
    known[ref] = found
    return found


def _import_note(a: Action, source: str) -> str:
    signed = [f"{party.name} signed {party.signed_on.isoformat()}"
              for party in a.row.parties if party.signed_on]
    return f"imported from {source} row {a.row.number}" + (f"; {', '.join(signed)}" if signed else "")


def _agreement_values(a: Action, users: Mapping[str, int], on: date, now: datetime,
                      office: Office) -> dict[str, Any]:
    row = a.row
    m = _REF.match(a.ref)
    assert m is not None
    ends_on = row.ends_on or (row.expires_on if row.notice_given_on else None)
    return {
        "ref": a.ref, "ref_year": int(m[1]), "ref_seq": int(m[2]), "title": row.title,
        "type": row.type, "state": row.state.value, "department": row.department,
        "owner_id": users[row.owner] if row.owner else None, "starts_on": row.starts_on,
        "expires_on": row.expires_on, "indefinite": row.indefinite, "term": row.term,
        "auto_renew": row.auto_renew, "renewal_months": row.renewal_months,
        "notice_days": row.notice_days, "notice_given_on": row.notice_given_on,
        "ends_on": ends_on, "state_since": on, "forms": list(row.forms),
        "notes": row.notes, "renews_id": None, "created_on": row.created_on, "created_at": now,
        "version": 1, "next_due_on": _next_due(row, ends_on, on, office),
    }


def _next_due(row: Row, ends_on: date | None, on: date, office: Office) -> date | None:
    """When the tick next has work: the rule `reschedule` applies, fed from the row instead of
    a loaded agreement (no query per row). Counted from the import event's date, so that a
    reminder already due is caught up by the next tick. A predecessor whose successor is
    signed is rescheduled once both are stored (`_after_successors`)."""
    if row.state in TERMINAL:
        return None
    f = Facts(state=row.state, starts_on=row.starts_on, expires_on=row.expires_on,
              ends_on=ends_on, auto_renew=row.auto_renew, renewal_months=row.renewal_months,
              notice_days=row.notice_days, notice_given_on=row.notice_given_on, term=row.term,
              state_since=on, successor_signed=False, last_event_on=on)
    return next_due_on(f, on - dates.ONE_DAY, office.policy)


def _update(s: Session, a: Action, users: dict[str, int], clock: Clock, who: str, source: str,
            ids: dict[str, int]) -> None:
    assert a.stored is not None
    agreement = s.get(Agreement, a.stored.id)
    assert agreement is not None
    row = a.row
    for name in a.changes:
        if name == "owner":
            agreement.owner_id = users[row.owner] if row.owner else None
        elif name == "forms":
            agreement.forms = list(row.forms)
        elif name == "expires_on":
            agreement.expires_on, agreement.indefinite = row.expires_on, row.indefinite
        elif name == "renews":
            agreement.renews_id = _ref_id(s, row.renews, ids)
        elif name in ("parties", "signed_on"):
            _replace_parties(s, agreement, a)
        else:
            setattr(agreement, name, getattr(row, name))
    s.flush()
    record(s, agreement, RecordEvent.AMEND, actor=who, on=clock.today, clock=clock,
           from_state=agreement.state, to_state=agreement.state,
           note=f"updated from {source} row {row.number}: {', '.join(a.changes)}")


def _replace_parties(s: Session, agreement: Agreement, a: Action) -> None:
    """Only a draft's parties change (planning refused it otherwise)."""
    wanted = {org.id: (j, party.signed_on) for j, (org, party)
              in enumerate(zip(a.orgs, a.row.parties, strict=True))}
    for p in list(agreement.parties):
        if p.organization_id not in wanted:
            agreement.parties.remove(p)
    s.flush()
    have = {p.organization_id: p for p in agreement.parties}
    for org_id, (pos, signed_on) in wanted.items():
        assert org_id is not None
        party = have.get(org_id)
        if party is None:
            agreement.parties.append(AgreementParty(organization_id=org_id, position=pos,
                                                    signed_on=signed_on))
        else:
            party.position, party.signed_on = pos, signed_on


def _after_successors(s: Session, p: Plan, creates: list[Action], ids_by_ref: dict[str, int],
                      all_ids: dict[str, int], clock: Clock, office: Office) -> None:
    """A signed successor stops its predecessor's reminders (as `sign` does)."""
    signed = BINDING
    for a in creates:
        if a.row.renews is None or a.row.state not in signed:
            continue
        pred = s.get(Agreement, _ref_id(s, a.row.renews, all_ids))
        assert pred is not None
        if pred.state in TERMINAL:
            continue
        s.flush()
        if pred.ref not in ids_by_ref:
            cancel_pending(s, pred.id, keep_rules=("expired", "signature"))
            reschedule(s, pred, office.policy, clock.today - timedelta(days=1))
        else:
            last = s.scalar(select(Event.occurred_on).where(Event.agreement_id == pred.id)
                            .order_by(Event.id.desc()).limit(1))
            assert last is not None
            reschedule(s, pred, office.policy, last - dates.ONE_DAY, last_on=last)



def event_on(row: Row, today: date, window_days: int) -> date:
    """Business date of the `import` event: the latest the row's state implies, ≤ today.

    The tick dates an automatic event no earlier than the previous event, so this
    must not be the import day: an agreement that expired last week is dated then.
    """
    known = [row.created_on] + [p.signed_on for p in row.parties if p.signed_on]
    state = row.state
    if state in STARTED_STATES and row.starts_on is not None:
        known.append(row.starts_on)
    if state is State.RENEWAL_DUE and row.expires_on is not None:
        known.append(dates.renewal_opens_on(row.expires_on, window_days))
    if state is State.EXPIRED and row.expires_on is not None:
        known.append((row.ends_on or row.expires_on) + dates.ONE_DAY)
    if row.notice_given_on is not None:
        known.append(row.notice_given_on)
    if state is State.TERMINATED and row.ends_on is not None:
        known.append(row.ends_on + dates.ONE_DAY)
    return min(max(known), today)


