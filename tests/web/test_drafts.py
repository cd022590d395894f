"""`update_draft`: one validation, one commit, a version bump and an `edit` in the history."""

from __future__ import annotations

from datetime import date

import pytest

from root import App
from workflow.agreements import NewAgreement, advance, create, history, show
from workflow.errors import ConcurrentUpdate, Invalid, PermissionDenied, TransitionRefused


def draft(app: App) -> str:
    spec = NewAgreement(title="MoU", partners=["Hiroshima University"], type="mou", owner="olga@uni.uz",
                        starts=date(2024, 1, 1), months=12)
    return str(create(app.uow(), app.clock(), app.office(), spec, by="olga@uni.uz")["ref"])


def snapshot(app: App, ref: str) -> tuple[dict, list]:
    return show(app.uow(), app.clock(), app.office(), ref), history(app.uow(), ref)


def test_edit_changes_fields_bumps_version_and_records_edit(hamkor_app: App) -> None:
    from workflow.drafts import update_draft

    app = hamkor_app
    ref = draft(app)
    a = update_draft(app.uow(), app.clock(), app.office(), ref,
                     {"title": "Memorandum of understanding", "months": 24, "auto_renew": True,
                      "renewal_months": 12, "notice_days": 90, "partners": ["Home University",
                      "Politecnico di Torino", "Hiroshima University"], "forms": ["lab"]},
                     by="oleg@uni.uz", expected_version=1)
    assert (a["title"], a["expires_on"], a["version"]) == ("Memorandum of understanding", "2025-12-31", 2)
    assert [p["name"] for p in a["parties"]] == ["Home University", "Politecnico di Torino",
                                                 "Hiroshima University"]
    last = history(app.uow(), ref)[-1]
    assert (last["event"], last["actor"], last["from_state"], last["to_state"]) == (
        "edit", "oleg@uni.uz", "draft", "draft")
    assert last["note"].splitlines() == [
        "title: MoU → Memorandum of understanding", "expires_on: 2024-12-31 → 2025-12-31",
        "auto_renew: no → yes", "renewal_months: — → 12", "notice_days: — → 90", "forms: — → lab",
        "parties: Home University, Hiroshima University → Home University, Politecnico di Torino, "
        "Hiroshima University"]


def test_a_change_of_parties_alone_bumps_the_version(hamkor_app: App) -> None:
    from workflow.drafts import update_draft

    app = hamkor_app
    ref = draft(app)
    a = update_draft(app.uow(), app.clock(), app.office(), ref,
                     {"partners": ["Home University", "Politecnico di Torino"]}, by="olga@uni.uz")
    assert a["version"] == 2 and [p["name"] for p in a["parties"]][1] == "Politecnico di Torino"


def test_nothing_to_change_writes_nothing(hamkor_app: App) -> None:
    from workflow.drafts import update_draft

    app = hamkor_app
    ref = draft(app)
    before = snapshot(app, ref)
    a = update_draft(app.uow(), app.clock(), app.office(), ref, {"title": " MoU "}, by="olga@uni.uz")
    assert a["version"] == 1 and snapshot(app, ref) == before


@pytest.mark.parametrize("changes, by, version, error, match", [
    ({"title": ""}, "olga@uni.uz", None, Invalid, "must not be empty"),
    ({"type": "treaty"}, "olga@uni.uz", None, Invalid, "type 'treaty'"),
    ({"expires": date(2023, 1, 1)}, "olga@uni.uz", None, Invalid, "is before starts"),
    ({"partners": ["Hiroshima University"]}, "olga@uni.uz", None, Invalid, "at least two parties"),
    ({"partners": ["Home University", "Home University"]}, "olga@uni.uz", None, Invalid, "listed twice"),
    ({"forms": ["tourism"]}, "olga@uni.uz", None, Invalid, "forms 'tourism' is not one of"),
    ({"colour": "red"}, "olga@uni.uz", None, Invalid, "cannot edit colour"),
    ({"title": "X"}, "vera@uni.uz", None, PermissionDenied, "needs role officer"),
    ({"title": "X"}, "olga@uni.uz", 7, ConcurrentUpdate, "changed by someone else"),
])
def test_refused_edits_change_nothing(hamkor_app: App, changes, by, version, error, match) -> None:
    from workflow.drafts import update_draft

    app = hamkor_app
    ref = draft(app)
    before = snapshot(app, ref)
    with pytest.raises(error, match=match):
        update_draft(app.uow(), app.clock(), app.office(), ref, changes, by=by, expected_version=version)
    assert snapshot(app, ref) == before


def test_only_a_draft_can_be_edited(hamkor_app: App) -> None:
    from workflow.drafts import update_draft

    app = hamkor_app
    ref = draft(app)
    advance(app.uow(), app.clock(), app.office(), ref, "submit", by="olga@uni.uz")
    before = snapshot(app, ref)
    with pytest.raises(TransitionRefused, match="only a draft can be edited"):
        update_draft(app.uow(), app.clock(), app.office(), ref, {"title": "Late"}, by="olga@uni.uz")
    assert snapshot(app, ref) == before
