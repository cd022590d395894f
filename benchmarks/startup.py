"""Start-up: a simple database command as a whole process vs bare imports.

`hamkor agreement list` on the demo's SQLite database is timed as a whole
process (interpreter start, imports, settings, schema check, the query, the
table) against a process that only runs
`python -c "import sqlalchemy.orm, sqlite3"` — the floor any SQLAlchemy command
pays. The two run alternately (A B A B …, after one warm-up of each) so drift on
a shared machine hits both; the ratio is the median of the pairwise ratios.

    python -m benchmarks.startup [--runs 9] [--quick]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from benchmarks.harness import Result

BASELINE = [sys.executable, "-c", "import sqlalchemy.orm, sqlite3"]


def _run(cmd: list[str], env: dict[str, str], cwd: str) -> float:
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - t
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {p.stderr.strip()[-500:]}")
    return elapsed


def benchmark(runs: int = 9) -> list[Result]:
    tmp = tempfile.mkdtemp(prefix="hamkor-startup-")
    try:
        env = dict(os.environ)
        env.pop("HAMKOR_DATABASE_URL", None)
        # Bytecode is cached as an installed copy has it (pip compiles on install): with
        # PYTHONDONTWRITEBYTECODE set, every run would recompile Hamkor's modules while the
        # baseline's SQLAlchemy reads site-packages' .pyc files — ~60 ms measured against us.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["HAMKOR_HOME"] = tmp
        hamkor = [sys.executable, "-m", "cli.main"]
        subprocess.run([*hamkor, "demo", "--out", os.path.join(tmp, "demo")], env=env, cwd=tmp,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        db = next(f for f in os.listdir(os.path.join(tmp, "demo")) if f.endswith(".db"))
        command = [*hamkor, "--db", f"sqlite:///{os.path.join(tmp, 'demo', db)}", "agreement", "list"]
        _run(command, env, tmp)  # warm-up: page cache, .pyc files
        _run(BASELINE, env, tmp)
        a: list[float] = []
        b: list[float] = []
        for _ in range(runs):
            a.append(_run(command, env, tmp))
            b.append(_run(BASELINE, env, tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ratio = statistics.median(x / y for x, y in zip(a, b, strict=True))
    return [Result(
        name="start-up (sqlite)",
        measured=f"`hamkor agreement list` on the demo database as a whole process, median of {runs} "
                 "alternating runs",
        value=round(statistics.median(a), 3), unit="s",
        baseline="`python -c \"import sqlalchemy.orm, sqlite3\"` as a whole process, same runs",
        baseline_value=round(statistics.median(b), 3),
        ratio=round(ratio, 2), target="<= 1.2x the bare import process", ok=ratio <= 1.2,
        detail={"command_s": [round(x, 3) for x in a], "baseline_s": [round(x, 3) for x in b]},
    )]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.startup")
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--quick", action="store_true", help="3 runs")
    args = ap.parse_args(argv)
    (r,) = benchmark(3 if args.quick else args.runs)
    print(f"{r.name}: {r.value} s vs {r.baseline_value} s baseline, ratio {r.ratio} "
          f"(target {r.target}) {'ok' if r.ok else 'MISSED'}")
    return 0 if r.ok else 1


if __name__ == "__main__":
    sys.exit(main())
