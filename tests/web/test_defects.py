"""Defects found while using the web as a newcomer would (issue 18.5), each pinned."""

from __future__ import annotations

import html
from datetime import date, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from root import App
from tests.web.conftest import post, sign_in
from tests.web.test_outbox_reports import active_agreement


def test_renew_is_not_offered_once_a_successor_exists(client: TestClient, hamkor_app: App) -> None:
    """After renewing, the predecessor's page lists Renew under "not possible now" with the
    successor's reference, instead of a Renew form that can only be refused."""
    ref = active_agreement(hamkor_app, expires_in_days=60)
    sign_in(client, "olga@uni.uz")
    assert f'action="/agreements/{ref}/renew"' in client.get(f"/agreements/{ref}").text
    r = post(client, f"/agreements/{ref}/renew", {})
    assert r.status_code == 303
    succ = r.headers["location"].rsplit("/", 1)[-1]
    page = html.unescape(client.get(f"/agreements/{ref}").text)
    assert f'action="/agreements/{ref}/renew"' not in page
    assert f"it already has a successor {succ}" in page


def test_a_renewed_successor_starts_the_day_after_the_predecessor_ends(client: TestClient,
                                                                       hamkor_app: App) -> None:
    """Renew with the defaults: the successor's first day is the day after the predecessor's
    last day in force (never both in force on one day), for the same length of term."""
    from workflow.agreements import show

    ref = active_agreement(hamkor_app, expires_in_days=60)
    pred = show(hamkor_app.uow(), hamkor_app.clock(), hamkor_app.office(), ref)
    sign_in(client, "olga@uni.uz")
    succ = post(client, f"/agreements/{ref}/renew", {}).headers["location"].rsplit("/", 1)[-1]
    s = show(hamkor_app.uow(), hamkor_app.clock(), hamkor_app.office(), succ)
    last = date.fromisoformat(pred["expires_on"])
    assert s["starts_on"] == (last + timedelta(days=1)).isoformat()
    assert s["expires_on"] == (last + timedelta(days=365)).isoformat()


def test_a_mistyped_department_warns_and_offers_the_known_ones(client: TestClient, hamkor_app: App,
                                                             tmp_path: Path) -> None:
    """A report for "Mechanical Engineerng" is refused with the known departments (closest
    first) instead of producing an empty report; the right name (any case) is accepted."""
    import pytest

    pytest.importorskip("reports.service")
    from workflow.agreements import NewAgreement, create

    app = hamkor_app
    for dept in ("Mechanical Engineering", "International Relations"):
        create(app.uow(), app.clock(), app.office(),
               NewAgreement(title="Exchange", partners=["Hiroshima University"], type="exchange",
                            owner="olga@uni.uz", department=dept), by="olga@uni.uz")
    sign_in(client, "olga@uni.uz")
    form = client.get("/reports").text
    assert '<option value="Mechanical Engineering">' in form  # offered while typing
    year = str(app.clock().today.year)
    r = post(client, "/reports", {"year": year, "format": "csv", "lang": "en",
                                  "department": "Mechanical Engineerng"})
    text = html.unescape(r.text)
    assert r.status_code == 422
    assert "No agreement names the department “Mechanical Engineerng”" in text
    assert "Known departments: Mechanical Engineering, International Relations." in text
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
    ok = post(client, "/reports", {"year": year, "format": "csv", "lang": "en",
                                   "department": "mechanical engineering"})
    assert ok.status_code == 200 and "text/csv" in ok.headers["content-type"]
