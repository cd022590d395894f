"""Take the README's screenshots (docs/web-*.png) of `hamkor serve` over the demo data.

    hamkor demo --out /tmp/demo      # the demo accounts get the password hamkor-demo-2026
    python -m tests.web.screenshots /tmp/demo /path/to/repo/docs

Not a test: a tool to refresh the pictures after a change to the pages.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.web.browser import CHROMIUM, CHROMIUM_ARGS, free_port

PASSWORD = os.environ.get("HAMKOR_DEMO_PASSWORD", "hamkor-demo-2026")


def main(demo: Path, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "HAMKOR_SECRET_KEY": "screenshots-" + "x" * 32,
           "HAMKOR_REPORTS_DIR": str(demo / "web-reports")}
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "--port", str(port),
                             "--log-level", "warning"], cwd=demo, env=env)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

            def page_for(email: str, width: int = 1280, height: int = 860):  # type: ignore[no-untyped-def]
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(base + "/login")
                page.get_by_label("Email").fill(email)
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_url(base + "/")
                return page

            officer = page_for("officer@ttpu.example")
            # A complete draft, submitted in the browser, for the approver to find.
            officer.goto(base + "/agreements/new")
            officer.get_by_label("Title").fill("Joint master's programme in mechatronics")
            officer.get_by_label("Type").select_option("double_degree")
            officer.get_by_label("Politecnico di Torino").check()
            officer.get_by_label("Starts on").fill("2027-09-01")
            officer.get_by_label("or length in months").fill("60")
            officer.get_by_label("joint programme").check()
            officer.get_by_role("button", name="Create draft").click()
            officer.wait_for_selector("text=Created AGR-")
            draft = officer.locator("h1 .ref").inner_text()
            officer.locator("details.action summary", has_text="Submit for review").click()
            officer.locator("details.action[open]").get_by_role("button", name="Submit for review").click()
            officer.wait_for_selector("text=state is now in review")
            approver = page_for("approver@ttpu.example")
            approver.goto(base + "/")
            approver.screenshot(path=str(out / "web-dashboard.png"), full_page=True)
            approver.goto(f"{base}/agreements/{draft}")
            approver.locator("details.action summary", has_text="Approve").click()
            approver.screenshot(path=str(out / "web-approve.png"), full_page=True)
            for path, name in [("/agreements", "agreements"), ("/agreements/AGR-2024-0001", "agreement"),
                               ("/agreements/new", "new-agreement"), ("/outbox", "outbox"),
                               ("/reports", "reports"), ("/lifecycle", "lifecycle")]:
                officer.goto(base + path)
                officer.screenshot(path=str(out / f"web-{name}.png"), full_page=path not in ("/outbox", "/lifecycle"))
            # The command line's operations in the browser (issue 18).
            for path, name in [("/ewp", "ewp"), ("/audit", "audit"), ("/import", "import")]:
                officer.goto(base + path)
                officer.screenshot(path=str(out / f"web-{name}.png"), full_page=path != "/audit")
            officer.goto(base + "/agreements/AGR-2024-0001#conditions")
            officer.locator("details#cond-add summary").click()
            officer.locator("#conditions-box").screenshot(path=str(out / "web-conditions.png"))
            people_pages(page_for, base, out)
            phone = page_for("viewer@ttpu.example", 390, 844)
            phone.goto(base + "/agreements/AGR-2020-0001")
            phone.locator("#lang-select").select_option("uz")
            phone.get_by_role("button", name="Change").click()
            phone.wait_for_load_state()
            phone.screenshot(path=str(out / "web-phone-uz.png"), full_page=False)
            # The words of each language, the diagram on a phone, help beside the fields.
            for lang, width, path, name, part in [
                    ("ru", 375, "/lifecycle", "web-lifecycle-ru-phone", "figure.diagram"),
                    ("uz", 375, "/agreements/new", "web-new-agreement-uz-phone", None),
                    ("en", 1280, "/api/docs", "web-api-docs", None),
                    ("ru", 1280, "/reports", "web-reports-ru", None)]:
                page = page_for("officer@ttpu.example", width, 860 if width > 500 else 800)
                if lang != "en":
                    page.locator("#lang-select").select_option(lang)
                    page.get_by_role("button", name="Change").click()
                    page.wait_for_load_state()
                page.goto(base + path)
                if part:
                    page.locator(part).first.screenshot(path=str(out / f"{name}.png"))
                else:
                    page.screenshot(path=str(out / f"{name}.png"))
            browser.close()
    finally:
        proc.terminate()
        proc.wait()


def people_pages(page_for, base: str, out: Path) -> None:  # type: ignore[no-untyped-def]
    """A partner's page with its contact persons; the Users page with a fresh link."""
    officer = page_for("officer@ttpu.example")
    officer.goto(base + "/partners")
    officer.get_by_role("link", name="Politecnico di Torino").click()
    if officer.locator("#contacts").locator("..").get_by_text("Guido Saracco").count() == 0:
        officer.locator("#cn-name").fill("Guido Saracco")
        officer.locator("#cn-position").fill("Rector")
        officer.locator("#cn-email").fill("rector@polito.it")
        officer.get_by_role("button", name="Add a contact person").click()
        officer.wait_for_selector("text=Added Guido Saracco")
    officer.screenshot(path=str(out / "web-partner.png"), full_page=True)
    admin = page_for("admin@ttpu.example")
    admin.goto(base + "/users")
    admin.locator("#u-email").fill("new.colleague@ttpu.example")
    admin.locator("#u-name").fill("Nodira Karimova")
    admin.get_by_role("button", name="Add and make a link").click()
    admin.wait_for_selector("#set-password-link")
    admin.screenshot(path=str(out / "web-users.png"), full_page=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]).absolute(), Path(sys.argv[2]).absolute())
