"""`hamkor activity ...` on SQLite and PostgreSQL: each kind recorded, listed, edited and
removed; every bad input refused with one error and nothing written; participant names
only with --with-names; utilisation of agreed quotas across academic-year boundaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dbstate import snapshot
from tests.helpers import hamkor, ok, refused, seed_people

HOME = "Turin Polytechnic University in Tashkent"
ENV = {"HAMKOR_INSTITUTION": HOME, "HAMKOR_USER": "olga@uni.uz"}
AGREEMENTS = """ref,title,type,state,partners,countries,signed_on,owner,starts_on,expires_on
AGR-2020-0001,Exchange,exchange,active,{home};Hiroshima University,UZ;JP,2020-02-19;2020-02-19,olga@uni.uz,2020-02-19,2030-02-18
AGR-2019-0001,Old MoU,mou,expired,{home};Politecnico di Torino,UZ;IT,2019-01-10;2019-01-10,olga@uni.uz,2019-01-10,2024-12-31
AGR-2024-0001,Erasmus+ IIA,exchange,active,{home};Politecnico di Torino,UZ;IT,2024-06-01;2024-06-01,olga@uni.uz,2024-09-01,2029-08-31
"""
MOBILITY = ("--kind", "mobility", "--direction", "out", "--category", "student-studies",
            "--people", "2", "--starts", "2025-09-15", "--ends", "2026-02-10")


def cli(db_url: str, *args: str) -> object:
    return hamkor(db_url, *args, env=ENV)


def setup(db_url: str, tmp_path: Path) -> None:
    seed_people(db_url)
    path = tmp_path / "agreements.csv"
    path.write_text(AGREEMENTS.format(home=HOME))
    ok(cli(db_url, "import", str(path), "--by", "olga@uni.uz"))


def add(db_url: str, *args: str) -> dict:
    return ok(cli(db_url, "activity", "add", *args, "--json")).json()  # type: ignore[attr-defined]


def test_each_kind_is_added_listed_edited_and_removed(db_url: str, tmp_path: Path) -> None:
    setup(db_url, tmp_path)
    mob = add(db_url, "AGR-2020-0001", *MOBILITY, "--name", "Aziz Karimov", "--name", "Dilnoza R")
    assert (mob["partner"], mob["country"], mob["academic_year"]) == ("Hiroshima University", "JP", "2025/2026")
    assert mob["days"] == 149 and mob["person_days"] == 298 and mob["named"] == 2
    assert "names" not in mob
    visit = add(db_url, "--partner", "Politecnico di Torino", "--kind", "visit", "--direction", "in",
                "--people", "4", "--date", "2025-10-02", "--purpose", "Rector's delegation")
    assert visit["agreement"] is None and visit["date"] == "2025-10-02"
    event = add(db_url, "AGR-2020-0001", "--kind", "event", "--title", "Robotics week",
                "--date", "2026-03-10", "--place", "Tashkent", "--participants", "120")
    assert event["people"] == 120
    project = add(db_url, "AGR-2024-0001", "--kind", "project", "--title", "I2-PLEDGE",
                  "--funder", "European Commission", "--amount", "1,250,000", "--currency", "eur",
                  "--starts", "2025-01-01", "--ends", "2027-12-31", "--role", "partner")
    assert (project["amount"], project["currency"], project["academic_year"]) == ("1250000.00", "EUR", "2024/2025")
    pub = add(db_url, "AGR-2020-0001", "--kind", "publication", "--title", "Joint paper",
              "--year", "2025", "--doi", "https://doi.org/10.1016/j.robot.2025.104321")
    assert pub["doi"] == "10.1016/j.robot.2025.104321" and pub["academic_year"] == "2025/2026"

    listed = ok(cli(db_url, "activity", "list", "--json")).json()
    assert [a["kind"] for a in listed] == ["mobility", "visit", "event", "project", "publication"]
    assert all("names" not in a for a in listed)
    assert [a["id"] for a in ok(cli(db_url, "activity", "list", "AGR-2020-0001", "--json")).json()] == [
        mob["id"], event["id"], pub["id"]]
    by_partner = ok(cli(db_url, "activity", "list", "--partner", "Politecnico di Torino", "--json")).json()
    assert [a["kind"] for a in by_partner] == ["visit", "project"]
    assert [a["kind"] for a in ok(cli(db_url, "activity", "list", "--year", "2024/2025", "--json")).json()] == ["project"]
    assert [a["id"] for a in ok(cli(db_url, "activity", "list", "--kind", "event", "--json")).json()] == [event["id"]]
    text = ok(cli(db_url, "activity", "list")).out
    assert "Robotics week" in text and "Aziz" not in text

    edited = ok(cli(db_url, "activity", "edit", str(mob["id"]), "--people", "3", "--json")).json()
    assert edited["people"] == 3 and edited["version"] == mob["version"] + 1
    shown = ok(cli(db_url, "activity", "show", str(mob["id"]), "--json")).json()
    assert [h["event"] for h in shown["history"]] == ["create", "edit"]
    assert shown["history"][1]["note"] == "people 2 -> 3"
    removed = ok(cli(db_url, "activity", "remove", str(visit["id"]), "--reason", "entered twice"))
    assert "removed" in removed.out
    assert visit["id"] not in [a["id"] for a in ok(cli(db_url, "activity", "list", "--json")).json()]
    gone = ok(cli(db_url, "activity", "show", str(visit["id"]), "--json")).json()
    assert gone["removed"] is True and gone["history"][-1]["note"] == "entered twice"
    refused(cli(db_url, "activity", "edit", str(visit["id"]), "--people", "5"), "was removed")


def test_names_never_leave_without_with_names_and_are_removed_with_an_audited_event(
        db_url: str, tmp_path: Path) -> None:
    setup(db_url, tmp_path)
    mob = add(db_url, "AGR-2020-0001", *MOBILITY, "--name", "Aziz Karimov", "--name", "Dilnoza R")
    for args in (("activity", "list"), ("activity", "list", "--json"),
                 ("activity", "show", str(mob["id"])), ("activity", "show", str(mob["id"]), "--json")):
        assert "Aziz" not in ok(cli(db_url, *args)).out
    assert ok(cli(db_url, "activity", "list", "--with-names", "--json")).json()[0]["names"] == [
        "Aziz Karimov", "Dilnoza R"]
    assert "Aziz Karimov" in ok(cli(db_url, "activity", "show", str(mob["id"]), "--with-names")).out
    history = ok(cli(db_url, "activity", "show", str(mob["id"]), "--json")).json()["history"]
    assert all("Aziz" not in (h["note"] or "") for h in history)

    refused(cli(db_url, "activity", "edit", str(mob["id"]), "--remove-names"), "--reason")
    ok(cli(db_url, "activity", "edit", str(mob["id"]), "--remove-names", "--reason", "asked by the student"))
    shown = ok(cli(db_url, "activity", "show", str(mob["id"]), "--with-names", "--json")).json()
    assert shown["names"] == [] and shown["named"] == 0
    assert shown["history"][-1]["event"] == "names_removed"
    assert shown["history"][-1]["note"] == "2 names removed: asked by the student"
    refused(cli(db_url, "activity", "edit", str(mob["id"]), "--remove-names", "--reason", "again"),
            "has no participant names")


BAD = [
    (("AGR-2020-0001", "--kind", "trip"), "--kind: 'trip' is not one of"),
    (("AGR-2020-0001", "--kind", "mobility", "--category", "student-studies", "--people", "2",
      "--starts", "2025-09-15", "--ends", "2026-02-10"), "--direction: a mobility needs its direction"),
    (("AGR-2020-0001", "--kind", "visit", "--direction", "up", "--people", "2", "--date", "2025-10-01"),
     "--direction: 'up' is not one of in|out"),
    (("AGR-2020-0001", *MOBILITY[:7], "0", *MOBILITY[8:]), "--people: 0 must be at least 1"),
    (("AGR-2020-0001", *MOBILITY[:7], "-3", *MOBILITY[8:]), "--people: -3 must be at least 1"),
    (("AGR-2020-0001", "--kind", "publication", "--title", "P", "--year", "2025",
      "--academic-year", "2025/2024"), "--academic-year: '2025/2024' is not an academic year"),
    (("AGR-2020-0001", *MOBILITY[:9], "2026-02-10", "--ends", "2025-09-15"),
     "--ends: 2025-09-15 is before the start 2026-02-10"),
    (("AGR-2020-0001", "--kind", "publication", "--title", "P", "--year", "2025", "--doi", "10.12/x"),
     "--doi: '10.12/x' is not a DOI"),
    (("AGR-2019-0001", *MOBILITY), "AGR-2019-0001 ended on 2024-12-31 (expired); an activity dated "
                                   "2025-09-15 is after it"),
    (("--partner", "Nowhere University", "--kind", "visit", "--direction", "in", "--people", "2",
      "--date", "2025-10-01"), "--partner: no partner 'Nowhere University'"),
    (("AGR-2099-0001", *MOBILITY), "no agreement AGR-2099-0001"),
    (("AGR-2020-0001", "--partner", "Politecnico di Torino", *MOBILITY), "not a party of AGR-2020-0001"),
    (("--kind", "visit", "--direction", "in", "--people", "2", "--date", "2025-10-01"), "--partner"),
    (("AGR-2020-0001", "--kind", "visit", "--direction", "in", "--people", "2", "--date", "2025-10-01",
      "--doi", "10.1000/x"), "--doi: is not recorded for a visit"),
    (("AGR-2020-0001", "--kind", "project", "--title", "T", "--starts", "2025-01-01", "--amount", "100"),
     "--currency: an amount needs its currency"),
    (("AGR-2020-0001", "--kind", "project", "--title", "T", "--starts", "2025-01-01", "--amount", "100",
      "--currency", "XYZ"), "--currency: 'XYZ' is not an ISO 4217 code"),
    (("AGR-2020-0001", *MOBILITY, "--by", "vera@uni.uz"), "vera@uni.uz (viewer) may not record activities"),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=[m[:30] for _, m in BAD])
def test_every_bad_input_is_refused_with_one_error_and_nothing_written(
        db_url: str, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    setup(db_url, tmp_path)
    add(db_url, "AGR-2020-0001", *MOBILITY)
    before = snapshot(db_url)
    refused(cli(db_url, "activity", "add", *args), message)
    assert snapshot(db_url) == before


def test_bad_edits_filters_and_removals_are_refused_and_change_nothing(db_url: str, tmp_path: Path) -> None:
    setup(db_url, tmp_path)
    mob = add(db_url, "AGR-2020-0001", *MOBILITY)
    before = snapshot(db_url)
    ident = str(mob["id"])
    refused(cli(db_url, "activity", "edit", ident, "--people", "0"), "--people: 0 must be at least 1")
    refused(cli(db_url, "activity", "edit", ident, "--ends", "2025-01-01"), "is before the start")
    refused(cli(db_url, "activity", "edit", ident, "--agreement", "AGR-2019-0001"), "ended on 2024-12-31")
    refused(cli(db_url, "activity", "edit", ident, "--direction", ""), "needs its direction")
    refused(cli(db_url, "activity", "edit", "999", "--people", "3"), "no activity 999")
    refused(cli(db_url, "activity", "edit", ident, "--people", "3", "--by", "vera@uni.uz"), "viewer")
    refused(cli(db_url, "activity", "remove", ident, "--reason", " "), "--reason: give the reason")
    refused(cli(db_url, "activity", "list", "--year", "2025/2024"), "--year: '2025/2024'")
    refused(cli(db_url, "activity", "list", "--kind", "trip"), "--kind")
    refused(cli(db_url, "activity", "list", "AGR-2099-0001"), "no agreement AGR-2099-0001")
    assert snapshot(db_url) == before
    # before its end an ended agreement still takes activities
    ok(cli(db_url, "activity", "add", "AGR-2019-0001", "--kind", "visit", "--direction", "out",
           "--people", "3", "--date", "2024-12-31"))


def test_utilisation_counts_a_mobility_once_in_the_academic_year_it_starts(db_url: str, tmp_path: Path) -> None:
    setup(db_url, tmp_path)
    ref = "AGR-2024-0001"
    ok(cli(db_url, "agreement", "conditions", "add", ref, "--kind", "student-studies", "--from", HOME,
           "--to", "Politecnico di Torino", "--years", "2024/2025:2026/2027", "--mobilities", "4",
           "--months", "20", "--language", "en:B2"))
    ok(cli(db_url, "agreement", "conditions", "add", ref, "--kind", "staff-teacher",
           "--from", "Politecnico di Torino", "--to", HOME, "--years", "2025/2026", "--mobilities", "2",
           "--days", "10", "--language", "en:C1"))
    # 2025-09-15 .. 2026-02-10 crosses the calendar year: it counts once, in 2025/2026
    add(db_url, ref, *MOBILITY)
    add(db_url, ref, "--kind", "mobility", "--direction", "out", "--category", "student-studies",
        "--people", "1", "--starts", "2025-08-31", "--ends", "2025-12-20")  # starts in 2024/2025
    add(db_url, ref, "--kind", "mobility", "--direction", "in", "--category", "staff-teaching",
        "--people", "1", "--starts", "2026-05-04", "--ends", "2026-05-08")
    add(db_url, ref, "--kind", "mobility", "--direction", "in", "--category", "student-studies",
        "--people", "5", "--starts", "2026-02-01", "--ends", "2026-06-30")  # no quota that way
    rows = ok(cli(db_url, "agreement", "show", ref, "--json")).json()["utilisation"]
    table = {(r["academic_year"], r["direction"], r["kind"]): (r["agreed"], r["used"], r["gap"]) for r in rows}
    assert table == {
        ("2024/2025", "out", "student-studies"): ({"mobilities": 4, "months": 20.0, "days": None},
                                                 {"mobilities": 1, "months": 3.7, "days": None}, 3),
        ("2025/2026", "out", "student-studies"): ({"mobilities": 4, "months": 20.0, "days": None},
                                                 {"mobilities": 2, "months": 9.9, "days": None}, 2),
        ("2026/2027", "out", "student-studies"): ({"mobilities": 4, "months": 20.0, "days": None},
                                                 {"mobilities": 0, "months": 0.0, "days": None}, 4),
        ("2025/2026", "in", "staff-teacher"): ({"mobilities": 2, "months": None, "days": 10.0},
                                              {"mobilities": 1, "months": None, "days": 5}, 1),
    }
    text = ok(cli(db_url, "agreement", "show", ref)).out
    assert "2025/2026 out student-studies      4 (20.0 months) / 2 (9.9 months), gap 2" in text
    # an agreement without conditions has no utilisation
    assert "utilisation" not in ok(cli(db_url, "agreement", "show", "AGR-2020-0001", "--json")).json()


def test_the_quota_warning_goes_to_the_owner_once_three_months_before_the_year_ends(
        db_url: str, tmp_path: Path) -> None:
    setup(db_url, tmp_path)
    ref = "AGR-2024-0001"
    ok(cli(db_url, "agreement", "conditions", "add", ref, "--kind", "student-studies", "--from", HOME,
           "--to", "Politecnico di Torino", "--years", "2025/2026", "--mobilities", "4",
           "--months", "20", "--language", "en:B2"))
    ok(cli(db_url, "agreement", "conditions", "add", ref, "--kind", "staff-teacher",
           "--from", "Politecnico di Torino", "--to", HOME, "--years", "2025/2026", "--mobilities", "2",
           "--days", "10", "--language", "en:C1"))
    add(db_url, ref, *MOBILITY)  # 2 of 4 students: half used, not under
    env = {**ENV, "HAMKOR_MAIL_BACKEND": "file", "HAMKOR_MAIL_DIR": str(tmp_path / "mail")}

    def tick(now: str) -> dict:
        return ok(hamkor(db_url, "tick", "--now", now, "--json", env=env)).json()  # type: ignore[no-any-return]

    assert "quota" not in tick("2026-05-31T08:00")["enqueued"]  # the window opens on 1 June
    assert tick("2026-06-01T08:00")["enqueued"]["quota"] == 1
    assert "quota" not in tick("2026-06-01T09:00")["enqueued"]
    assert "quota" not in tick("2026-07-15T08:00")["enqueued"]
    rows = [r for r in ok(hamkor(db_url, "outbox", "list", "--json", env=env)).json()
            if r["rule"] == "quota"]
    assert len(rows) == 1 and rows[0]["status"] == "sent" and rows[0]["to"] == "olga@uni.uz"
    mail = "\n".join(p.read_text() for p in (tmp_path / "mail").glob("*.eml") if "quota" in p.name)
    assert "less than half used in 2025/2026" in mail
    assert "incoming staff-teacher: 0 of 2 used" in mail


IMPORT_CSV = """kind,agreement,partner,direction,category,people,starts_on,ends_on,title,year,doi,names,amount,currency
mobility,AGR-2024-0001,,out,student-studies,2,2025-09-15,2026-02-10,,,,Aziz Karimov;Dilnoza R,,
visit,,Politecnico di Torino,in,,4,2025-10-02,,,,,,,
publication,AGR-2020-0001,,,,,,,Joint paper,2025,10.1000/abc,,,
project,AGR-2024-0001,,,,,2025-01-01,2027-12-31,Grant,,,,5000,EUR
"""


def test_import_records_every_row_once_and_export_round_trips(db_url: str, tmp_path: Path,
                                                               sqlite_template: Path) -> None:
    setup(db_url, tmp_path)
    path = tmp_path / "activities.csv"
    path.write_text(IMPORT_CSV)
    before = snapshot(db_url)
    dry = ok(cli(db_url, "activity", "import", str(path), "--dry-run", "--json")).json()
    assert (dry["created"], dry["skipped"]) == (4, 0) and snapshot(db_url) == before
    assert "would create 4" in ok(cli(db_url, "activity", "import", str(path), "--dry-run")).out
    assert "created 4" in ok(cli(db_url, "activity", "import", str(path))).out
    assert "created 0, updated 0, skipped 4" in ok(cli(db_url, "activity", "import", str(path))).out
    listed = ok(cli(db_url, "activity", "list", "--with-names", "--json")).json()
    assert [a["kind"] for a in listed] == ["mobility", "visit", "publication", "project"]
    assert listed[0]["names"] == ["Aziz Karimov", "Dilnoza R"] and listed[3]["amount"] == "5000.00"
    history = ok(cli(db_url, "activity", "show", str(listed[0]["id"]), "--json")).json()["history"]
    assert history[0]["event"] == "import" and "Aziz" not in history[0]["note"]

    # export without names leaves them out; with names keeps them; both round-trip
    plain, named = tmp_path / "plain.csv", tmp_path / "named.json"
    ok(cli(db_url, "activity", "export", str(plain)))
    assert "Aziz" not in plain.read_text() and "names" not in plain.read_text().splitlines()[0]
    ok(cli(db_url, "activity", "export", str(named), "--with-names"))
    agreements = tmp_path / "agreements.json"
    ok(cli(db_url, "export", str(agreements)))
    fresh = fresh_copy(db_url, sqlite_template, tmp_path)
    seed_people(fresh)
    ok(cli(fresh, "import", str(agreements), "--by", "olga@uni.uz"))
    ok(cli(fresh, "activity", "import", str(named)))
    again = ok(cli(fresh, "activity", "list", "--with-names", "--json")).json()
    assert again == listed


def fresh_copy(db_url: str, template: Path, tmp_path: Path) -> str:
    """An empty database of the same kind (PostgreSQL: this one, emptied)."""
    from tests.conftest import fresh_sqlite, truncate_pg

    if db_url.startswith("sqlite"):
        other = tmp_path / "other"
        other.mkdir()
        return fresh_sqlite(template, other)
    truncate_pg(db_url)
    return db_url


def test_a_bad_file_is_refused_with_every_error_by_row_and_column_and_nothing_written(
        db_url: str, tmp_path: Path) -> None:
    setup(db_url, tmp_path)
    path = tmp_path / "bad.csv"
    path.write_text(
        "kind,agreement,partner,direction,category,people,starts_on,ends_on,year,academic_year,doi\n"
        "mobility,AGR-2024-0001,,out,student-studies,2,2025-09-15,2026-02-10,,,\n"   # fine
        "trip,AGR-2024-0001,,,,,,,,,\n"                                              # row 3
        "mobility,AGR-2024-0001,,,student-studies,0,2025-09-15,2025-01-01,,,\n"      # row 4
        "publication,AGR-2020-0001,,,,,,,2025,2025/2024,11.x\n"                      # row 5
        "mobility,AGR-2019-0001,,out,student-studies,2,2025-09-15,2026-02-10,,,\n"   # row 6
        "visit,,Nowhere,in,,3,2025-10-01,,,,\n")                                     # row 7
    before = snapshot(db_url)
    r = cli(db_url, "activity", "import", str(path))
    assert r.code == 1  # type: ignore[attr-defined]
    lines = r.err.splitlines()  # type: ignore[attr-defined]
    assert lines[0].startswith("error: bad.csv: ") and "nothing was imported" in lines[0]
    errors = [line.strip() for line in lines[1:]]
    for expected in ("row 3, kind: 'trip' is not one of", "row 4, direction: a mobility needs",
                     "row 4, people: 0 must be at least 1", "row 4, ends_on: 2025-01-01 is before",
                     "row 5, academic_year: '2025/2024' is not an academic year",
                     "row 5, doi: '11.x' is not a DOI", "row 5, title: a publication needs",
                     "row 6, starts_on: AGR-2019-0001 ended on 2024-12-31",
                     "row 7, partner: no partner 'Nowhere'"):
        assert any(e.startswith(expected) for e in errors), (expected, errors)
    assert not any(e.startswith("row 2") for e in errors)
    assert snapshot(db_url) == before
    header = tmp_path / "header.csv"
    header.write_text("kind,colour\nvisit,red\n")
    r = cli(db_url, "activity", "import", str(header))
    assert "row 1, colour: unknown column" in r.err and snapshot(db_url) == before  # type: ignore[attr-defined]
    refused(cli(db_url, "activity", "import", str(path.with_suffix(".txt"))), "unknown file type")


def test_an_xlsx_file_imports_with_real_dates_and_numbers(db_url: str, tmp_path: Path) -> None:
    from datetime import datetime

    from openpyxl import Workbook

    setup(db_url, tmp_path)
    wb = Workbook()
    ws = wb.active
    ws.append(["Kind", "Ref", "Direction", "Category", "Participants", "Start", "End"])
    ws.append(["mobility", "AGR-2024-0001", "in", "staff-teaching", 3,
               datetime(2026, 3, 2), datetime(2026, 3, 6)])
    path = tmp_path / "activities.xlsx"
    wb.save(path)
    ok(cli(db_url, "activity", "import", str(path)))
    (a,) = ok(cli(db_url, "activity", "list", "--json")).json()
    assert (a["people"], a["starts_on"], a["days"], a["academic_year"]) == (3, "2026-03-02", 5, "2025/2026")
