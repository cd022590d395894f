"""Tick cost grows with the agreements due, not the agreements stored.

Seeds `stored` agreements of which `due` have work today (with SQLAlchemy Core
inserts, in seconds even for 100k), then times one tick (transitions and
queueing; sending is measured separately by the SMTP benchmark). Run:

    python -m benchmarks.tick_scale                     # SQLite, 10k and 100k stored
    python -m benchmarks.tick_scale --pg URL            # and PostgreSQL
    python -m benchmarks.tick_scale --stored 10000 100000 1000000 --due 1000

The ratio printed is time(largest) / time(smallest): about 1 when the tick
reads only what is due through the `next_due_on` index.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, insert, text

from benchmarks.harness import Result, fresh_database
from models import Agreement, AgreementParty, Event, Organization, User
from models.database import make_engine

if TYPE_CHECKING:
    from tick.run import TickSummary

#: Kinds of due agreement, cycled: what today brings each of them, and how many mails.
DUE_KINDS = ("reminder", "expire", "activate", "notice")
MAILS_PER_KIND = {"reminder": 1, "expire": 1, "activate": 0, "notice": 1}
OWNER = "owner@uni.uz"
APPROVER = "approver@uni.uz"
INSTITUTION = "Home University"
TODAY = date(2027, 3, 1)


@dataclass(frozen=True)
class Seeded:
    stored: int
    due: int
    today: date
    #: How many agreements of each due kind were seeded.
    kinds: dict[str, int]

    @property
    def expected_mails(self) -> int:
        """Messages the day's tick must deliver (exactly once each)."""
        return sum(MAILS_PER_KIND[k] * n for k, n in self.kinds.items())


def _agreement_row(i: int, today: date, kind: str | None) -> dict[str, Any]:
    """Row `i`: a due agreement of `kind`, or (None) an active one with work months away."""
    long_ago = today - timedelta(days=700)
    row: dict[str, Any] = {
        "id": i, "ref": f"AGR-{today.year}-{i:04d}", "ref_year": today.year, "ref_seq": i,
        "title": f"Cooperation {i}", "type": "exchange", "department": f"Dept {i % 7}",
        "owner_id": 1, "term": 1, "indefinite": False, "auto_renew": False,
        "renewal_months": None, "notice_days": None, "forms": ["student exchange"],
        "created_on": long_ago, "created_at": datetime.combine(long_ago, datetime.min.time(), UTC),
        "version": 1, "state": "active", "starts_on": long_ago, "state_since": long_ago,
    }
    if kind is None:
        expires = today + timedelta(days=400 + i % 1000)
        row.update(expires_on=expires, next_due_on=expires - timedelta(days=180))
    elif kind == "reminder":  # the renewal window opens today with the 180-day reminder
        row.update(expires_on=today + timedelta(days=180), next_due_on=today)
    elif kind == "expire":  # its last day in force was yesterday
        row.update(state="renewal_due", state_since=today - timedelta(days=181),
                   expires_on=today - timedelta(days=1), next_due_on=today)
    elif kind == "activate":  # signed, starts today, expires in two years
        row.update(state="signed", starts_on=today, state_since=today - timedelta(days=20),
                   expires_on=today + timedelta(days=730), next_due_on=today)
    elif kind == "notice":  # renews tacitly; the 180-day notice-deadline reminder is due today
        row.update(auto_renew=True, renewal_months=12, notice_days=60,
                   expires_on=today + timedelta(days=240), next_due_on=today)
    else:  # pragma: no cover
        raise ValueError(kind)
    return row


def seed(engine: Engine, *, stored: int, due: int, today: date, chunk: int = 5_000) -> Seeded:
    """Insert users, two organisations and `stored` agreements (`due` of them due today).

    Due agreements are spread through the id range so nothing depends on their
    position. The database must be empty and migrated.
    """
    if due > stored:
        raise ValueError("due must not exceed stored")
    step = stored // due if due else stored + 1
    due_ids = {1 + k * step: DUE_KINDS[k % len(DUE_KINDS)] for k in range(due)}
    kinds = {k: 0 for k in DUE_KINDS}
    for kind in due_ids.values():
        kinds[kind] += 1
    t0 = datetime(2020, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(insert(User), [
            {"id": 1, "email": OWNER, "name": "Olga Owner", "role": "officer", "active": True, "created_at": t0},
            {"id": 2, "email": APPROVER, "name": "Anvar Approver", "role": "approver", "active": True, "created_at": t0},
        ])
        conn.execute(insert(Organization), [
            {"id": 1, "name": INSTITUTION, "name_key": INSTITUTION.casefold(), "country": "UZ",
             "kind": "university", "created_on": t0.date(), "created_at": t0},
            {"id": 2, "name": "Hiroshima University", "name_key": "hiroshima university",
             "country": "JP", "kind": "university", "created_on": t0.date(), "created_at": t0},
        ])
        for lo in range(1, stored + 1, chunk):
            ids = range(lo, min(lo + chunk, stored + 1))
            rows = [_agreement_row(i, today, due_ids.get(i)) for i in ids]
            conn.execute(insert(Agreement), rows)
            conn.execute(insert(AgreementParty), [
                {"agreement_id": i, "organization_id": org, "position": pos,
                 "signed_on": today - timedelta(days=30)}
                for i in ids for pos, org in enumerate((1, 2))])
            conn.execute(insert(Event), [
                {"agreement_id": r["id"], "event": "create", "from_state": None,
                 "to_state": r["state"], "actor": "import", "occurred_on": r["state_since"],
                 "recorded_at": t0, "note": None, "party": None, "term": 1}
                for r in rows])
        if engine.dialect.name == "postgresql":
            for table in ("users", "organizations", "agreements", "agreement_parties", "events"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
    if engine.dialect.name == "postgresql":  # as autovacuum would have done by now
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    return Seeded(stored, due, today, kinds)


def time_tick(url: str, today: date, *, dry_run: bool = False) -> tuple[float, TickSummary]:
    """Seconds for one tick (no sending) and its report."""
    from root import App
    from tick.worker import tick_once

    app = App(url)
    try:
        app.engine  # noqa: B018 - schema check and connection outside the timing
        started = time.perf_counter()
        report = tick_once(app, datetime.combine(today, datetime.min.time()).replace(hour=8),
                           dry_run=dry_run, send=False)
        return time.perf_counter() - started, report.as_dict()
    finally:
        app.close()


@dataclass(frozen=True)
class Measured:
    stored: int
    due: int
    seconds: float  # the real tick
    dry_best: float  # best of the dry runs before it: the same work, rolled back
    queued: int
    seeding: float


def measure(url: str | None, stored: int, due: int, today: date = TODAY, repeat: int = 3,
            plans: dict[str, str] | None = None) -> Measured:
    """Seed a fresh database (`None`: a temporary SQLite file) and time its tick."""
    with fresh_database(url) as (db_url, engine):
        t = time.perf_counter()
        seeded = seed(engine, stored=stored, due=due, today=today)
        seeding = time.perf_counter() - t
        if plans is not None and engine.dialect.name == "postgresql":
            plans["explain_due_query"] = explain_due_query(db_url, today)
        dry = [time_tick(db_url, today, dry_run=True)[0] for _ in range(repeat)]
        elapsed, report = time_tick(db_url, today)
    assert report["agreements"] == due, report
    queued = sum(report["enqueued"].values())
    assert queued == seeded.expected_mails, (queued, seeded)
    return Measured(stored, due, elapsed, min(dry, default=elapsed), queued, seeding)


def explain_due_query(url: str, today: date) -> str:
    """The plan of the tick's due query (PostgreSQL): it must use the next_due_on index."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            plan = conn.execute(text(
                "EXPLAIN SELECT id FROM agreements WHERE next_due_on IS NOT NULL "
                "AND next_due_on <= :today ORDER BY next_due_on, id"), {"today": today}).scalars()
            return "\n".join(plan)
    finally:
        engine.dispose()


def benchmark(url: str | None, stored: tuple[int, ...] = (10_000, 100_000),
              due: int = 1_000) -> list[Result]:
    """For `python -m benchmarks`: the tick at the largest size against the smallest.

    On PostgreSQL the plan of the due query at the largest size is kept in `detail`.
    """
    plans: dict[str, str] = {}
    runs = [measure(url, n, due, plans=plans) for n in stored]
    small, large = runs[0], runs[-1]
    ratio = large.dry_best / small.dry_best
    dialect = "postgresql" if url and url.startswith("postgresql") else "sqlite"
    return [Result(
        name=f"tick scale ({dialect})",
        measured=f"one tick, {due} agreements due among {large.stored} stored (best of 3 dry runs)",
        value=round(large.dry_best, 3), unit="s",
        baseline=f"the same {due} due among {small.stored} stored", baseline_value=round(small.dry_best, 3),
        ratio=round(ratio, 3), target="<= 1.3 (cost follows the agreements due, not those stored)",
        ok=ratio <= 1.3, detail={"runs": [r.__dict__ for r in runs], **plans},
    )]


_CHILD = """
import json, sys
from benchmarks.tick_scale import time_tick, peak_mib
from datetime import date
seconds, report = time_tick(sys.argv[1], date.fromisoformat(sys.argv[2]))
print(json.dumps({"seconds": seconds, "agreements": report["agreements"], "peak_mib": peak_mib()}))
"""


def peak_mib() -> float:
    """This process's peak resident memory in MiB.

    Linux's VmHWM, the high-water mark of this program's own memory: `ru_maxrss`
    starts at the RSS the process had when it was forked, so a child of a parent
    that just seeded 100k agreements would report the parent's size.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def catchup(url: str | None, due: int, today: date = TODAY) -> dict[str, Any]:
    """After a long outage: `due` agreements all due at once, one real tick in its own process.

    Returns the tick's seconds and the process's peak resident memory (MiB; interpreter and
    imports included), so memory bounded by the batch, not the due count, shows directly.
    """
    import json
    import subprocess

    with fresh_database(url) as (db_url, engine):
        seeded = seed(engine, stored=due, due=due, today=today)
        p = subprocess.run([sys.executable, "-c", _CHILD, db_url, today.isoformat()],
                           capture_output=True, text=True, check=True)
    out: dict[str, Any] = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["agreements"] == due, (out, seeded)
    return out


def catchup_benchmark(url: str | None, sizes: tuple[int, int] = (10_000, 100_000)) -> list[Result]:
    """For `python -m benchmarks`: time linear in the due count, peak memory under 300 MB."""
    small, large = (catchup(url, n) for n in sizes)
    per_small = small["seconds"] / sizes[0]
    per_large = large["seconds"] / sizes[1]
    ratio = per_large / per_small
    dialect = "postgresql" if url and url.startswith("postgresql") else "sqlite"
    peak = max(small["peak_mib"], large["peak_mib"])
    return [Result(
        name=f"tick catch-up ({dialect})",
        measured=f"one tick with all {sizes[1]:,} agreements due at once: seconds per agreement "
                 f"(peak memory {large['peak_mib']:.0f} MiB; {small['peak_mib']:.0f} MiB at {sizes[0]:,})",
        value=round(per_large * 1000, 3), unit="ms/agreement",
        baseline=f"the same with {sizes[0]:,} due", baseline_value=round(per_small * 1000, 3),
        ratio=round(ratio, 2), target="time per agreement ratio <= 1.3 (linear) and peak < 300 MB",
        ok=ratio <= 1.3 and peak * 1.048576 < 300, detail={"small": small, "large": large},
    )]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stored", type=int, nargs="+", default=[10_000, 100_000])
    p.add_argument("--due", type=int, default=1_000)
    p.add_argument("--pg", metavar="URL", help="also run on this PostgreSQL database (it is WIPED)")
    p.add_argument("--catchup", type=int, nargs="*", metavar="DUE",
                   help="instead: one tick with DUE agreements all due at once (e.g. 10000 100000): "
                        "seconds and peak memory")
    args = p.parse_args(argv)
    if args.catchup is not None:
        for n in args.catchup or [10_000, 100_000]:
            for name, url in [("sqlite", None), *([("postgresql", args.pg)] if args.pg else [])]:
                out = catchup(url, n)
                print(f"{name}: {n:,} due at once: tick {out['seconds']:.2f} s "
                      f"({out['seconds'] / n * 1000:.3f} ms each), peak {out['peak_mib']:.0f} MiB", flush=True)
        return 0
    targets: list[tuple[str, str | None]] = [("sqlite", None)]
    if args.pg:
        targets.append(("postgresql", args.pg))
    for name, url in targets:
        print(f"{name}:")
        runs = []
        for n in args.stored:
            m = measure(url, n, args.due)
            runs.append(m)
            print(f"  {n:>9,} stored, {m.due:,} due: tick {m.seconds:6.2f} s, dry run best of 3 "
                  f"{m.dry_best:6.2f} s  (seeding {m.seeding:.1f} s; {m.queued} queued)", flush=True)
        print(f"  ratio {runs[-1].stored:,} / {runs[0].stored:,} stored: "
              f"{runs[-1].dry_best / runs[0].dry_best:.2f} (dry runs), "
              f"{runs[-1].seconds / runs[0].seconds:.2f} (real ticks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
