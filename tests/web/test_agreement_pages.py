"""The agreement pages: the whole lifecycle through forms, refusals that change nothing,
roles enforced by the services, conflicts, draft editing."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from root import App
from tests.web.conftest import agreement_state, new_draft, post, sign_in


def advance(client: TestClient, ref: str, event: str, version: int | None = None, **data: str):
    if version is not None:
        data["version"] = str(version)
    return post(client, f"/agreements/{ref}/events/{event}", data)


def test_officer_and_approver_take_a_draft_to_active(make_client, hamkor_app: App) -> None:
    officer, approver = make_client(), make_client()
    sign_in(officer, "olga@uni.uz")
    sign_in(approver, "anvar@uni.uz")
    ref = new_draft(officer)
    page = officer.get(f"/agreements/{ref}").text
    assert "Submit for review" in page and "Approve" not in page  # officers cannot approve
    assert advance(officer, ref, "submit").status_code == 303
    assert "Approve" in approver.get(f"/agreements/{ref}").text
    assert ref in approver.get("/").text  # in review, waiting for the approver
    assert advance(approver, ref, "approve").status_code == 303
    assert advance(officer, ref, "send_for_signature").status_code == 303
    page = officer.get(f"/agreements/{ref}").text
    assert "Record a signature" in page and "not signed yet" in page
    assert advance(officer, ref, "sign", party="Hiroshima University").status_code == 303
    assert advance(officer, ref, "sign", party="Home University").status_code == 303
    r = advance(officer, ref, "activate")
    assert r.status_code == 303
    page = officer.get(r.headers["location"]).text
    assert "Activate done; state is now active" in page
    state, _, events = agreement_state(hamkor_app, ref)
    assert (state, events) == ("active", 7)
    timeline = page.split('id="timeline"')[1]
    for label in ("created", "Submit for review", "Approve", "Send for signature",
                  "Record a signature", "Activate"):
        assert label in timeline
    assert "anvar@uni.uz" in timeline


def test_viewer_sees_no_buttons_and_a_forged_approve_is_refused(make_client, hamkor_app: App) -> None:
    """Role escalation: a viewer's POST reaches the service, which refuses it; nothing changes."""
    officer, viewer = make_client(), make_client()
    sign_in(officer, "olga@uni.uz")
    sign_in(viewer, "vera@uni.uz")
    ref = new_draft(officer)
    advance(officer, ref, "submit")
    before = agreement_state(hamkor_app, ref)
    page = viewer.get(f"/agreements/{ref}").text
    assert "/events/" not in page and "Edit draft" not in page
    assert "No action is open to you" in page
    assert "New agreement" not in viewer.get("/").text
    r = advance(viewer, ref, "approve")
    assert r.status_code == 403  # a role refusal is forbidden, not a conflict
    assert "vera@uni.uz (viewer) may not approve: needs role approver or above" in r.text
    assert "Nothing was changed." in r.text
    assert agreement_state(hamkor_app, ref) == before
    r = post(viewer, f"/agreements/{ref}/renew")
    assert r.status_code == 409 and agreement_state(hamkor_app, ref) == before
    r = post(viewer, "/agreements/new", {"title": "Sneaky", "type": "mou", "partners": ["Hiroshima University"]})
    assert r.status_code == 403 and "needs role officer" in r.text
    r = post(viewer, "/partners", {"name": "Viewer College", "country": "FR"})
    assert r.status_code == 403
    assert "Viewer College" not in viewer.get("/partners").text


def test_officer_forging_approve_is_refused(make_client, hamkor_app: App) -> None:
    officer = make_client()
    sign_in(officer, "oleg@uni.uz")
    ref = new_draft(officer, owner="oleg@uni.uz")
    advance(officer, ref, "submit")
    before = agreement_state(hamkor_app, ref)
    r = advance(officer, ref, "approve")
    assert r.status_code == 403 and "needs role approver" in r.text
    assert agreement_state(hamkor_app, ref) == before


def test_four_eyes_the_submitter_cannot_approve(make_client, hamkor_app: App) -> None:
    approver = make_client()
    sign_in(approver, "aziza@uni.uz")
    ref = new_draft(approver)
    advance(approver, ref, "submit")
    page = approver.get(f"/agreements/{ref}").text
    assert "another approver must approve (four eyes)" in page  # listed as not possible now
    assert f"/agreements/{ref}/events/approve" not in page
    before = agreement_state(hamkor_app, ref)
    r = advance(approver, ref, "approve")
    assert r.status_code == 409 and "four eyes" in r.text
    assert agreement_state(hamkor_app, ref) == before
    assert ref not in approver.get("/").text.split('id="todo-review"')[1].split("</section>")[0]


def test_refused_event_shows_the_reason_and_changes_nothing(client: TestClient, hamkor_app: App) -> None:
    sign_in(client, "olga@uni.uz")
    ref = new_draft(client, starts="", months="")
    before = agreement_state(hamkor_app, ref)
    r = advance(client, ref, "submit")
    assert r.status_code == 409
    assert "incomplete: missing start date, expiry date" in r.text
    assert agreement_state(hamkor_app, ref) == before
    r = advance(client, ref, "withdraw", note="")
    assert r.status_code == 409 and "a note is required (Note)" in r.text
    r = advance(client, ref, "submit", on="2999-01-01")
    assert r.status_code == 409 and "is in the future" in r.text
    assert agreement_state(hamkor_app, ref) == before


def test_stale_page_gets_a_conflict_and_the_new_state(make_client, hamkor_app: App) -> None:
    """Two people on the same page: the second click says someone else changed it."""
    first, second = make_client(), make_client()
    sign_in(first, "olga@uni.uz")
    sign_in(second, "oleg@uni.uz")
    ref = new_draft(first)
    assert advance(first, ref, "submit", version=1).status_code == 303
    r = advance(second, ref, "withdraw", version=1, note="duplicate")
    assert r.status_code == 409
    assert f"{ref} was changed by someone else" in r.text
    assert "it is now in review (version 2)" in r.text
    assert agreement_state(hamkor_app, ref) == ("in_review", 2, 2)


def test_edit_draft_bumps_the_version_and_records_an_edit(client: TestClient, hamkor_app: App) -> None:
    sign_in(client, "olga@uni.uz")
    ref = new_draft(client)
    form = client.get(f"/agreements/{ref}/edit").text
    assert 'value="Academic exchange"' in form and 'name="version" value="1"' in form
    r = post(client, f"/agreements/{ref}/edit", {
        "version": "1", "title": "Academic and educational exchange", "type": "exchange",
        "owner": "oleg@uni.uz", "partners": ["1", "2", "3"], "starts": "2020-02-19", "months": "60",
        "forms": ["student exchange", "joint research"]})
    assert r.status_code == 303, r.text
    page = client.get(f"/agreements/{ref}").text
    assert "Academic and educational exchange" in page and "Politecnico di Torino" in page
    timeline = html.unescape(page.split('id="timeline"')[1])
    assert "edited" in timeline
    for line in ("Title: Academic exchange → Academic and educational exchange",
                 "Starts on: 2020-01-01 → 2020-02-19", "Owner: olga@uni.uz → oleg@uni.uz",
                 "Parties: Home University, Hiroshima University → Home University, "
                 "Hiroshima University, Politecnico di Torino"):
        assert line in " ".join(re.sub(r"<[^>]+>", "", timeline).split()), line
    assert agreement_state(hamkor_app, ref) == ("draft", 2, 2)
    # The old form (version 1) is now stale: nothing is saved.
    r = post(client, f"/agreements/{ref}/edit", {"version": "1", "title": "Old title", "type": "mou",
                                                  "partners": ["1", "2"]})
    assert r.status_code == 409 and "changed by someone else" in r.text
    assert agreement_state(hamkor_app, ref) == ("draft", 2, 2)


def test_bad_create_form_keeps_the_input_and_says_why(client: TestClient, hamkor_app: App) -> None:
    sign_in(client, "olga@uni.uz")
    r = post(client, "/agreements/new", {"title": "Research MoU", "type": "mou",
                                          "partners": ["Hiroshima University"], "starts": "2026-05-01",
                                          "expires": "2026-01-01"})
    assert r.status_code == 422
    assert "Last day in force 2026-01-01 is before Starts on 2026-05-01" in r.text
    assert 'value="Research MoU"' in r.text
    r = post(client, "/agreements/new", {"title": "Research MoU", "type": "mou", "starts": "01/05/2026"})
    assert r.status_code == 422 and "is not a date" in r.text
    assert "AGR-" not in client.get("/agreements").text


def test_renew_creates_the_successor_draft(make_client, hamkor_app: App) -> None:
    from workflow.agreements import advance as svc_advance

    officer = make_client()
    sign_in(officer, "olga@uni.uz")
    ref = new_draft(officer)
    app = hamkor_app
    for event, by, party in [("submit", "olga@uni.uz", None), ("approve", "anvar@uni.uz", None),
                             ("send_for_signature", "olga@uni.uz", None),
                             ("sign", "olga@uni.uz", "Home University"),
                             ("sign", "olga@uni.uz", "Hiroshima University"),
                             ("activate", "olga@uni.uz", None)]:
        svc_advance(app.uow(), app.clock(), app.office(), ref, event, by=by, party=party)
    assert "Renew: create the successor draft" in officer.get(f"/agreements/{ref}").text
    # create=1, then one version per event: six events later the page shows version 7.
    assert 'name="version" value="7"' in officer.get(f"/agreements/{ref}").text
    r = post(officer, f"/agreements/{ref}/renew", {"version": "7"})
    assert r.status_code == 303, r.text.split('role="alert"')[1][:300]
    succ = r.headers["location"].rsplit("/", 1)[-1]
    page = officer.get(f"/agreements/{succ}").text
    assert f"renews {ref}" in page and "Created the successor draft" in page
    assert succ in officer.get(f"/agreements/{ref}").text


def test_unknown_agreement_is_a_404_page(client: TestClient) -> None:
    sign_in(client, "olga@uni.uz")
    r = client.get("/agreements/AGR-1999-0042")
    assert r.status_code == 404 and "no agreement AGR-1999-0042" in r.text
