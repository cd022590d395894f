"""`python -m benchmarks [--db URL] [--quick] [--json FILE] [--only NAME ...]`."""

from __future__ import annotations

import argparse
import json
import platform
import sys
from datetime import UTC, datetime
from typing import TypedDict

from benchmarks.harness import Result, fresh_database


class Sizes(TypedDict):
    transitions: int
    smtp: int
    tick_stored: tuple[int, ...]
    tick_due: int
    report: int
    import_: int


SIZES: dict[str, Sizes] = {
    "quick": {"transitions": 60, "smtp": 200, "tick_stored": (2_000, 10_000), "tick_due": 200,
              "report": 3_000, "import_": 2_000},
    "full": {"transitions": 1000, "smtp": 2000, "tick_stored": (10_000, 100_000, 1_000_000),
             "tick_due": 1000, "report": 100_000, "import_": 50_000},
}


def run(db: str | None, quick: bool, only: list[str] | None) -> list[Result]:
    sizes = SIZES["quick" if quick else "full"]
    results: list[Result] = []

    def want(name: str) -> bool:
        return not only or name in only

    if want("transitions"):
        from benchmarks import transitions

        results.append(transitions.machine_benchmark(2000 if quick else 20000))
        with fresh_database(db) as (url, engine):
            results += transitions.benchmark(url, engine, sizes["transitions"])
    if want("tick"):
        from benchmarks import tick_scale

        results += tick_scale.benchmark(db, sizes["tick_stored"], sizes["tick_due"])
        results += tick_scale.catchup_benchmark(db, (200, 800) if quick else (10_000, 100_000))
    if want("report"):
        from benchmarks import report_scale

        with fresh_database(db) as (url, engine):
            results += report_scale.benchmark(url, engine, sizes["report"])
    if want("import"):
        from benchmarks import import_scale

        with fresh_database(db) as (url, engine):
            results.append(import_scale.benchmark(url, engine, sizes["import_"]))
    if want("ewp"):
        from benchmarks import ewp

        results += ewp.benchmark(quick)
    if want("files"):
        from benchmarks import files

        with fresh_database(db) as (url, engine):
            results += files.attach_download(url, engine)
        with fresh_database(db) as (url, engine):
            results += files.verify_store(url, engine, 2_000 if quick else 10_000)
    if want("startup"):
        from benchmarks import startup

        results += startup.benchmark(3 if quick else 9)
    if want("web"):
        from benchmarks import web_load

        if quick:
            results += web_load.quick(db)
        else:
            results += web_load.benchmark(db, 100_000, clients=32, seconds=30, workers=2)
    if want("smtp"):
        from benchmarks import smtp

        for pipelining in (False, True):
            with fresh_database(db) as (_url, engine):
                results.append(smtp.benchmark(engine, sizes["smtp"], pipelining=pipelining))
    return results


def print_table(results: list[Result]) -> None:
    rows = [(r.name, f"{r.value:g} {r.unit}",
             f"{r.baseline_value:g}" if r.baseline_value is not None else "-",
             f"{r.ratio:g}" if r.ratio is not None else "-", r.target, "ok" if r.ok else "MISSED")
            for r in results]
    headers = ("benchmark", "result", "baseline", "ratio", "target", "")
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    for row in (headers, *rows):
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=False)).rstrip())
    for r in results:
        print(f"- {r.name}: {r.measured}; baseline: {r.baseline}")
        plan = (r.detail or {}).get("explain_due_query")
        if plan:
            print("  EXPLAIN of the due query:\n    " + plan.replace("\n", "\n    "))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks")
    ap.add_argument("--db", help="database URL (default: a temporary SQLite file); a PostgreSQL database is WIPED")
    ap.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    ap.add_argument("--json", dest="json_path", help="write results as JSON here")
    ap.add_argument("--only", nargs="*", help="run only these benchmarks")
    args = ap.parse_args(argv)
    results = run(args.db, args.quick, args.only)
    print_table(results)
    if args.json_path:
        with open(args.json_path, "w") as fh:
            json.dump({"date": datetime.now(UTC).isoformat(), "machine": platform.platform(),
                       "python": sys.version.split()[0], "quick": args.quick,
                       "results": [r.as_dict() for r in results]}, fh, indent=2)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
