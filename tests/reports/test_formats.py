"""`hamkor report annual|list` on the crafted history: every format opened back and read.

The documents are read with the libraries a user's tools would use (openpyxl,
python-docx, pypdf, the csv module) and must show the crafted numbers, in the
language asked for, with the footer that makes the report reproducible.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import hamkor, ok, refused, seed_people
from tests.reports.crafted import REFS
from tests.reports.fixtures import crafted_db, crafted_sqlite_file  # noqa: F401 - fixtures

TEMPLATES = Path(__file__).resolve().parents[2] / "reports" / "templates"
FORMATS = ("html", "md", "csv", "xlsx", "docx", "pdf")
REPORT_KEYS = {"id", "year", "format", "lang", "template", "template_sha256", "data_hash",
               "generated_at", "path"}


def generate(db: str, out: Path, *args: str) -> dict[str, Any]:
    rec: dict[str, Any] = ok(hamkor(db, "report", "annual", "2024", "-o", str(out), "--json",
                                    *args)).json()
    assert Path(rec["path"]) == out.absolute() and out.is_file()
    return rec


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pdf_text(path: Path) -> tuple[int, str]:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def docx_text(path: Path) -> tuple[list[str], list[list[list[str]]], str]:
    import docx

    doc = docx.Document(str(path))
    paragraphs = [p.text for p in doc.paragraphs]
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    footer = "\n".join(p.text for p in doc.sections[0].footer.paragraphs)
    return paragraphs, tables, footer


def test_every_format_is_written_recorded_and_listed(crafted_db: str, tmp_path: Path) -> None:  # noqa: F811
    recs = {fmt: generate(crafted_db, tmp_path / f"annual.{fmt}", "--format", fmt)
            for fmt in FORMATS}
    data_hash = recs["html"]["data_hash"]
    assert {r["data_hash"] for r in recs.values()} == {data_hash}  # one data, six documents

    html = (tmp_path / "annual.html").read_text(encoding="utf-8")
    assert "<h1>Annual report on international cooperation</h1>" in html
    assert "<svg" in html and "Japan  1" in html  # the country chart, inline
    assert "Situation on December 31, 2024" in html
    assert f"sha256 {data_hash}" in html
    assert f"builtin:annual.html (sha256 {sha256(TEMPLATES / 'annual.html')})" in html
    assert recs["html"]["template"] == "builtin:annual.html"
    assert recs["html"]["template_sha256"] == sha256(TEMPLATES / "annual.html")
    assert ">AGR-2022-0001 → AGR-2024-0001<" in html  # the late renewal
    assert ">61<" in html  # its coverage gap, in days

    md = (tmp_path / "annual.md").read_text(encoding="utf-8")
    assert md.startswith("# Annual report on international cooperation 2024\n")
    assert "| AGR-2024-0001 | Hiroshima exchange | Hiroshima University | Academic exchange | " \
           "25 May 2024 | 1 Jun 2024 | 31 May 2027 |" in md
    assert "| Agreements in force | 6 |" in md
    assert f"sha256 `{data_hash}`" in md

    raw = (tmp_path / "annual.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the BOM as UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert sorted(r["Ref."] for r in rows) == sorted(
        REFS[x] for x in ("A", "B", "C", "D", "E", "F", "G", "J", "K", "X"))
    by_ref = {r["Ref."]: r for r in rows}
    # Renewed (its successor came into force) and expired (the successor came late).
    assert by_ref[REFS["A"]]["Classification"] == \
        "In force at the start of the year; Renewed in the year; Expired in the year"
    assert by_ref[REFS["A"]]["Last day in force"] == "2024-03-31"
    assert by_ref[REFS["B"]]["Coverage gap (days)"] == "61"
    assert by_ref[REFS["B"]]["State at year end"] == "In force"
    assert by_ref[REFS["E"]]["Expiring"] == "yes" and by_ref[REFS["E"]]["Until"] == "2024-12-31"
    assert by_ref[REFS["F"]]["Problems"] == ("No start date; No expiry date; No owner; "
                                            "Partner without country (Nowhere Institute)")

    check_xlsx(tmp_path / "annual.xlsx", data_hash)

    paragraphs, tables, footer = docx_text(tmp_path / "annual.docx")
    assert "Annual report on international cooperation" in paragraphs
    assert "2024" in paragraphs and "Situation on December 31, 2024" in paragraphs
    assert "4. Agreements signed in 2024" in paragraphs
    signed = next(t for t in tables if t[0][:2] == ["Ref.", "Title"] and t[0][4] == "Signed on")
    assert [r[0] for r in signed[1:]] == [REFS[x] for x in ("C", "J", "B", "K", "G")]
    assert signed[3][4] == "25 May 2024"
    figures = dict(r for r in tables[0][1:])
    assert figures["Agreements in force"] == "6" and figures["Coverage gaps"] == "1"
    assert f"sha256 {data_hash}" in footer and "Format docx" in footer
    everything = "\n".join(paragraphs) + str(tables) + footer
    assert "{{" not in everything and "{%" not in everything

    pages, text = pdf_text(tmp_path / "annual.pdf")
    assert pages >= 3
    for needle in ("Annual report on international cooperation", "AGR-2024-0001",
                   "AGR-2024-0003", "Coverage gaps", data_hash[:12], f"Page 1 / {pages}"):
        assert needle in text, needle

    listed = ok(hamkor(crafted_db, "report", "list", "--json")).json()
    assert [r["format"] for r in listed] == list(FORMATS)
    for r in listed:
        assert set(r) >= REPORT_KEYS
        assert {k: r[k] for k in REPORT_KEYS} == {k: recs[r["format"]][k] for k in REPORT_KEYS}
        assert datetime.fromisoformat(r["generated_at"]).utcoffset() is not None
    assert listed[2]["template"] == "builtin:csv" and len(listed[2]["template_sha256"]) == 64
    text_list = ok(hamkor(crafted_db, "report", "list")).out
    assert str(tmp_path / "annual.pdf") in text_list and data_hash[:12] in text_list

    # A department's report: only its agreements, and recorded as such.
    rec = generate(crafted_db, tmp_path / "ce.md", "--format", "md",
                   "--department", "Computer Engineering")
    md = (tmp_path / "ce.md").read_text(encoding="utf-8")
    assert "Department: **Computer Engineering**" in md
    assert REFS["B"] in md and REFS["C"] not in md and REFS["K"] not in md
    assert rec["department"] == "Computer Engineering" and rec["data_hash"] != data_hash
    assert recs["md"]["department"] is None


def check_xlsx(path: Path, data_hash: str) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    assert wb.sheetnames == ["Summary", "In force", "Signed", "Renewals", "Expired", "Terminated",
                             "New partners", "Expiring", "Coverage gaps", "Data quality",
                             "Countries", "Kinds of partner", "Types", "Forms", "Departments",
                             "Mobility places", "Mobility by category", "Mobility by country",
                             "Mobility by partner", "Visits", "Events", "Projects", "Funding",
                             "Publications", "Quota utilisation", "Activity by department"]
    # no cooperation conditions in the crafted history: one line, no empty table
    assert list(wb["Mobility places"].iter_rows(values_only=True)) == [
        ("No mobility places recorded.",)]
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r and r[0]}
    assert summary["Agreements in force"] == 6 and isinstance(summary["Agreements in force"], int)
    assert summary["Coverage gaps"] == 1
    assert summary["Report day"] == datetime(2024, 12, 31)
    assert summary["Data hash"] == f"sha256 {data_hash}"
    for ws in wb:  # printed on every page of every sheet
        assert f"Data hash {data_hash[:12]}" in ws.oddFooter.left.text
    signed = wb["Signed"]
    header = [c.value for c in signed[1]]
    assert header == ["Ref.", "Title", "Partners", "Countries", "Type", "Department", "Signed on",
                      "From", "Until"]
    assert signed["A1"].font.bold and signed["A1"].fill.fgColor.rgb.endswith("1F4E79")
    assert signed.auto_filter.ref == "A1:I6" and signed.freeze_panes == "A2"
    first = [c.value for c in signed[2]]
    assert first[0] == REFS["C"] and first[6] == datetime(2024, 1, 15)
    assert signed["G2"].number_format == "d mmm yyyy"
    gaps = wb["Coverage gaps"]
    assert [c.value for c in gaps[2]][:7] == [REFS["A"], REFS["B"], "Hiroshima exchange",
                                              "Hiroshima University", datetime(2024, 4, 1),
                                              datetime(2024, 5, 31), 61]
    countries = [(r[1], r[2]) for r in wb["Countries"].iter_rows(min_row=2, values_only=True)]
    assert countries == [("CN", 1), ("DE", 1), ("IT", 1), ("JP", 1), ("KZ", 1), (None, 1)]
    assert wb["In force"].max_row == 7  # header + the six agreements in force


LANGUAGES = (
    ("uz", "Xalqaro hamkorlik boʻyicha yillik hisobot", "Asosiy koʻrsatkichlar", "31-dekabr, 2024"),
    ("ru", "Годовой отчёт о международном сотрудничестве", "Основные показатели",
     "31 декабря 2024"),
)


def test_every_document_is_translated(crafted_db: str, tmp_path: Path) -> None:  # noqa: F811
    from openpyxl import load_workbook

    for lang, title, label, date_text in LANGUAGES:
        for fmt in ("html", "md", "docx", "xlsx", "csv", "pdf"):
            generate(crafted_db, tmp_path / f"{lang}.{fmt}", "--format", fmt, "--lang", lang)
        html = (tmp_path / f"{lang}.html").read_text(encoding="utf-8")
        assert f'<html lang="{lang}">' in html and title in html and label in html
        assert date_text in html
        for english in ("Key figures", "Agreements in force", "Coverage gaps", "Japan"):
            assert english not in html, (lang, english)
        md = (tmp_path / f"{lang}.md").read_text(encoding="utf-8")
        assert md.startswith(f"# {title} 2024") and "Key figures" not in md
        paragraphs, _tables, footer = docx_text(tmp_path / f"{lang}.docx")
        assert title in paragraphs and f"1. {label}" in paragraphs
        assert "Key figures" not in "\n".join(paragraphs) and "Data hash" not in footer
        sheets = load_workbook(tmp_path / f"{lang}.xlsx").sheetnames
        assert "Summary" not in sheets and len(set(sheets)) == 26  # summary + 25 lists
        assert all(len(s) <= 31 for s in sheets)
        header = (tmp_path / f"{lang}.csv").read_text(encoding="utf-8-sig").splitlines()[0]
        assert "Ref." not in header and "Classification" not in header
        _pages, text = pdf_text(tmp_path / f"{lang}.pdf")
        assert title.split()[0] in text and "Key figures" not in text


def test_an_empty_database_gives_a_report_of_zeros_in_every_format(db_url: str,
                                                                   tmp_path: Path) -> None:
    for fmt in FORMATS:
        rec = generate(db_url, tmp_path / f"empty.{fmt}", "--format", fmt)
        assert rec["summary"]["active"] == 0 and rec["summary"]["agreements"] == 0
    html = (tmp_path / "empty.html").read_text(encoding="utf-8")
    assert "None." in html and "<svg" not in html
    _paragraphs, tables, _footer = docx_text(tmp_path / "empty.docx")
    assert all(len(t) == 1 for t in tables[1:])  # header rows only
    assert len(ok(hamkor(db_url, "report", "list", "--json")).json()) == len(FORMATS)


@pytest.mark.parametrize("args, needle", [
    (["20x4"], "year '20x4' is not a year"),
    (["2999"], "year 2999 is in the future"),
    (["1850"], "year 1850 is before 1900"),
    (["2024", "--format", "odt"], "format 'odt' is not one of html, md, csv, xlsx, docx, pdf"),
    (["2024", "--lang", "fr"], "language 'fr' is not one of en, uz, ru"),
    (["2024", "--format", "csv", "--template", "t.html"], "--template is for html, md, pdf and docx"),
    (["2024", "--template", "missing.html"], "template missing.html does not exist"),
    (["2024", "--format", "docx", "--template", "t.html"], "needs a Word .docx file"),
    (["2024", "-o", "no/such/dir/r.html"], "does not exist"),
])
def test_bad_input_is_one_error_line_and_nothing_is_recorded(
        db_url: str, tmp_path: Path, args: list[str], needle: str) -> None:
    seed_people(db_url)
    (tmp_path / "t.html").write_text("{{ year }}", encoding="utf-8")
    refused(hamkor(db_url, "report", "annual", *args), needle)
    assert ok(hamkor(db_url, "report", "list", "--json")).json() == []
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".db" and
                  not p.name.startswith("hamkor.db")) == ["t.html"]
