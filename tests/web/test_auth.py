"""Signing in and out: passwords, the session cookie, CSRF on every form."""

from __future__ import annotations

from fastapi.testclient import TestClient

from root import App
from tests.web.conftest import PASSWORD, agreement_state, csrf_of, new_draft, post, sign_in


def test_pages_need_sign_in_and_return_where_asked(client: TestClient) -> None:
    """An anonymous visitor is sent to the sign-in page, and back to the page after."""
    r = client.get("/agreements?state=draft", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/agreements%3Fstate%3Ddraft"
    r = client.post("/login", data={"email": "olga@uni.uz", "password": PASSWORD,
                                    "next": "/agreements?state=draft", "csrf_token": csrf_of(client)},
                    follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/agreements?state=draft")
    assert "Olga Karimova" in client.get("/").text


def test_wrong_password_and_unknown_email_read_the_same(client: TestClient) -> None:
    for email, password in [("olga@uni.uz", "wrong password!"), ("nobody@uni.uz", PASSWORD)]:
        r = client.post("/login", data={"email": email, "password": password,
                                        "csrf_token": csrf_of(client)})
        assert r.status_code == 401
        assert "wrong email or password" in r.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_sign_in_refuses_an_open_redirect(client: TestClient) -> None:
    r = client.post("/login", data={"email": "olga@uni.uz", "password": PASSWORD,
                                    "next": "//evil.example/", "csrf_token": csrf_of(client)},
                    follow_redirects=False)
    assert r.headers["location"] == "/"


def test_session_cookie_is_httponly_and_samesite_lax(client: TestClient) -> None:
    r = sign_in(client, "olga@uni.uz")
    cookie = r.headers["set-cookie"].lower()
    assert cookie.startswith("hamkor_session=")
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert r.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in r.headers["content-security-policy"]


def test_sign_out_ends_the_session(client: TestClient) -> None:
    sign_in(client, "olga@uni.uz")
    r = post(client, "/logout")
    assert (r.status_code, r.headers["location"]) == (303, "/login")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_signing_out_ends_this_session_only(make_client) -> None:
    """Signing out on the desk computer leaves the same user's phone signed in."""
    desk, phone = make_client(), make_client()
    sign_in(desk, "olga@uni.uz")
    sign_in(phone, "olga@uni.uz")
    assert post(desk, "/logout").status_code == 303
    assert desk.get("/account", follow_redirects=False).status_code == 303
    assert phone.get("/account", follow_redirects=False).status_code == 200


def test_sign_out_everywhere_ends_every_session_of_the_user_only(make_client) -> None:
    """"Sign out everywhere" (on the account page) ends the user's sessions on every
    device, and nobody else's."""
    desk, phone, colleague = make_client(), make_client(), make_client()
    sign_in(desk, "olga@uni.uz")
    sign_in(phone, "olga@uni.uz")
    sign_in(colleague, "oleg@uni.uz")
    assert 'action="/logout/everywhere"' in desk.get("/account").text
    r = post(desk, "/logout/everywhere")
    assert (r.status_code, r.headers["location"]) == (303, "/login")
    assert desk.get("/account", follow_redirects=False).status_code == 303
    assert phone.get("/account", follow_redirects=False).status_code == 303
    assert colleague.get("/account", follow_redirects=False).status_code == 200
    sign_in(phone, "olga@uni.uz")  # a new sign-in after it is valid
    assert phone.get("/account", follow_redirects=False).status_code == 200


def test_a_copy_of_the_cookie_is_worthless_once_its_user_signed_out(make_client) -> None:
    """Signing out ends the session server-side: a saved copy of its cookie (a stolen
    one) no longer signs anyone in."""
    browser, thief = make_client(), make_client()
    sign_in(browser, "olga@uni.uz")
    thief.cookies.set("hamkor_session", browser.cookies["hamkor_session"])
    assert thief.get("/account", follow_redirects=False).status_code == 200
    assert post(browser, "/logout").status_code == 303
    assert thief.get("/account", follow_redirects=False).status_code == 303
    assert post(thief, "/partners", {"name": "Thief University", "country": "FR"}
                ).status_code in (303, 403)
    assert "Thief University" not in _partners_as(make_client())
    sign_in(browser, "olga@uni.uz")  # signing in again starts a new, valid session
    assert browser.get("/account", follow_redirects=False).status_code == 200


def test_a_session_ends_twelve_hours_after_sign_in_however_active_it_was(
        client: TestClient, hamkor_app: App, monkeypatch) -> None:
    from datetime import UTC, datetime, timedelta

    sign_in(client, "olga@uni.uz")
    start = datetime.now(UTC)
    for hours in (4, 8, 11.9):  # busy all day: every page renews the cookie
        monkeypatch.setattr(hamkor_app, "clock",
                            lambda now=None, h=hours: _clock_at(start + timedelta(hours=h)))
        assert client.get("/account", follow_redirects=False).status_code == 200
    monkeypatch.setattr(hamkor_app, "clock",
                        lambda now=None: _clock_at(start + timedelta(hours=12, minutes=1)))
    assert client.get("/account", follow_redirects=False).status_code == 303


def _clock_at(moment):  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    from workflow.clock import Clock

    return Clock(moment, ZoneInfo("UTC"))


def _partners_as(viewer: TestClient) -> str:
    sign_in(viewer, "vera@uni.uz")
    return str(viewer.get("/partners").text)


def test_sign_in_without_csrf_token_is_refused(client: TestClient) -> None:
    client.get("/login")
    r = client.post("/login", data={"email": "olga@uni.uz", "password": PASSWORD})
    assert r.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 303


def test_forged_form_post_is_refused_and_changes_nothing(client: TestClient, make_client,
                                                         hamkor_app: App) -> None:
    """CSRF: a POST without this session's token (missing, or another session's) does nothing."""
    sign_in(client, "olga@uni.uz")
    ref = new_draft(client)
    before = agreement_state(hamkor_app, ref)
    attacker = make_client()
    foreign_token = csrf_of(attacker)
    for data in ({}, {"csrf_token": foreign_token}, {"csrf_token": ""}):
        r = client.post(f"/agreements/{ref}/events/submit", data={**data, "version": "1"},
                        follow_redirects=False)
        assert r.status_code == 403
        assert "nothing was changed" in r.text
    assert agreement_state(hamkor_app, ref) == before == ("draft", 1, 1)
    r = client.post("/partners", data={"name": "Forged University", "country": "FR"})
    assert r.status_code == 403
    assert "Forged University" not in client.get("/partners").text


def test_new_password_ends_other_sessions(make_client, hamkor_app: App) -> None:
    """Changing the password keeps this session and signs out every other one."""
    laptop, phone = make_client(), make_client()
    sign_in(laptop, "olga@uni.uz")
    sign_in(phone, "olga@uni.uz")
    r = post(laptop, "/account/password", {"current": PASSWORD, "new": "a much newer secret",
                                           "repeat": "a much newer secret"})
    assert r.status_code == 303
    assert laptop.get("/", follow_redirects=False).status_code == 200
    assert phone.get("/", follow_redirects=False).status_code == 303
    fresh = make_client()
    r = fresh.post("/login", data={"email": "olga@uni.uz", "password": PASSWORD,
                                   "csrf_token": csrf_of(fresh)})
    assert r.status_code == 401
    sign_in(fresh, "olga@uni.uz", "a much newer secret")


def test_password_change_needs_the_current_password(client: TestClient) -> None:
    sign_in(client, "olga@uni.uz")
    r = post(client, "/account/password", {"current": "not my password", "new": "a much newer secret",
                                           "repeat": "a much newer secret"})
    assert r.status_code == 422
    assert "wrong email or password" in r.text
    r = post(client, "/account/password", {"current": PASSWORD, "new": "short", "repeat": "short"})
    assert r.status_code == 422
    assert "at least 10 characters" in r.text


def test_repeated_failures_are_throttled(client: TestClient) -> None:
    from web.pages import throttle

    throttle._fails.clear()
    codes = [client.post("/login", data={"email": "vera@uni.uz", "password": "guess number x",
                                         "csrf_token": csrf_of(client)}).status_code for _ in range(11)]
    assert codes == [401] * 10 + [429]
    r = client.post("/login", data={"email": "vera@uni.uz", "password": PASSWORD,
                                    "csrf_token": csrf_of(client)})
    assert r.status_code == 429  # even the right password waits
    throttle._fails.clear()


def test_a_form_posted_after_the_session_ended_returns_to_its_page_after_sign_in(
        client: TestClient) -> None:
    """The form's own address answers only POST: sign-in leads back to the page the
    form was on, not to a 405."""
    r = client.post("/agreements/AGR-2026-0001/events/submit", data={"csrf_token": "x"},
                    headers={"referer": "http://testserver/agreements/AGR-2026-0001"},
                    follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (
        303, "/login?next=/agreements/AGR-2026-0001")
    r = client.post("/partners", data={}, headers={"referer": "https://evil.example/x"},
                    follow_redirects=False)
    assert r.headers["location"] == "/login?next=/"
