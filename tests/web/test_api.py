"""The JSON API: bearer tokens, the same operations and refusals as the CLI."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from root import App
from tests.web.conftest import agreement_state


def token_for(app: App, email: str) -> dict[str, str]:
    from workflow.accounts import create_token

    return {"Authorization": "Bearer " + create_token(app.uow(), app.clock(), email, "tests")["token"]}


@pytest.fixture
def tokens(hamkor_app: App) -> dict[str, dict[str, str]]:
    return {role: token_for(hamkor_app, email) for role, email in
            [("officer", "olga@uni.uz"), ("approver", "anvar@uni.uz"), ("viewer", "vera@uni.uz")]}


def create(client: TestClient, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    body = {"title": "Joint research", "partners": ["Politecnico di Torino"], "type": "research",
            "owner": "olga@uni.uz", "starts": "2021-03-01", "months": 36, "forms": ["joint research"],
            "on": "2021-02-01", **extra}
    r = client.post("/api/agreements", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_requests_without_a_valid_token_are_refused(client: TestClient, hamkor_app: App) -> None:
    from workflow.accounts import create_token, revoke_token

    assert client.get("/api/agreements").status_code == 401
    r = client.get("/api/agreements", headers={"Authorization": "Bearer hmk_not-a-real-token"})
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    t = create_token(hamkor_app.uow(), hamkor_app.clock(), "olga@uni.uz", "laptop")
    headers = {"Authorization": f"Bearer {t['token']}"}
    assert client.get("/api/me", headers=headers).json()["email"] == "olga@uni.uz"
    revoke_token(hamkor_app.uow(), t["id"])
    assert client.get("/api/me", headers=headers).status_code == 401


def test_a_session_cookie_does_not_open_the_api(client: TestClient) -> None:
    """The API takes tokens only, so a cross-site request riding on the cookie gets nowhere."""
    from tests.web.conftest import sign_in

    sign_in(client, "olga@uni.uz")
    assert client.get("/api/me").status_code == 401
    assert client.post("/api/partners", json={"name": "X", "country": "FR"}).status_code == 401


def test_lifecycle_over_the_api(client: TestClient, hamkor_app: App, tokens) -> None:
    officer, approver = tokens["officer"], tokens["approver"]
    a = create(client, officer)
    ref = a["ref"]
    assert (a["state"], a["version"], [p["name"] for p in a["parties"]]) == (
        "draft", 1, ["Home University", "Politecnico di Torino"])
    steps = [(officer, {"event": "submit"}), (approver, {"event": "approve"}),
             (officer, {"event": "send_for_signature"}),
             (officer, {"event": "sign", "party": "Politecnico di Torino"}),
             (officer, {"event": "sign", "party": "Home University"}), (officer, {"event": "activate"})]
    for headers, body in steps:
        r = client.post(f"/api/agreements/{ref}/events", json=body, headers=headers)
        assert r.status_code == 200, r.text
    detail = client.get(f"/api/agreements/{ref}", headers=tokens["viewer"]).json()
    assert detail["state"] == "active"
    assert all(p["signed_on"] for p in detail["parties"])
    assert {e["event"] for e in detail["next_events"]} >= {"renew", "give_notice", "terminate"}
    history = client.get(f"/api/agreements/{ref}/history", headers=officer).json()
    assert [e["event"] for e in history] == ["create", "submit", "approve", "send_for_signature",
                                            "sign", "sign", "activate"]
    assert history[2]["actor"] == "anvar@uni.uz"
    listed = client.get("/api/agreements", params={"state": "active", "q": "torino"}, headers=officer).json()
    assert [x["ref"] for x in listed] == [ref]
    r = client.post(f"/api/agreements/{ref}/renew", json={}, headers=officer)
    assert r.status_code == 201 and r.json()["renews"] == ref


def test_refusals_have_statuses_and_change_nothing(client: TestClient, hamkor_app: App, tokens) -> None:
    ref = create(client, tokens["officer"])["ref"]
    client.post(f"/api/agreements/{ref}/events", json={"event": "submit"}, headers=tokens["officer"])
    before = agreement_state(hamkor_app, ref)
    r = client.post(f"/api/agreements/{ref}/events", json={"event": "approve"}, headers=tokens["viewer"])
    assert r.status_code == 403  # a role refusal is forbidden (README), not a conflict
    assert r.json()["detail"] == "vera@uni.uz (viewer) may not approve: needs role approver or above"
    r = client.post(f"/api/agreements/{ref}/events", json={"event": "approve", "version": 1},
                    headers=tokens["approver"])
    assert r.status_code == 409 and r.json()["detail"] == f"{ref} was changed by someone else; retry"
    r = client.post("/api/agreements", json={"title": "x", "partners": ["Hiroshima University"],
                                             "type": "mou"}, headers=tokens["viewer"])
    assert r.status_code == 403 and "needs role officer" in r.json()["detail"]
    r = client.post(f"/api/agreements/{ref}/events", json={"event": "fly"}, headers=tokens["officer"])
    assert r.status_code == 422 and r.json() == {
        "detail": "event 'fly' is not one of submit, request_changes, approve, send_for_signature, "
                  "sign, activate, renew, give_notice, terminate, withdraw",
        "field": "event", "code": "choice"}
    assert client.get("/api/agreements/AGR-1999-0001", headers=tokens["viewer"]).status_code == 404
    r = client.post("/api/partners", json={"name": "Viewer U", "country": "FR"}, headers=tokens["viewer"])
    assert r.status_code == 403
    assert agreement_state(hamkor_app, ref) == before


def test_patch_edits_a_draft_once(client: TestClient, hamkor_app: App, tokens) -> None:
    ref = create(client, tokens["officer"])["ref"]
    r = client.patch(f"/api/agreements/{ref}", json={"version": 1, "title": "Joint research in energy",
                                                     "department": "Energy"}, headers=tokens["officer"])
    assert r.status_code == 200, r.text
    assert (r.json()["title"], r.json()["department"], r.json()["version"]) == (
        "Joint research in energy", "Energy", 2)
    r = client.patch(f"/api/agreements/{ref}", json={"version": 1, "title": "Lost update"},
                     headers=tokens["officer"])
    assert r.status_code == 409
    r = client.patch(f"/api/agreements/{ref}", json={"title": "Viewer edit"}, headers=tokens["viewer"])
    assert r.status_code == 403
    assert agreement_state(hamkor_app, ref) == ("draft", 2, 2)


def test_partners_users_lifecycle_and_openapi(client: TestClient, tokens) -> None:
    r = client.post("/api/partners", json={"name": "Shandong Jianzhu University", "country": "CN"},
                    headers=tokens["officer"])
    assert r.status_code == 201 and r.json()["country"] == "CN"
    r = client.post("/api/partners", json={"name": "shandong  jianzhu university", "country": "CN"},
                    headers=tokens["officer"])
    assert r.status_code == 409
    names = [p["name"] for p in client.get("/api/partners", headers=tokens["viewer"]).json()]
    assert "Shandong Jianzhu University" in names
    roles = {u["email"]: u["role"] for u in client.get("/api/users", headers=tokens["viewer"]).json()}
    assert roles["anvar@uni.uz"] == "approver"
    life = client.get("/api/lifecycle", headers=tokens["viewer"]).json()
    assert life["mermaid"].startswith("stateDiagram-v2")
    assert {"event": "approve", "role": "approver"}.items() <= next(
        t for t in life["transitions"] if t["event"] == "approve").items()
    spec = client.get("/api/openapi.json").json()
    assert "/api/agreements/{ref}/events" in spec["paths"]
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    docs = client.get("/api/docs").text
    assert "/api/agreements/{ref}/events" in docs and "cdn" not in docs.lower()


def test_outbox_over_the_api(client: TestClient, tokens) -> None:
    r = client.get("/api/outbox", headers=tokens["viewer"])
    assert r.status_code == 200 and r.json() == []
    assert client.get("/api/outbox", params={"status": "bogus"}, headers=tokens["viewer"]).status_code == 422


@pytest.mark.parametrize(("method", "path", "body", "expected"), [
    ("patch", "/api/agreements/{ref}", {"partners": None}, 422),
    ("patch", "/api/agreements/{ref}", {"forms": None}, 422),
    ("patch", "/api/agreements/{ref}", {"months": 999999999}, 422),
    ("patch", "/api/agreements/{ref}", {"notice_days": 99999999999}, 422),
    ("patch", "/api/agreements/{ref}", {"starts": "9999-12-31", "months": 12}, 422),
    ("get", "/api/agreements?expiring_within=99999999999", None, 422),
    ("get", "/api/agreements?limit=-1", None, 422),
    ("get", "/api/outbox?limit=0", None, 422),
    ("post", "/api/outbox/99999999999999999999/retry", None, 422),
])
def test_out_of_range_input_is_refused_with_a_client_error_and_changes_nothing(
        client: TestClient, hamkor_app: App, tokens, method: str, path: str, body: Any,
        expected: int) -> None:
    """Huge numbers, far dates and nulls where a list belongs are the caller's mistake
    (4xx with a message), never a server error."""
    ref = create(client, tokens["officer"])["ref"]
    before = agreement_state(hamkor_app, ref)
    kwargs = {"json": body} if body is not None else {}
    r = client.request(method.upper(), path.format(ref=ref), headers=tokens["officer"], **kwargs)
    assert r.status_code == expected, r.text
    assert r.json()["detail"]
    assert agreement_state(hamkor_app, ref) == before


def test_signed_in_pages_and_api_answers_are_never_cached(client: TestClient, tokens) -> None:
    assert client.get("/api/agreements", headers=tokens["viewer"]).headers["cache-control"] == "no-store"
    assert client.get("/login").headers["cache-control"] == "no-store"
