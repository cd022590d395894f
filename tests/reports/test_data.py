"""The annual report's numbers on a crafted history entered through the CLI (both databases).

The history (tests/reports/crafted.py) is back-dated: every event was entered
today but happened in 2019-2025, and the tick replayed the automatic ones.
The report must count each event in the year it happened.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from models.database import make_engine
from reports.data import annual_data
from tests.helpers import hamkor, ok
from tests.reports.crafted import EXPECTED_2024, OFFICER, REFS
from tests.reports.fixtures import crafted_db, crafted_sqlite_file  # noqa: F401 - fixtures

LETTER = {ref: letter for letter, ref in REFS.items()}
TODAY = date(2026, 11, 23)  # any day after 2025: the years asked are over


@pytest.fixture
def session(crafted_db: str) -> Iterator[Session]:  # noqa: F811 - the fixture above
    engine = make_engine(crafted_db)
    with Session(engine) as s:
        yield s
    engine.dispose()


def data(s: Session, year: int, department: str | None = None) -> dict[str, Any]:
    return annual_data(s, year, TODAY, department, institution="Home University")


def letters(rows: list[dict[str, Any]]) -> list[str]:
    return [LETTER[r["ref"]] for r in rows]


def iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def test_2024_counts_every_event_in_the_year_it_happened(session: Session,
                                                         crafted_db: str) -> None:  # noqa: F811
    d = data(session, 2024)
    e = EXPECTED_2024
    assert d["period"] == {"start": date(2024, 1, 1), "end": date(2024, 12, 31),
                           "partial": False, "expiring_until": date(2025, 12, 31)}
    assert d["summary"] == e["summary"]
    assert sorted(letters(d["agreements"])) == e["register"]
    assert sorted(letters(d["active"])) == e["active"]
    assert sorted(LETTER[r["ref"]] for r in d["agreements"] if r["active_at_start"]) == \
        e["active_at_start"]
    assert [(LETTER[r["ref"]], iso(r["signed_on"])) for r in d["signed"]] == e["signed"]
    assert [(LETTER[r["ref"]], r["how"], iso(r["on"]), r["successor"] and LETTER[r["successor"]],
             iso(r["expires_on"])) for r in d["renewed"]] == e["renewed"]
    assert [(LETTER[r["ref"]], iso(r["last_day"])) for r in d["expired"]] == e["expired"]
    assert [(LETTER[r["ref"]], iso(r["last_day"]), r["termination_note"])
            for r in d["terminated"]] == e["terminated"]
    assert [(p["name"], p["country"], iso(p["since"]), LETTER[p["ref"]])
            for p in d["new_partners"]] == e["new_partners"]
    assert [(LETTER[r["ref"]], iso(r["ends_on"] or r["expires_on"]), r["renews_automatically"])
            for r in d["expiring"]] == e["expiring"]
    assert [(LETTER[g["predecessor"]], LETTER[g["successor"]], iso(g["from"]), iso(g["to"]),
             g["days"]) for g in d["gaps"]] == e["gaps"]
    assert {LETTER[r["ref"]]: [p["code"] for p in r["problems"]] for r in d["quality"]} == \
        e["quality"]
    for key, field in (("by_country", "country"), ("by_kind", "kind"), ("by_type", "type"),
                       ("by_form", "form"), ("by_department", "department")):
        assert [(c[field], c["agreements"]) for c in d[key]] == e[key], key

    # Siemens renewed tacitly again on 2025-01-01: on 31 Dec 2024 it still expired that day.
    siemens = next(r for r in d["agreements"] if r["ref"] == REFS["E"])
    assert siemens["expires_on"] == date(2024, 12, 31)
    assert siemens["renews_automatically"] and siemens["state"] == "renewal_due"
    stored = ok(hamkor(crafted_db, "agreement", "show", REFS["E"], "--json")).json()
    assert stored["expires_on"] == "2025-12-31" and stored["term"] == 3


def test_the_years_before_and_after_are_seen_as_they_were(session: Session) -> None:
    d = data(session, 2023)
    assert sorted(letters(d["active"])) == ["A", "D", "E"]
    # Torino signed on 2023-12-20 but the home university only on 2024-01-15.
    assert letters(d["signed"]) == ["D"]
    torino = next(r for r in d["agreements"] if r["ref"] == REFS["C"])
    assert torino["state"] == "awaiting_signatures" and not torino["signed_in_year"]
    assert [(LETTER[r["ref"]], iso(r["last_day"])) for r in d["expired"]] == [("I", "2023-05-31")]
    assert [(p["name"], iso(p["since"])) for p in d["new_partners"]] == [
        ("Politecnico di Torino", "2023-12-20"),
        ("Seoul National University of Science and Technology", "2023-02-01"),
    ]
    # The withdrawn draft closed during 2023: in that year's register, not in 2024's.
    assert "W" in letters(d["agreements"])
    assert [(LETTER[r["ref"]], r["how"], iso(r["on"])) for r in d["renewed"]] == []
    assert d["summary"]["active_at_start"] == 2  # I and A on 31 Dec 2022 (E started 2023)

    # 2025: the second tacit renewal, and the grant that ended.
    d = data(session, 2025)
    assert [(LETTER[r["ref"]], r["how"], iso(r["on"]), iso(r["expires_on"]))
            for r in d["renewed"]] == [("E", "tacit", "2025-01-01", "2025-12-31")]
    assert [(LETTER[r["ref"]], iso(r["last_day"])) for r in d["expired"]] == [("K", "2025-07-31")]
    assert letters(d["expiring"]) == ["E", "J", "G"]
    assert d["gaps"] == [] and d["new_partners"] == []
    assert "A" not in letters(d["agreements"])  # expired in 2024: closed before 2025


def test_a_department_report_counts_only_that_departments_agreements(
        session: Session, crafted_db: str) -> None:  # noqa: F811
    ok(hamkor(crafted_db, "agreement", "create", "--title", "Физика плазмы", "--partner",
              "Hiroshima University", "--type", "research", "--owner", OFFICER, "--by", OFFICER,
              "--department", "Кафедра физики", "--on", "2024-05-01"))
    # Case does not matter, in any alphabet (SQLite's lower() knows only ASCII).
    physics = data(session, 2024, "КАФЕДРА ФИЗИКИ")
    assert [r["title"] for r in physics["agreements"]] == ["Физика плазмы"]
    assert physics["department"] == "КАФЕДРА ФИЗИКИ" and physics["active"] == []

    d = data(session, 2024, "  computer ENGINEERING ")
    assert d["department"] == "computer ENGINEERING"
    assert sorted(letters(d["agreements"])) == ["A", "B", "E"]
    assert sorted(letters(d["active"])) == ["B", "E"]
    assert [(c["department"], c["agreements"]) for c in d["by_department"]] == \
        [("Computer Engineering", 2)]
    assert [(LETTER[g["predecessor"]], LETTER[g["successor"]]) for g in d["gaps"]] == [("A", "B")]
    assert d["new_partners"] == []
    assert d["summary"]["signed"] == 1 and d["summary"]["renewed"] == 2


def test_the_data_hash_changes_with_the_data_and_only_with_it(session: Session,
                                                               crafted_db: str) -> None:  # noqa: F811
    first = data(session, 2024)
    assert data(session, 2024)["data_hash"] == first["data_hash"]
    ok(hamkor(crafted_db, "report", "annual", "2024", "--format", "md", "-o", "r.md"))
    session.rollback()  # a new transaction sees the new rows
    assert data(session, 2024)["data_hash"] == first["data_hash"]  # a report is not data
    assert data(session, 2023)["data_hash"] != first["data_hash"]
    # A back-dated notice in 2024 changes the 2024 data, not the 2023 data.
    before_2023 = data(session, 2023)["data_hash"]
    ok(hamkor(crafted_db, "agreement", "advance", REFS["J"], "give_notice", "--by", OFFICER,
              "--on", "2024-11-15", "--effective", "2025-06-30",
              "--note", "replaced by a new programme"))
    session.rollback()  # a new transaction sees the new rows
    changed = data(session, 2024)
    assert changed["data_hash"] != first["data_hash"]
    assert data(session, 2023)["data_hash"] == before_2023
    shandong = next(r for r in changed["agreements"] if r["ref"] == REFS["J"])
    assert shandong["notice_given_on"] == date(2024, 11, 15)
    assert shandong["ends_on"] == date(2025, 6, 30)
    assert "J" in letters(changed["expiring"]) and "J" not in letters(first["expiring"])
