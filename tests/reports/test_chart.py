"""The country chart: one inline SVG, largest first, the rest summed, no script."""

from __future__ import annotations

import re

from reports.chart import TOP, country_chart
from reports.i18n import Formatter


def counts(n: int) -> list[dict[str, object]]:
    codes = ["RU", "KZ", "KR", "CN", "TR", "DE", "JP", "IT", "US", "GB", "FR", "KG", "TJ", "BY",
             "IN", "PL"][:n]
    return [{"country": c, "agreements": 100 - i, "partners": 1} for i, c in enumerate(codes)]


def labels(svg: str) -> list[str]:
    return re.findall(r'<text[^>]*class="[^"]*"[^>]*>([^<]*  [0-9][^<]*)</text>', svg)


def test_the_twelve_largest_countries_are_drawn_and_the_rest_summed() -> None:
    svg = country_chart(counts(16), Formatter("en"))
    shown = labels(svg)
    assert len(shown) == TOP + 1
    assert "Russia  100" in shown and "Kyrgyzstan  89" in shown
    assert f"Other countries  {88 + 87 + 86 + 85}" in shown  # TJ, BY, IN, PL
    assert "Tajikistan" not in svg


def test_the_chart_speaks_the_language_and_is_the_same_for_the_same_data() -> None:
    ru = country_chart(counts(3) + [{"country": None, "agreements": 1, "partners": 1}],
                       Formatter("ru"))
    assert "Россия  100" in ru and "Страна не указана  1" in ru
    assert ru == country_chart(counts(3) + [{"country": None, "agreements": 1, "partners": 1}],
                               Formatter("ru"))
    assert "<script" not in ru and "<!--" not in ru
    assert re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", ru) is None  # no random chart id
    assert ru.startswith("<svg")
