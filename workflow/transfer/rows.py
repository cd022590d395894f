"""Step 2 of an import, the rows: turn each raw record into a typed `Row` (pure, no database).

The row is checked as a whole here (what its state says must be true of its data).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from models import normalize_name
from workflow import dates, rules
from workflow.agreements import FORMS, TYPES
from workflow.dates import MAX_MONTHS, MAX_NOTICE_DAYS
from workflow.errors import Invalid
from workflow.lifecycle import IN_FORCE, NOTICE_POSSIBLE, State
from workflow.registry import KINDS
from workflow.transfer import columns as _columns
from workflow.transfer.cells import _Cells, _country, _form, _reference
from workflow.transfer.columns import (
    _STATES,
    COMPLETE_STATES,
    INDEFINITE,
    LIST_SEP,
    SIGNED_STATES,
    UNSIGNED_STATES,
    Progress,
    Record,
    RowError,
    Sheet,
)


@dataclass(frozen=True)
class PartyRow:
    name: str
    key: str
    country: str | None = None
    kind: str | None = None
    erasmus_code: str | None = None
    signed_on: date | None = None


@dataclass(frozen=True)
class Row:
    number: int
    columns: frozenset[str]  # the columns the file has: only these change a stored agreement
    ref: str | None
    title: str
    type: str
    state: State
    parties: tuple[PartyRow, ...]
    department: str | None = None
    owner: str | None = None
    starts_on: date | None = None
    expires_on: date | None = None
    indefinite: bool = False
    term: int = 1
    auto_renew: bool = False
    renewal_months: int | None = None
    notice_days: int | None = None
    forms: tuple[str, ...] = ()
    renews: str | None = None
    created_on: date = date.min
    notice_given_on: date | None = None
    ends_on: date | None = None
    notes: str | None = None



def parse_record(record: Record, columns: frozenset[str], today: date) -> tuple[Row, list[RowError]]:
    """Turn one raw record into a `Row` and the errors found in it.

    The row is built even when there are errors (from the values that could be
    read), so that planning can still report what else is wrong with it.
    """
    c = _Cells(record, today)

    ref = _reference(c, "ref", new=True)
    title = c.text("title") or ""
    if not title:
        c.rule("title", "row.required")
    type_ = (c.text("type") or "").lower().replace(" ", "_")
    if not type_:
        c.rule("type", "row.type_required", choices=", ".join(TYPES))
    elif type_ not in TYPES:
        c.rule("type", "row.choice", value=type_, choices=", ".join(TYPES))
    state_text = (c.text("state") or State.DRAFT.value).lower().replace(" ", "_")
    state = _STATES.get(state_text, State.DRAFT)
    if state_text not in _STATES:
        c.rule("state", "row.choice", value=state_text, choices=", ".join(_STATES))

    parties = _parse_parties(c)

    department = c.text("department")
    owner = c.text("owner")
    if owner is not None:
        try:
            owner = rules.email(owner, "owner")
        except Invalid as exc:
            c.refused("owner", exc)
    starts_on = c.day("starts_on")
    expires_text = c.text("expires_on")
    indefinite = expires_text is not None and expires_text.lower() == INDEFINITE
    expires_on = None if indefinite else c.day("expires_on")
    months = c.integer("months", 1, MAX_MONTHS)
    if months is not None:
        if expires_text is not None:
            c.rule("months", "row.months_and_expiry")
        elif starts_on is None:
            c.rule("months", "row.months_need_start")
        else:
            expires_on = dates.term_end(starts_on, months)
    if starts_on and expires_on and expires_on < starts_on:
        c.rule("expires_on", "row.expires_before", expires=expires_on.isoformat(),
               starts=starts_on.isoformat())
    term = c.integer("term", 1) or 1
    auto_renew = c.flag("auto_renew")
    renewal_months = c.integer("renewal_months", 1, MAX_MONTHS)
    notice_days = c.integer("notice_days", 0, MAX_NOTICE_DAYS)
    if auto_renew and renewal_months is None:
        c.rule("renewal_months", "row.auto_renew_months")
    if auto_renew and indefinite:
        c.rule("auto_renew", "row.indefinite_auto_renew")
    forms: list[str] = []
    for item in c.items("forms"):
        if item is None:
            continue
        form = _form(str(item))
        if form is None:
            c.rule("forms", "row.choice", value=item, choices=", ".join(FORMS))
        elif form not in forms:
            forms.append(form)
    renews = _reference(c, "renews")
    if renews is not None and renews == ref:
        c.rule("renews", "row.renews_itself")
    notice_given_on = c.day("notice_given_on", past=True)
    ends_on = c.day("ends_on")
    notes = c.text("notes", multiline=True)
    created_on = c.day("created_on", past=True)
    if created_on is None and "created_on" in columns:
        # A blank cell means "not known", not "today": a stored agreement keeps its date
        # (else the same file would read differently tomorrow).
        columns = columns - {"created_on"}

    row = Row(
        number=record.number, columns=columns, ref=ref, title=title, type=type_, state=state,
        parties=tuple(parties), department=department, owner=owner, starts_on=starts_on,
        expires_on=expires_on, indefinite=indefinite, term=term, auto_renew=auto_renew,
        renewal_months=renewal_months, notice_days=notice_days, forms=tuple(forms),
        renews=renews, notice_given_on=notice_given_on, ends_on=ends_on, notes=notes,
        created_on=created_on or default_created_on(parties, starts_on, today),
    )
    _check_state(c, row)
    return row, c.errors


def _parse_parties(c: _Cells) -> list[PartyRow]:
    names = c.items("partners")
    if any(n is None for n in names):
        c.rule("partners", "row.empty_name", sep=LIST_SEP)
    clean = []
    for n in names:
        if n is None:
            continue
        try:
            clean.append(rules.name(n, "partners"))
        except Invalid as exc:
            c.refused("partners", exc)
    if not c.given("partners"):
        c.rule("partners", "row.required")
    elif len(clean) < 2:
        c.rule("partners", "row.two_parties", sep=LIST_SEP)
    keys = [normalize_name(n) for n in clean]
    for name, count in Counter(keys).items():
        if count > 1:
            c.rule("partners", "row.twice", name=name)
    countries = c.aligned("countries", len(clean))
    signed = c.aligned("signed_on", len(clean))
    kinds = c.aligned("kinds", len(clean))
    codes = c.aligned("erasmus_codes", len(clean))
    parties = []
    for i, name in enumerate(clean):
        country = None
        if countries[i] is not None:
            try:
                country = _country(str(countries[i]))
            except Invalid as exc:
                c.errors.append(RowError(c.number, "countries", f"{name}: {exc}", exc.problem))
        kind = None
        if kinds[i] is not None:
            kind = str(kinds[i]).strip().lower()
            if kind not in KINDS:
                c.rule("kinds", "row.party_choice", party=name, value=kind, choices=", ".join(KINDS))
        code = None
        if codes[i] is not None:
            try:
                code = rules.text(codes[i], "erasmus_codes", limit=rules.LIMITS["erasmus_code"])
            except Invalid as exc:
                c.refused("erasmus_codes", exc)
        signed_on = c.day("signed_on", signed[i], past=True) if signed[i] is not None else None
        parties.append(PartyRow(name, keys[i], country, kind, code, signed_on))
    return parties


def default_created_on(parties: Iterable[PartyRow], starts_on: date | None, today: date) -> date:
    """The earliest date the row shows (a signature or the start), else today."""
    known = [p.signed_on for p in parties if p.signed_on]
    if starts_on is not None:
        known.append(starts_on)
    return min([d for d in known if d <= today], default=today)


def _check_state(c: _Cells, row: Row) -> None:
    """What the row's state says must be true of its data (README "The lifecycle")."""
    state = row.state
    if state in COMPLETE_STATES:
        missing = [col for col, ok in (("owner", row.owner), ("starts_on", row.starts_on),
                                       ("expires_on", row.expires_on or row.indefinite)) if not ok]
        for col in missing:
            if not c.given(col) and not (col == "expires_on" and c.given("months")):
                c.rule(col, "row.state_requires", state=state.value)
    unsigned = [p.name for p in row.parties if p.signed_on is None]
    if state in SIGNED_STATES and unsigned:
        c.rule("signed_on", "row.signatures_missing", state=state.value, names=", ".join(unsigned))
    if state is State.AWAITING_SIGNATURES and row.parties and not unsigned:
        c.rule("state", "row.all_signed")
    if state in UNSIGNED_STATES and len(unsigned) < len(row.parties):
        c.rule("signed_on", "row.before_signature", state=state.value)
    if state in IN_FORCE and row.starts_on and row.starts_on > c.today:
        c.rule("starts_on", "row.not_started", state=state.value, starts=row.starts_on.isoformat())
    if state is State.RENEWAL_DUE and row.expires_on is None:
        c.rule("expires_on", "row.renewal_due_expiry")
    if state is State.EXPIRED and not (row.expires_on and row.expires_on < c.today):
        c.rule("expires_on", "row.expired_expiry")
    if row.ends_on is not None and row.notice_given_on is None:
        c.rule("ends_on", "row.ends_without_notice")
    if row.notice_given_on is not None:
        if state not in NOTICE_POSSIBLE:
            c.rule("notice_given_on", "row.notice_state", state=state.value)
        end = row.ends_on or row.expires_on
        if end is None:
            c.rule("ends_on", "row.notice_end")
        elif row.expires_on is not None and end > row.expires_on:
            c.rule("ends_on", "row.ends_after_expiry", end=end.isoformat(),
                   expires=row.expires_on.isoformat())
        elif end < row.notice_given_on:
            c.rule("ends_on", "row.ends_before_notice", end=end.isoformat())



def parse_sheet(sheet: Sheet, today: date, progress: Progress | None = None) -> tuple[list[Row], list[RowError]]:
    rows: list[Row] = []
    errors: list[RowError] = []
    for i, rec in enumerate(sheet.records, start=1):
        row, errs = parse_record(rec, rec.columns or sheet.columns, today)
        errors += errs
        rows.append(row)
        if progress and i % _columns.BATCH == 0:
            progress(_columns.BATCH)
    if progress:
        progress(len(sheet.records) % _columns.BATCH)
    return rows, errors


