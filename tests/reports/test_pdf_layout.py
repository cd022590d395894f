"""The PDF fits its pages: no box of the report runs past the right margin, in any
language (long Uzbek and Russian headers are the ones that push tables out)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from reports.render import render
from tests.reports.sample import sample_data

weasyprint = pytest.importorskip("weasyprint")

PLACES = [
    {"partner": "Politecnico di Torino", "hei_id": "polito.it", "country": "IT",
     "direction": direction, "student_studies": 6, "student_traineeship": 0,
     "staff_teacher": 2, "staff_training": 1, "total": 9,
     "agreements": ["AGR-2024-0001", "AGR-2025-0003"]}
    for direction in ("outgoing", "incoming")
]


def overflowing(page: Any) -> list[str]:
    """Visible boxes -- lines of text and table cells -- whose right edge lies beyond
    the page's content area (1 px of slack)."""
    root = page._page_box  # the laid-out page (WeasyPrint's box tree)
    right = root.margin_width() - root.margin_right - root.padding_right
    out = []
    for box in root.descendants():
        kind = type(box).__name__
        if kind not in ("TextBox", "TableCellBox"):
            continue
        edge = box.border_box_x() + box.border_width()
        if edge > right + 1:
            what = box.text if kind == "TextBox" else f"<{box.element_tag}>"
            out.append(f"{what[:40]!r} ends at {edge:.0f} px > {right:.0f} px")
    return out


@pytest.mark.parametrize("lang", ["en", "uz", "ru"])
def test_every_page_of_the_pdf_report_keeps_within_its_margins(lang: str) -> None:
    data = sample_data(mobility_places=PLACES)
    html, _ref = render("html", data, lang=lang, generated_at=datetime(2026, 2, 1, tzinfo=UTC))
    document = weasyprint.HTML(string=html.decode()).render()
    assert len(document.pages) >= 2
    problems = [f"page {n}: {p}" for n, page in enumerate(document.pages, 1)
                for p in overflowing(page)]
    assert problems == []
