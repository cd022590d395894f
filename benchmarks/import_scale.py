"""Bulk import rate: `hamkor import` of a realistic CSV vs reading the same file alone.

The baseline parses the same file with the csv module (what any importer must
at least do), so the ratio says how much the validation, matching and writes
cost on top of reading.
"""

from __future__ import annotations

import csv
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select

from benchmarks.harness import Result
from models import Agreement

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


def benchmark(url: str, engine: Engine, rows: int) -> Result:
    from cli.errors import run
    from cli.main import cli

    with tempfile.TemporaryDirectory(prefix="hamkor-import-") as tmp:
        path = Path(tmp) / "agreements.csv"
        write_big_csv(path, rows)
        t = time.perf_counter()
        with path.open(newline="", encoding="utf-8") as fh:
            parsed = sum(1 for _ in csv.DictReader(fh))
        base_s = time.perf_counter() - t
        t = time.perf_counter()
        code = run(cli, ["--db", url, "import", str(path)])
        ours_s = time.perf_counter() - t
    with engine.connect() as conn:
        stored = conn.scalar(select(func.count()).select_from(Agreement))
    assert code == 0 and parsed == rows == stored, (code, parsed, stored)
    return Result(
        name=f"import ({engine.dialect.name})",
        measured=f"`hamkor import` of a {rows}-row CSV into an empty database (all rows or nothing)",
        value=round(rows / ours_s, 1), unit="rows/s",
        baseline="csv.DictReader over the same file", baseline_value=round(rows / base_s, 1),
        ratio=round(base_s / ours_s, 4), target=f"{rows} rows in < 20 s",
        ok=ours_s < 20, detail={"seconds": round(ours_s, 2)},
    )
