"""The worker checks the file store weekly and mails the admins when a file is missing or altered."""

from __future__ import annotations

from datetime import datetime
from email import message_from_bytes
from pathlib import Path

import pytest

from tests.documents.samples import PDF, write
from tests.helpers import hamkor, ok, seed_people


def test_the_worker_schedules_the_file_check_weekly_in_the_office_time_zone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from zoneinfo import ZoneInfo

    from root import App
    from tick.worker import build_scheduler

    monkeypatch.setenv("HAMKOR_TIMEZONE", "Asia/Tashkent")
    monkeypatch.setenv("HAMKOR_TICK_AT", "07:30")
    zone = ZoneInfo("Asia/Tashkent")
    jobs = {j.id: j for j in build_scheduler(App("sqlite://"), datetime(2027, 3, 1, 6, 0, tzinfo=zone)).get_jobs()}
    check = jobs["files-verify"]
    assert check.trigger.timezone == zone
    assert check.trigger.get_next_fire_time(None, datetime(2027, 3, 1, 6, 0, tzinfo=zone)) == \
        datetime(2027, 3, 7, 7, 30, tzinfo=zone)  # the next Sunday


def test_a_failed_check_mails_the_active_admins_and_a_clean_one_mails_nobody(
        sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from documents.watch import check_and_alert
    from root import App

    mail = tmp_path / "mail"
    for name, value in {"HAMKOR_FILES_DIR": str(tmp_path / "store"), "HAMKOR_MAIL_BACKEND": "file",
                        "HAMKOR_MAIL_DIR": str(mail)}.items():
        monkeypatch.setenv(name, value)
    seed_people(sqlite_url)
    ok(hamkor(sqlite_url, "user", "add", "boss@uni.uz", "--name", "Boss", "--role", "admin"))
    ref = ok(hamkor(sqlite_url, "agreement", "create", "--title", "T", "--partner", "Hiroshima University",
                    "--type", "mou", "--owner", "olga@uni.uz", "--by", "olga@uni.uz")).out.strip()
    digest = ok(hamkor(sqlite_url, "agreement", "attach", ref, str(write(tmp_path / "s.pdf", PDF)),
                       "--kind", "signed-copy", "--by", "olga@uni.uz")).out.strip()
    app = App(sqlite_url)
    try:
        assert check_and_alert(app)["ok"] == 1
        assert not mail.exists() or list(mail.iterdir()) == []
        (tmp_path / "store" / digest[:2] / digest[2:4] / digest).unlink()
        report = check_and_alert(app)
    finally:
        app.close()
    assert [m["sha256"] for m in report["missing"]] == [digest]
    (eml,) = mail.glob("*.eml")
    msg = message_from_bytes(eml.read_bytes())
    assert msg["To"] == "boss@uni.uz, root@uni.uz"
    assert "1 stored file(s) missing or altered" in msg["Subject"]
    body = msg.get_payload(decode=True).decode()
    assert f"missing: {digest} ({ref} #1 s.pdf)" in body
