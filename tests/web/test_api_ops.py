"""The API's office operations: exports, outbox messages, own tokens and calendar, the
file store's check -- each the command line's, with its role rules."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from root import App
from tests.web.test_api import create, token_for


@pytest.fixture
def tokens(hamkor_app: App) -> dict[str, dict[str, str]]:
    return {role: token_for(hamkor_app, email) for role, email in
            [("officer", "olga@uni.uz"), ("approver", "anvar@uni.uz"), ("viewer", "vera@uni.uz"),
             ("admin", "root@uni.uz"), ("officer2", "oleg@uni.uz")]}


def test_the_agreements_export_is_the_cli_export_of_the_filtered_list(
        client: TestClient, tokens: dict[str, Any]) -> None:
    a = create(client, tokens["officer"])
    b = create(client, tokens["officer"], title="Student exchange", partners=["Hiroshima University"],
               type="exchange")
    r = client.get("/api/agreements/export.csv", headers=tokens["viewer"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert {row["ref"] for row in rows} == {a["ref"], b["ref"]}
    only = client.get("/api/agreements/export.csv", params={"q": "hiroshima"}, headers=tokens["viewer"])
    assert [row["ref"] for row in csv.DictReader(io.StringIO(only.content.decode("utf-8-sig")))] == [b["ref"]]
    x = client.get("/api/agreements/export.xlsx", params={"type": "research"}, headers=tokens["viewer"])
    assert x.status_code == 200 and x.content[:2] == b"PK"
    assert client.get("/api/agreements/export.pdf", headers=tokens["viewer"]).status_code == 422


def test_the_activities_export_keeps_names_from_viewers(
        client: TestClient, tokens: dict[str, Any]) -> None:
    a = create(client, tokens["officer"])
    bad = client.post("/api/activities", headers=tokens["officer"], json={
        "kind": "mobility", "agreement": a["ref"], "direction": "outgoing"})
    # The API names its JSON field, never the command line's option.
    assert bad.status_code == 422 and bad.json()["field"] == "direction"
    assert bad.json()["detail"].startswith("direction: ") and "--" not in bad.json()["detail"]
    made = client.post("/api/activities", headers=tokens["officer"], json={
        "kind": "mobility", "agreement": a["ref"], "direction": "out", "category": "student-studies",
        "people": 2, "starts_on": "2021-09-01", "ends_on": "2022-01-31", "names": ["Ali Valiyev", "Dilnoza Karimova"]})
    assert made.status_code == 201, made.text
    plain = client.get("/api/activities/export.csv", headers=tokens["viewer"])
    assert plain.status_code == 200 and "Ali Valiyev" not in plain.text and a["ref"] in plain.text
    assert client.get("/api/activities/export.csv", params={"names": "true"},
                      headers=tokens["viewer"]).status_code == 403
    named = client.get("/api/activities/export.csv", params={"names": "true"}, headers=tokens["officer"])
    assert named.status_code == 200 and "Ali Valiyev" in named.text


def test_an_outbox_message_opens_and_dead_ones_are_queued_again(
        client: TestClient, hamkor_app: App, tokens: dict[str, Any]) -> None:
    from sqlalchemy import select, update

    from models import Notification
    from notifications.outbox import Outgoing, enqueue

    clock = hamkor_app.clock()
    with hamkor_app.uow() as uow:
        enqueue(uow.session, [Outgoing(key="test:1", agreement_id=None, term=1, rule="digest",
                                       offset_days=0, due_on=clock.today, to_addr="olga@uni.uz",
                                       subject="Weekly digest", body_text="Three agreements need you.",
                                       body_html=None, kind="digest")], clock.utcnow)
        uow.commit()
        row_id = uow.session.scalar(select(Notification.id))
    r = client.get(f"/api/outbox/{row_id}", headers=tokens["viewer"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["notification"]["status"] == "pending" and "Three agreements need you." in body["text"]
    assert ("Subject", "Weekly digest") in [tuple(h) for h in body["headers"]]
    assert client.get("/api/outbox/999999", headers=tokens["viewer"]).status_code == 404

    with hamkor_app.uow() as uow:
        uow.session.execute(update(Notification).values(status="dead", last_error="550 no such user"))
        uow.commit()
    assert client.post("/api/outbox/retry-dead", json={}, headers=tokens["viewer"]).status_code == 403
    r = client.post("/api/outbox/retry-dead", json={}, headers=tokens["officer"])
    assert r.status_code == 200 and r.json() == {"requeued": 1}
    assert client.get(f"/api/outbox/{row_id}", headers=tokens["viewer"]).json()["notification"]["status"] == "pending"


def test_tokens_are_the_callers_own_and_revoking_anothers_is_refused(
        client: TestClient, tokens: dict[str, Any]) -> None:
    made = client.post("/api/me/tokens", json={"name": "reporting script"}, headers=tokens["officer"])
    assert made.status_code == 201 and made.json()["token"].startswith("hmk_")
    mine = client.get("/api/me/tokens", headers=tokens["officer"]).json()
    assert "reporting script" in [t["name"] for t in mine] and all("token" not in t for t in mine)
    assert all(t["user"] == "olga@uni.uz" for t in mine)
    other = client.post(f"/api/me/tokens/{made.json()['id']}/revoke", headers=tokens["officer2"])
    assert other.status_code == 404
    new = {"Authorization": "Bearer " + made.json()["token"]}
    assert client.get("/api/me", headers=new).status_code == 200  # still valid
    assert client.post(f"/api/me/tokens/{made.json()['id']}/revoke", headers=tokens["officer"]).status_code == 200
    assert client.get("/api/me", headers=new).status_code == 401
    assert client.post("/api/me/tokens", json={"name": ""}, headers=tokens["officer"]).status_code == 422


def test_the_calendar_lists_your_agreements_or_the_offices(
        client: TestClient, tokens: dict[str, Any]) -> None:
    create(client, tokens["officer"])
    r = client.get("/api/me/calendar.ics", headers=tokens["officer"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    assert r.content.startswith(b"BEGIN:VCALENDAR")
    office = client.get("/api/me/calendar.ics", params={"office": "true"}, headers=tokens["viewer"])
    assert office.status_code == 200 and office.content.startswith(b"BEGIN:VCALENDAR")


def test_verifying_the_file_store_is_for_admins(client: TestClient, tokens: dict[str, Any]) -> None:
    assert client.post("/api/files/verify", headers=tokens["approver"]).status_code == 403
    r = client.post("/api/files/verify", headers=tokens["admin"])
    assert r.status_code == 200 and r.json()["missing"] == [] and r.json()["altered"] == []
