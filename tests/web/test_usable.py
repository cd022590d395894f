"""The lifecycle diagram, the API docs and the forms' help read well on any screen."""

from __future__ import annotations

import html
import re
from itertools import combinations
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import new_draft, sign_in


def _segments(svg: str) -> list[tuple[float, float, float, float]]:
    out = []
    for d in re.findall(r'<path class="(?:step|end)" d="M([\d.]+),([\d.]+) L([\d.]+),([\d.]+)"', svg):
        out.append(tuple(float(v) for v in d))
    return out  # type: ignore[return-value]


def _cross(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Whether two segments cross at a point inside both (touching at an end is a joint)."""
    (x1, y1, x2, y2), (x3, y3, x4, y4) = a, b
    den = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4)
    if den == 0:
        return False
    ta = ((x1 - x3) * (y3 - y4) - (y1 - y3) * (x3 - x4)) / den
    tb = ((x1 - x3) * (y1 - y2) - (y1 - y3) * (x1 - x2)) / den
    return 0.001 < ta < 0.999 and 0.001 < tb < 0.999


@pytest.mark.parametrize("lang", ["en", "uz", "ru"])
def test_the_lifecycle_diagram_fits_a_phone_and_no_lines_cross(lang: str) -> None:
    from web.diagram import LEFT, WIDTH, svg
    from web.i18n import Translator
    from workflow.lifecycle import State

    t = Translator(lang, ZoneInfo("UTC"))
    drawing = svg(t)
    assert f'viewBox="0 0 {WIDTH} ' in drawing and WIDTH <= 400  # scales down to a 375 px screen
    for state in State:
        assert f">{html.escape(t.state(state.value))}</text>" in drawing
    segments = _segments(drawing)
    assert len(segments) > 15
    crossing = [(a, b) for a, b in combinations(segments, 2) if _cross(a, b)]
    assert crossing == []
    for x in re.findall(r'<path class="back" d="M[\d.]+,[\d.]+ C([\d.]+),', drawing):
        assert float(x) < LEFT  # steps back run left of the boxes
    for line in re.findall(r'<text class="label[^"]*" x="[\d.]+" y="[\d.]+" text-anchor="start">([^<]*)<', drawing):
        assert len(line) <= 30, line  # wrapped to the room beside the arrows


def test_the_crossing_check_sees_a_crossing() -> None:
    assert _cross((0, 5, 10, 5), (5, 0, 5, 10)) and not _cross((0, 5, 10, 5), (10, 5, 10, 20))


def test_api_docs_render_markdown_and_name_no_command(client: TestClient) -> None:
    sign_in(client, "vera@uni.uz")
    page = client.get("/api/docs").text
    visible = html.unescape(re.sub(r"<[^>]+>", " ", page))
    assert "`" not in visible and "**" not in visible
    assert not re.search(r"hamkor (?:agreement|user|activity|ewp)", visible) and " --" not in visible
    assert "<code>Authorization: Bearer hmk_...</code>" in page
    assert "(see README)" not in visible and not re.search(r"the same operation(?!s)", visible)
    assert "Missing or altered files are listed with the agreements and files that use them. The worker" in visible


def test_api_description_prose() -> None:
    from web.docs import prose

    assert str(prose("Position, as `hamkor agreement conditions remove REF N` takes it.")) == "Position."
    assert str(prose("Filters as `hamkor activity list`; `with_names` <b>")) == (
        "Filters as the Activities page; <code>with_names</code> &lt;b&gt;")
    assert str(prose("**Note**\n\nnext")) == "<strong>Note</strong></p><p>next"
    assert str(prose("`hamkor export`'s columns; `hamkor files verify`.")) == "The agreements download's columns."


@pytest.mark.parametrize(("path", "fields"), [
    ("/agreements/new", ["type", "owner", "department", "starts", "expires", "months", "renewal_months",
                         "notice_days", "notes", "on"]),
    ("/reports", ["r-year", "r-format", "r-lang", "r-department"]),
])
def test_non_obvious_fields_have_help_in_each_language(client: TestClient, path: str, fields: list[str]) -> None:
    from tests.web.conftest import post

    sign_in(client, "olga@uni.uz")
    for lang in ("en", "uz", "ru"):
        post(client, "/lang", {"lang": lang, "next": "/"})
        page = client.get(path).text
        for field in fields:
            m = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{field}"[^>]*aria-describedby="([^"]+)"', page)
            assert m, (lang, field)
            hint = re.search(rf'<p class="hint" id="{m.group(1)}">([^<]+)</p>', page)
            assert hint and len(hint.group(1)) > 15 and "." not in hint.group(1)[:2], (lang, field)


def test_correction_form_explains_department_and_forms(client: TestClient) -> None:
    from tests.web.conftest import post

    sign_in(client, "olga@uni.uz")
    ref = new_draft(client)
    post(client, f"/agreements/{ref}/events/submit")  # past draft: the edit page is the correction form
    post(client, "/lang", {"lang": "ru", "next": "/"})
    page = html.unescape(client.get(f"/agreements/{ref}/edit").text)
    assert "чтобы отчёты объединяли их" in page and "со старым и новым значением" in page
