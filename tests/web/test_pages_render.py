"""Every page renders for every role, in every language, with dates in the office's zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from root import App
from tests.web.conftest import new_draft, post, sign_in

PAGES = ["/", "/agreements", "/agreements?state=draft&q=exchange", "/partners", "/outbox",
         "/reports", "/lifecycle", "/account", "/api/docs"]


@pytest.mark.parametrize("email", ["vera@uni.uz", "olga@uni.uz", "anvar@uni.uz", "root@uni.uz"])
def test_each_page_renders_with_labels_for_every_input(make_client, email: str) -> None:
    officer = make_client()
    sign_in(officer, "olga@uni.uz")
    ref = new_draft(officer)
    client = make_client()
    sign_in(client, email)
    for path in [*PAGES, f"/agreements/{ref}"]:
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code)
        html = r.text
        assert '<main id="main"' in html and 'href="#main"' in html
        ids = set(re.findall(r'<label for="([^"]+)"', html))
        for tag_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html):
            assert tag_id in ids, f"{path}: input #{tag_id} has no label"
        assert "https://" not in html.replace("http://www.w3.org/2000/svg", "")


def test_dashboard_counts_by_state_and_lists_what_needs_action(client: TestClient) -> None:
    sign_in(client, "olga@uni.uz")
    first = new_draft(client)
    new_draft(client, title="Second")
    post(client, f"/agreements/{first}/events/submit")
    html = client.get("/").text
    counts = {s: n for n, s in re.findall(r"<span class=\"n\">(\d+)</span> <span class=\"badge state-(\w+)\">", html)}
    assert counts["draft"] == "1" and counts["in_review"] == "1" and counts["active"] == "0"
    drafts = html.split('id="todo-drafts"')[1].split("</section>")[0]
    assert "Second" in drafts and first not in drafts


def test_list_filters_and_search(client: TestClient) -> None:
    sign_in(client, "olga@uni.uz")
    a = new_draft(client, title="Student exchange with Hiroshima")
    b = new_draft(client, title="Double degree", partners=["Politecnico di Torino"], type="double_degree")
    html = client.get("/agreements", params={"q": "torino"}).text
    assert b in html and a not in html and "1 agreements" in html
    html = client.get("/agreements", params={"partner": "1"}).text  # Hiroshima's id
    assert a in html and b not in html
    r = client.get("/agreements", params={"state": "bogus"})
    assert r.status_code == 422 and "is not one of" in r.text, r.text
    r = client.get("/agreements", params={"expiring_within": "soon"})
    assert r.status_code == 422


def test_language_switch_translates_the_chrome(client: TestClient) -> None:
    sign_in(client, "olga@uni.uz")
    ref = new_draft(client)
    assert post(client, "/lang", {"lang": "uz", "next": f"/agreements/{ref}"}).status_code == 303
    html = client.get(f"/agreements/{ref}").text
    assert '<html lang="uz">' in html and "Shartnomalar" in html and "qoralama" in html
    post(client, "/lang", {"lang": "ru", "next": "/"})
    html = client.get(f"/agreements/{ref}").text
    assert "Соглашения" in html and "черновик" in html and "1 янв. 2020" in html
    post(client, "/lang", {"lang": "en", "next": "/"})
    assert "Jan 1, 2020" in client.get(f"/agreements/{ref}").text


def test_browser_language_is_the_default(client: TestClient) -> None:
    r = client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert "Войти" in r.text


def test_timestamps_are_shown_in_the_office_time_zone(db_url: str) -> None:
    """The audit's UTC timestamp reads as Tashkent time (UTC+5) when the office is there."""
    from web.i18n import Translator

    app = App(db_url, timezone="Asia/Tashkent")
    t = Translator("en", app.settings.zone)
    assert t.datetime(datetime(2026, 3, 1, 22, 30, tzinfo=UTC)) == "Mar 2, 2026, 3:30:00\u202fAM"
    assert t.datetime("2026-03-01T22:30:00+00:00") == "Mar 2, 2026, 3:30:00\u202fAM"
    app.close()


def test_lifecycle_page_draws_the_table(client: TestClient) -> None:
    from workflow.lifecycle import TRANSITIONS

    sign_in(client, "vera@uni.uz")
    html = client.get("/lifecycle").text
    assert "<svg" in html and "stateDiagram-v2" in html and "digraph lifecycle" in html
    for t in TRANSITIONS:
        assert f"<code>{t.event.value}</code>" in html


def test_account_page_creates_shows_once_and_revokes_a_token(client: TestClient, hamkor_app: App) -> None:
    from workflow.accounts import list_tokens, token_sha256

    sign_in(client, "olga@uni.uz")
    r = post(client, "/account/tokens", {"name": "reporting script"})
    assert r.status_code == 201
    token = re.search(r'id="new-token">(hmk_[^<]+)<', r.text).group(1)
    assert token not in client.get("/account").text  # shown once
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    [row] = list_tokens(hamkor_app.uow(), "olga@uni.uz")
    assert token_sha256(token) != token and "token" not in row
    r = post(client, f"/account/tokens/{row['id']}/revoke")
    assert r.status_code == 303
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    # Someone else's token cannot be revoked from your account page.
    other = post(client, "/account/tokens", {"name": "mine"})
    assert other.status_code == 201
    intruder = TestClient(client.app)
    sign_in(intruder, "oleg@uni.uz")
    mine = list_tokens(hamkor_app.uow(), "olga@uni.uz")[-1]
    r = post(intruder, f"/account/tokens/{mine['id']}/revoke")
    assert r.status_code == 404
    assert not list_tokens(hamkor_app.uow(), "olga@uni.uz")[-1]["revoked"]


def test_partner_form_adds_and_refuses_duplicates(client: TestClient) -> None:
    sign_in(client, "olga@uni.uz")
    r = post(client, "/partners", {"name": "Shandong Jianzhu University", "country": "CN", "kind": "university"})
    assert r.status_code == 303
    assert "Shandong Jianzhu University" in client.get("/partners").text
    r = post(client, "/partners", {"name": "SHANDONG jianzhu University", "country": "CN", "kind": "university"})
    assert r.status_code == 409 and "already exists" in r.text
    r = post(client, "/partners", {"name": "Nowhere U", "country": "XX", "kind": "university"})
    assert r.status_code == 422 and "ISO 3166" in r.text


def test_the_list_searches_filters_sorts_and_downloads_what_it_shows(client: TestClient) -> None:
    """One box over partner, country (any language) and title; sortable columns keep the
    filters; the CSV and XLSX downloads hold exactly the rows of the filtered list."""
    import io

    from openpyxl import load_workbook

    sign_in(client, "olga@uni.uz")
    a = new_draft(client, title="Student exchange with Hiroshima")
    b = new_draft(client, title="Double degree", partners=["Politecnico di Torino"], type="double_degree",
                  department="Mechanical Engineering")
    for q in ("politecnico torino", "Italy", "Италия", "TURIN"):
        html = client.get("/agreements", params={"q": q}).text
        assert b in html and a not in html, q
    html = client.get("/agreements", params={"country": "JP"}).text
    assert a in html and b not in html
    html = client.get("/agreements", params={"department": "Mechanical Engineering", "sort": "title"}).text
    assert b in html and a not in html and 'aria-sort="ascending"' in html
    assert "sort=-title" in html and "department=Mechanical+Engineering" in html
    html = client.get("/agreements", params={"sort": "ref"}).text
    assert html.index(a) < html.index(b)
    html = client.get("/agreements", params={"sort": "-ref"}).text
    assert html.index(b) < html.index(a)
    csv = client.get("/agreements/export.csv", params={"q": "torino"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("ref,") and b in lines[1]
    xlsx = client.get("/agreements/export.xlsx", params={"type": "double_degree"})
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "ref" and [r[0] for r in rows[1:]] == [b]
    assert client.get("/agreements", params={"sort": "colour"}).status_code == 422
    assert client.get("/agreements/export.pdf").status_code == 422


def test_the_partners_page_is_searchable_by_name_country_and_city(client: TestClient) -> None:
    sign_in(client, "vera@uni.uz")
    for q in ("torino", "Italy", "италия", "turin"):
        html = client.get("/partners", params={"q": q}).text
        assert "Politecnico di Torino" in html and "Hiroshima University" not in html, q
    html = client.get("/partners", params={"q": "nowhere"}).text
    assert "Politecnico di Torino" not in html and "0 partners" in html


def test_the_partner_box_filters_by_any_part_of_a_name_and_suggests_partners(client: TestClient) -> None:
    """The list no longer carries every partner (an office has thousands): a text box
    filters by any part of a partner's name without script, and suggests as one types."""
    sign_in(client, "olga@uni.uz")
    a = new_draft(client, title="Student exchange with Hiroshima")
    b = new_draft(client, title="Double degree", partners=["Politecnico di Torino"], type="double_degree")
    html = client.get("/agreements").text
    assert 'id="partner" name="partner" type="search"' in html and "<option value=\"1\"" not in html
    html = client.get("/agreements", params={"partner": "politecnico"}).text
    assert b in html and a not in html and 'value="politecnico"' in html
    html = client.get("/agreements", params={"partner": "1"}).text  # an id, shown by name
    assert a in html and b not in html and 'value="Hiroshima University"' in html
    assert "0 agreements" in client.get("/agreements", params={"partner": "Nowhere at all"}).text
    r = client.get("/partners/suggest", params={"q": "TORI"})
    assert r.status_code == 200 and r.json() == [{"id": 2, "name": "Politecnico di Torino", "country": "IT"}]
    assert client.get("/partners/suggest", params={"q": ""}).json() == []


def test_a_broad_search_is_counted_up_to_a_limit(client: TestClient, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from web import queries

    sign_in(client, "olga@uni.uz")
    refs = [new_draft(client, title=f"Exchange {i}") for i in range(3)]
    monkeypatch.setattr(queries, "COUNT_LIMIT", 2)
    html = client.get("/agreements", params={"q": "exchange"}).text
    assert "more than 2 agreements" in html and refs[2] in html  # newest first
    monkeypatch.setattr(queries, "COUNT_LIMIT", 3)
    assert "3 agreements" in client.get("/agreements", params={"q": "exchange"}).text
