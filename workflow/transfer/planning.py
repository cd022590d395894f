"""Step 3 of an import: plan the rows against a snapshot of the database (pure).

Each row becomes a create, an update or a skip; the errors that need the database
(a stored agreement past draft, a duplicate, an unknown predecessor) are found here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from workflow.lifecycle import IN_FORCE, TERMINAL, State
from workflow.transfer.columns import (
    _REF,
    COMPLETE_STATES,
    DESCRIPTIVE_FIELDS,
    INDEFINITE,
    LIST_SEP,
    RowError,
    row_error,
)
from workflow.transfer.rows import PartyRow, Row
from workflow.transfer.snapshot import Org, Snapshot, Stored, _code_key, identity


@dataclass
class Action:
    kind: Literal["create", "update", "skip"]
    row: Row
    ref: str
    orgs: list[Org]
    stored: Stored | None = None
    changes: tuple[str, ...] = ()


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)
    new_orgs: list[Org] = field(default_factory=list)
    org_updates: dict[int, dict[str, str]] = field(default_factory=dict)
    new_users: list[str] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for a in self.actions if a.kind == kind)



def comparable(row: Row, orgs: Sequence[Org], renews: str | None) -> dict[str, Any]:
    """A row's fields in the shape a stored agreement is compared in."""
    return {
        "title": row.title, "type": row.type, "state": row.state.value,
        "parties": tuple(o.key for o in orgs),
        "signed_on": tuple(p.signed_on for p in row.parties),
        "department": row.department, "owner": row.owner, "starts_on": row.starts_on,
        "expires_on": (row.expires_on, row.indefinite), "term": row.term,
        "auto_renew": row.auto_renew, "renewal_months": row.renewal_months,
        "notice_days": row.notice_days, "forms": row.forms, "renews": renews,
        "created_on": row.created_on, "notice_given_on": row.notice_given_on,
        "ends_on": row.ends_on, "notes": row.notes,
    }


#: Compared field -> the column that carries it (a field is compared only if the file has it).
FIELD_COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("title",), "type": ("type",), "state": ("state",), "parties": ("partners",),
    "signed_on": ("signed_on",), "department": ("department",), "owner": ("owner",),
    "starts_on": ("starts_on",), "expires_on": ("expires_on", "months"), "term": ("term",),
    "auto_renew": ("auto_renew",), "renewal_months": ("renewal_months",),
    "notice_days": ("notice_days",), "forms": ("forms",), "renews": ("renews",),
    "created_on": ("created_on",), "notice_given_on": ("notice_given_on",),
    "ends_on": ("ends_on",), "notes": ("notes",),
}


def _column_of(name: str) -> str:
    return FIELD_COLUMNS[name][0]


def changed_fields(row: Row, new: Mapping[str, Any], stored: Mapping[str, Any]) -> tuple[str, ...]:
    out = []
    for name, cols in FIELD_COLUMNS.items():
        if not any(col in row.columns for col in cols):
            continue
        if name == "signed_on" and new["parties"] != stored["parties"]:
            continue  # a different party list is reported as such
        if new[name] != stored[name]:
            out.append(name)
    return tuple(out)


def plan(rows: Sequence[Row], snap: Snapshot) -> tuple[Plan, list[RowError]]:
    """Decide create / update / skip for each row; list the errors the database reveals."""
    p = Plan()
    errors: list[RowError] = []
    by_key = dict(snap.orgs_by_key)
    by_code = dict(snap.orgs_by_code)
    new_users: set[str] = set()
    seen_refs: dict[str, int] = {}
    seen_ids: dict[tuple[Any, ...], int] = {}
    claimed: dict[str, int] = {}  # stored ref -> the row that changes it

    for row in rows:
        def err(column: str, code: str, _n: int = row.number, **params: Any) -> None:
            errors.append(row_error(_n, column, code, **params))

        orgs = [_resolve_party(party, by_key, by_code, p, err) for party in row.parties]
        if row.owner and row.owner not in snap.users and row.owner not in new_users:
            new_users.add(row.owner)
            p.new_users.append(row.owner)
        ident = identity(row.title, (o.key for o in orgs), row.starts_on)
        stored: Stored | None = None
        if row.ref:
            if row.ref in seen_refs:
                err("ref", "row.ref_twice", ref=row.ref, row=seen_refs[row.ref])
            seen_refs[row.ref] = row.number
            stored = snap.by_ref.get(row.ref)
        if row.ref is None and ident in seen_ids:  # rows with refs say which they are
            err("title", "row.same_agreement", row=seen_ids[ident])
        seen_ids.setdefault(ident, row.number)
        if row.ref is None:
            matches = snap.by_identity.get(ident, [])
            if len(matches) > 1:
                err("ref", "row.ambiguous", refs=", ".join(m.ref for m in matches))
            elif matches:
                stored = matches[0]
        if stored is None:
            p.actions.append(Action("create", row, row.ref or "", orgs))
            continue
        if stored.ref in claimed:
            err("ref" if row.ref else "title", "row.claimed", ref=stored.ref, row=claimed[stored.ref])
        claimed.setdefault(stored.ref, row.number)
        new = comparable(row, orgs, row.renews)
        changes = changed_fields(row, new, stored.fields)
        if not changes:
            p.actions.append(Action("skip", row, stored.ref, orgs, stored))
            continue
        if "state" in changes:
            err("state", "row.state_change", ref=stored.ref, state=stored.state)
        elif stored.state != State.DRAFT.value:
            if "owner" in changes and row.owner is None and State(stored.state) in COMPLETE_STATES:
                # Checked against the stored state: a file without a state column reads
                # as draft, where an owner is optional.
                err("owner", "row.keeps_owner", ref=stored.ref, state=stored.state)
            for name in changes:
                if name not in DESCRIPTIVE_FIELDS:
                    err(_column_of(name), "row.after_draft", ref=stored.ref, state=stored.state,
                        fields=", ".join(DESCRIPTIVE_FIELDS), stored=_show(stored.fields[name]),
                        given=_show(new[name]))
        p.actions.append(Action("update", row, stored.ref, orgs, stored, changes))

    _allocate_refs(p, snap)
    _check_successors(p, snap, errors)
    return p, errors


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        if len(value) == 2 and isinstance(value[1], bool):  # (expires_on, indefinite)
            return INDEFINITE if value[1] else _show(value[0])
        return LIST_SEP.join(_show(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return "empty" if value is None or value == "" else str(value)


def _resolve_party(party: PartyRow, by_key: dict[str, Org], by_code: dict[str, Org], p: Plan,
                   err: Callable[..., None]) -> Org:
    by_name = by_key.get(party.key)
    org = by_name
    if party.erasmus_code:
        coded = by_code.get(_code_key(party.erasmus_code))
        if coded is not None and by_name is not None and coded is not by_name:
            err("erasmus_codes", "row.code_of_other", code=party.erasmus_code, other=coded.name,
                name=party.name)
        org = coded or by_name
        if org is not None and org.erasmus_code and _code_key(org.erasmus_code) != _code_key(party.erasmus_code):
            err("erasmus_codes", "row.code_differs", name=org.name, stored=org.erasmus_code,
                given=party.erasmus_code)
    if org is None:
        org = Org(None, party.name, party.key, party.country, party.kind or "university", party.erasmus_code)
        by_key[party.key] = org
        if party.erasmus_code:
            by_code[_code_key(party.erasmus_code)] = org
        p.new_orgs.append(org)
        return org
    if party.country:
        if org.country and org.country != party.country:
            err("countries", "row.country_differs", name=org.name, stored=org.country,
                given=party.country)
        elif not org.country:
            org.country = party.country
            if org.id is not None:
                p.org_updates.setdefault(org.id, {})["country"] = party.country
    if party.erasmus_code and not org.erasmus_code:
        org.erasmus_code = party.erasmus_code
        by_code[_code_key(party.erasmus_code)] = org
        if org.id is not None:
            p.org_updates.setdefault(org.id, {})["erasmus_code"] = party.erasmus_code
    return org


def _allocate_refs(p: Plan, snap: Snapshot) -> None:
    """New agreements keep a given ref; the others get the next free one of their year."""
    top = dict(snap.max_seq)
    for a in p.actions:
        m = _REF.match(a.ref) if a.kind == "create" and a.ref else None
        if m:
            year, seq = int(m[1]), int(m[2])
            top[year] = max(top.get(year, 0), seq)
    for a in p.actions:
        if a.kind == "create" and not a.ref:
            year = a.row.created_on.year
            top[year] = top.get(year, 0) + 1
            a.ref = f"AGR-{year}-{top[year]:04d}"


def _check_successors(p: Plan, snap: Snapshot, errors: list[RowError]) -> None:
    """`renews` names a known agreement; at most one live successor each; no two in force."""
    final: dict[str, str] = {ref: s.state for ref, s in snap.by_ref.items()}
    renews_of: dict[str, str | None] = {}
    id_to_ref = {s.id: ref for ref, s in snap.by_ref.items()}
    for ref, s in snap.by_ref.items():
        renews_of[ref] = id_to_ref.get(s.renews_id) if s.renews_id else None
    for a in p.actions:
        if "state" in a.row.columns or a.kind == "create":
            final[a.ref] = a.row.state.value
        if "renews" in a.row.columns or a.kind == "create":
            renews_of[a.ref] = a.row.renews
    live: dict[str, list[str]] = {}
    for ref, pred in renews_of.items():
        if pred and final.get(ref) not in TERMINAL:
            live.setdefault(pred, []).append(ref)
    for a in p.actions:
        pred = a.row.renews
        if pred is None:
            continue
        if pred not in final:
            errors.append(row_error(a.row.number, "renews", "row.no_predecessor", ref=pred))
            continue
        others = [r for r in live.get(pred, []) if r != a.ref]
        if others and final.get(a.ref) not in TERMINAL:
            errors.append(row_error(a.row.number, "renews", "row.live_successor", ref=pred,
                                    successors=", ".join(others)))
        if State(final[a.ref]) in IN_FORCE and State(final[pred]) in IN_FORCE:
            errors.append(row_error(a.row.number, "renews", "row.both_in_force", ref=pred,
                                    state=final[pred]))


