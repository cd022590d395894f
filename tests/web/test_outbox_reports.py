"""Outbox status after a tick, and annual reports generated and downloaded from the browser."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from root import App
from tests.helpers import hamkor, ok
from tests.web.conftest import post, sign_in


def active_agreement(app: App, *, expires_in_days: int = 60) -> str:
    """An agreement in force since about ten months, expiring in `expires_in_days`."""
    from workflow.agreements import NewAgreement, advance, create

    today = app.clock().today
    expires = today + timedelta(days=expires_in_days)
    starts = expires - timedelta(days=364)
    spec = NewAgreement(title="Staff exchange", partners=["Hiroshima University"], type="exchange",
                        owner="olga@uni.uz", starts=starts, expires=expires)
    ref = str(create(app.uow(), app.clock(), app.office(), spec, by="olga@uni.uz",
                     on=starts - timedelta(days=20))["ref"])
    for event, by, party in [("submit", "olga@uni.uz", None), ("approve", "anvar@uni.uz", None),
                             ("send_for_signature", "olga@uni.uz", None),
                             ("sign", "olga@uni.uz", "Home University"),
                             ("sign", "olga@uni.uz", "Hiroshima University")]:
        advance(app.uow(), app.clock(), app.office(), ref, event, by=by, party=party,
                on=starts - timedelta(days=10))
    advance(app.uow(), app.clock(), app.office(), ref, "activate", by="olga@uni.uz", on=starts)
    return ref


def test_outbox_shows_the_reminder_the_tick_sent(client: TestClient, hamkor_app: App, db_url: str,
                                                 tmp_path: Path) -> None:
    ref = active_agreement(hamkor_app)
    ok(hamkor(db_url, "tick", env={"HAMKOR_MAIL_BACKEND": "file", "HAMKOR_MAIL_DIR": str(tmp_path / "mail")}))
    sign_in(client, "vera@uni.uz")
    html = client.get("/outbox").text
    row = next(r for r in html.split("<tr>") if f"/agreements/{ref}" in r and "renewal (90)" in r)
    assert "olga@uni.uz" in row and 'class="badge status-sent"' in row
    assert "/retry" not in html  # viewers never see the button
    skipped = client.get("/outbox", params={"status": "skipped"}).text
    assert "renewal (180)" in skipped and "renewal (90)" not in skipped
    page = client.get(f"/agreements/{ref}").text
    assert "Renewal window opened" in page  # the tick's own event on the timeline
    dash = client.get("/").text
    assert dash.count('class="badge state-renewal_due"') >= 1


def test_viewer_cannot_retry_a_notification(client: TestClient, hamkor_app: App, db_url: str,
                                            tmp_path: Path) -> None:
    active_agreement(hamkor_app)
    ok(hamkor(db_url, "tick", env={"HAMKOR_MAIL_BACKEND": "file", "HAMKOR_MAIL_DIR": str(tmp_path)}))
    sign_in(client, "vera@uni.uz")
    r = post(client, "/outbox/1/retry")
    assert r.status_code == 403 and "needs role officer" in r.text


@pytest.fixture
def reports_service() -> None:
    pytest.importorskip("reports.service", reason="the annual report is not in this version")


@pytest.mark.usefixtures("reports_service")
@pytest.mark.parametrize("fmt, media, magic", [("html", "text/html", b"<!DOCTYPE html"),
                                               ("csv", "text/csv", b""), ("xlsx", "spreadsheetml", b"PK")])
def test_report_is_generated_recorded_and_downloadable(client: TestClient, hamkor_app: App,
                                                       monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                       fmt: str, media: str, magic: bytes) -> None:
    active_agreement(hamkor_app)
    year = hamkor_app.clock().today.year
    sign_in(client, "vera@uni.uz")  # reading the data is enough to report on it
    form = client.get("/reports").text
    assert 'id="r-year"' in form and f">{fmt}</option>" in form
    r = post(client, "/reports", {"year": str(year), "format": fmt, "lang": "ru"})
    assert r.status_code == 200, r.text[:500]
    assert media in r.headers["content-type"]
    assert r.headers["content-disposition"] == f'attachment; filename="annual-report-{year}-ru.{fmt}"'
    assert r.content.lstrip().startswith(magic) and len(r.content) > 100
    listing = client.get("/reports").text
    rid = re.search(r'href="/reports/(\d+)/download"', listing).group(1)
    again = client.get(f"/reports/{rid}/download")
    assert again.status_code == 200 and again.content == r.content
    assert len(list((tmp_path / "out").iterdir())) == 1


@pytest.mark.usefixtures("reports_service")
def test_bad_report_request_says_why(client: TestClient, monkeypatch: pytest.MonkeyPatch,
                                     tmp_path: Path) -> None:
    sign_in(client, "olga@uni.uz")
    r = post(client, "/reports", {"year": "2020", "format": "odt", "lang": "en"})
    assert r.status_code == 422 and "format &#39;odt&#39; is not one of" in r.text
    assert client.get("/reports/999/download").status_code == 404
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


@pytest.mark.usefixtures("reports_service")
def test_reports_over_the_api(client: TestClient, hamkor_app: App, monkeypatch: pytest.MonkeyPatch,
                              tmp_path: Path) -> None:
    from workflow.accounts import create_token

    token = create_token(hamkor_app.uow(), hamkor_app.clock(), "vera@uni.uz", "t")["token"]
    headers = {"Authorization": f"Bearer {token}"}
    r = client.post("/api/reports", json={"year": 2024, "format": "md", "lang": "uz"}, headers=headers)
    assert r.status_code == 201, r.text
    rec = r.json()
    assert (rec["year"], rec["format"], rec["lang"]) == (2024, "md", "uz") and len(rec["data_hash"]) == 64
    assert [x["id"] for x in client.get("/api/reports", headers=headers).json()] == [rec["id"]]
    f = client.get(f"/api/reports/{rec['id']}/file", headers=headers)
    assert f.status_code == 200 and f.content == Path(rec["path"]).read_bytes()
    assert client.get("/api/reports/999/file", headers=headers).status_code == 404
    r = client.post("/api/reports", json={"year": 2024, "format": "md", "lang": "de"}, headers=headers)
    assert r.status_code == 422 and "language 'de'" in r.json()["detail"]


def test_dead_mail_shows_for_admins_in_healthz_and_is_retried_in_bulk_from_the_outbox_page(
        client: TestClient, hamkor_app: App, db_url: str, tmp_path: Path) -> None:
    """A dead reminder: the admin's dashboard warns, /healthz says degraded (still 200),
    officers retry every dead one at once from the outbox page; viewers see no warning."""
    from sqlalchemy import update

    from models import Notification

    active_agreement(hamkor_app)
    mail = {"HAMKOR_MAIL_BACKEND": "file", "HAMKOR_MAIL_DIR": str(tmp_path / "mail"),
            "HAMKOR_WORKFLOW_MAIL": "false", "HAMKOR_DIGEST_DAY": "off"}  # the reminder alone
    ok(hamkor(db_url, "tick", env=mail))
    assert client.get("/healthz").text == "ok"
    with hamkor_app.uow(immediate=True) as uow:
        uow.session.execute(update(Notification).where(Notification.status == "sent",
                                                       Notification.kind == "reminder")
                            .values(status="dead", last_error="SMTP 550 no such user"))
        uow.commit()
    health = client.get("/healthz")
    assert health.status_code == 200 and health.text.startswith("degraded\n")
    assert "1 dead message(s)" in health.text
    sign_in(client, "vera@uni.uz")
    assert "Reminders need attention" not in client.get("/").text
    sign_in(client, "root@uni.uz")
    dash = client.get("/").text
    assert "Reminders need attention" in dash and "1 dead message(s)" in dash
    assert "hamkor outbox" not in dash and "--dead" not in dash  # no command-line wording on a page
    post(client, "/lang", {"lang": "ru", "next": "/"})
    dash = html.unescape(client.get("/").text)
    assert "1 сообщ. не доставлено: отправьте их повторно на странице «Исходящие»" in dash
    assert "dead message" not in dash
    sign_in(client, "olga@uni.uz")
    assert "/outbox/retry-dead" in client.get("/outbox").text
    r = post(client, "/outbox/retry-dead")
    assert r.status_code == 303
    rows = ok(hamkor(db_url, "outbox", "list", "--json")).json()
    assert [x["status"] for x in rows if x["rule"] == "renewal" and x["offset"] == 90] == ["pending"]
    assert client.get("/healthz").text == "ok"


def test_a_viewer_cannot_retry_dead_mail_in_bulk(client: TestClient, hamkor_app: App, db_url: str,
                                                 tmp_path: Path) -> None:
    from sqlalchemy import update

    from models import Notification

    active_agreement(hamkor_app)
    ok(hamkor(db_url, "tick", env={"HAMKOR_MAIL_BACKEND": "file", "HAMKOR_MAIL_DIR": str(tmp_path)}))
    with hamkor_app.uow(immediate=True) as uow:
        uow.session.execute(update(Notification).where(Notification.status == "sent")
                            .values(status="dead"))
        uow.commit()
    sign_in(client, "vera@uni.uz")
    r = post(client, "/outbox/retry-dead")
    assert r.status_code == 403
    rows = ok(hamkor(db_url, "outbox", "list", "--json")).json()
    assert "pending" not in {x["status"] for x in rows}
