"""`python worker.py` ticks, sends, logs each run, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.integration.test_tick_kit import World

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
               HAMKOR_TICK_AT="00:00", HAMKOR_SMTP_PASSWORD="never-logged-secret")
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
