"""`hamkor import FILE`: all rows or nothing, on SQLite and PostgreSQL.

Every invalid row is listed with its row number and column, and nothing is
written; a dry run writes nothing; importing the same file twice creates
nothing new; imported agreements carry an `import` event and are scheduled
for the tick.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from models import Agreement
from models.database import make_engine
from tests.dbstate import snapshot
from tests.helpers import hamkor, ok, seed_people

HEADER = ["ref", "title", "type", "state", "partners", "countries", "signed_on", "department",
          "owner", "starts_on", "expires_on", "term", "auto_renew", "renewal_months",
          "notice_days", "forms", "renews"]

GOOD = [
    {"title": "Academic and educational exchange", "type": "exchange", "state": "active",
     "partners": "Turin Polytechnic University in Tashkent;Hiroshima University",
     "countries": "UZ;JP", "signed_on": "2020-02-19;2020-02-19", "department": "International",
     "owner": "olga@uni.uz", "starts_on": "2020-02-19", "expires_on": "2030-02-18",
     "forms": "student exchange;staff exchange;joint research"},
    {"title": "Training centre", "type": "cooperation", "state": "",
     "partners": "Turin Polytechnic University in Tashkent;Balcom", "countries": "UZ;JP",
     "forms": "training"},
]


def write_csv(path: Path, rows: list[dict[str, str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in header})
    return path


def agreements(db: str) -> list[dict]:  # type: ignore[type-arg]
    return ok(hamkor(db, "agreement", "list", "--json")).json()  # type: ignore[no-any-return]


@pytest.fixture
def db(db_url: str) -> str:
    seed_people(db_url)
    return db_url


def test_a_file_with_errors_changes_nothing_and_lists_every_error_by_row_and_column(
        db: str, tmp_path: Path) -> None:
    rows = GOOD + [
        {"title": "", "type": "treaty", "partners": "Hiroshima University",
         "countries": "Japan"},                                                      # row 4
        {"title": "Late", "type": "mou", "state": "active",
         "partners": "Hiroshima University;Politecnico di Torino",
         "signed_on": "2021-01-01", "owner": "nobody", "starts_on": "2021-02-30",
         "expires_on": "2020-01-01", "auto_renew": "maybe"},                         # row 5
        {"title": "Signed too early", "type": "mou", "state": "draft",
         "partners": "Hiroshima University;Politecnico di Torino",
         "signed_on": "2021-01-01;", "forms": "partying", "renews": "AGR-1999-0001"},  # row 6
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    before = snapshot(db)

    r = hamkor(db, "import", str(path))

    assert r.code == 1
    lines = r.error_lines
    assert lines[0].startswith("error: bad.csv: ") and "nothing was imported" in lines[0]
    assert sum(line.startswith("error:") for line in lines) == 1
    listed = {tuple(line.strip().split(": ", 1)[0].split(", ")) for line in lines[1:]}
    assert listed == {
        ("row 4", "title"), ("row 4", "type"), ("row 4", "partners"), ("row 4", "countries"),
        ("row 5", "signed_on"), ("row 5", "owner"), ("row 5", "starts_on"),
        ("row 5", "auto_renew"),
        ("row 6", "signed_on"), ("row 6", "forms"), ("row 6", "renews"),
    }
    assert f"{len(lines) - 1} errors in 3 rows" in lines[0]
    assert snapshot(db) == before


def test_an_unknown_column_is_an_error_of_the_header_row(db: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "typo.csv", GOOD, HEADER + ["expiry_date"])
    before = snapshot(db)
    r = hamkor(db, "import", str(path))
    assert r.code == 1
    assert any(line.strip().startswith("row 1, expiry_date: unknown column")
               for line in r.error_lines)
    assert snapshot(db) == before


def test_dry_run_shows_what_would_happen_and_writes_nothing(db: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", GOOD)
    before = snapshot(db)
    r = ok(hamkor(db, "import", str(path), "--dry-run"))
    assert "row 2: create AGR-2020-0001 Academic and educational exchange" in r.out
    assert "row 3: create AGR-" in r.out
    assert "would create 2, would update 0, would skip 0 agreements" in r.out
    assert "nothing written" in r.out
    assert snapshot(db) == before


def test_importing_the_same_file_twice_creates_nothing_new(db: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", GOOD)
    first = ok(hamkor(db, "import", str(path), "--json")).json()
    assert len(first["created"]) == 2 and first["partners_created"] == [
        "Turin Polytechnic University in Tashkent", "Balcom"]
    after_first = snapshot(db)
    second = ok(hamkor(db, "import", str(path), "--json")).json()
    assert second["created"] == [] and second["updated"] == []
    assert sorted(second["skipped"]) == sorted(first["created"])
    assert snapshot(db) == after_first
    # Partners are matched by normalised name: existing ones are not created again.
    assert "Hiroshima University" not in first["partners_created"]


def test_an_imported_agreement_past_draft_has_an_import_event_signatures_and_a_due_date(
        db: str, tmp_path: Path) -> None:
    rows = [dict(GOOD[0], expires_on="2025-02-18", auto_renew="yes", renewal_months="60",
                 notice_days="30")]
    ok(hamkor(db, "import", str(write_csv(tmp_path / "a.csv", rows))))
    a = ok(hamkor(db, "agreement", "show", "AGR-2020-0001", "--json")).json()
    assert a["state"] == "active" and a["auto_renew"] and a["renewal_months"] == 60
    assert [(p["name"], p["country"], p["signed_on"]) for p in a["parties"]] == [
        ("Turin Polytechnic University in Tashkent", "UZ", "2020-02-19"),
        ("Hiroshima University", "JP", "2020-02-19")]
    assert a["forms"] == ["student exchange", "staff exchange", "joint research"]
    history = ok(hamkor(db, "agreement", "history", "AGR-2020-0001", "--json")).json()
    assert [(e["event"], e["from_state"], e["to_state"], e["occurred_on"]) for e in history] == [
        ("import", None, "active", "2020-02-19")]
    assert "a.csv row 2" in history[0]["note"] and "Hiroshima University signed 2020-02-19" in history[0]["note"]
    # The tick's index: the first notice reminder (180 days before the notice deadline
    # 2025-01-19) is already due, so the next tick catches it up.
    engine = make_engine(db)
    with engine.connect() as conn:
        due = conn.execute(select(Agreement.next_due_on).where(Agreement.ref == "AGR-2020-0001")).scalar()
    engine.dispose()
    assert due == date(2024, 7, 23)


def test_a_changed_row_updates_the_agreement_and_records_an_amend_event(db: str, tmp_path: Path) -> None:
    ok(hamkor(db, "import", str(write_csv(tmp_path / "a.csv", GOOD))))
    changed = [dict(GOOD[0], department="Engineering"), GOOD[1]]
    r = ok(hamkor(db, "import", str(write_csv(tmp_path / "b.csv", changed)), "--json")).json()
    assert r["updated"] == ["AGR-2020-0001"] and len(r["skipped"]) == 1 and r["created"] == []
    assert r["actions"][0]["changes"] == ["department"]
    a = ok(hamkor(db, "agreement", "show", "AGR-2020-0001", "--json")).json()
    assert a["department"] == "Engineering" and a["state"] == "active"
    history = ok(hamkor(db, "agreement", "history", "AGR-2020-0001", "--json")).json()
    assert [e["event"] for e in history] == ["import", "amend"]
    assert "b.csv row 2: department" in history[1]["note"]


def test_an_import_never_moves_a_stored_agreement_through_the_lifecycle(db: str, tmp_path: Path) -> None:
    ok(hamkor(db, "import", str(write_csv(tmp_path / "a.csv", GOOD))))
    before = snapshot(db)
    moved = [dict(GOOD[0], state="expired"), dict(GOOD[0], ref="AGR-2020-0001",
                                                     expires_on="2031-02-18")]
    r = hamkor(db, "import", str(write_csv(tmp_path / "b.csv", moved[:1])))
    assert r.code == 1 and "row 2, state: AGR-2020-0001 is active" in r.err
    r = hamkor(db, "import", str(write_csv(tmp_path / "c.csv", moved[1:])))
    assert r.code == 1 and "row 2, expires_on: AGR-2020-0001 is active" in r.err
    assert snapshot(db) == before


def test_a_ref_given_is_kept_and_identifies_the_row_on_the_next_import(db: str, tmp_path: Path) -> None:
    rows = [dict(GOOD[1], ref="AGR-2019-0042")]
    ok(hamkor(db, "import", str(write_csv(tmp_path / "a.csv", rows))))
    a = ok(hamkor(db, "agreement", "show", "AGR-2019-0042", "--json")).json()
    assert a["title"] == "Training centre" and a["state"] == "draft"
    renamed = [dict(rows[0], title="Training centre with Balcom")]
    r = ok(hamkor(db, "import", str(write_csv(tmp_path / "b.csv", renamed)), "--json")).json()
    assert r["updated"] == ["AGR-2019-0042"] and r["created"] == []
    # The next reference of that year follows the kept one.
    ok(hamkor(db, "import", str(write_csv(tmp_path / "c.csv", [dict(GOOD[1], title="Other", starts_on="2019-05-01")]))))
    assert [a["ref"] for a in agreements(db)] == ["AGR-2019-0042", "AGR-2019-0043"]


def test_partners_match_by_normalised_name_or_erasmus_code_and_conflicts_are_errors(
        db: str, tmp_path: Path) -> None:
    ok(hamkor(db, "partner", "add", "Università degli Studi dell'Aquila", "--country", "IT",
              "--erasmus-code", "I L-AQUIL01"))
    header = HEADER + ["erasmus_codes", "kinds"]
    rows = [{"title": "I2-PLEDGE", "type": "consortium",
             "partners": "  hiroshima   UNIVERSITY ;University of L'Aquila;Balcom",
             "countries": ";;JP", "erasmus_codes": ";I L-AQUIL01;", "kinds": ";;company"}]
    r = ok(hamkor(db, "import", str(write_csv(tmp_path / "a.csv", rows, header)), "--json")).json()
    assert r["partners_created"] == ["Balcom"]
    a = ok(hamkor(db, "agreement", "show", r["created"][0], "--json")).json()
    assert [(p["name"], p["country"], p["kind"]) for p in a["parties"]] == [
        ("Hiroshima University", "JP", "university"),
        ("Università degli Studi dell'Aquila", "IT", "university"),
        ("Balcom", "JP", "company")]
    before = snapshot(db)
    wrong = [{"title": "X", "type": "mou", "partners": "Hiroshima University;Politecnico di Torino",
              "countries": "KR;IT"}]
    r2 = hamkor(db, "import", str(write_csv(tmp_path / "b.csv", wrong)))
    assert r2.code == 1 and "row 2, countries: Hiroshima University is in JP, not KR" in r2.err
    assert snapshot(db) == before


def test_renews_links_a_successor_and_two_live_successors_are_refused(db: str, tmp_path: Path) -> None:
    rows = [
        {"ref": "AGR-2019-0001", "title": "MoU", "type": "mou", "state": "superseded",
         "partners": "Tashkent Institute of Chemical Technology;Shandong Jianzhu University",
         "countries": "UZ;CN", "signed_on": "2019-12-10;2019-12-10", "owner": "olga@uni.uz",
         "starts_on": "2019-12-10", "expires_on": "2024-12-09"},
        {"ref": "AGR-2024-0001", "title": "MoU", "type": "mou", "state": "active",
         "partners": "Tashkent Institute of Chemical Technology;Shandong Jianzhu University",
         "signed_on": "2024-12-03;2024-12-03", "owner": "olga@uni.uz",
         "starts_on": "2024-12-03", "expires_on": "2029-12-02", "renews": "AGR-2019-0001"},
    ]
    ok(hamkor(db, "import", str(write_csv(tmp_path / "a.csv", rows))))
    succ = ok(hamkor(db, "agreement", "show", "AGR-2024-0001", "--json")).json()
    assert succ["renews"] == "AGR-2019-0001"
    pred = ok(hamkor(db, "agreement", "show", "AGR-2019-0001", "--json")).json()
    assert pred["successors"] == ["AGR-2024-0001"] and pred["next_due_on"] is None
    before = snapshot(db)
    second = [dict(rows[1], ref="", title="MoU (updated form)", starts_on="2025-01-01",
                   expires_on="2029-12-31", state="draft", signed_on="")]
    r = hamkor(db, "import", str(write_csv(tmp_path / "b.csv", second)))
    assert r.code == 1 and "row 2, renews: AGR-2019-0001 already has the live successor AGR-2024-0001" in r.err
    assert snapshot(db) == before


def test_xlsx_with_typed_cells_imports_like_csv(db: str, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Title", "Type", "State", "Partners", "Countries", "Signed on", "Owner",
               "Starts", "Months", "Auto renew", "Renewal months", "Notice days", "Forms"])
    ws.append(["Strategic partnership", "cooperation", "signed",
               "Turin Polytechnic University in Tashkent;Uzavtosanoat;Politecnico di Torino",
               "UZ;UZ;IT", "2022-04-20;2022-04-20;2022-04-21", "olga@uni.uz",
               date(2026, 12, 1), 60, True, 12, 90, "joint programme; lab"])
    ws.append([None] * 13)  # blank rows are ignored
    path = tmp_path / "agreements.xlsx"
    wb.save(path)
    r = ok(hamkor(db, "import", str(path), "--json")).json()
    assert r["rows"] == 1 and len(r["created"]) == 1
    a = ok(hamkor(db, "agreement", "show", r["created"][0], "--json")).json()
    assert a["state"] == "signed" and a["starts_on"] == "2026-12-01"
    assert a["expires_on"] == "2031-11-30" and a["auto_renew"] and a["notice_days"] == 90
    assert [p["signed_on"] for p in a["parties"]] == ["2022-04-20", "2022-04-20", "2022-04-21"]
    assert a["forms"] == ["joint programme", "lab"]
    assert r["created"][0].startswith("AGR-2022-")


def test_xlsx_errors_name_the_sheet_row(db: str, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["title", "type", "partners", "starts_on"])
    ws.append(["Fine", "mou", "A;B", date(2024, 1, 1)])
    ws.append([None, None, None, None])
    ws.append(["Broken", "mou", "A;B", "someday"])
    path = tmp_path / "a.xlsx"
    wb.save(path)
    before = snapshot(db)
    r = hamkor(db, "import", str(path))
    assert r.code == 1 and [line.strip() for line in r.error_lines[1:]] == [
        "row 4, starts_on: 'someday' is not a date (YYYY-MM-DD)"]
    assert snapshot(db) == before


def test_json_lists_and_native_values_are_accepted(db: str, tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps([{
        "title": "Erasmus+ I2-PLEDGE", "type": "consortium", "state": "awaiting_signatures",
        "partners": ["Turin Polytechnic University in Tashkent", "University of L'Aquila",
                     "University of Western Macedonia"],
        "countries": ["UZ", "IT", "GR"], "signed_on": ["2023-03-01", None, None],
        "owner": "olga@uni.uz", "starts_on": "2023-01-01", "expires_on": "2025-12-31",
        "auto_renew": False, "forms": ["joint programme"]}]))
    r = ok(hamkor(db, "import", str(path), "--json")).json()
    a = ok(hamkor(db, "agreement", "show", r["created"][0], "--json")).json()
    assert a["state"] == "awaiting_signatures"
    assert [p["signed_on"] for p in a["parties"]] == ["2023-03-01", None, None]
    assert {e["event"] for e in a["next_events"] if e["allowed"]} >= {"sign", "withdraw"}


def test_an_unknown_owner_becomes_a_viewer_and_an_actor_needs_officer_rights(
        db: str, tmp_path: Path) -> None:
    rows = [dict(GOOD[1], owner="new.person@uni.uz")]
    path = write_csv(tmp_path / "a.csv", rows)
    before = snapshot(db)
    r = hamkor(db, "import", str(path), "--by", "vera@uni.uz")
    assert r.code == 1 and r.error_lines == [
        "error: vera@uni.uz (viewer) may not import agreements: needs role officer or above"]
    assert snapshot(db) == before
    ok(hamkor(db, "import", str(path), "--by", "olga@uni.uz"))
    users = {u["email"]: u["role"] for u in ok(hamkor(db, "user", "list", "--json")).json()}
    assert users["new.person@uni.uz"] == "viewer"
    history = ok(hamkor(db, "agreement", "history", agreements(db)[0]["ref"], "--json")).json()
    assert history[0]["actor"] == "olga@uni.uz"


def test_a_missing_or_unsupported_file_is_one_error_line(db: str, tmp_path: Path) -> None:
    r = hamkor(db, "import", str(tmp_path / "nope.csv"))
    assert r.code == 1 and len(r.error_lines) == 1 and "nope.csv" in r.error_lines[0]
    (tmp_path / "a.txt").write_text("x")
    r = hamkor(db, "import", str(tmp_path / "a.txt"))
    assert r.code == 1 and r.error_lines == ["error: a.txt: unknown file type .txt; import reads .csv, .xlsx or .json files"]


def test_the_next_tick_picks_up_what_an_import_makes_due(db: str, tmp_path: Path) -> None:
    """Imported agreements are scheduled: the tick expires one whose term is over (dated
    the day after its expiry), and sends the reminder already due for another."""
    rows = [dict(GOOD[0], title="Lapsed", starts_on="2020-01-01", expires_on="2026-10-31",
                 signed_on="2019-12-01;2019-12-01"),
            dict(GOOD[0], title="Ending soon", starts_on="2021-01-01", expires_on="2026-12-10",
                 signed_on="2020-12-01;2020-12-01")]
    ok(hamkor(db, "import", str(write_csv(tmp_path / "a.csv", rows))))
    env = {"HAMKOR_MAIL_BACKEND": "file", "HAMKOR_MAIL_DIR": str(tmp_path / "mail")}
    tick = ok(hamkor(db, "tick", "--now", "2026-11-23T08:00", "--json", env=env)).json()
    assert tick["transitions"]["expire"] == 1 and tick["transitions"]["open_renewal"] == 2
    assert tick["enqueued"]["renewal"] == 1 and tick["enqueued"]["expired"] == 1
    lapsed, soon = agreements(db)
    assert (lapsed["title"], lapsed["state"]) == ("Lapsed", "expired")
    history = ok(hamkor(db, "agreement", "history", lapsed["ref"], "--json")).json()
    assert [(e["event"], e["occurred_on"]) for e in history][-1] == ("expire", "2026-11-01")
    assert (soon["title"], soon["state"]) == ("Ending soon", "renewal_due")
    outbox = ok(hamkor(db, "outbox", "list", "--json", env=env)).json()
    sent = sorted((o["agreement"], o["rule"], o["offset"]) for o in outbox
                  if o["status"] == "sent" and o["kind"] == "reminder" and ":cc:" not in o["key"])
    assert sent == sorted([(lapsed["ref"], "expired", 0), (soon["ref"], "renewal", 30)])
    mailed = [o for o in outbox if o["status"] == "sent"]
    assert len(list((tmp_path / "mail").glob("*.eml"))) == len(mailed)


def test_a_key_a_json_object_leaves_out_keeps_the_stored_value(db: str, tmp_path: Path) -> None:
    ok(hamkor(db, "import", str(write_csv(tmp_path / "a.csv", GOOD))))
    path = tmp_path / "b.json"
    path.write_text(json.dumps([
        {"ref": "AGR-2020-0001", "title": GOOD[0]["title"], "type": "exchange",
         "partners": GOOD[0]["partners"], "owner": "oleg@uni.uz"},
        {"title": "Other", "type": "mou", "partners": ["Balcom", "Hiroshima University"],
         "department": "Law"}]))
    r = ok(hamkor(db, "import", str(path), "--json")).json()
    assert r["updated"] == ["AGR-2020-0001"] and r["actions"][0]["changes"] == ["owner"]
    a = ok(hamkor(db, "agreement", "show", "AGR-2020-0001", "--json")).json()
    assert (a["owner"], a["department"], a["state"]) == ("oleg@uni.uz", "International", "active")


def test_two_agreements_alike_but_for_their_refs_survive_an_export_and_re_import(
        db: str, tmp_path: Path) -> None:
    """Same title, partners and start (two editions of a programme): the refs tell them
    apart, so the export imports again -- into the same database and an empty one."""
    twin = {**GOOD[1], "state": "draft"}
    first = write_csv(tmp_path / "twins.csv", [{**twin, "ref": "AGR-2021-0001"},
                                               {**twin, "ref": "AGR-2021-0002"}])
    assert len(ok(hamkor(db, "import", str(first), "--json")).json()["created"]) == 2
    exported = tmp_path / "export.csv"
    ok(hamkor(db, "export", str(exported)))
    again = ok(hamkor(db, "import", str(exported), "--json")).json()
    assert (again["created"], again["updated"], len(again["skipped"])) == ([], [], 2)
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    seed_people(empty)
    fresh = ok(hamkor(empty, "import", str(exported), "--json")).json()
    assert sorted(fresh["created"]) == ["AGR-2021-0001", "AGR-2021-0002"]


def test_two_rows_that_would_change_the_same_agreement_are_refused(db: str, tmp_path: Path) -> None:
    ok(hamkor(db, "import", str(write_csv(tmp_path / "a.csv", [{**GOOD[1], "ref": "AGR-2021-0001"}]))))
    before = snapshot(db)
    both = write_csv(tmp_path / "b.csv", [{**GOOD[1], "ref": "AGR-2021-0001", "title": "Renamed"},
                                          {**GOOD[1]}])  # no ref: found by title etc.
    r = hamkor(db, "import", str(both))
    assert r.code == 1
    assert any("row 3, title: AGR-2021-0001 is also changed by row 2" in line
               for line in r.error_lines), r.error_lines
    assert snapshot(db) == before


def test_a_value_under_a_column_without_a_header_is_an_error_not_dropped(
        db: str, tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("title,type,partners,,department\n"
                    "Exchange,exchange,Hiroshima University,IMPORTANT DATA,International\n",
                    encoding="utf-8")
    before = snapshot(db)
    r = hamkor(db, "import", str(path))
    assert r.code == 1
    assert any("row 2, column 4: 'IMPORTANT DATA' is under a column without a header" in line
               for line in r.error_lines), r.error_lines
    assert snapshot(db) == before


@pytest.mark.parametrize(("content", "message"), [
    ('[{"title": "X", "type": "exchange", "partners": [{"name": "A"}]}]',
     "row 1, partners: list items must be plain values, not objects or lists"),
    ('[{"title": "X", "type": "exchange", "partners": "A", "auto_renew": NaN}]',
     "row 1, auto_renew: nan is not true or false"),
])
def test_json_values_of_the_wrong_shape_are_row_errors(db: str, tmp_path: Path, content: str,
                                                       message: str) -> None:
    path = tmp_path / "odd.json"
    path.write_text(content, encoding="utf-8")
    before = snapshot(db)
    r = hamkor(db, "import", str(path))
    assert r.code == 1
    assert any(message in line for line in r.error_lines), r.error_lines
    assert snapshot(db) == before


def test_a_csv_cell_too_large_to_read_is_one_error_not_a_traceback(db: str, tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text('title,type,partners\n"' + "x" * 200_000 + '",exchange,A\n', encoding="utf-8")
    r = hamkor(db, "import", str(path))
    assert r.code == 1
    assert r.error_lines[0] == "error: huge.csv: 1 error in 1 row; nothing was imported"
    assert r.error_lines[1].strip().startswith("row 2, -: field larger than field limit")


def test_notes_keep_their_lines_through_an_export_and_re_import(db: str, tmp_path: Path) -> None:
    notes = "Signed in Hiroshima.\nQuota: 4 students a year.\n\nContact: Prof. Sato"
    ok(hamkor(db, "agreement", "create", "--title", "Exchange", "--partner",
              "Hiroshima University", "--type", "exchange", "--owner", "olga@uni.uz",
              "--by", "olga@uni.uz", "--starts", "2025-01-01", "--months", "24",
              "--notes", notes))
    for name in ("out.csv", "out.json"):
        path = tmp_path / name
        ok(hamkor(db, "export", str(path)))
        again = ok(hamkor(db, "import", str(path), "--json")).json()
        assert (again["created"], again["updated"]) == ([], []), name
    engine = make_engine(db)
    with engine.connect() as conn:
        assert conn.scalar(select(Agreement.notes)) == notes
    engine.dispose()


def test_xlsx_with_a_stale_dimension_record_is_read_to_its_last_row(db: str, tmp_path: Path) -> None:
    """Some tools write <dimension ref="A1:P2"/> and then more rows; every row counts."""
    import re
    import zipfile

    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for i in range(3):
        ws.append([{**GOOD[1], "title": f"Training centre {i}"}.get(h, "") for h in HEADER])
    good = tmp_path / "good.xlsx"
    wb.save(good)
    stale = tmp_path / "stale.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(stale, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]+"/>', b'<dimension ref="A1:Q2"/>', data)
            dst.writestr(item, data)
    result = ok(hamkor(db, "import", str(stale), "--json")).json()
    assert len(result["created"]) == 3


def test_a_file_without_a_state_column_cannot_take_the_owner_from_an_agreement_past_draft(
        db: str, tmp_path: Path) -> None:
    """Without a state column a row reads as a draft, where an owner is optional; the
    stored agreement is active, and its reminders go to its owner."""
    ok(hamkor(db, "import", str(write_csv(tmp_path / "a.csv", [{**GOOD[0], "ref": "AGR-2020-0001"}]))))
    before = snapshot(db)
    header = ["ref", "title", "type", "partners", "owner"]
    path = write_csv(tmp_path / "b.csv", [{**GOOD[0], "ref": "AGR-2020-0001", "owner": ""}], header)
    r = hamkor(db, "import", str(path))
    assert r.code == 1
    assert any("row 2, owner: AGR-2020-0001 is active: it keeps an owner" in line
               for line in r.error_lines), r.error_lines
    assert snapshot(db) == before


def test_a_blank_created_on_cell_reads_the_same_on_any_day(db: str, tmp_path: Path) -> None:
    """Blank means "not known": it must not read as "today", or re-importing the same
    file on a later day would change (or refuse) the agreements it made."""
    from datetime import UTC, datetime, timedelta

    import time_machine

    row = {**GOOD[1], "ref": "AGR-2021-0001", "state": "draft", "created_on": ""}
    path = write_csv(tmp_path / "a.csv", [row], HEADER + ["created_on"])
    ok(hamkor(db, "import", str(path)))
    after = snapshot(db)
    with time_machine.travel(datetime.now(UTC) + timedelta(days=2)):
        again = ok(hamkor(db, "import", str(path), "--json")).json()
    assert (again["created"], again["updated"]) == ([], [])
    assert snapshot(db) == after


def test_the_progress_of_an_import_moves_while_updates_are_written(
        sqlite_url: str, monkeypatch) -> None:
    """Twice per row in all (checking, then writing), and during a long run of updates
    too -- not all at once at the end."""
    from root import App
    from workflow import transfer

    seed_people(sqlite_url)
    monkeypatch.setattr(transfer.columns, "BATCH", 10)  # read at call time by every step
    app = App(sqlite_url)

    def rows(department: str) -> str:
        lines = ["ref,title,type,partners,department"]
        lines += [f"AGR-2021-{i:04d},Exchange {i},exchange,Home University;Hiroshima University,"
                  f"{department}" for i in range(1, 36)]
        return "\n".join(lines) + "\n"

    transfer.import_sheet(app.uow(immediate=True), app.clock(), app.office(),
                          transfer.decode_csv(rows("Physics")), source="a.csv", by="olga@uni.uz")
    calls: list[int] = []
    report = transfer.import_sheet(app.uow(immediate=True), app.clock(), app.office(),
                                   transfer.decode_csv(rows("Chemistry")), source="b.csv",
                                   by="olga@uni.uz", progress=calls.append)
    app.close()
    assert len(report.updated) == 35
    assert sum(calls) == 2 * 35
    assert calls[-4:] == [10, 10, 10, 5]  # the writing half, in steps as it goes
