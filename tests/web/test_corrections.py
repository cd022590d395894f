"""Correcting a live agreement: title, owner, department, notes and forms of any
agreement that has not ended, each change audited with its old and new value; never a
viewer as owner; ended agreements and terms are not corrected."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from root import App
from tests.web.conftest import agreement_state, post, sign_in
from tests.web.test_outbox_reports import active_agreement


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_an_officer_corrects_an_active_agreement_and_the_timeline_shows_old_and_new(
        client: TestClient, hamkor_app: App) -> None:
    from workflow.corrections import correct

    app = hamkor_app
    ref = active_agreement(app)
    correct(app.uow(), app.clock(), ref, {"department": "International Relations"}, by="olga@uni.uz")
    sign_in(client, "oleg@uni.uz")  # any officer, not only the owner
    page = client.get(f"/agreements/{ref}").text
    assert 'id="correct"' in page
    form = client.get(f"/agreements/{ref}/edit").text
    assert f'action="/agreements/{ref}/correct"' in form and "vera@uni.uz" not in form  # no viewer offered
    state, version, events = agreement_state(app, ref)
    r = post(client, f"/agreements/{ref}/correct", {
        "version": str(version), "title": "Staff and student exchange", "owner": "oleg@uni.uz",
        "department": "Mechanical Engineering", "notes": "Contact: Prof. Sato",
        "forms": ["staff exchange", "student exchange"]})
    assert r.status_code == 303, r.text
    assert agreement_state(app, ref) == ("active", version + 1, events + 1)
    timeline = text_of(client.get(f"/agreements/{ref}").text.split('id="timeline"')[1])
    for line in ("Department: International Relations → Mechanical Engineering",
                 "Title: Staff exchange → Staff and student exchange",
                 "Owner: olga@uni.uz → oleg@uni.uz", "Notes: — → Contact: Prof. Sato",
                 "Forms of cooperation: — → staff exchange, student exchange"):
        assert line in timeline, line
    ru = client.post("/lang", data={"lang": "ru", "next": "/", "csrf_token": _csrf(client)})
    assert ru.status_code in (303, 200)
    timeline_ru = text_of(client.get(f"/agreements/{ref}").text.split('id="timeline"')[1])
    assert "Отдел: International Relations → Mechanical Engineering" in timeline_ru


def _csrf(client: TestClient) -> str:
    from tests.web.conftest import csrf_of

    return csrf_of(client, "/")


@pytest.mark.parametrize("changes, needle", [
    ({"owner": "vera@uni.uz"}, "vera@uni.uz is a viewer and cannot own an agreement"),
    ({"title": "  "}, "the title must not be empty"),
    ({"forms": ["tourism"]}, "forms 'tourism' is not one of"),
    ({"expires": "2030-01-01"}, "cannot correct expires"),
])
def test_a_refused_correction_changes_nothing(hamkor_app: App, changes: dict, needle: str) -> None:
    from workflow.agreements import history, show
    from workflow.corrections import correct
    from workflow.errors import HamkorError

    app = hamkor_app
    ref = active_agreement(app)
    before = show(app.uow(), app.clock(), app.office(), ref), history(app.uow(), ref)
    with pytest.raises(HamkorError, match=re.escape(needle)):
        correct(app.uow(), app.clock(), ref, changes, by="olga@uni.uz")
    assert (show(app.uow(), app.clock(), app.office(), ref), history(app.uow(), ref)) == before


def test_viewers_cannot_correct_and_ended_agreements_are_not_corrected(hamkor_app: App) -> None:
    from workflow.agreements import advance
    from workflow.corrections import correct
    from workflow.errors import PermissionDenied, TransitionRefused

    app = hamkor_app
    ref = active_agreement(app)
    with pytest.raises(PermissionDenied):
        correct(app.uow(), app.clock(), ref, {"title": "X"}, by="vera@uni.uz")
    advance(app.uow(), app.clock(), app.office(), ref, "terminate", by="olga@uni.uz", note="closed")
    with pytest.raises(TransitionRefused, match="it has ended"):
        correct(app.uow(), app.clock(), ref, {"title": "X"}, by="olga@uni.uz")


def test_a_viewer_is_never_made_owner_at_creation_either(hamkor_app: App) -> None:
    from workflow.agreements import NewAgreement, create
    from workflow.errors import Invalid

    app = hamkor_app
    with pytest.raises(Invalid, match="is a viewer and cannot own an agreement"):
        create(app.uow(), app.clock(), app.office(),
               NewAgreement(title="X", partners=["Hiroshima University"], type="mou", owner="vera@uni.uz"),
               by="olga@uni.uz")


def test_the_api_corrects_past_draft_and_refuses_terms(client: TestClient, hamkor_app: App) -> None:
    from workflow.accounts import create_token

    app = hamkor_app
    ref = active_agreement(app)
    token = create_token(app.uow(), app.clock(), "olga@uni.uz", "t")["token"]
    auth = {"Authorization": f"Bearer {token}"}
    r = client.patch(f"/api/agreements/{ref}", json={"department": "Physics"}, headers=auth)
    assert r.status_code == 200 and r.json()["department"] == "Physics"
    r = client.patch(f"/api/agreements/{ref}", json={"starts": "2020-01-01"}, headers=auth)
    assert r.status_code == 422 and "cannot correct starts" in r.json()["detail"]
