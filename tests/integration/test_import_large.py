"""A 50,000-row CSV imports in under 20 seconds (SQLite), and all of it lands."""

from __future__ import annotations

import csv
import random
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cli.database import make_engine
from models import Agreement, AgreementParty, Event, Organization
from tests.helpers import hamkor, ok

ROWS = 50_000
LIMIT_S = 20.0
STATES = ["draft", "draft", "active", "active", "active", "active", "expired", "signed",
          "awaiting_signatures", "in_review"]


def write_big_csv(path: Path, rows: int) -> None:
    """A realistic spreadsheet: 800 partners, every state, signatures, auto-renewal."""
    rnd = random.Random(7)
    partners = [(f"Partner University {i}", rnd.choice(["JP", "IT", "DE", "FR", "KR", "CN"]))
                for i in range(800)]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["title", "type", "state", "partners", "countries", "signed_on", "department",
                    "owner", "starts_on", "expires_on", "auto_renew", "renewal_months",
                    "notice_days", "forms"])
        for i in range(rows):
            name, country = rnd.choice(partners)
            state = rnd.choice(STATES)
            start = date(2018, 1, 1) + timedelta(days=rnd.randrange(3000))
            end = start + timedelta(days=4 * 365)
            if state == "active":
                start, end = min(start, date(2024, 1, 1)), date(2028, 6, 30)
            elif state == "expired":
                start = date(2015, 1, 1) + timedelta(days=rnd.randrange(900))
                end = start + timedelta(days=3 * 365)
            signed_day = min(start, date(2024, 1, 1)).isoformat()
            signed = {"active": f"{signed_day};{signed_day}", "expired": f"{signed_day};{signed_day}",
                      "signed": f"{signed_day};{signed_day}",
                      "awaiting_signatures": f"{signed_day};"}.get(state, "")
            auto = i % 3 == 0
            w.writerow([f"Agreement {i}", rnd.choice(["mou", "exchange", "research"]), state,
                        f"Home University;{name}", f"UZ;{country}", signed,
                        rnd.choice(["Engineering", "Medicine", ""]), f"owner{i % 20}@uni.uz",
                        start.isoformat(), end.isoformat(), "true" if auto else "false",
                        "12" if auto else "", "30", "student exchange;joint research"])


@pytest.mark.slow
def test_a_50k_row_csv_imports_in_under_20_seconds(sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    write_big_csv(path, ROWS)
    started = time.perf_counter()
    r = ok(hamkor(sqlite_url, "import", str(path)))
    elapsed = time.perf_counter() - started
    print(f"\n50k-row CSV import: {elapsed:.1f} s")
    assert f"created {ROWS}, updated 0, skipped 0 agreements" in r.out
    assert elapsed < LIMIT_S, f"import took {elapsed:.1f} s"
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        counts = [conn.scalar(select(func.count()).select_from(m))
                  for m in (Agreement, AgreementParty, Event, Organization)]
        due = conn.scalar(select(func.count()).select_from(Agreement)
                          .where(Agreement.next_due_on.is_not(None)))
    engine.dispose()
    assert counts == [ROWS, 2 * ROWS, ROWS, 801]
    # Everything signed and not over is scheduled for the tick; drafts are not.
    assert 0.4 * ROWS < due < 0.8 * ROWS
