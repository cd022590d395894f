"""When the tick cannot do its work it says why in one line, exits 1 and changes nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.dbstate import snapshot
from tests.helpers import hamkor, refused
from tests.tick.test_tick_kit import World


def test_a_bad_now_is_refused(sqlite_url: str) -> None:
    refused(hamkor(sqlite_url, "tick", "--now", "first of March"), "--now 'first of March'")


def test_a_broken_template_override_stops_the_tick_before_anything_is_written(
        sqlite_url: str, tmp_path: Path) -> None:
    w = World(sqlite_url)
    w.signed("Exchange", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
    overrides = tmp_path / "templates"
    (overrides / "renewal").mkdir(parents=True)
    (overrides / "renewal" / "subject.txt").write_text("{{ agreement.nope.deeper }}\n")
    before = snapshot(sqlite_url)
    result = hamkor(sqlite_url, "tick", "--now", "2026-07-04T08:00",
                    env={"HAMKOR_TEMPLATES_DIR": str(overrides), "HAMKOR_MAIL_BACKEND": "console"})
    refused(result, "email template renewal/subject.txt")
    assert snapshot(sqlite_url) == before
    missing = hamkor(sqlite_url, "tick", env={"HAMKOR_TEMPLATES_DIR": str(tmp_path / "none")})
    refused(missing, "HAMKOR_TEMPLATES_DIR")


def test_a_database_locked_by_another_writer_is_one_error_line(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import models.database

    w = World(sqlite_url)
    w.signed("Exchange", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
    w.close()
    before = snapshot(sqlite_url)
    monkeypatch.setattr(models.database, "SQLITE_TIMEOUT_S", 0.2)
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing, for longer than the busy timeout
    try:
        result = hamkor(sqlite_url, "tick", "--now", "2026-07-04T08:00",
                        env={"HAMKOR_MAIL_BACKEND": "console"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    refused(result, "the database is busy")
    assert snapshot(sqlite_url) == before
