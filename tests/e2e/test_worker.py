"""`python worker.py` ticks, sends, logs each run, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.tick.test_tick_kit import World

REPO = Path(__file__).resolve().parents[2]


def test_the_worker_ticks_at_start_sends_the_mail_and_stops_cleanly_on_sigterm(
        sqlite_url: str, tmp_path: Path) -> None:
    today = datetime.now(UTC).date()
    w = World(sqlite_url)
    ref = w.signed("Exchange", on=(today - timedelta(days=200)).isoformat(),
                   starts=(today - timedelta(days=190)).isoformat(),
                   expires=(today + timedelta(days=180)).isoformat())  # 180-day reminder today
    w.close()
    mail = tmp_path / "mail"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAMKOR_")}
    env.update(HAMKOR_DATABASE_URL=sqlite_url, HAMKOR_MAIL_BACKEND="file", HAMKOR_MAIL_DIR=str(mail),
               HAMKOR_TICK_AT="00:00", HAMKOR_SMTP_PASSWORD="never-logged-secret",
               HAMKOR_WORKFLOW_MAIL="false", HAMKOR_DIGEST_DAY="off")  # the reminder alone
    worker = subprocess.Popen([sys.executable, str(REPO / "worker.py")], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not list(mail.glob("*.eml")) and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.1)
        assert worker.poll() is None, worker.communicate()[1]
        time.sleep(0.3)  # let it log the run
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, err
    (eml,) = mail.glob("*.eml")
    assert eml.name.endswith("-1-renewal-180.eml")
    assert f"Subject: {ref} ends on" in eml.read_text()
    for line in ("worker started: daily tick at 00:00 UTC, outbox sender every 60s",
                 "daily tick done", '"renewal": 1', "received SIGTERM, stopping", "worker stopped"):
        assert line in err, line
    assert "never-logged-secret" not in out + err
    assert w.state(ref)["state"] == "renewal_due"


def test_the_schedule_is_a_daily_tick_in_the_office_time_zone_and_a_sender_every_minute(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """One executor thread (never two sending runs side by side: one message in flight
    per worker); the sender's first run comes at once and catches up an overdue tick."""
    from zoneinfo import ZoneInfo

    from root import App
    from tick.worker import build_scheduler

    monkeypatch.setenv("HAMKOR_TIMEZONE", "Asia/Tashkent")
    monkeypatch.setenv("HAMKOR_TICK_AT", "07:30")
    zone = ZoneInfo("Asia/Tashkent")
    early = build_scheduler(App("sqlite://"), datetime(2027, 3, 1, 6, 0, tzinfo=zone))
    jobs = {job.id: job for job in early.get_jobs()}
    tick, sender = jobs["tick"], jobs["outbox"]
    assert str(tick.trigger) == "cron[hour='7', minute='30']" and tick.trigger.timezone == zone
    assert (tick.coalesce, tick.max_instances, tick.misfire_grace_time) == (True, 1, 20 * 3600)
    assert tick.trigger.get_next_fire_time(None, datetime(2027, 3, 1, 6, 0, tzinfo=zone)) == \
        datetime(2027, 3, 1, 7, 30, tzinfo=zone)
    assert sender.trigger.interval == timedelta(minutes=1)
    assert (sender.coalesce, sender.max_instances, sender.misfire_grace_time) == (True, 1, 60)
    assert sender.next_run_time == datetime(2027, 3, 1, 6, 0, 1, tzinfo=zone)
    assert early._executors["default"]._pool._max_workers == 1
