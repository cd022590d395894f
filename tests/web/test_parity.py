"""The command line's operations in the browser and the JSON API (issue 18): cooperation
conditions (add, change, move, remove; amendments with the old and new iia-hash), import
(a dry run row by row, then exactly that file), the EWP exchange, the audit log. Every
refusal changes nothing. On both databases."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from root import App
from tests.web.conftest import HOME_HEI, agreement_state, csrf_of, new_draft, post, sign_in
from tests.web.test_api import token_for
from tests.web.test_ewp import YEAR, erasmus_draft, section, sign_and_activate

pytestmark = pytest.mark.home_hei
FIRST, LAST = f"{YEAR}/{YEAR + 1}", f"{YEAR + 2}/{YEAR + 3}"


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)))


def flashes(page: str) -> str:
    return " ".join(text_of(m) for m in re.findall(r'<p class="flash flash-\w+"[^>]*>(.*?)</p>', page, re.S))


def refusal(page: str) -> str:
    m = re.search(r'<div class="flash flash-error" role="alert">(.*?)</div>', page, re.S)
    assert m, "no refusal on the page"
    return text_of(m.group(1))


def condition_form(**over: Any) -> dict[str, Any]:
    data = {"kind": "student-studies", "sending": "Home University", "receiving": "Politecnico di Torino",
            "first_year": FIRST, "last_year": LAST, "mobilities": "3", "total_months": "5",
            "isced": "0613, 0714:Mechatronics", "languages": "en:B2", "eqf": "6, 7"}
    data.update(over)
    return data


def conditions_of(app: App, ref: str) -> list[dict[str, Any]]:
    from ewp.conditions import list_conditions

    return list_conditions(app.uow(), app.home(), ref)


def polito_hei(app: App) -> None:
    """Politecnico di Torino's hei-id, set as an officer does: the audited partner edit."""
    from workflow.partners import edit_partner

    edit_partner(app.uow(), app.clock(), "Politecnico di Torino", {"hei_id": "polito.it"},
                 actor_email="olga@uni.uz")


# --- cooperation conditions --------------------------------------------------------------------


def test_an_officer_adds_changes_moves_and_removes_the_conditions_of_a_draft(
        make_client: Callable[[], TestClient], hamkor_app: App) -> None:
    officer = make_client()
    sign_in(officer, "olga@uni.uz")
    polito_hei(hamkor_app)
    ref = erasmus_draft(officer)

    r = post(officer, f"/agreements/{ref}/conditions", condition_form())
    assert r.status_code == 303 and r.headers["location"] == f"/agreements/{ref}#conditions"
    r = post(officer, f"/agreements/{ref}/conditions",
             condition_form(sending="Politecnico di Torino", receiving="Home University",
                            mobilities="2", isced="", eqf=""))
    assert r.status_code == 303
    page = officer.get(f"/agreements/{ref}").text
    assert "Condition 2 added." in flashes(page) and "Amendment" not in flashes(page)
    got = conditions_of(hamkor_app, ref)
    assert [(c["from"], c["mobilities_per_year"]) for c in got] == [
        ("Home University", 3), ("Politecnico di Torino", 2)]
    assert got[0]["subject_areas"] == [{"code": "0613", "clarification": None},
                                       {"code": "0714", "clarification": "Mechatronics"}]
    assert (got[0]["first_year"], got[0]["last_year"], got[0]["eqf_levels"]) == (FIRST, LAST, [6, 7])
    # The change form is filled with the condition as it is.
    box = section(page, "conditions")
    assert 'action="/agreements/' + ref + '/conditions/1/edit"' in box
    assert 'value="0613, 0714:Mechatronics"' in box and 'value="en:B2"' in box

    # A clarification with commas survives the change form (a comma before a code separates).
    r = post(officer, f"/agreements/{ref}/conditions/1/edit",
             condition_form(isced="0714:Mechatronics, robotics, 0613"))
    assert r.status_code == 303
    assert conditions_of(hamkor_app, ref)[0]["subject_areas"] == [
        {"code": "0714", "clarification": "Mechatronics, robotics"},
        {"code": "0613", "clarification": None}]
    r = post(officer, f"/agreements/{ref}/conditions/2/edit",
             condition_form(sending="Politecnico di Torino", receiving="Home University",
                            mobilities="9", isced="", eqf=""))
    assert r.status_code == 303
    assert conditions_of(hamkor_app, ref)[1]["mobilities_per_year"] == 9
    r = post(officer, f"/agreements/{ref}/conditions/2/move", {"direction": "up"})
    assert r.status_code == 303
    assert [c["mobilities_per_year"] for c in conditions_of(hamkor_app, ref)] == [9, 3]
    # The first of its kind cannot move up: refused, nothing changed.
    before = agreement_state(hamkor_app, ref)
    r = post(officer, f"/agreements/{ref}/conditions/1/move", {"direction": "up"})
    assert r.status_code == 422 and "Nothing was changed." in refusal(r.text)
    assert agreement_state(hamkor_app, ref) == before
    r = post(officer, f"/agreements/{ref}/conditions/1/remove")
    assert r.status_code == 303
    assert [c["mobilities_per_year"] for c in conditions_of(hamkor_app, ref)] == [3]


def test_a_change_of_a_signed_agreement_is_an_amendment_showing_the_old_and_new_hash(
        make_client: Callable[[], TestClient], hamkor_app: App) -> None:
    from ewp.approvals import status

    officer = make_client()
    sign_in(officer, "olga@uni.uz")
    polito_hei(hamkor_app)
    ref = erasmus_draft(officer)
    assert post(officer, f"/agreements/{ref}/conditions", condition_form()).status_code == 303
    sign_and_activate(hamkor_app, ref)
    old = status(hamkor_app.uow(), hamkor_app.home(), ref)[0]["hash"]
    page = officer.get(f"/agreements/{ref}").text
    assert f"(now {old})" in text_of(section(page, "conditions"))  # the amendment note

    r = post(officer, f"/agreements/{ref}/conditions", condition_form(kind="staff-teacher",
             total_months="", total_days="10", eqf="", isced=""))
    assert r.status_code == 303
    new = status(hamkor_app.uow(), hamkor_app.home(), ref)[0]["hash"]
    assert new and new != old
    page = officer.get(f"/agreements/{ref}").text
    assert f"Amendment recorded: iia-hash {old} → {new}." in flashes(page)
    assert f"iia-hash {old} -> {new}" in text_of(section(page, "timeline"))

    headers = token_for(hamkor_app, "olga@uni.uz")
    body = {"kind": "staff-teacher", "sending": "Home University", "receiving": "polito.it",
            "first_year": FIRST, "mobilities": 4, "total_days": "10", "languages": ["en:C1"]}
    r = officer.put(f"/api/agreements/{ref}/conditions/2", json=body, headers=headers)
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["amended"], out["old_hash"], out["n"]) == (True, new, 2) and out["hash"] != new
    assert out["condition"]["mobilities_per_year"] == 4


def test_refused_condition_changes_change_nothing_and_are_worded_for_the_page(
        make_client: Callable[[], TestClient], hamkor_app: App) -> None:
    officer, viewer = make_client(), make_client()
    sign_in(officer, "olga@uni.uz")
    sign_in(viewer, "vera@uni.uz")
    polito_hei(hamkor_app)
    ref = erasmus_draft(officer)
    before = agreement_state(hamkor_app, ref)

    r = post(viewer, f"/agreements/{ref}/conditions", condition_form())
    assert r.status_code == 403 and "Nothing was changed." in refusal(r.text)
    r = post(officer, f"/agreements/{ref}/conditions", condition_form(first_year="2025-2026"))
    assert r.status_code == 422
    message = refusal(r.text)
    assert "Academic years '2025-2026' is not an academic year" in message and "--" not in message
    assert 'value="2025-2026"' in r.text  # the form keeps what was typed
    r = post(officer, f"/agreements/{ref}/conditions", condition_form(kind="staff-teacher"))
    assert r.status_code == 422
    assert "Total months per year is for student mobility" in refusal(r.text)
    assert "--" not in refusal(r.text)

    officer.post("/lang", data={"lang": "uz", "next": "/", "csrf_token": csrf_of(officer, "/")})
    r = post(officer, f"/agreements/{ref}/conditions", condition_form(mobilities="0"))
    assert r.status_code == 422
    message = refusal(r.text)
    assert "«Yiliga mobilliklar» (0) yiliga musbat son boʻlishi kerak" in message, message
    assert "Hech narsa oʻzgartirilmadi." in message
    assert agreement_state(hamkor_app, ref) == before and conditions_of(hamkor_app, ref) == []

    headers = token_for(hamkor_app, "vera@uni.uz")
    body = {"kind": "student-studies", "sending": "Home University", "receiving": "polito.it",
            "first_year": FIRST, "mobilities": 1, "total_months": "5", "languages": ["en:B2"]}
    r = viewer.post(f"/api/agreements/{ref}/conditions", json=body, headers=headers)
    assert r.status_code == 403
    r = officer.post(f"/api/agreements/{ref}/conditions", json={**body, "mobilities": 0},
                     headers=token_for(hamkor_app, "olga@uni.uz"))
    assert r.status_code == 422 and r.json()["field"] == "mobilities"
    assert agreement_state(hamkor_app, ref) == before and conditions_of(hamkor_app, ref) == []


def test_the_api_lists_adds_moves_and_removes_conditions(
        make_client: Callable[[], TestClient], hamkor_app: App) -> None:
    client = make_client()
    sign_in(client, "olga@uni.uz")
    polito_hei(hamkor_app)
    ref = erasmus_draft(client)
    headers = token_for(hamkor_app, "olga@uni.uz")
    body = {"kind": "student-studies", "sending": HOME_HEI, "receiving": "polito.it",
            "first_year": FIRST, "last_year": LAST, "mobilities": 1, "total_months": "5",
            "languages": ["en:B2"]}
    for n in (1, 2):
        r = client.post(f"/api/agreements/{ref}/conditions", json={**body, "mobilities": n},
                        headers=headers)
        assert r.status_code == 201 and r.json()["n"] == n and r.json()["amended"] is False
    r = client.post(f"/api/agreements/{ref}/conditions/1/move", json={"direction": "down"},
                    headers=headers)
    assert r.status_code == 200 and r.json()["n"] == 2
    listed = client.get(f"/api/agreements/{ref}/conditions", headers=headers).json()
    assert [c["mobilities_per_year"] for c in listed] == [2, 1]
    r = client.delete(f"/api/agreements/{ref}/conditions/1", headers=headers)
    assert r.status_code == 200 and r.json()["removed"]["mobilities_per_year"] == 2
    r = client.delete(f"/api/agreements/{ref}/conditions/5", headers=headers)
    assert r.status_code == 404
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in ("/api/agreements/{ref}/conditions", "/api/agreements/{ref}/conditions/{n}",
                 "/api/agreements/{ref}/conditions/{n}/move", "/api/import", "/api/audit",
                 "/api/ewp/status", "/api/ewp/iias", "/api/ewp/iias/import", "/api/agreements/export.{fmt}",
                 "/api/agreements/{ref}/ewp/approve", "/api/ewp/approvals",
                 "/api/ewp/approvals/import"):
        assert path in paths, path


# --- import ------------------------------------------------------------------------------------

GOOD = ("ref,title,type,partners,department\n"
        "AGR-2021-0001,Exchange one,exchange,Home University;Hiroshima University,Physics\n"
        "AGR-2021-0002,Exchange two,exchange,Home University;Politecnico di Torino,Physics\n")
BAD = GOOD + "AGR-2021-0003,Exchange three,bogus,Home University;Hiroshima University,Physics\n"


def upload(client: TestClient, path: str, name: str, data: bytes, **fields: str) -> Any:
    return client.post(path, data={"csrf_token": csrf_of(client, "/"), **fields},
                       files={"file": (name, data, "application/octet-stream")}, follow_redirects=False)


def count_agreements(app: App) -> int:
    from sqlalchemy import func, select

    from models import Agreement

    with app.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Agreement)) or 0)


def test_an_import_with_a_bad_row_shows_its_error_and_changes_nothing_then_a_good_file_imports(
        make_client: Callable[[], TestClient], hamkor_app: App) -> None:
    officer = make_client()
    sign_in(officer, "olga@uni.uz")
    r = upload(officer, "/import/preview", "agreements.csv", BAD.encode())
    assert r.status_code == 422
    rows = re.findall(r'<tr data-row="(\d+)">(.*?)</tr>', section(r.text, "imp-errors"), re.S)
    assert [n for n, _ in rows] == ["4"]
    assert "type" in text_of(rows[0][1]) and "bogus" in text_of(rows[0][1])
    assert "nothing was imported" in refusal(r.text)
    assert count_agreements(hamkor_app) == 0

    r = upload(officer, "/import/preview", "agreements.csv", GOOD.encode())
    assert r.status_code == 200
    preview = section(r.text, "imp-preview")
    assert "Would create 2, update 0, leave unchanged 0 agreements." in text_of(preview)
    assert [n for n in re.findall(r'<tr data-row="(\d+)">', preview)] == ["2", "3"]
    token = re.search(r'name="token" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
    assert count_agreements(hamkor_app) == 0  # a preview writes nothing

    # Another browser (another session) cannot confirm this preview.
    other = make_client()
    sign_in(other, "oleg@uni.uz")
    r = post(other, "/import/confirm", {"token": token})
    assert r.status_code == 409 and count_agreements(hamkor_app) == 0

    r = post(officer, "/import/confirm", {"token": token})
    assert r.status_code == 303
    page = officer.get("/import").text
    assert "agreements.csv: created 2, updated 0, unchanged 0." in flashes(page)
    assert count_agreements(hamkor_app) == 2
    r = post(officer, "/import/confirm", {"token": token})  # used: gone
    assert r.status_code == 409 and count_agreements(hamkor_app) == 2


def test_an_import_refuses_when_the_data_changed_since_its_preview(
        make_client: Callable[[], TestClient], hamkor_app: App) -> None:
    officer = make_client()
    sign_in(officer, "olga@uni.uz")
    r = upload(officer, "/import/preview", "agreements.csv", GOOD.encode())
    token = re.search(r'name="token" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
    from workflow.transfer import decode_csv, import_sheet

    import_sheet(hamkor_app.uow(immediate=True), hamkor_app.clock(), hamkor_app.office(),
                 decode_csv(GOOD.replace("Exchange one", "Renamed")), source="x.csv", by="olga@uni.uz")
    count = count_agreements(hamkor_app)
    r = post(officer, "/import/confirm", {"token": token})
    assert r.status_code == 422 and "preview it again" in refusal(r.text)
    assert count_agreements(hamkor_app) == count

    viewer = make_client()
    sign_in(viewer, "vera@uni.uz")
    r = upload(viewer, "/import/preview", "agreements.csv", GOOD.encode())
    assert r.status_code == 403
    r = upload(officer, "/import/preview", "agreements.txt", GOOD.encode())
    assert r.status_code == 422 and "CSV, XLSX or JSON" in refusal(r.text)


def test_the_api_imports_after_a_dry_run_only_what_it_reported(
        make_client: Callable[[], TestClient], hamkor_app: App) -> None:
    client = make_client()
    headers = token_for(hamkor_app, "olga@uni.uz")
    rows = [{"ref": "AGR-2021-0001", "title": "Exchange one", "type": "exchange",
             "partners": "Home University;Hiroshima University"}]
    r = client.post("/api/import", json={"rows": [{**rows[0], "type": "bogus"}], "dry_run": True},
                    headers=headers)
    assert r.status_code == 422 and r.json()["detail"]["errors"][0]["column"] == "type"
    r = client.post("/api/import", json={"rows": rows, "dry_run": True}, headers=headers)
    assert r.status_code == 200 and r.json()["created"] == ["AGR-2021-0001"]
    digest = r.json()["digest"]
    r = client.post("/api/import", json={"rows": rows, "expect": "0" * 64}, headers=headers)
    assert r.status_code == 409 and count_agreements(hamkor_app) == 0
    r = client.post("/api/import", json={"rows": rows, "expect": digest}, headers=headers)
    assert r.status_code == 200 and count_agreements(hamkor_app) == 1
    r = client.post("/api/import", json={"rows": rows},
                    headers=token_for(hamkor_app, "vera@uni.uz"))
    assert r.status_code == 403


# --- the EWP exchange --------------------------------------------------------------------------


def test_the_ewp_exchange_in_the_browser(make_client: Callable[[], TestClient], hamkor_app: App) -> None:
    from ewp.conditions import ConditionInput, add_condition
    from ewp.demo import partner_approvals, partner_copy
    from workflow.registry import edit_user

    app = hamkor_app
    officer, approver = make_client(), make_client()
    sign_in(officer, "olga@uni.uz")
    sign_in(approver, "anvar@uni.uz")
    polito_hei(app)
    ref = erasmus_draft(officer)
    add_condition(app.uow(), app.clock(), app.home(), ref,
                  ConditionInput(kind="staff-training", sending=HOME_HEI, receiving="polito.it",
                                 years=FIRST, mobilities=1, days="5"), by="olga@uni.uz")
    sign_and_activate(app, ref)

    r = officer.get("/ewp/iias.xml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    assert "attachment" in r.headers["content-disposition"]
    ours = r.content
    iia_id = re.search(rb"<iia-id>([^<]+)</iia-id>", ours).group(1).decode()  # type: ignore[union-attr]
    theirs = partner_copy(ours, {iia_id: "polito-9"})

    before = agreement_state(app, ref)
    r = upload(officer, "/ewp/iias/preview", "polito.xml", theirs)
    assert r.status_code == 200, r.text
    assert "Would create 0, update 1, leave unchanged 0." in text_of(section(r.text, "x-preview"))
    assert agreement_state(app, ref) == before  # the dry run wrote nothing
    token = re.search(r'name="token" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
    r = post(officer, "/ewp/iias/confirm", {"token": token})
    assert r.status_code == 303
    page = officer.get("/ewp").text
    assert "polito.xml: created 0, updated 1, unchanged 0." in flashes(page)
    r = post(officer, "/ewp/iias/confirm", {"token": token})  # used: gone
    assert r.status_code == 409 and "no longer available" in refusal(r.text)
    row = re.search(rf'<tr data-ref="{ref}">(.*?)</tr>', page, re.S).group(1)  # type: ignore[union-attr]
    assert 'data-approval="none"' in row and "/approve" not in row  # officers do not approve

    r = post(officer, f"/ewp/{ref}/approve")
    assert r.status_code == 403
    assert 'id="ewp-approve"' not in officer.get(f"/agreements/{ref}").text
    assert 'id="ewp-approve"' in approver.get(f"/agreements/{ref}").text  # also on its own page
    page = approver.get("/ewp").text
    assert f'action="/ewp/{ref}/approve"' in page
    r = post(approver, f"/ewp/{ref}/approve")
    assert r.status_code == 303
    assert "the partner’s copy" in flashes(approver.get("/ewp").text)
    assert b"polito-9" in officer.get("/ewp/approvals.xml").content

    theirs_ok = partner_approvals(officer.get("/ewp/iias.xml").content)
    r = upload(officer, "/ewp/approvals", "approvals.xml", theirs_ok)
    assert r.status_code == 303
    page = officer.get("/ewp").text
    assert "approvals.xml: 1 recorded, 0 unchanged." in flashes(page)
    row = re.search(rf'<tr data-ref="{ref}">(.*?)</tr>', page, re.S).group(1)  # type: ignore[union-attr]
    assert 'data-approval="mutual"' in row

    # A broken file: refused, nothing changed.
    before = agreement_state(app, ref)
    r = upload(officer, "/ewp/iias/preview", "broken.xml", b"<not-xml")
    assert r.status_code == 422 and "Nothing was changed." in refusal(r.text)
    assert agreement_state(app, ref) == before

    headers = token_for(app, "vera@uni.uz")
    rows = officer.get("/api/ewp/status", headers=headers).json()
    assert [(x["ref"], x["mapped"], x["approval"]) for x in rows] == [(ref, True, "mutual")]
    r = officer.post("/api/ewp/iias/import?dry_run=true", content=theirs,
                     headers={**headers, "Content-Type": "application/xml"})
    assert r.status_code == 403  # viewers do not import

    # A confirmation refused (its officer became a viewer since the preview): nothing
    # changed, and the preview is gone.
    r = upload(officer, "/ewp/iias/preview", "polito.xml", theirs)
    token = re.search(r'name="token" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
    edit_user(app.uow(), "olga@uni.uz", role="viewer")
    before = agreement_state(app, ref)
    r = post(officer, "/ewp/iias/confirm", {"token": token})
    assert r.status_code == 403 and "Nothing was changed." in refusal(r.text)
    assert agreement_state(app, ref) == before
    assert post(officer, "/ewp/iias/confirm", {"token": token}).status_code == 409


# --- the audit log -----------------------------------------------------------------------------


def test_the_audit_log_filters_by_person_event_dates_and_agreement(
        make_client: Callable[[], TestClient], hamkor_app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    from workflow import audit

    officer, viewer = make_client(), make_client()
    sign_in(officer, "olga@uni.uz")
    sign_in(viewer, "vera@uni.uz")
    first = new_draft(officer, title="First")
    second = erasmus_draft(officer)
    sign_and_activate(hamkor_app, second)

    page = viewer.get("/audit").text
    listed = re.findall(r'<tr data-event="(\w+)">', page)
    assert listed[0] == "activate" and listed[-1] == "create" and len(listed) == 8
    page = viewer.get("/audit", params={"actor": "anvar@uni.uz"}).text
    assert re.findall(r'<tr data-event="(\w+)">', page) == ["approve"]
    page = viewer.get("/audit", params={"event": "create"}).text
    assert re.findall(r'/agreements/(AGR-[\d-]+)"', section(page, "au-list")) == [second, first]
    page = viewer.get("/audit", params={"ref": first.lower()}).text
    assert re.findall(r'<tr data-event="(\w+)">', page) == ["create"]
    page = viewer.get("/audit", params={"since": "2000-01-01", "until": "2000-12-31"}).text
    assert "No event matches." in page
    r = viewer.get("/audit", params={"since": "2021-01-01", "until": "2020-01-01"})
    assert r.status_code == 422 and "From 2021-01-01 is after To 2020-01-01" in refusal(r.text)

    monkeypatch.setattr(audit, "PAGE_SIZE", 3)
    page = viewer.get("/audit", params={"page": "2"}).text
    assert "Page 2 of 3 (8 events)" in text_of(page)
    assert 'rel="prev"' in page and 'rel="next"' in page

    headers = token_for(hamkor_app, "vera@uni.uz")
    r = viewer.get("/api/audit", params={"size": 5, "page": 2}, headers=headers)
    out = r.json()
    assert (out["total"], out["pages"], len(out["entries"])) == (8, 2, 3)
    assert out["entries"][-1]["event"] == "create"
    r = viewer.get("/api/audit", params={"actor": "anvar@uni.uz"}, headers=headers)
    assert [e["event"] for e in r.json()["entries"]] == ["approve"]


def test_new_pages_render_in_uzbek_and_russian_without_command_line_wording(
        make_client: Callable[[], TestClient], hamkor_app: App) -> None:
    client = make_client()
    sign_in(client, "olga@uni.uz")
    ref = erasmus_draft(client)
    for lang, word in (("uz", "Shart qoʻshish"), ("ru", "Добавить условие")):
        client.post("/lang", data={"lang": lang, "next": "/", "csrf_token": csrf_of(client, "/")})
        for path in ("/import", "/ewp", "/audit", f"/agreements/{ref}"):
            page = client.get(path).text
            assert "--" not in text_of(page.split("<main", 1)[1]).replace("—", ""), path
            # ("hamkor" alone is Uzbek for "partner")
            assert not re.search(r"hamkor (user|agreement|ewp|import|export|db|partner)\b",
                                 text_of(page.split("<main", 1)[1])), path
        assert word in client.get(f"/agreements/{ref}").text


# --- the outbox's message view -------------------------------------------------------------------


def test_a_dead_message_shows_why_and_is_retried_from_its_page(
        make_client: Callable[[], TestClient], hamkor_app: App) -> None:
    from sqlalchemy import select, update

    from models import Notification

    officer, viewer = make_client(), make_client()
    sign_in(officer, "olga@uni.uz")
    sign_in(viewer, "vera@uni.uz")
    ref = new_draft(officer)
    assert post(officer, f"/agreements/{ref}/events/submit", {"note": ""}).status_code == 303
    with hamkor_app.uow() as uow:
        row_id = uow.session.scalar(select(Notification.id).order_by(Notification.id))
        uow.session.execute(update(Notification).where(Notification.id == row_id).values(
            status="dead", attempts=5, last_error="550 5.1.1 mailbox unavailable"))
        uow.commit()

    page = viewer.get(f"/outbox/{row_id}").text
    box = text_of(section(page, "delivery"))
    assert "dead every attempt failed" in box and "Why 550 5.1.1 mailbox unavailable" in box
    assert f'action="/outbox/{row_id}/retry"' not in page  # viewers do not retry
    officer.post("/lang", data={"lang": "ru", "next": "/", "csrf_token": csrf_of(officer, "/")})
    page = officer.get(f"/outbox/{row_id}").text
    assert "не доставлено" in text_of(section(page, "delivery"))
    r = post(officer, f"/outbox/{row_id}/retry", {"next": f"/outbox/{row_id}"})
    assert r.status_code == 303 and r.headers["location"] == f"/outbox/{row_id}"
    assert 'data-status="pending"' in officer.get(f"/outbox/{row_id}").text
    with hamkor_app.uow() as uow:
        uow.session.execute(update(Notification).where(Notification.id == row_id).values(status="dead"))
        uow.commit()
    r = post(officer, f"/outbox/{row_id}/retry", {"next": "https://evil.example/"})
    assert r.status_code == 303 and r.headers["location"] == "/outbox"  # never elsewhere


@pytest.mark.parametrize("hei_id", [None])
def test_without_our_hei_id_the_ewp_page_says_why_and_the_import_page_is_for_officers(
        make_client: Callable[[], TestClient], hamkor_app: App) -> None:
    viewer = make_client()
    sign_in(viewer, "vera@uni.uz")
    page = viewer.get("/ewp").text
    assert "HAMKOR_INSTITUTION_HEI_ID (our hei-id) is not set" in text_of(section(page, "x-overview"))
    assert 'action="/ewp/iias/preview"' not in page  # viewers upload nothing
    page = viewer.get("/import").text
    assert "Importing needs the officer role or above." in page and 'action="/import/preview"' not in page
    assert 'href="/import"' not in page.split("<main", 1)[0]  # not in a viewer's menu
    officer = make_client()
    sign_in(officer, "olga@uni.uz")
    r = upload(officer, "/ewp/iias/preview", "polito.xml", b"<x/>")
    assert r.status_code == 422 and "Nothing was changed." in refusal(r.text)


def test_an_import_problem_of_the_rule_book_is_worded_in_the_readers_language(
        make_client: Callable[[], TestClient], hamkor_app: App) -> None:
    officer = make_client()
    sign_in(officer, "olga@uni.uz")
    officer.post("/lang", data={"lang": "ru", "next": "/", "csrf_token": csrf_of(officer, "/")})
    bad = ("ref,title,type,partners,starts_on\n"
           "AGR-2021-0001,Exchange one,exchange,Home University;Hiroshima University,someday\n")
    r = upload(officer, "/import/preview", "agreements.csv", bad.encode())
    assert r.status_code == 422
    [row] = re.findall(r'<tr data-row="2">(.*?)</tr>', r.text, re.S)
    assert "someday" in text_of(row) and "is not a date" not in text_of(row), text_of(row)
    assert count_agreements(hamkor_app) == 0
