"""In headless Chromium against a real `hamkor serve` (with the home institution's hei-id):
an officer adds cooperation conditions to an active agreement and sees the amendment with
the old and the new iia-hash, at phone width; an import with one bad row shows the row's
error and changes nothing, then a good file imports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import hamkor, ok
from tests.web.browser import PASSWORD, active_agreement, serve, shot, sign_in

pytestmark = pytest.mark.slow
HOME = "Turin Polytechnic University in Tashkent"
ENV = {"HAMKOR_INSTITUTION": HOME, "HAMKOR_INSTITUTION_HEI_ID": "polito.uz"}


@pytest.fixture
def server(sqlite_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """`hamkor serve` as in test_browser, with HAMKOR_INSTITUTION_HEI_ID set (hashes)."""
    for email, name, role in [("olga@uni.uz", "Olga Karimova", "officer"),
                              ("anvar@uni.uz", "Anvar Rashidov", "approver")]:
        ok(hamkor(sqlite_url, "user", "add", email, "--name", name, "--role", role))
        ok(hamkor(sqlite_url, "user", "set-password", email, "--password-stdin", input=PASSWORD + "\n"))
    ok(hamkor(sqlite_url, "partner", "add", "Hiroshima University", "--country", "JP"))
    ok(hamkor(sqlite_url, "partner", "add", "Politecnico di Torino", "--country", "IT",
              "--hei-id", "polito.it"))
    with serve(sqlite_url, tmp_path, ENV) as srv:
        yield srv


def no_sideways_scroll(page: Any, path: str) -> None:
    overflow = page.evaluate("Math.max(document.documentElement.scrollWidth, "
                             "...[...document.querySelectorAll('body *')].map("
                             "e => e.getBoundingClientRect().right)) - 375")
    wide = page.evaluate("[...document.querySelectorAll('body *')].filter(e => "
                         "e.getBoundingClientRect().right > 375 || e.scrollWidth > 375).slice(0, 8).map(e => e.tagName + '.' "
                         "+ e.className + '#' + e.id + ':' + e.scrollWidth + '/' + e.getBoundingClientRect().right)")
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px: {wide}"


def add_condition(page: Any, **fields: str) -> None:
    panel = page.locator("details#cond-add")
    panel.locator("summary").click()
    panel.get_by_label("Kind").select_option(label=fields.pop("kind"))
    for label in ("Sending party", "Receiving party"):
        panel.get_by_label(label).select_option(fields.pop(label))
    for label, value in fields.items():
        panel.get_by_label(label, exact=True).fill(value)
    with page.expect_navigation():
        panel.get_by_role("button", name="Add condition").click()


def test_an_officer_adds_conditions_and_sees_the_amendment(browser: Any, server: dict[str, Any]) -> None:
    base, db = server["base"], server["db"]
    today = datetime.now(UTC).date()
    ref = active_agreement(db, "Erasmus+ exchange", "Politecnico di Torino",
                  starts=(today - timedelta(days=30)).isoformat(),
                  expires=(today + timedelta(days=1500)).isoformat())
    year = today.year
    page = browser.new_page(viewport={"width": 375, "height": 812}, is_mobile=True)
    sign_in(page, base, "olga@uni.uz")
    page.goto(f"{base}/agreements/{ref}")
    assert "any change of its conditions is an amendment" in page.locator("#cond-amend-note").inner_text()
    add_condition(page, kind="Students: studies", **{
        "Sending party": HOME, "Receiving party": "Politecnico di Torino",
        "First academic year": f"{year}/{year + 1}", "Last academic year": f"{year + 2}/{year + 3}",
        "Mobilities per year": "2", "Total months per year (students)": "5",
        "Languages (CEFR)": "en:B2"})
    first = page.locator("p.flash-ok").inner_text()
    assert "Condition 1 added." in first and "Amendment recorded" in first
    add_condition(page, kind="Staff: teaching", **{
        "Sending party": "Politecnico di Torino", "Receiving party": HOME,
        "First academic year": f"{year}/{year + 1}", "Mobilities per year": "1",
        "Total days per year (staff)": "10", "Languages (CEFR)": "en:C1"})
    second = page.locator("p.flash-ok").inner_text()
    m = re.search(r"iia-hash ([0-9a-f]{64}) → ([0-9a-f]{64})", second)
    assert m and m.group(1) != m.group(2), second
    rows = page.locator("table.conditions tbody tr")
    assert rows.count() == 2 and "Staff: teaching" in rows.nth(1).inner_text()
    timeline = page.locator("ol.timeline").inner_text()
    assert f"iia-hash {m.group(1)} -> {m.group(2)}" in timeline
    no_sideways_scroll(page, f"/agreements/{ref}")
    shot(page, "conditions-amendment")

    # A refusal is worded with the form's labels and changes nothing.
    add_condition(page, kind="Staff: training", **{
        "Sending party": HOME, "Receiving party": HOME, "First academic year": f"{year}/{year + 1}",
        "Mobilities per year": "1", "Languages (CEFR)": "en:B1"})
    refusal = page.locator("div.flash-error").inner_text()
    assert "Sending party and Receiving party are the same party" in refusal
    assert "--" not in refusal and page.locator("table.conditions tbody tr").count() == 2
    for path in ("/ewp", "/audit", "/import"):
        page.goto(base + path)
        no_sideways_scroll(page, path)
        shot(page, "phone-" + path.strip("/"))


def test_an_import_with_a_bad_row_changes_nothing_then_a_good_file_imports(
        browser: Any, server: dict[str, Any]) -> None:
    base, db, tmp = server["base"], server["db"], server["tmp"]
    good = ("ref,title,type,partners,department\n"
            f"AGR-2021-0001,Exchange one,exchange,{HOME};Hiroshima University,Physics\n"
            f"AGR-2021-0002,Exchange two,exchange,{HOME};Politecnico di Torino,Physics\n")
    bad = good + f"AGR-2021-0003,Exchange three,bogus,{HOME};Hiroshima University,Physics\n"
    (tmp / "bad.csv").write_text(bad, encoding="utf-8")
    (tmp / "good.csv").write_text(good, encoding="utf-8")

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, base, "olga@uni.uz")
    page.get_by_role("link", name="Import").click()
    page.get_by_label("File", exact=True).set_input_files(str(tmp / "bad.csv"))
    page.get_by_role("button", name="Check the file").click()
    errors = page.locator("table.import-errors tbody tr")
    assert errors.count() == 1
    assert errors.first.get_attribute("data-row") == "4" and "bogus" in errors.first.inner_text()
    assert "nothing was imported" in page.locator("div.flash-error").inner_text()
    shot(page, "import-errors")
    listed = json.loads(ok(hamkor(db, "agreement", "list", "--json", env=ENV)).out)
    assert listed == []

    page.get_by_label("File", exact=True).set_input_files(str(tmp / "good.csv"))
    page.get_by_role("button", name="Check the file").click()
    assert "Would create 2, update 0" in page.locator("p.imp-summary").inner_text()
    assert page.locator("table.import-preview tbody tr").count() == 2
    shot(page, "import-preview")
    assert json.loads(ok(hamkor(db, "agreement", "list", "--json", env=ENV)).out) == []
    with page.expect_navigation():
        page.get_by_role("button", name="Import all rows").click()
    assert "good.csv: created 2, updated 0, unchanged 0." in page.locator("p.flash-ok").inner_text()
    refs = sorted(a["ref"] for a in json.loads(ok(hamkor(db, "agreement", "list", "--json", env=ENV)).out))
    assert refs == ["AGR-2021-0001", "AGR-2021-0002"]
