"""Shared by the browser tests: Debian's chromium through Playwright (no browser download),
`hamkor serve` in a child process on a free loopback port, and the page steps every test uses.

Set HAMKOR_SCREENSHOTS_DIR to also save the pages as web-*.png (the README's pictures).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import hamkor, ok

CHROMIUM = os.environ.get("HAMKOR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch_browser() -> Iterator[Any]:
    """A headless chromium for one test; skipped (failed on CI) where the browser is missing."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@contextmanager
def serve(sqlite_url: str, tmp_path: Path, extra_env: dict[str, str]) -> Iterator[dict[str, Any]]:
    """`hamkor serve` on a free loopback port with file mail and no workflow mail or digest."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAMKOR_")}
    env.update({"HAMKOR_SECRET_KEY": "e2e-" + "k" * 40, "HAMKOR_MAIL_BACKEND": "file",
                "HAMKOR_MAIL_DIR": str(tmp_path / "mail"), "HAMKOR_WORKFLOW_MAIL": "false",
                "HAMKOR_DIGEST_DAY": "off", **extra_env})
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "--db", sqlite_url, "serve",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.close()
                pytest.fail("hamkor serve did not start:\n" + (tmp_path / "server.log").read_text())
            time.sleep(0.1)
    try:
        yield {"base": base, "db": sqlite_url, "env": env, "tmp": tmp_path}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def shot(page: Any, name: str) -> None:
    target = os.environ.get("HAMKOR_SCREENSHOTS_DIR")
    if target:
        page.screenshot(path=str(Path(target) / f"web-{name}.png"), full_page=True)


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")


def active_agreement(db: str, title: str, partner: str, *, starts: str, expires: str, owner: str = "olga@uni.uz") -> str:
    """An agreement taken to active through the CLI (the same services the pages call)."""
    env = {"HAMKOR_INSTITUTION": "Turin Polytechnic University in Tashkent"}
    ref = ok(hamkor(db, "agreement", "create", "--title", title, "--partner", partner, "--type",
                    "exchange", "--owner", owner, "--starts", starts, "--expires", expires,
                    "--by", owner, "--on", starts, env=env)).out.strip()
    for step in (["submit"], ["approve", "--by", "anvar@uni.uz"], ["send_for_signature"],
                 ["sign", "--party", partner], ["sign", "--party", "Turin Polytechnic University in Tashkent"],
                 ["activate"]):
        by = [] if "--by" in step else ["--by", owner]
        ok(hamkor(db, "agreement", "advance", ref, *step, *by, "--on", starts, env=env))
    return ref
