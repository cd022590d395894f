"""The report's one chart: agreements in force by partner country (pygal, inline SVG)."""

from __future__ import annotations

import re
from typing import Any

from reports.i18n import Formatter

TOP = 12
WIDTH, BAR_HEIGHT, PADDING = 720, 26, 50
PRIMARY = "#1f4e79"


def country_chart(by_country: list[dict[str, Any]], fmt: Formatter) -> str:
    """Horizontal bars, largest on top; countries past the 12th are summed as "Other"."""
    import pygal
    from pygal.style import Style

    top = by_country[:TOP]
    rest = sum(c["agreements"] for c in by_country[TOP:])
    labels = [fmt.country(c["country"]) for c in top]
    values = [c["agreements"] for c in top]
    if rest:
        labels.append(fmt.gettext("Other countries"))
        values.append(rest)
    # The count goes with the name: bar-end labels collide with short bars.
    labels = [f"{name}  {fmt.number(n)}" for name, n in zip(labels, values, strict=True)]
    style = Style(
        font_family="DejaVu Sans, Arial, sans-serif",
        background="white",
        plot_background="white",
        foreground="#333333",
        foreground_strong="#111111",
        foreground_subtle="#dddddd",
        colors=(PRIMARY,),
        label_font_size=11,
        major_label_font_size=11,
        value_font_size=10,
        value_colors=("#111111",),
        guide_stroke_color="#e3e8ef",
        major_guide_stroke_color="#e3e8ef",
        guide_stroke_dasharray="0",
        major_guide_stroke_dasharray="0",
        opacity="0.9",
        opacity_hover="0.9",
    )
    top_value = max(values, default=0)
    step = _step(top_value)
    chart = pygal.HorizontalBar(
        style=style,
        width=WIDTH,
        height=max(120, PADDING + BAR_HEIGHT * max(1, len(values))),
        show_legend=False,
        js=[],
        disable_xml_declaration=True,
        explicit_size=True,
        print_values=False,
        show_x_guides=False,
        show_y_guides=True,
        margin=6,
        margin_right=28,  # room for the last axis label
        spacing=6,
        truncate_label=40,
        formatter=fmt.number,
        value_formatter=fmt.number,
        no_data_text=fmt.gettext("No agreements in force"),
        include_x_axis=True,
        range=(0, max(step, -(-top_value // step) * step)),
        y_labels=list(range(0, max(step, -(-top_value // step) * step) + 1, step)),
        y_labels_major=[],  # pygal would draw powers of ten a second time, in bold
    )
    # pygal draws the first label at the bottom: reverse to put the largest on top.
    chart.x_labels = labels[::-1]
    chart.add(fmt.gettext("Agreements"), values[::-1])
    svg: str = chart.render(is_unicode=True)
    return _deterministic(svg)


def _step(top: int) -> int:
    """A round tick step giving at most ~8 whole-number ticks."""
    step = 1
    while top / step > 8:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if top / step <= 8:
                break
    return step


def _deterministic(svg: str) -> str:
    """Same data, same bytes, no script: drop pygal's JavaScript (interactive tooltips need
    it; a report does not), its dated comments, and its random chart id."""
    svg = re.sub(r"<script\b.*?</script>", "", svg, flags=re.S)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    for uid in set(re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", svg)):
        svg = svg.replace(f"chart-{uid}", "country-chart").replace(uid, "country-chart")
    return svg
