"""Search over 100k agreements: the Agreements page's query, from the index.

    python -m benchmarks.search_scale                               # SQLite, 100k agreements
    python -m benchmarks.search_scale --db postgresql+psycopg://...  # a scratch DB: WIPED
    python -m benchmarks.search_scale --agreements 20000

Seeds the register with `benchmarks.seed`, adds the Politecnico di Torino
agreement a newcomer looks for, builds the index once (timed: what the first
search after the migration costs), then times what the list page asks for --
the count, one sorted page of 50 ids and their agreements -- for typical
queries, best of five. Target: every query under 300 ms. The baseline, in the
same run, is the same query without the index: a LIKE scan of every document
(`NOT MATERIALIZED`/`+0` tricks aside, the index is what makes the difference).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select

from benchmarks.harness import Result, fresh_database

TARGET_S = 0.3
TODAY = date.today()
QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("politecnico torino", {}),
    ("Italy", {}),
    ("италия", {}),
    ("university 1-0001", {}),
    ("", {"state": "active", "sort": "-expires"}),
    ("exchange", {"country": "DE", "expiring_within": 365}),
    ("AGR-2019", {}),
]


def _politecnico(url: str) -> None:
    from root import App
    from workflow.agreements import NewAgreement, create
    from workflow.registry import add_partner, add_user

    app = App(url)
    try:
        add_user(app.uow(), app.clock(), "bench.officer@uni.uz", "Bench Officer", "officer")
        add_partner(app.uow(), app.clock(), "Politecnico di Torino", country="IT", city="Turin")
        create(app.uow(), app.clock(), app.office(),
               NewAgreement(title="Double degree in mechatronics", partners=["Politecnico di Torino"],
                            type="double_degree", owner="bench.officer@uni.uz",
                            notes="Signed at the Bologna fair"),
               by="bench.officer@uni.uz")
    finally:
        app.close()


def _page(app: Any, q: str, filters: dict[str, Any]) -> tuple[int, list[str]]:
    from web.queries import search_agreements

    page = search_agreements(app.uow(), app.clock(), institution="Home University", q=q or None,
                             **filters)
    return page.total, [a["ref"] for a in page.rows]


def _unindexed(engine: Engine, q: str) -> float:
    """The same token test as a plain scan of every document (no index used)."""
    from models import AgreementSearch
    from workflow.search import tokens

    words = tokens(q)
    stmt = select(func.count()).select_from(AgreementSearch)
    for w in words:
        # `|| ''` makes the expression opaque to the trigram index: a sequential scan.
        stmt = stmt.where((AgreementSearch.doc + "").like(f"%{w}%"))
    t = time.perf_counter()
    with engine.connect() as conn:
        conn.execute(stmt).scalar()
    return time.perf_counter() - t


def benchmark(url: str, engine: Engine, n: int) -> list[Result]:
    from benchmarks.seed import seed
    from root import App
    from workflow.search import refresh

    seeded = seed(engine, n, today=TODAY)
    _politecnico(url)
    app = App(url)
    try:
        t = time.perf_counter()
        built = refresh(app.uow(), "Home University")
        build_s = time.perf_counter() - t
        results = []
        for q, filters in QUERIES:
            best, total = 9e9, 0
            refs: list[str] = []
            for _ in range(5):
                t = time.perf_counter()
                total, refs = _page(app, q, filters)
                best = min(best, time.perf_counter() - t)
            scan = min(_unindexed(engine, q) for _ in range(3)) if q else None
            label = q or "(no words)"
            if filters:
                label += " + " + ", ".join(f"{k}={v}" for k, v in filters.items())
            results.append(Result(
                name=f"search {label!r} ({engine.dialect.name})",
                measured=f"count + sorted page of 50 + their agreements, among {seeded.agreements:,}",
                value=round(best * 1000, 1), unit="ms",
                baseline="the same words as a LIKE scan of every document (count only)",
                baseline_value=round(scan * 1000, 1) if scan is not None else None,
                ratio=round(best / scan, 3) if scan else None,
                target=f"< {TARGET_S * 1000:.0f} ms", ok=best < TARGET_S,
                detail={"matches": total, "first": refs[:3], "index_build_s": round(build_s, 1),
                        "documents_built": built}))
        return results
    finally:
        app.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="a scratch database URL (wiped); default a temporary SQLite file")
    parser.add_argument("--agreements", type=int, default=100_000)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)
    with fresh_database(args.db) as (url, engine):
        results = benchmark(url, engine, args.agreements)
    for r in results:
        print(f"{r.name}: {r.value} {r.unit} (scan {r.baseline_value} ms; {r.detail}) "
              f"{'ok' if r.ok else 'MISSED'}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump([r.as_dict() for r in results], fh, indent=2)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
