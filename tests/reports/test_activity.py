"""The annual report's cooperation activity sections against a hand-counted fixture, in
every format and language; the data hash covers activities; --department filters them;
participant names never reach a report."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_activity_cli import HOME, cli, setup
from tests.helpers import ok
from tests.reports.test_formats import docx_text, pdf_text

E2024, H2020 = "AGR-2024-0001", "AGR-2020-0001"  # Politecnico (Erasmus+ IIA), Hiroshima

ACTIVITIES: list[tuple[str, ...]] = [
    # M1: Erasmus+ students out, 2 people x 149 days = 298 person-days = 9.9 months; with names
    (E2024, "--kind", "mobility", "--direction", "out", "--category", "student-studies", "--people", "2",
     "--starts", "2025-09-15", "--ends", "2026-02-10", "--department", "Engineering",
     "--name", "Secret Student", "--name", "Other Secret"),
    # M2: staff out to Hiroshima (not Erasmus+: no days counted)
    (H2020, "--kind", "mobility", "--direction", "out", "--category", "staff-teaching", "--people", "1",
     "--starts", "2025-11-03", "--ends", "2025-11-07", "--department", "Engineering"),
    # M3: Erasmus+ staff in, 1 x 5 days
    (E2024, "--kind", "mobility", "--direction", "in", "--category", "staff-teaching", "--people", "1",
     "--starts", "2026-03-02", "--ends", "2026-03-06", "--department", "Economics"),
    # M4: students in from Hiroshima
    (H2020, "--kind", "mobility", "--direction", "in", "--category", "student-studies", "--people", "3",
     "--starts", "2026-02-01", "--ends", "2026-06-30", "--department", "Economics"),
    # M5: 2024/2025 -- not in the 2025 report
    (E2024, "--kind", "mobility", "--direction", "out", "--category", "student-studies", "--people", "5",
     "--starts", "2025-08-01", "--ends", "2025-08-30"),
    ("--partner", "Politecnico di Torino", "--kind", "visit", "--direction", "in", "--people", "4",
     "--date", "2025-10-02", "--purpose", "Rector's delegation", "--department", "International Office"),
    (H2020, "--kind", "event", "--title", "Robotics week", "--date", "2026-03-10", "--place", "Tashkent",
     "--participants", "120"),
    (E2024, "--kind", "project", "--title", "Grant A", "--amount", "1000.50", "--currency", "EUR",
     "--starts", "2025-10-01"),
    ("--partner", "Hiroshima University", "--kind", "project", "--title", "Grant B", "--amount", "2000",
     "--currency", "EUR", "--starts", "2026-01-15"),
    (H2020, "--kind", "project", "--title", "Grant C", "--amount", "5000", "--currency", "USD",
     "--starts", "2025-12-01", "--role", "coordinator"),
    (H2020, "--kind", "publication", "--title", "Joint paper", "--year", "2025", "--doi", "10.1000/abc"),
]
REMOVED = (E2024, "--kind", "mobility", "--direction", "out", "--category", "student-studies",
           "--people", "9", "--starts", "2025-10-01", "--ends", "2025-12-01")
LANGS = {"en": ("Visits and delegations", "Students out"),
         "uz": ("Tashriflar va delegatsiyalar", "Ketgan talabalar"),
         "ru": ("Визиты и делегации", "Исходящие студенты")}


@pytest.fixture
def activity_db(db_url: str, tmp_path: Path) -> str:
    setup(db_url, tmp_path)
    ok(cli(db_url, "agreement", "conditions", "add", E2024, "--kind", "student-studies", "--from", HOME,
           "--to", "Politecnico di Torino", "--years", "2025/2026", "--mobilities", "4", "--months", "20",
           "--language", "en:B2"))
    ok(cli(db_url, "agreement", "conditions", "add", E2024, "--kind", "staff-teacher",
           "--from", "Politecnico di Torino", "--to", HOME, "--years", "2025/2026", "--mobilities", "3",
           "--days", "15", "--language", "en:C1"))
    for args in ACTIVITIES:
        ok(cli(db_url, "activity", "add", *args))
    removed = ok(cli(db_url, "activity", "add", *REMOVED, "--json")).json()  # type: ignore[attr-defined]
    ok(cli(db_url, "activity", "remove", str(removed["id"]), "--reason", "entered by mistake"))
    return db_url


def report(db: str, out: Path, *args: str) -> dict[str, Any]:
    rec: dict[str, Any] = ok(cli(db, "report", "annual", "2025", "-o", str(out), "--json", *args)).json()  # type: ignore[attr-defined]
    return rec


def test_the_sections_match_the_hand_count(activity_db: str) -> None:
    from datetime import date

    from sqlalchemy.orm import Session

    from models.database import make_engine
    from reports.data import annual_data

    engine = make_engine(activity_db)
    with Session(engine) as s:
        d = annual_data(s, 2025, date(2026, 12, 3), institution=HOME)
    engine.dispose()
    assert d["academic_year"] == "2025/2026"
    s = d["summary"]
    assert (s["students_out"], s["students_in"], s["staff_out"], s["staff_in"]) == (2, 3, 1, 1)
    assert [(m["direction"], m["category"], m["people"], m["erasmus_people"], m["months"], m["days"])
            for m in d["mobility_by_category"]] == [
        ("outgoing", "student-studies", 2, 2, 9.9, 0), ("outgoing", "staff-teaching", 1, 0, 0.0, 0),
        ("incoming", "student-studies", 3, 0, 0.0, 0), ("incoming", "staff-teaching", 1, 1, 0.0, 5)]
    assert [(m["direction"], m["country"], m["people"]) for m in d["mobility_by_country"]] == [
        ("outgoing", "IT", 2), ("outgoing", "JP", 1), ("incoming", "JP", 3), ("incoming", "IT", 1)]
    assert [(m["direction"], m["partner"], m["people"]) for m in d["mobility_by_partner"]] == [
        ("outgoing", "Politecnico di Torino", 2), ("outgoing", "Hiroshima University", 1),
        ("incoming", "Hiroshima University", 3), ("incoming", "Politecnico di Torino", 1)]
    assert [(v["date"].isoformat(), v["direction"], v["partner"], v["people"], v["agreement"])
            for v in d["visits"]] == [("2025-10-02", "incoming", "Politecnico di Torino", 4, None)]
    assert [(e["title"], e["people"], e["agreement"]) for e in d["events"]] == [("Robotics week", 120, H2020)]
    assert [p["title"] for p in d["projects"]] == ["Grant A", "Grant C", "Grant B"]
    assert d["funding"] == [{"currency": "EUR", "amount": "3000.50", "projects": 2},
                            {"currency": "USD", "amount": "5000.00", "projects": 1}]
    assert [(p["title"], p["doi"]) for p in d["publications"]] == [("Joint paper", "10.1000/abc")]
    assert [(q["agreement"], q["direction"], q["kind"], q["agreed"], q["used"], q["gap"], q["under_used"])
            for q in d["quota_utilisation"]] == [
        (E2024, "outgoing", "student-studies", 4, 2, 2, False),
        (E2024, "incoming", "staff-teacher", 3, 1, 2, True)]
    assert {r["department"]: (r["mobility_out"], r["mobility_in"], r["visits"], r["events"],
                              r["projects"], r["publications"], r["activities"])
            for r in d["activity_by_department"]} == {
        "Engineering": (3, 0, 0, 0, 0, 0, 2), "Economics": (0, 4, 0, 0, 0, 0, 2),
        "International Office": (0, 0, 1, 0, 0, 0, 1), None: (0, 0, 0, 1, 3, 1, 5)}
    by_ref = {r["ref"]: r for r in d["agreements"]}
    assert (by_ref[E2024]["mobility_out"], by_ref[E2024]["mobility_in"], by_ref[E2024]["projects"]) == (2, 1, 1)
    assert (by_ref[H2020]["mobility_out"], by_ref[H2020]["mobility_in"], by_ref[H2020]["events"],
            by_ref[H2020]["projects"], by_ref[H2020]["publications"]) == (1, 3, 1, 1, 1)


def test_every_format_and_language_carries_the_sections_and_no_name(activity_db: str, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    hashes = set()
    for lang, (heading, figure) in LANGS.items():
        for fmt in ("html", "md", "csv", "xlsx", "docx", "pdf"):
            out = tmp_path / f"r-{lang}.{fmt}"
            hashes.add(report(activity_db, out, "--format", fmt, "--lang", lang)["data_hash"])
            if fmt in ("html", "md"):
                text = out.read_text(encoding="utf-8")
            elif fmt == "csv":
                text = out.read_text(encoding="utf-8-sig")
            elif fmt == "docx":
                paragraphs, tables, _ = docx_text(out)
                text = "\n".join(paragraphs + [" | ".join(c) for t in tables for c in t])
            elif fmt == "pdf":
                text = " ".join(pdf_text(out)[1].split())  # table cells wrap
            else:
                wb = load_workbook(out)
                text = "\n".join(" | ".join("" if v is None else str(v) for v in row)
                                 for ws in wb.worksheets for row in ws.iter_rows(values_only=True))
            assert "Secret" not in text, (lang, fmt)  # names never reach a report
            if fmt == "csv":
                rows = list(csv.reader(io.StringIO(text)))
                row = dict(zip(rows[0], next(r for r in rows if r[0] == H2020), strict=True))
                assert list(row.values())[-6:] == ["1", "3", "0", "1", "1", "1"], (lang, row)
                continue
            for needle in ("Robotics week", "Grant C", "10.1000/abc", "2025/2026"):
                assert needle in text, (lang, fmt, needle)
            if fmt != "pdf":  # pdftotext may break a heading over lines
                assert figure in text, (lang, fmt)
            if fmt in ("html", "md", "docx"):
                assert heading in text, (lang, fmt)
            if fmt == "xlsx":
                wb = load_workbook(out)
                quota = list(wb.worksheets[-2].iter_rows(values_only=True))
                assert quota[1][0] == E2024 and quota[1][4:7] == (4, 2, 2), quota
                assert quota[2][4:7] == (3, 1, 2)
    assert len(hashes) == 1  # one data, every format and language


def test_the_data_hash_covers_activities_and_department_filters_them(activity_db: str,
                                                                    tmp_path: Path) -> None:
    first = report(activity_db, tmp_path / "a.html")
    ok(cli(activity_db, "activity", "edit", "1", "--people", "3"))
    second = report(activity_db, tmp_path / "b.html")
    assert first["data_hash"] != second["data_hash"]
    eng = report(activity_db, tmp_path / "eng.md", "--format", "md", "--department", "engineering")
    text = (tmp_path / "eng.md").read_text()
    assert eng["summary"]["students_out"] == 3 and eng["summary"]["staff_out"] == 1
    assert eng["summary"]["students_in"] == 0 and "Robotics week" not in text
