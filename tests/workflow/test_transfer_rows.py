"""Pure parts of the import: decoding, parsing a row, planning against a snapshot."""

from __future__ import annotations

from datetime import date

import pytest

from workflow.lifecycle import State
from workflow.transfer import (
    ImportRejected,
    Org,
    Record,
    Snapshot,
    Stored,
    decode_csv,
    decode_objects,
    event_on,
    identity,
    parse_record,
    plan,
)

TODAY = date(2026, 11, 23)
COLUMNS = frozenset({"title", "type", "state", "partners", "countries", "signed_on", "owner",
                     "starts_on", "expires_on", "months", "auto_renew", "renewal_months"})


def parse(**values: object):  # type: ignore[no-untyped-def]
    return parse_record(Record(2, values), COLUMNS | frozenset(values), TODAY)


def test_a_complete_row_parses_into_typed_values() -> None:
    row, errors = parse(title=" Academic  exchange ", type="Exchange", state="active",
                        partners="TTPU; Hiroshima University", countries="uz;JP",
                        signed_on="2020-02-19;2020-02-19", owner="Olga@Uni.UZ",
                        starts_on="2020-02-19", months="60", auto_renew="yes",
                        renewal_months="60.0")
    assert errors == []
    assert row.title == "Academic exchange" and row.type == "exchange" and row.state is State.ACTIVE
    assert [(p.name, p.country, p.signed_on) for p in row.parties] == [
        ("TTPU", "UZ", date(2020, 2, 19)), ("Hiroshima University", "JP", date(2020, 2, 19))]
    assert row.owner == "olga@uni.uz" and row.expires_on == date(2025, 2, 18)
    assert row.auto_renew and row.renewal_months == 60
    assert row.created_on == date(2020, 2, 19)  # the earliest date the row shows


def test_each_bad_cell_is_reported_under_its_column() -> None:
    _, errors = parse(title="X", type="mou", partners="A;B", countries="UZ",
                      starts_on="2024-01-01", months="12", expires_on="2025-01-01",
                      auto_renew="perhaps", signed_on="2030-01-01;")
    assert [(e.row, e.column) for e in errors] == [
        (2, "countries"), (2, "signed_on"), (2, "months"), (2, "auto_renew"),
        (2, "signed_on")]
    assert "1 values for 2 partners" in errors[0].message
    assert "in the future" in errors[1].message
    assert "not both" in errors[2].message
    assert "comes before any signature" in errors[4].message


@pytest.mark.parametrize(("state", "column", "needle"), [
    ("active", "signed_on", "needs a signature date for every party"),
    ("awaiting_signatures", "state", "every party has signed"),
    ("expired", "expires_on", "before today"),
    ("in_review", "owner", "required for state in_review"),
])
def test_the_state_says_what_must_be_true_of_the_row(state: str, column: str, needle: str) -> None:
    signed = {"awaiting_signatures": "2024-01-01;2024-01-01", "active": "2024-01-01;"}.get(state, "")
    owner = "" if state == "in_review" else "o@uni.uz"
    _, errors = parse(title="X", type="mou", state=state, partners="A;B", signed_on=signed,
                      owner=owner, starts_on="2024-01-01", expires_on="2030-01-01")
    assert any(e.column == column and needle in e.message for e in errors), errors


def test_the_import_event_is_dated_by_the_state_not_the_import_day() -> None:
    row, _ = parse(title="X", type="mou", state="expired", partners="A;B",
                   signed_on="2019-01-05;2019-01-10", owner="o@uni.uz",
                   starts_on="2019-02-01", expires_on="2024-01-31")
    assert event_on(row, TODAY, 180) == date(2024, 2, 1)
    row, _ = parse(title="X", type="mou", state="signed", partners="A;B",
                   signed_on="2026-11-01;2026-11-20", owner="o@uni.uz",
                   starts_on="2027-01-01", expires_on="2030-01-01")
    assert event_on(row, TODAY, 180) == date(2026, 11, 20)


def test_csv_header_errors_are_row_1_and_reject_the_file() -> None:
    with pytest.raises(ImportRejected) as exc:
        decode_csv("title,type,colour\nX,mou,red\n")
    assert [(e.row, e.column) for e in exc.value.errors] == [(1, "partners"), (1, "colour")]
    sheet = decode_csv("Title,Type,Partners,Starts\nX,mou,A;B,2024-01-01\n,,,\n")
    assert [r.number for r in sheet.records] == [2]
    assert dict(sheet.records[0].values)["starts_on"] == "2024-01-01"


def test_json_objects_number_rows_from_1() -> None:
    sheet = decode_objects({"agreements": [{"title": "X"}, {"title": "Y"}]}, "a.json")
    assert [r.number for r in sheet.records] == [1, 2]
    with pytest.raises(ImportRejected):
        decode_objects([{"titel": "X"}], "a.json")


def _snapshot_with(stored_state: str) -> Snapshot:
    snap = Snapshot()
    for key, name in (("a", "A"), ("b", "B")):
        snap.orgs_by_key[key] = Org(1 if key == "a" else 2, name, key, "UZ", "university", None)
    fields = {"title": "X", "type": "mou", "state": stored_state, "parties": ("a", "b"),
              "signed_on": (None, None), "department": None, "owner": None,
              "starts_on": date(2024, 1, 1), "expires_on": (None, False), "term": 1,
              "auto_renew": False, "renewal_months": None, "notice_days": None, "forms": (),
              "renews": None, "created_on": date(2024, 1, 1), "notice_given_on": None,
              "ends_on": None, "notes": None}
    stored = Stored(10, "AGR-2024-0007", stored_state, None, fields)
    snap.by_ref[stored.ref] = stored
    snap.by_identity[identity("X", ("a", "b"), date(2024, 1, 1))] = [stored]
    snap.max_seq[2024] = 7
    return snap


def test_planning_skips_unchanged_rows_updates_changed_ones_and_numbers_new_ones() -> None:
    snap = _snapshot_with("draft")
    same = parse_record(Record(2, {"title": "X", "type": "mou", "partners": "a;B",
                                   "starts_on": "2024-01-01"}),
                        frozenset({"title", "type", "partners", "starts_on"}), TODAY)[0]
    moved = parse_record(Record(3, {"title": "X", "type": "mou", "partners": "A;B",
                                    "starts_on": "2024-01-01", "department": "Law"}),
                         frozenset({"title", "type", "partners", "starts_on", "department"}),
                         TODAY)[0]
    new = parse_record(Record(4, {"title": "Y", "type": "mou", "partners": "A;C",
                                  "starts_on": "2024-03-01"}),
                       frozenset({"title", "type", "partners", "starts_on"}), TODAY)[0]
    p, errors = plan([same, new], snap)
    assert errors == []
    assert [(a.kind, a.ref) for a in p.actions] == [("skip", "AGR-2024-0007"),
                                                    ("create", "AGR-2024-0008")]
    assert [o.name for o in p.new_orgs] == ["C"]
    p, errors = plan([moved], snap)
    assert errors == [] and [(a.kind, a.changes) for a in p.actions] == [("update", ("department",))]


def test_planning_refuses_to_change_terms_after_draft() -> None:
    snap = _snapshot_with("active")
    row = parse_record(Record(5, {"title": "X", "type": "mou", "partners": "A;B",
                                  "starts_on": "2024-01-01", "expires_on": "2027-01-01"}),
                       frozenset({"title", "type", "partners", "starts_on", "expires_on"}),
                       TODAY)[0]
    _, errors = plan([row], snap)
    assert [(e.row, e.column) for e in errors] == [(5, "expires_on")]
    assert "AGR-2024-0007 is active" in errors[0].message


def test_references_are_read_in_their_canonical_spelling() -> None:
    row, errors = parse(title="X", type="mou", partners="A;B", ref="agr-2024-00042",
                        renews=" AGR-2019-7 ")
    assert row.ref == "AGR-2024-0042"
    assert [(e.column, e.message) for e in errors] == [
        ("renews", "'AGR-2019-7' is not a reference like AGR-2024-0001")]
    _, errors = parse(title="X", type="mou", partners="A;B", ref="AGR-2024-0000")
    assert [e.column for e in errors] == ["ref"]
