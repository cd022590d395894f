"""The account's mail language and calendar address, the feed itself, the outbox message view."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from root import App
from tests.web.conftest import post, sign_in


def _calendar_url(html: str) -> str:
    m = re.search(r'<code class="token" id="calendar-url">([^<]+)</code>', html)
    assert m, html
    return m[1]


def test_a_user_sets_their_mail_language_on_the_account_page(client: TestClient,
                                                            hamkor_app: App) -> None:
    from workflow.registry import list_users

    sign_in(client, "olga@uni.uz")
    r = post(client, "/account/language", {"lang": "ru"})
    assert r.status_code == 303
    assert next(u for u in list_users(hamkor_app.uow()) if u["email"] == "olga@uni.uz")["lang"] == "ru"
    assert 'value="ru" selected' in client.get("/account").text
    refused = post(client, "/account/language", {"lang": "de"})
    assert refused.status_code == 422 and "is not one of en, uz, ru" in refused.text
    assert next(u for u in list_users(hamkor_app.uow()) if u["email"] == "olga@uni.uz")["lang"] == "ru"


def test_the_calendar_address_serves_the_feed_without_a_session_until_revoked(
        client: TestClient, make_client, hamkor_app: App) -> None:  # type: ignore[no-untyped-def]
    from icalendar import Calendar

    sign_in(client, "anvar@uni.uz")
    r = post(client, "/account/calendar")
    assert r.status_code == 201
    url = _calendar_url(r.text)
    assert re.fullmatch(r"http://testserver/calendar/hkc_[\w-]+\.ics", url)
    assert url.split("/")[-1][:-4] not in client.get("/account").text  # shown once
    anonymous = make_client()
    feed = anonymous.get(url.replace("http://testserver", ""))
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert Calendar.from_ical(feed.content)["X-WR-CALNAME"] == "Hamkor: Anvar Rashidov"
    # A new address replaces the old; revoking makes it a 404.
    newer = _calendar_url(post(client, "/account/calendar").text)
    assert anonymous.get(url.replace("http://testserver", "")).status_code == 404
    assert anonymous.get(newer.replace("http://testserver", "")).status_code == 200
    post(client, "/account/calendar/revoke")
    assert anonymous.get(newer.replace("http://testserver", "")).status_code == 404
    assert anonymous.get("/calendar/hkc_guess.ics").status_code == 404


def test_a_mail_link_opens_the_action_and_the_outbox_opens_the_message(
        client: TestClient, hamkor_app: App) -> None:
    from tests.web.conftest import new_draft

    sign_in(client, "olga@uni.uz")
    ref = new_draft(client)
    assert post(client, f"/agreements/{ref}/events/submit", {"note": ""}).status_code == 303
    page = client.get("/outbox?kind=workflow")
    assert page.status_code == 200 and "submitted" in page.text
    row_id = re.search(r'href="/outbox/(\d+)"', page.text)[1]  # type: ignore[index]
    shown = client.get(f"/outbox/{row_id}")
    assert shown.status_code == 200
    assert f"{ref} was submitted for your approval" in shown.text
    assert "<iframe" in shown.text and "srcdoc=" in shown.text
    sign_in(client, "anvar@uni.uz")
    opened = client.get(f"/agreements/{ref}?act=approve")
    assert 'id="act-approve" open' in opened.text
    assert client.get("/outbox/999999").status_code == 404
