"""SQLite under concurrent writers: processes wait for the write lock and succeed.

Real `hamkor` processes advance different agreements at the same time, and one
waits while another connection holds the write lock and writes: each waits (up
to the busy timeout, README "Limits and safety") and succeeds; none is told its
agreement "was changed by someone else" -- that stays for a real lost race.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time

from sqlalchemy import func, select

from models import Agreement, Event
from models.database import make_engine
from tests.helpers import hamkor, ok, seed_people

OFFICER, APPROVER = "olga@uni.uz", "anvar@uni.uz"


def _draft(db: str, title: str) -> str:
    ref = ok(hamkor(db, "agreement", "create", "--title", title, "--partner", "Hiroshima University",
                    "--type", "mou", "--owner", OFFICER, "--starts", "2025-01-01", "--months", "12",
                    "--by", OFFICER)).out.strip()
    ok(hamkor(db, "agreement", "advance", ref, "submit", "--by", OFFICER))
    return ref


def _approve(db: str, ref: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAMKOR_")}
    return subprocess.Popen([sys.executable, "-m", "cli.main", "--db", db, "agreement", "advance",
                             ref, "approve", "--by", APPROVER],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _approved(db: str) -> int:
    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(Agreement)
                                   .where(Agreement.state == "approved")) or 0)
    finally:
        engine.dispose()


def test_writers_on_different_agreements_and_behind_a_held_lock_wait_and_succeed(sqlite_url: str) -> None:
    db = sqlite_url
    seed_people(db)
    refs = [_draft(db, f"Concurrent {i}") for i in range(9)]

    # Six processes at once, each approving its own agreement.
    children = [(ref, _approve(db, ref)) for ref in refs[:6]]
    results = [(ref, child.communicate(timeout=120), child.returncode) for ref, child in children]
    for ref, (_, err), code in results:
        assert code == 0, f"{ref}: {err}"
        assert "changed by someone else" not in err

    # Another connection holds the write lock for 1.5 s and writes: the processes that
    # started meanwhile read an older snapshot; they must wait, then succeed.
    path = db.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE agreements SET notes = 'held' WHERE ref = ?", (refs[8],))
    waiting = [(ref, _approve(db, ref)) for ref in refs[6:8]]
    release = threading.Timer(1.5, lambda: (holder.execute("COMMIT"), holder.close()))
    started = time.monotonic()
    release.start()
    for ref, child in waiting:
        _, err = child.communicate(timeout=120)
        assert child.returncode == 0, f"{ref}: {err}"
    release.join()
    assert time.monotonic() - started >= 1.5  # they did wait for the lock

    assert _approved(db) == 8
    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            approvals = conn.scalar(select(func.count()).select_from(Event).where(Event.event == "approve"))
    finally:
        engine.dispose()
    assert approvals == 8  # each once


def test_two_processes_approving_the_same_agreement_one_wins_one_is_refused(sqlite_url: str) -> None:
    """A real race on one agreement: the second writer waits, then sees the first's change."""
    seed_people(sqlite_url)
    ref = _draft(sqlite_url, "Contested")
    children = [_approve(sqlite_url, ref), _approve(sqlite_url, ref)]
    outcomes = sorted((child.communicate(timeout=120)[1], child.returncode) for child in children)
    assert [code for _, code in outcomes] == [0, 1]
    err = next(e for e, code in outcomes if code == 1).strip()
    assert err == f"error: {ref}: cannot approve in state approved: approve is only possible from in_review" \
        or err == f"error: {ref} was changed by someone else; retry"
    assert _approved(sqlite_url) == 1
