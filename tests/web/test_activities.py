"""Cooperation activities on the web and the JSON API: officers record, edit and remove,
viewers read; refusals change nothing; names only when asked for, only for officers;
the agreement page shows the utilisation of its quotas; the dashboard warns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from root import App
from tests.cli.test_activity_cli import AGREEMENTS
from tests.dbstate import snapshot
from tests.helpers import hamkor, ok
from tests.web.conftest import post, sign_in
from tests.web.test_api import token_for

HOME = "Home University"


def state(db_url: str) -> dict[str, Any]:
    """Every table but the tokens' last use (each API call records it)."""
    return {k: v for k, v in snapshot(db_url).items() if k != "api_tokens"}


@pytest.fixture
def seeded(hamkor_app: App, db_url: str, tmp_path: Path) -> App:
    path = tmp_path / "agreements.csv"
    path.write_text(AGREEMENTS.format(home=HOME))
    ok(hamkor(db_url, "import", str(path), "--by", "olga@uni.uz"))
    return hamkor_app


MOBILITY: dict[str, Any] = {"kind": "mobility", "agreement": "AGR-2024-0001", "direction": "out",
                            "category": "student-studies", "people": 2, "starts_on": "2025-09-15",
                            "ends_on": "2026-02-10", "names": ["Aziz Karimov", "Dilnoza R"]}


def test_the_api_records_lists_edits_and_removes_each_kind(client: TestClient, seeded: App) -> None:
    officer, viewer = token_for(seeded, "olga@uni.uz"), token_for(seeded, "vera@uni.uz")
    bodies = [
        MOBILITY,
        {"kind": "visit", "partner": "Politecnico di Torino", "direction": "in", "people": 4,
         "starts_on": "2025-10-02", "purpose": "delegation"},
        {"kind": "event", "agreement": "AGR-2020-0001", "title": "Robotics week",
         "starts_on": "2026-03-10", "place": "Tashkent", "people": 120},
        {"kind": "project", "agreement": "AGR-2024-0001", "title": "I2-PLEDGE", "amount": "1000000",
         "currency": "EUR", "starts_on": "2025-01-01", "role": "partner"},
        {"kind": "publication", "agreement": "AGR-2020-0001", "title": "Paper", "year": 2025,
         "doi": "10.1016/j.robot.2025.104321"},
    ]
    ids = []
    for body in bodies:
        r = client.post("/api/activities", json=body, headers=officer)
        assert r.status_code == 201, r.text
        assert "names" not in r.json()
        ids.append(r.json()["id"])
    listed = client.get("/api/activities", headers=viewer).json()
    assert [a["kind"] for a in listed] == ["mobility", "visit", "event", "project", "publication"]
    assert all("names" not in a for a in listed)
    assert client.get("/api/activities?with_names=true", headers=viewer).status_code == 403
    named = client.get("/api/activities?with_names=true&kind=mobility", headers=officer).json()
    assert named[0]["names"] == ["Aziz Karimov", "Dilnoza R"]

    r = client.patch(f"/api/activities/{ids[0]}", json={"people": 3, "version": 1}, headers=officer)
    assert r.status_code == 200 and r.json()["people"] == 3
    stale = client.patch(f"/api/activities/{ids[0]}", json={"people": 4, "version": 1}, headers=officer)
    assert stale.status_code == 409
    r = client.post(f"/api/activities/{ids[0]}/remove-names", json={"reason": "asked"}, headers=officer)
    assert r.status_code == 200 and r.json()["named"] == 0
    assert client.post(f"/api/activities/{ids[1]}/remove", json={"reason": "twice"},
                       headers=viewer).status_code == 403
    r = client.post(f"/api/activities/{ids[1]}/remove", json={"reason": "twice"}, headers=officer)
    assert r.status_code == 200
    assert [a["id"] for a in client.get("/api/activities", headers=viewer).json()] == [
        ids[0], ids[2], ids[3], ids[4]]
    shown = client.get(f"/api/activities/{ids[0]}", headers=viewer).json()
    assert [h["event"] for h in shown["history"]] == ["create", "edit", "names_removed"]
    util = client.get("/api/agreements/AGR-2024-0001/utilisation", headers=viewer)
    assert util.status_code == 200 and util.json() == []  # no conditions on it


@pytest.mark.parametrize(("body", "needle"), [
    ({"kind": "trip", "agreement": "AGR-2020-0001"}, "is not one of"),
    ({**MOBILITY, "direction": None}, "needs its direction"),
    ({**MOBILITY, "people": 0}, "must be at least 1"),
    ({**MOBILITY, "ends_on": "2025-01-01"}, "is before the start"),
    ({"kind": "publication", "agreement": "AGR-2020-0001", "title": "P", "year": 2025,
      "academic_year": "2025/2024"}, "is not an academic year"),
    ({"kind": "publication", "agreement": "AGR-2020-0001", "title": "P", "year": 2025,
      "doi": "doi:11/x"}, "is not a DOI"),
    ({**MOBILITY, "agreement": "AGR-2019-0001"}, "ended on 2024-12-31"),
    ({**MOBILITY, "agreement": None, "partner": "Nowhere"}, "no partner 'Nowhere'"),
])
def test_the_api_refuses_bad_input_with_a_422_and_writes_nothing(
        client: TestClient, seeded: App, db_url: str, body: dict[str, Any], needle: str) -> None:
    officer = token_for(seeded, "olga@uni.uz")
    before = state(db_url)
    r = client.post("/api/activities", json={k: v for k, v in body.items() if v is not None},
                    headers=officer)
    assert r.status_code == 422 and needle in r.json()["detail"], r.text
    assert state(db_url) == before
    assert client.post("/api/activities", json=MOBILITY,
                       headers=token_for(seeded, "vera@uni.uz")).status_code == 403


def test_pages_let_officers_record_and_remove_and_viewers_read(
        make_client: Any, seeded: App, db_url: str) -> None:
    officer = make_client()
    sign_in(officer, "olga@uni.uz")
    form = {k: v for k, v in MOBILITY.items() if k != "names"} | {"names": "Aziz Karimov\nDilnoza R"}
    r = post(officer, "/activities", form)
    assert r.status_code == 303, r.text
    page = officer.get(r.headers["location"])
    assert "Aziz" not in page.text and "2 recorded" in page.text
    assert "Aziz Karimov" in officer.get(r.headers["location"] + "?with_names=1").text
    before = state(db_url)
    bad = post(officer, "/activities", {**form, "people": "-1"})
    assert bad.status_code == 422 and "must be at least 1" in bad.text
    assert state(db_url) == before
    assert "AGR-2024-0001" in officer.get("/activities?kind=mobility").text

    viewer = make_client()
    sign_in(viewer, "vera@uni.uz")
    listing = viewer.get("/activities")
    assert listing.status_code == 200 and "Record an activity" not in listing.text
    activity_id = r.headers["location"].rsplit("/", 1)[1]
    assert viewer.get(f"/activities/{activity_id}?with_names=1").status_code == 403
    refused = post(viewer, f"/activities/{activity_id}/remove", {"reason": "x"})
    assert refused.status_code == 403 and state(db_url) == before
    uz = viewer.get("/activities", headers={"accept-language": "uz"})
    assert "Hamkorlik faoliyati" in uz.text or "Faoliyat" in uz.text

    done = post(officer, f"/activities/{activity_id}/remove", {"reason": "entered twice"})
    assert done.status_code == 303
    assert "AGR-2024-0001" not in officer.get("/activities?kind=mobility").text


def test_the_agreement_page_shows_agreed_used_and_the_gap(make_client: Any, seeded: App,
                                                          db_url: str) -> None:
    env = {"HAMKOR_USER": "olga@uni.uz"}
    ok(hamkor(db_url, "agreement", "conditions", "add", "AGR-2024-0001", "--kind", "student-studies",
              "--from", HOME, "--to", "Politecnico di Torino", "--years", "2025/2026",
              "--mobilities", "5", "--months", "25", "--language", "en:B2", env=env))
    ok(hamkor(db_url, "activity", "add", "AGR-2024-0001", "--kind", "mobility", "--direction", "out",
              "--category", "student-studies", "--people", "2", "--starts", "2025-09-15",
              "--ends", "2026-02-10", env=env))
    viewer = make_client()
    sign_in(viewer, "vera@uni.uz")
    page = viewer.get("/agreements/AGR-2024-0001").text
    assert "Use of the agreed mobility" in page
    row = page.split('<th scope="row">2025/2026</th>')[1].split("</tr>")[0]
    assert ">5 ·" in row and ">2 ·" in row and "<strong>3</strong>" in row


def test_a_file_uploaded_on_the_page_or_sent_to_the_api_imports_all_or_nothing(
        make_client: Any, client: TestClient, seeded: App, db_url: str) -> None:
    from tests.web.conftest import csrf_of

    officer = make_client()
    sign_in(officer, "olga@uni.uz")
    good = ("kind,agreement,direction,category,people,starts_on,ends_on\n"
            "mobility,AGR-2024-0001,out,student-studies,2,2025-09-15,2026-02-10\n")
    bad = good + "mobility,AGR-2024-0001,out,student-studies,0,2025-09-15,2026-02-10\n"
    before = state(db_url)
    r = officer.post("/activities/import", data={"csrf_token": csrf_of(officer, "/activities")},
                     files={"file": ("acts.csv", bad.encode(), "text/csv")})
    assert r.status_code == 422 and "row 3, people: 0 must be at least 1" in r.text
    assert state(db_url) == before
    r = officer.post("/activities/import", data={"csrf_token": csrf_of(officer, "/activities")},
                     files={"file": ("acts.csv", good.encode(), "text/csv")}, follow_redirects=True)
    assert r.status_code == 200 and "1 created" in r.text

    headers = token_for(seeded, "olga@uni.uz")
    body = [{"kind": "visit", "partner": "Politecnico di Torino", "direction": "in", "people": 3,
             "starts_on": "2025-10-01"}, {"kind": "visit", "direction": "in", "people": 3}]
    before = state(db_url)
    r = client.post("/api/activities/import", json=body, headers=headers)
    assert r.status_code == 422
    assert {(e["row"], e["column"]) for e in r.json()["detail"]["errors"]} == {
        (2, "starts_on"), (2, "partner")}
    assert state(db_url) == before
    r = client.post("/api/activities/import?dry_run=true", json=body[:1], headers=headers)
    assert r.json()["created"] == 1 and state(db_url) == before
    assert client.post("/api/activities/import", json=body[:1], headers=headers).json()["created"] == 1
