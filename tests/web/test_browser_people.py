"""In headless Chromium against a real `hamkor serve`: an admin adds a user on the Users
page, hands over the one-time link, and the new user sets a password with it and signs in."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import hamkor, ok
from tests.web.browser import PASSWORD, shot, sign_in
from tests.web.test_browser import server  # noqa: F401

pytestmark = pytest.mark.slow


def test_an_admin_creates_a_user_who_sets_a_password_by_the_link_and_signs_in(
        browser: Any, server: dict) -> None:  # noqa: F811
    base = server["base"]
    ok(hamkor(server["db"], "user", "add", "root@uni.uz", "--name", "Root Admin", "--role", "admin"))
    ok(hamkor(server["db"], "user", "set-password", "root@uni.uz", "--password-stdin",
              input=PASSWORD + "\n"))
    admin = browser.new_page()
    sign_in(admin, base, "root@uni.uz")
    admin.get_by_role("link", name="Users").click()
    admin.wait_for_url(base + "/users")
    admin.locator("#u-email").fill("nodir@uni.uz")
    admin.locator("#u-name").fill("Nodir Aliyev")
    admin.locator("#u-role").select_option("officer")
    admin.locator("#u-lang").select_option("uz")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Add and make a link").click()
    link = admin.locator("#set-password-link").inner_text().strip()
    assert link.startswith(base + "/password/")
    assert "Hand it over to them yourself" in admin.locator("#link-box").inner_text()
    shot(admin, "users")
    ok(hamkor(server["db"], "partner", "edit", "Politecnico di Torino", "--hei-id", "polito.it",
              "--website", "www.polito.it", "--erasmus-code", "I TORINO02"))
    ok(hamkor(server["db"], "partner", "contact", "add", "polito.it", "--name", "Guido Saracco",
              "--role", "signatory", "--position", "Rector", "--email", "rector@polito.it"))
    admin.goto(base + "/partners")
    admin.get_by_role("link", name="Politecnico di Torino").click()
    assert "Guido Saracco" in admin.locator("#contacts").locator("..").inner_text()
    shot(admin, "partner")

    newcomer = browser.new_context().new_page()  # another person's browser: no session
    newcomer.goto(link)
    assert "Nodir Aliyev (nodir@uni.uz)" in newcomer.content()
    new_password = "green tea with lemon"
    newcomer.get_by_label("New password").fill(new_password)
    newcomer.get_by_label("Repeat the password").fill(new_password)
    with newcomer.expect_navigation():
        newcomer.get_by_role("button", name="Set the password").click()
    assert newcomer.url == base + "/login"
    assert "Your password is set" in newcomer.content()
    newcomer.get_by_label("Email").fill("nodir@uni.uz")
    newcomer.get_by_label("Password").fill(new_password)
    newcomer.get_by_role("button", name="Sign in").click()
    newcomer.wait_for_url(base + "/")
    assert "Nodir Aliyev" in newcomer.locator("header").inner_text()
    # the link worked once
    newcomer.goto(link)
    assert newcomer.locator("#new-password").count() == 0
    assert "unknown, used" in newcomer.content()
