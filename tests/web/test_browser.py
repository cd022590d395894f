"""End to end in headless Chromium against a real `hamkor serve`: an officer and an approver
take an agreement from draft to active, the tick's reminder shows in the outbox, a report
downloads; the keyboard alone can sign in and act; a phone-sized screen does not scroll sideways.

Debian's chromium is used through Playwright's `executable_path` (no browser download).
Set HAMKOR_SCREENSHOTS_DIR to also save the pages as web-*.png (the README's pictures).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import hamkor, ok
from tests.web.browser import PASSWORD, active_agreement, serve, shot, sign_in

pytestmark = pytest.mark.slow


@pytest.fixture
def server(sqlite_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """`hamkor serve` in a child process on a free loopback port, with people to sign in."""
    for email, name, role in [("olga@uni.uz", "Olga Karimova", "officer"),
                              ("anvar@uni.uz", "Anvar Rashidov", "approver"),
                              ("vera@uni.uz", "Vera Petrova", "viewer")]:
        ok(hamkor(sqlite_url, "user", "add", email, "--name", name, "--role", role))
        ok(hamkor(sqlite_url, "user", "set-password", email, "--password-stdin", input=PASSWORD + "\n"))
    ok(hamkor(sqlite_url, "partner", "add", "Hiroshima University", "--country", "JP", "--city", "Hiroshima"))
    ok(hamkor(sqlite_url, "partner", "add", "Politecnico di Torino", "--country", "IT", "--city", "Turin"))
    with serve(sqlite_url, tmp_path, {"HAMKOR_REPORTS_DIR": str(tmp_path / "reports"),
                                      "HAMKOR_INSTITUTION": "Turin Polytechnic University in Tashkent"}) as srv:
        yield srv


def fire(page: Any, event_label: str, **fields: str) -> None:
    """Open an event's panel, fill it, press its button, and wait for the result page."""
    panel = page.locator("details.action", has=page.locator("summary", has_text=event_label))
    panel.locator("summary").click()
    for label, value in fields.items():
        control = panel.get_by_label(label)
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    with page.expect_navigation():
        panel.get_by_role("button", name=event_label).click()


def test_officer_and_approver_take_an_agreement_from_draft_toactive_agreement(browser: Any, server: dict) -> None:
    base = server["base"]
    today = datetime.now(UTC).date()
    starts, expires = today - timedelta(days=300), today + timedelta(days=60)
    officer = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True).new_page()
    approver = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    officer.goto(base + "/")
    assert officer.url.startswith(base + "/login")
    shot(officer, "sign-in")
    sign_in(officer, base, "olga@uni.uz")
    sign_in(approver, base, "anvar@uni.uz")

    officer.get_by_role("link", name="New agreement").click()
    officer.get_by_label("Title").fill("Academic and educational exchange")
    officer.get_by_label("Type").select_option("exchange")
    officer.get_by_label("Hiroshima University").check()
    officer.get_by_label("Starts on").fill(starts.isoformat())
    officer.get_by_label("Last day in force").fill(expires.isoformat())
    officer.get_by_label("student exchange").check()
    officer.get_by_label("Created on").fill((starts - timedelta(days=30)).isoformat())
    shot(officer, "new-agreement")
    officer.get_by_role("button", name="Create draft").click()
    officer.wait_for_selector("text=Created AGR-")
    ref = officer.locator("h1 .ref").inner_text()
    assert officer.locator(".heading .badge").inner_text() == "draft"

    fire(officer, "Submit for review")
    assert officer.locator(".heading .badge").inner_text() == "in review"
    assert officer.locator("details.action summary", has_text="Approve").count() == 0

    approver.goto(base + "/")
    approver.get_by_role("link", name=ref).first.click()
    fire(approver, "Approve", Note="Fits the strategy")
    assert approver.locator(".heading .badge").inner_text() == "approved"

    officer.reload()
    fire(officer, "Send for signature")
    fire(officer, "Record a signature", **{"Party signing": "Hiroshima University"})
    assert "signed" in officer.locator("ul.parties li", has_text="Hiroshima University").inner_text()
    fire(officer, "Record a signature", **{"Party signing": "Turin Polytechnic University in Tashkent"})
    assert officer.locator(".heading .badge").inner_text() == "signed"
    fire(officer, "Activate")
    assert officer.locator(".heading .badge").inner_text() == "active"
    timeline = officer.locator("#timeline + ol").inner_text()
    for label in ("created", "Submit for review", "Approve", "Fits the strategy", "anvar@uni.uz",
                  "Send for signature", "Record a signature", "Activate"):
        assert label in timeline
    shot(officer, "agreement")

    # The daily tick opens the renewal window and sends the 90-day reminder.
    env = server["env"]
    tick = subprocess.run([sys.executable, "-m", "cli.main", "--db", server["db"], "tick"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert tick.returncode == 0, tick.stderr
    officer.get_by_role("link", name="Outbox").click()
    row = officer.locator("tbody tr", has_text=ref).filter(has_text="renewal (90)")
    assert row.locator(".badge").inner_text() == "sent"
    assert "olga@uni.uz" in row.inner_text()
    assert len(list((server["tmp"] / "mail").glob("*.eml"))) == 1
    shot(officer, "outbox")

    officer.get_by_role("link", name="Dashboard").click()
    assert officer.locator("#todo-expiring ~ ul.items").get_by_role("link", name=ref).count() == 1
    shot(officer, "dashboard")

    officer.get_by_role("link", name="Agreements").click()
    shot(officer, "agreements")
    officer.get_by_role("link", name="Lifecycle").click()
    assert officer.locator("svg.lifecycle").is_visible()
    shot(officer, "lifecycle")


def test_keyboard_only_sign_in_and_submit(browser: Any, server: dict) -> None:
    base = server["base"]
    ok(hamkor(server["db"], "agreement", "create", "--title", "Research MoU", "--partner",
              "Politecnico di Torino", "--type", "mou", "--owner", "olga@uni.uz", "--starts",
              "2025-01-01", "--months", "36", "--by", "olga@uni.uz"))
    page = browser.new_page()
    page.goto(base + "/login")  # the email field has the focus (autofocus)...
    # ...once the browser has applied it: typing earlier loses the keystrokes, the sign-in
    # fails and the rest of the test runs on the login page.
    page.wait_for_function("document.activeElement && document.activeElement.type === 'email'")
    page.keyboard.type("olga@uni.uz")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/login" not in page.url, "keyboard sign-in failed"
    page.goto(base + "/agreements", wait_until="networkidle")
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.tagName, document.activeElement.textContent]")
    assert focused == ["A", "Skip to content"], focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.locator("table.list tbody a").first.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    summary = page.locator("details.action summary", has_text="Submit for review")
    summary.focus()
    page.keyboard.press("Enter")  # opens the panel
    panel = page.locator("details.action[open]")
    panel.get_by_label("Note").focus()
    for _ in range(6):  # through the date's day, month and year to the button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "BUTTON":
            break
    assert page.evaluate("document.activeElement.textContent") == "Submit for review"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".heading .badge").inner_text() == "in review"


def test_viewer_on_a_phone_sees_no_buttons_and_no_sideways_scroll(browser: Any, server: dict) -> None:
    base = server["base"]
    ok(hamkor(server["db"], "agreement", "create", "--title", "Internship programme", "--partner",
              "Hiroshima University", "--type", "internship", "--owner", "olga@uni.uz", "--by", "olga@uni.uz"))
    # A partner's full official name made the list's partner filter 592 px wide.
    ok(hamkor(server["db"], "partner", "add", "Federal State Autonomous Educational Institution of "
              "Higher Education National Research University", "--country", "RU"))
    page = browser.new_page(viewport={"width": 375, "height": 812}, is_mobile=True)
    sign_in(page, base, "vera@uni.uz")
    for path in ["/", "/agreements", "/agreements/" + _first_ref(page, base), "/partners", "/outbox",
                 "/reports", "/account"]:
        page.goto(base + path)
        # Against the phone's 375 px, not window.innerWidth: a mobile browser zooms out to
        # fit a page that is too wide, and innerWidth grows with it.
        overflow = page.evaluate("Math.max(document.documentElement.scrollWidth, "
                                 "...[...document.querySelectorAll('body *')].map("
                                 "e => e.getBoundingClientRect().right)) - 375")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
    assert page.locator("details.action").count() == 0
    assert "No action is open to you" in page.goto(base + "/agreements/" + _first_ref(page, base)).text()
    shot(page, "phone-agreement")


def test_report_is_generated_and_downloaded(browser: Any, server: dict) -> None:
    pytest.importorskip("reports.service", reason="the annual report is not in this version")
    base, year = server["base"], datetime.now(UTC).date().year
    ok(hamkor(server["db"], "agreement", "create", "--title", "Research MoU", "--partner",
              "Politecnico di Torino", "--type", "mou", "--owner", "olga@uni.uz", "--starts",
              f"{year}-01-01", "--months", "36", "--by", "olga@uni.uz"))
    ref = f"AGR-{year}-0001"
    for args in (["submit"], ["approve", "--by", "anvar@uni.uz"], ["send_for_signature"],
                 ["sign", "--party", "Politecnico di Torino"],
                 ["sign", "--party", "Home University"], ["activate"]):
        by = [] if "--by" in args else ["--by", "olga@uni.uz"]
        ok(hamkor(server["db"], "agreement", "advance", ref, *args, *by))
    officer = browser.new_context(accept_downloads=True).new_page()
    sign_in(officer, base, "olga@uni.uz")
    officer.get_by_role("link", name="Reports").click()
    officer.get_by_label("Year").select_option(str(year))
    officer.get_by_label("Format").select_option("html")
    officer.get_by_label("Report language").select_option("ru")
    with officer.expect_download() as info:
        officer.get_by_role("button", name="Generate and download").click()
    download = info.value
    assert download.suggested_filename == f"annual-report-{year}-ru.html"
    html = Path(download.path()).read_text(encoding="utf-8")
    assert ref in html and "<html" in html
    officer.reload()
    assert officer.get_by_role("link", name="Download").count() == 1
    shot(officer, "reports")


def _first_ref(page: Any, base: str) -> str:
    page.goto(base + "/agreements")
    return str(page.locator("table.list tbody a").first.inner_text())


def test_search_the_head_of_office_dashboard_and_a_correction(browser: Any, server: dict) -> None:
    """"politecnico torino" and "Italy" find the Politecnico agreement; the head of office
    (an approver) sees a colleague's agreement expiring in 150 days; an officer corrects the
    department of an active agreement and the timeline shows old → new."""
    base, db = server["base"], server["db"]
    today = datetime.now(UTC).date()
    starts = (today - timedelta(days=200)).isoformat()
    torino = active_agreement(db, "Double degree in mechatronics", "Politecnico di Torino", starts=starts,
                     expires=(today + timedelta(days=150)).isoformat())
    hiroshima = active_agreement(db, "Staff exchange", "Hiroshima University", starts=starts,
                        expires=(today + timedelta(days=900)).isoformat())
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, base, "olga@uni.uz")
    for q in ("politecnico torino", "Italy"):
        page.goto(base + "/agreements")
        page.get_by_label("Search", exact=True).fill(q)
        page.get_by_role("button", name="Filter").click()
        rows = page.locator("table.list tbody").inner_text()
        assert torino in rows and hiroshima not in rows, q
    shot(page, "search")

    head = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(head, base, "anvar@uni.uz")
    expiring = head.locator("section[aria-labelledby=todo-expiring]").inner_text()
    assert torino in expiring and hiroshima not in expiring
    shot(head, "dashboard-head-of-office")

    page.goto(base + f"/agreements/{torino}")
    page.locator("#correct").click()
    page.get_by_label("Department").fill("Mechanical Engineering")
    page.get_by_role("button", name="Save the correction").click()
    page.wait_for_url(base + f"/agreements/{torino}")
    timeline = " ".join(page.locator("#timeline + ol").inner_text().split())
    assert "Department: — → Mechanical Engineering" in timeline
    shot(page, "correction")
