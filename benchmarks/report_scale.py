"""The annual report over 100k agreements: `hamkor report annual` end to end.

    python -m benchmarks.report_scale                          # SQLite, 100k agreements
    python -m benchmarks.report_scale --db postgresql+psycopg://...   # a scratch DB: WIPED
    python -m benchmarks.report_scale --reuse --db sqlite:///bench.db # an already seeded DB
    python -m benchmarks.report_scale --agreements 20000 --formats html xlsx csv

Seeds the agreements with `benchmarks.seed` (realistic states, history and
partners), then runs the real command in a child process once per format and
reports its wall time, CPU time and peak memory (the child's max RSS), with an
in-process breakdown (data, render). Targets: html under 3 s, xlsx under 15 s.
The baseline, measured in the same run, is reading the rows the report reads
(`SELECT` of every agreement and event through the driver): the ratio says how
much the report costs on top of just fetching its input.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from benchmarks.harness import Result, fresh_database
from models import Agreement

TARGETS = {"html": 3.0, "xlsx": 15.0}
YEAR, TODAY = 2024, date(2025, 6, 30)


@dataclass
class Run:
    format: str
    wall: float
    cpu: float
    peak_mb: float
    size: int


#: Runs a command and prints its wall time and rusage. A small process in between, because a
#: child's peak RSS starts from its parent's at fork time (and this process holds the seed).
RUNNER = """
import json, os, subprocess, sys, time
with open(sys.argv[1], "wb") as log:
    t = time.perf_counter()
    child = subprocess.Popen(sys.argv[2:], stdout=log, stderr=log)
    _pid, status, usage = os.wait4(child.pid, 0)
print(json.dumps({"code": os.waitstatus_to_exitcode(status), "wall": time.perf_counter() - t,
                  "cpu": usage.ru_utime + usage.ru_stime, "maxrss_kb": usage.ru_maxrss}))
"""


def run_cli(url: str, year: int, fmt: str, out_dir: Path) -> Run:
    """`hamkor report annual` in a child process; its own rusage gives CPU and peak memory."""
    out = out_dir / f"annual-{year}.{fmt}"
    log = out_dir / f"annual-{year}.{fmt}.log"
    argv = [sys.executable, "-m", "cli.main", "--db", url, "report", "annual", str(year),
            "--format", fmt, "-o", str(out)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAMKOR_")}
    p = subprocess.run([sys.executable, "-c", RUNNER, str(log), *argv], env=env,
                       capture_output=True, text=True, check=True)
    m = json.loads(p.stdout)
    if m["code"] != 0:
        raise RuntimeError(f"{' '.join(argv[2:])} failed: {log.read_text()[-2000:]}")
    return Run(fmt, m["wall"], m["cpu"], m["maxrss_kb"] / 1024, out.stat().st_size)


def breakdown(engine: Engine, year: int, formats: list[str]) -> dict[str, float]:
    """Seconds of each step in this process: the data function, then each renderer."""
    from sqlalchemy.orm import Session

    from reports.data import annual_data
    from reports.render import render

    steps: dict[str, float] = {}
    t = time.perf_counter()
    with Session(engine) as s:
        data = annual_data(s, year, datetime.now(UTC).date(), institution="Home University")
    steps["data"] = time.perf_counter() - t
    for fmt in formats:
        t = time.perf_counter()
        render(fmt, data, lang="en", generated_at=datetime.now(UTC))
        steps[f"render {fmt}"] = time.perf_counter() - t
    steps["rows in register"] = len(data["agreements"])
    return steps


def read_rows_baseline(engine: Engine) -> float:
    """Seconds to fetch every agreement and event row through the DBAPI cursor."""
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        t = time.perf_counter()
        cursor.execute("SELECT id, ref, title, type, department, owner_id, starts_on, expires_on, "
                       "forms, renews_id FROM agreements")
        cursor.fetchall()
        cursor.execute("SELECT agreement_id, id, event, to_state, occurred_on FROM events")
        cursor.fetchall()
        return time.perf_counter() - t


def benchmark(url: str, engine: Engine, n: int, *, formats: tuple[str, ...] = ("html", "xlsx"),
              reuse: bool = False, year: int = YEAR) -> list[Result]:
    """Seed `n` agreements (unless `reuse`) and time the report in each format."""
    from benchmarks.seed import seed

    seeded = None
    if not reuse:
        seeded = seed(engine, n, today=TODAY)
    with engine.connect() as conn:
        stored = conn.scalar(select(func.count()).select_from(Agreement.__table__))
    baseline = min(read_rows_baseline(engine) for _ in range(2))
    steps = breakdown(engine, year, list(formats))
    results = []
    with tempfile.TemporaryDirectory(prefix="hamkor-report-") as tmp:
        for fmt in formats:
            runs = [run_cli(url, year, fmt, Path(tmp)) for _ in range(2)]
            best = min(runs, key=lambda r: r.wall)
            target = TARGETS.get(fmt)
            results.append(Result(
                name=f"report {fmt} ({engine.dialect.name}, {stored} agreements)",
                measured=f"`hamkor report annual {year} --format {fmt}` in a child process, "
                         f"best of {len(runs)} (wall; CPU {best.cpu:.2f} s, "
                         f"peak {best.peak_mb:.0f} MB, {best.size / 1e6:.1f} MB written)",
                value=round(best.wall, 2), unit="s",
                baseline="fetching every agreement and event row through the driver",
                baseline_value=round(baseline, 2),
                ratio=round(best.wall / baseline, 1) if baseline else None,
                target=f"< {target:g} s" if target else "-",
                ok=target is None or best.wall < target,
                detail={"wall": [round(r.wall, 2) for r in runs], "cpu": round(best.cpu, 2),
                        "peak_mb": round(best.peak_mb), "bytes": best.size,
                        "in_process": {k: round(v, 2) for k, v in steps.items()},
                        "seed_seconds": round(seeded.seconds, 1) if seeded else None,
                        "load_average": os.getloadavg()},
            ))
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.report_scale",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--db", help="database URL (default: a temporary SQLite file); "
                                 "PostgreSQL is WIPED unless --reuse")
    ap.add_argument("--reuse", action="store_true", help="use --db as it is (already seeded)")
    ap.add_argument("--agreements", type=int, default=100_000)
    ap.add_argument("--formats", nargs="+", default=["html", "xlsx"])
    ap.add_argument("--year", type=int, default=YEAR)
    args = ap.parse_args(argv)
    if args.reuse:
        if not args.db:
            ap.error("--reuse needs --db")
        from models.database import make_engine

        engine = make_engine(args.db)
        results = benchmark(args.db, engine, args.agreements, formats=tuple(args.formats),
                            reuse=True, year=args.year)
        engine.dispose()
    else:
        with fresh_database(args.db) as (url, engine):
            results = benchmark(url, engine, args.agreements, formats=tuple(args.formats),
                                year=args.year)
    for r in results:
        print(f"{r.name}: {r.value} s (target {r.target}) {'ok' if r.ok else 'MISSED'}")
        print(f"  {r.measured}")
        print(f"  baseline {r.baseline_value} s ({r.baseline}); ratio {r.ratio}")
        print(f"  in process: {r.detail['in_process'] if r.detail else '-'}; "
              f"load average {r.detail['load_average'] if r.detail else '-'}")
    print(f"this process peak: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
