"""Several ticks at once deliver every reminder exactly once.

Four `hamkor tick` processes run the same day over 1,000 due agreements
(among 1,500 stored): they share the work through `FOR NO KEY UPDATE SKIP
LOCKED` and the outbox claim's `FOR UPDATE SKIP LOCKED` on PostgreSQL, and
queue through BEGIN IMMEDIATE on SQLite. A real SMTP server counts the mail
by Message-ID.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from benchmarks.tick_scale import seed
from models import Agreement, Event, Notification
from models.database import make_engine
from tests.tick.test_tick_kit import SmtpSink

TODAY = date(2027, 3, 1)


def run_ticks(url: str, sink: SmtpSink, processes: int) -> list[dict[str, object]]:
    import json

    env = {k: v for k, v in os.environ.items() if not k.startswith("HAMKOR_")}
    env.update(sink.env())
    argv = [sys.executable, "-m", "cli.main", "--db", url, "tick", "--now", f"{TODAY}T08:00", "--allow-future", "--json"]
    children = [subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(processes)]
    reports = []
    for child in children:
        out, err = child.communicate(timeout=240)
        assert child.returncode == 0, err
        reports.append(json.loads(out))
    return reports


@pytest.mark.parametrize(("backend", "stored", "due"), [
    ("postgresql", 1_500, 1_000),
    ("sqlite", 400, 200),
])
def test_four_ticks_at_once_deliver_every_reminder_exactly_once(
        backend: str, stored: int, due: int, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("pg_url" if backend == "postgresql" else "sqlite_url")
    engine = make_engine(url)
    try:
        seeded = seed(engine, stored=stored, due=due, today=TODAY)
    finally:
        engine.dispose()
    sink = SmtpSink().start()
    started = time.monotonic()
    try:
        reports = run_ticks(url, sink, processes=4)
    finally:
        sink.stop()
    elapsed = time.monotonic() - started

    # Together the four did the day's work once: each due agreement handled by one of them.
    assert sum(int(r["agreements"]) for r in reports) == due  # type: ignore[call-overload]
    transitions: Counter[str] = Counter()
    for r in reports:
        transitions.update(r["transitions"])  # type: ignore[arg-type]
    assert transitions["activate"] == seeded.kinds["activate"]
    assert transitions["expire"] == seeded.kinds["expire"]
    assert transitions["open_renewal"] == seeded.kinds["reminder"]
    # each expiry notice also goes, as its own copy, to the approver (README "Mail")
    mails = seeded.expected_mails + seeded.kinds["expire"]
    assert sum(int(r["sent"]) for r in reports) == mails  # type: ignore[call-overload]

    ids = sink.message_ids()
    assert len(ids) == mails
    assert set(ids.values()) == {1}  # none twice
    # each expiry notice twice: to the owner and, as its own copy, to the approver
    assert sum(1 for m in sink.messages if "has expired" in str(m["Subject"])) == 2 * seeded.kinds["expire"]

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(Notification.status, Notification.attempts, Notification.message_id)).all()
            assert Counter((s, a) for s, a, _ in rows) == {("sent", 1): mails}
            assert {m for _, _, m in rows} == set(ids)
            # No agreement is left due today, and no transition was recorded twice.
            assert conn.scalar(select(func.count()).select_from(Agreement)
                               .where(Agreement.next_due_on <= TODAY)) == 0
            doubled = conn.execute(select(Event.agreement_id, Event.event)
                                   .where(Event.actor == "system")
                                   .group_by(Event.agreement_id, Event.event)
                                   .having(func.count() > 1)).all()
            assert doubled == []
    finally:
        engine.dispose()
    print(f"\n4 ticks over {due} due of {stored} stored on {backend}: {elapsed:.1f} s")
