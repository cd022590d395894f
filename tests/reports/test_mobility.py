"""The annual report's Erasmus+ mobility places (issue 11, item 7), on both databases.

Conditions are entered through the real CLI (`hamkor agreement conditions add`),
the data function must return the places per partner and direction for the
academic year that starts in the report year, and the html, md, xlsx (openpyxl)
and docx (python-docx) documents must show them in English and Russian; with no
conditions they say so in one line instead of printing an empty table.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import pytest

from models.database import make_engine, session_factory
from reports.data import annual_data, canonical_json
from reports.render import render
from tests.ewp.support import HOME, HOME_HEI, YEAR, add_condition, advance_to, agreement, seed

AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
ACADEMIC_YEAR = f"{YEAR}/{YEAR + 1}"
NONE = {"en": "No mobility places recorded.", "ru": "Места мобильности не записаны."}
HEADING = {"en": f"Erasmus+ mobility places, academic year {ACADEMIC_YEAR}",
           "ru": f"Места мобильности Erasmus+, {ACADEMIC_YEAR} учебный год"}
DIRECTIONS = {"en": ("Outgoing", "Incoming"), "ru": ("Исходящая", "Входящая")}
SHEET = {"en": "Mobility places", "ru": "Места мобильности"}


def _data(db_url: str, department: str | None = None, **kw: Any) -> dict[str, Any]:
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as s:
            return annual_data(s, YEAR, date.today(), department,
                               **{"institution": HOME, "institution_hei_id": HOME_HEI, **kw})
    finally:
        engine.dispose()


def _with_conditions(db_url: str) -> str:
    """An agreement in force with Politecnico di Torino (polito.it) and places both ways,
    and a draft whose places do not count."""
    seed(db_url)
    ref = agreement(db_url)
    add_condition(db_url, ref)  # outgoing, student studies, 2
    add_condition(db_url, ref, "--mobilities", "3", "--days", "5", kind="staff-teacher")
    add_condition(db_url, ref, "--mobilities", "4", "--months", "5",
                  sending="polito.it", receiving=HOME_HEI)
    add_condition(db_url, ref, "--mobilities", "1", "--days", "5", kind="staff-training",
                  sending="polito.it", receiving=HOME_HEI)
    advance_to(db_url, ref, "active")
    draft = agreement(db_url)
    add_condition(db_url, draft, "--mobilities", "9", kind="student-traineeship")
    return ref


def _expected(ref: str) -> list[dict[str, Any]]:
    common = {"partner": "Politecnico di Torino", "country": "IT", "hei_id": "polito.it",
              "academic_year": ACADEMIC_YEAR, "student_traineeship": 0, "agreements": [ref]}
    return [
        {**common, "direction": "outgoing", "student_studies": 2, "staff_teacher": 3,
         "staff_training": 0, "students": 2, "staff": 3, "total": 5},
        {**common, "direction": "incoming", "student_studies": 4, "staff_teacher": 0,
         "staff_training": 1, "students": 4, "staff": 1, "total": 5},
    ]


def _docx(content: bytes) -> tuple[list[str], list[list[list[str]]]]:
    import docx

    doc = docx.Document(io.BytesIO(content))
    return ([p.text for p in doc.paragraphs],
            [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables])


def test_places_per_partner_and_direction_in_the_data_and_every_document(db_url: str) -> None:
    ref = _with_conditions(db_url)

    data = _data(db_url)
    assert data["academic_year"] == ACADEMIC_YEAR
    assert data["mobility_places"] == _expected(ref)
    assert '"mobility_places":[' in canonical_json(data)  # in the data hash
    # by name alone too (the home institution's organisation carries the name)
    assert _data(db_url, institution_hei_id=None)["mobility_places"] == _expected(ref)
    # the department filter: none of this department's agreements has conditions
    assert _data(db_url, "Physics")["mobility_places"] == []
    # the places change the data hash
    without = _data(db_url, "Physics")
    assert without["data_hash"] != data["data_hash"]

    from openpyxl import load_workbook

    for lang in ("en", "ru"):
        out, inc = DIRECTIONS[lang]
        html = render("html", data, lang=lang, generated_at=AT)[0].decode()
        assert HEADING[lang] in html and NONE[lang] not in html
        section = html[html.index(HEADING[lang]):html.index('<section class="annex">')]
        assert section.count("<tr><td>Politecnico di Torino") == 2
        assert f"<td>{out}</td><td class=\"num\">2</td><td class=\"num\">0</td>" \
               f"<td class=\"num\">3</td><td class=\"num\">0</td>" \
               f"<td class=\"num\"><strong>5</strong></td><td class=\"ref\">{ref}</td>" in section
        assert f"<td>{inc}</td><td class=\"num\">4</td><td class=\"num\">0</td>" \
               f"<td class=\"num\">0</td><td class=\"num\">1</td>" in section

        md = render("md", data, lang=lang, generated_at=AT)[0].decode()
        assert f"| {out} | 2 | 0 | 3 | 0 | 5 | {ref} |" in md
        assert f"| {inc} | 4 | 0 | 0 | 1 | 5 | {ref} |" in md

        wb = load_workbook(io.BytesIO(render("xlsx", data, lang=lang, generated_at=AT)[0]))
        ws = wb[SHEET[lang]]
        rows = list(ws.iter_rows(values_only=True))
        assert len(rows) == 3 and ws.auto_filter.ref == "A1:M3" and ws.freeze_panes == "A2"
        assert ws["A1"].font.bold and ws["A1"].fill.fgColor.rgb.endswith("1F4E79")
        country = "Italy" if lang == "en" else "Италия"
        assert rows[1] == ("Politecnico di Torino", country, "polito.it", out, ACADEMIC_YEAR,
                           2, 0, 3, 0, 2, 3, 5, ref)
        assert rows[2] == ("Politecnico di Torino", country, "polito.it", inc, ACADEMIC_YEAR,
                           4, 0, 0, 1, 4, 1, 5, ref)
        assert all(isinstance(v, int) for v in rows[1][5:12])  # numbers, not text

        paragraphs, tables = _docx(render("docx", data, lang=lang, generated_at=AT)[0])
        assert any(HEADING[lang] in p for p in paragraphs)
        assert not any(NONE[lang] in p for p in paragraphs)
        [places] = [t for t in tables if t[0][0] and any(out in c for r in t for c in r)
                    and len(t[0]) == 9]
        assert [r[2:8] for r in places[1:]] == [[out, "2", "0", "3", "0", "5"],
                                                [inc, "4", "0", "0", "1", "5"]]
        assert places[1][0] == "Politecnico di Torino (polito.it)" and places[1][8] == ref


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_no_conditions_is_one_line_not_an_empty_table(db_url: str, lang: str) -> None:
    data = _data(db_url)
    assert data["mobility_places"] == [] and data["academic_year"] == ACADEMIC_YEAR

    html = render("html", data, lang=lang, generated_at=AT)[0].decode()
    section = html[html.index(HEADING[lang]):html.index('<section class="annex">')]
    assert NONE[lang] in section and "<table" not in section

    md = render("md", data, lang=lang, generated_at=AT)[0].decode()
    assert f"_{NONE[lang]}_" in md[md.index(HEADING[lang]):]

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(render("xlsx", data, lang=lang, generated_at=AT)[0]))
    assert list(wb[SHEET[lang]].iter_rows(values_only=True)) == [(NONE[lang],)]

    paragraphs, tables = _docx(render("docx", data, lang=lang, generated_at=AT)[0])
    start = next(i for i, p in enumerate(paragraphs) if HEADING[lang] in p)
    assert NONE[lang] in paragraphs[start + 1]
    assert not any(len(t[0]) == 9 for t in tables)  # no places table at all
