"""The web under load: `hamkor serve` driven by concurrent signed-in clients.

The database is seeded (`benchmarks.seed`: 100,000 agreements on the full run),
an admin with a password is added and one draft per client; then
`hamkor serve --workers W` starts as production runs it and `--clients`
aiohttp client sessions sign in over loopback and each loops over

    dashboard, the list with a filter, a search, an agreement page, an event POST

(the POST with the session's CSRF token: `submit`, then `request_changes`, on the
client's own draft) until `--seconds` have passed or `--requests` were made.
Per page: requests/s, p50/p95/p99 latency, errors (anything but 200, or 303 for
the POST). Baseline, same run, same uvicorn options and worker count: a minimal
Starlette app whose one endpoint renders a Jinja template as large as the mean
Hamkor page (`benchmarks.web_baseline`), driven by the same number of clients.

    python -m benchmarks.web_load [--db URL] [--agreements 100000] [--seeded]
                                  [--clients 32] [--seconds 30] [--workers 2] [--quick]

A PostgreSQL `--db` is WIPED and seeded unless `--seeded` says it holds a seeded
database already (the benchmark's own user and drafts are added, or reused).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.harness import Result

EMAIL = "web-bench@bench.hamkor"
PASSWORD = "web-bench-Pa55word-2026"
PAGES = ("dashboard", "list+filter", "search", "agreement", "event POST")
TARGET_PAGE_P95_MS = 150.0
TARGET_SEARCH_P95_MS = 300.0
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Plan:
    """What the clients ask for: sample refs, filters, search words, one draft per client."""

    refs: list[str]
    drafts: list[str]
    filters: list[str]
    searches: list[str]
    in_review: set[str] = field(default_factory=set)  # drafts a previous run left submitted


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    bytes: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))


# --- the database --------------------------------------------------------------------------


def prepare(url: str, clients: int) -> Plan:
    """Add the benchmark's admin (with a password) and one complete draft per client."""
    from datetime import date

    from sqlalchemy import func, select

    from models import Agreement, Organization, User
    from root import App
    from workflow.accounts import set_password
    from workflow.agreements import NewAgreement, create
    from workflow.registry import add_user
    from workflow.search import refresh

    app = App(url)
    try:
        with app.uow() as uow:
            s = uow.session
            have_user = s.scalar(select(User.id).where(User.email == EMAIL)) is not None
            partners = list(s.scalars(select(Organization.name).order_by(Organization.id).limit(50)))
            found = list(s.execute(select(Agreement.ref, Agreement.state)
                                   .where(Agreement.title.like("Web bench draft %")).order_by(Agreement.id)))
            drafts = [ref for ref, _ in found]
            in_review = {ref for ref, state in found if state == "in_review"}
            n = int(s.scalar(select(func.count()).select_from(Agreement)) or 0)
            step = max(1, n // 400)
            refs = list(s.scalars(select(Agreement.ref).where(Agreement.id % step == 0)
                                  .order_by(Agreement.id).limit(400)))
            countries = [c for c in s.scalars(select(Organization.country).distinct()) if c][:8]
        if not have_user:
            add_user(app.uow(), app.clock(), EMAIL, "Web Bench", "admin")
            set_password(app.uow(), EMAIL, PASSWORD)
        office = app.office()
        partner = partners[1] if len(partners) > 1 else partners[0]
        for i in range(len(drafts), clients):
            a = create(app.uow(), app.clock(), office,
                       NewAgreement(title=f"Web bench draft {i + 1}", partners=[partner], type="mou",
                                    owner=EMAIL, starts=date(2027, 1, 1), expires=date(2029, 12, 31)),
                       by=EMAIL)
            drafts.append(a["ref"])
        # The search index as a running office has it (built on the first search after
        # the seeding; not part of the measurement).
        refresh(app.uow(), app.settings.institution)
    finally:
        app.close()
    states = ("active", "renewal_due", "expired", "draft")
    filters = [f"state={states[i % len(states)]}&country={countries[i % len(countries)]}"
               for i in range(8)] if countries else [f"state={s}" for s in states]
    words = [w for p in partners[:20] for w in p.split()[:2]]
    searches = sorted({w for w in words if len(w) > 2})[:12] + ["exchange", "Ministry"]
    return Plan(refs, drafts[:clients], filters, searches, in_review)


# --- the servers ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _server(cmd: list[str], env: dict[str, str], port: int, cwd: str) -> Iterator[subprocess.Popen[bytes]]:
    import httpx

    log = open(os.path.join(cwd, f"server-{port}.log"), "wb")  # noqa: SIM115 - closed below
    p = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            if p.poll() is not None:
                raise RuntimeError(f"server exited: {Path(log.name).read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not answer: {Path(log.name).read_text(errors='replace')[-2000:]}")
            time.sleep(0.3)
        yield p
    finally:
        p.terminate()
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        log.close()


def hamkor_server(url: str, port: int, workers: int, cwd: str) -> Any:
    env = dict(os.environ, HAMKOR_SECRET_KEY="web-bench-secret-key-" + "x" * 40,
               HAMKOR_MAIL_BACKEND="file", HAMKOR_MAIL_DIR=os.path.join(cwd, "mail"))
    env.pop("HAMKOR_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "cli.main", "--db", url, "serve", "--port", str(port),
           "--workers", str(workers), "--log-level", "warning"]
    return _server(cmd, env, port, cwd)


def baseline_server(port: int, workers: int, page_bytes: int, cwd: str) -> Any:
    env = dict(os.environ, HAMKOR_BENCH_PAGE_BYTES=str(page_bytes))
    # The benchmarks are not installed (the wheel ships none): the checkout goes on the path,
    # whatever folder the server runs in.
    checkout = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (checkout, env.get("PYTHONPATH")) if p)
    # The options `hamkor serve` gives uvicorn (cli/serve.py), as a factory like its workers.
    from cli.serve import speedups

    fast = speedups()
    cmd = [sys.executable, "-m", "uvicorn", "benchmarks.web_baseline:create_app", "--factory",
           "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
           "--log-level", "warning", "--no-proxy-headers", "--no-server-header",
           "--loop", fast["loop"], "--http", fast["http"]]
    return _server(cmd, env, port, cwd)


# --- the clients ---------------------------------------------------------------------------


class _Client:
    """One signed-in (or anonymous) client with one connection, on aiohttp: a quarter of
    httpx's CPU per request (0.30 against 1.29 ms, measured side by side on this
    machine), so the load generator, which shares the machine's two cores with the
    servers, takes as little of them as it can. Redirects are not followed."""

    def __init__(self, base: str, cookies: Any = None) -> None:
        import aiohttp

        self._base = base
        jar = aiohttp.CookieJar(unsafe=True)  # the server is an IP address (127.0.0.1)
        if cookies is not None:
            jar.update_cookies(cookies)
        self._session = aiohttp.ClientSession(
            base_url=base, cookie_jar=jar, connector=aiohttp.TCPConnector(limit=1),
            timeout=aiohttp.ClientTimeout(total=60))

    async def request(self, method: str, path: str, data: dict[str, str] | None = None
                      ) -> tuple[int, bytes]:
        async with self._session.request(method, path, data=data, allow_redirects=False) as r:
            return r.status, await r.read()

    def cookies(self) -> Any:
        from yarl import URL

        return self._session.cookie_jar.filter_cookies(URL(self._base))

    async def aclose(self) -> None:
        await self._session.close()


async def _signed_in(base: str) -> tuple[_Client, str, Any]:
    client = _fresh(base)
    try:
        _, page = await client.request("GET", "/login")
        m = _CSRF.search(page.decode())
        assert m, "no CSRF token on the sign-in page"
        status, body = await client.request("POST", "/login", data={
            "email": EMAIL, "password": PASSWORD, "next": "/", "csrf_token": m[1]})
        if status != 303:
            raise RuntimeError(f"sign-in failed: {status} {body[:300]!r}")
        _, page = await client.request("GET", "/")
        m = _CSRF.search(page.decode())
        assert m, "no CSRF token on the dashboard"
        return client, m[1], client.cookies()
    except BaseException:
        await client.aclose()
        raise


async def _hamkor_client(i: int, session: tuple[_Client, str], plan: Plan, tally: Tally, stop: float,
                         max_requests: int, submitted: dict[int, bool]) -> None:
    """Client `i` loops over the pages; `submitted[i]`: its draft is in review (carried over)."""
    client, csrf = session
    draft = plan.drafts[i]
    made, k = 0, i
    while time.monotonic() < stop and made < max_requests:
        k += 1
        steps: list[tuple[str, str, str, dict[str, str] | None, int]] = [
            ("dashboard", "GET", "/", None, 200),
            ("list+filter", "GET", f"/agreements?{plan.filters[k % len(plan.filters)]}", None, 200),
            ("search", "GET", f"/agreements?q={plan.searches[k % len(plan.searches)]}", None, 200),
            ("agreement", "GET", f"/agreements/{plan.refs[(k * 7) % len(plan.refs)]}", None, 200),
        ]
        back = submitted.get(i, False)
        event = "request_changes" if back else "submit"
        form = {"csrf_token": csrf, **({"note": "web bench: changes"} if back else {})}
        steps.append(("event POST", "POST", f"/agreements/{draft}/events/{event}", form, 303))
        for name, method, path, data, expected in steps:
            if time.monotonic() >= stop or made >= max_requests:
                break
            t = time.perf_counter()
            try:
                status, body = await client.request(method, path, data=data)
                elapsed = time.perf_counter() - t
                if status != expected:
                    tally.errors[name].append(f"{method} {path}: {status}")
                else:
                    tally.latencies[name].append(elapsed)
                    tally.bytes[name].append(len(body))
                    if name == "event POST":
                        submitted[i] = not back
            except Exception as exc:  # a refused connection, a timeout: an error, counted
                tally.errors[name].append(f"{method} {path}: {type(exc).__name__}")
            made += 1


async def _baseline_client(client: _Client, tally: Tally, stop: float, max_requests: int) -> None:
    made = 0
    while time.monotonic() < stop and made < max_requests:
        t = time.perf_counter()
        try:
            status, body = await client.request("GET", "/")
            if status != 200:
                tally.errors["baseline"].append(str(status))
            else:
                tally.latencies["baseline"].append(time.perf_counter() - t)
                tally.bytes["baseline"].append(len(body))
        except Exception as exc:
            tally.errors["baseline"].append(type(exc).__name__)
        made += 1


def _fresh(base: str, cookies: Any = None) -> _Client:
    """A client with one connection. Each phase opens new ones: uvicorn closes a
    connection idle for 5 s, and a client waiting for the others to sign in would
    otherwise send its first request into a closing connection."""
    return _Client(base, cookies)


async def _hamkor_load(base: str, plan: Plan, clients: int, seconds: float, max_requests: int,
                       warm_up: int) -> tuple[Tally, float]:
    """Sign every client in, warm up, then drive them all for `seconds` (the clock starts
    once all are signed in)."""
    signed = await asyncio.gather(*(_signed_in(base) for _ in range(clients)))
    csrf = [token for _, token, _ in signed]
    cookies = [jar for _, _, jar in signed]
    for client, _, _ in signed:
        await client.aclose()
    submitted = {i: plan.drafts[i] in plan.in_review for i in range(clients)}
    tally = Tally()
    started = 0.0
    for phase in ("warm-up", "measured"):
        sessions = [(_fresh(base, cookies[i]), csrf[i]) for i in range(clients)]
        try:
            if phase == "warm-up":
                await asyncio.gather(*(_hamkor_client(i, sessions[i], plan, Tally(),
                                                      time.monotonic() + 120, warm_up, submitted)
                                       for i in range(clients)))
            else:
                started = time.monotonic()
                await asyncio.gather(*(_hamkor_client(i, sessions[i], plan, tally, started + seconds,
                                                      max_requests, submitted)
                                       for i in range(clients)))
        finally:
            for client, _ in sessions:
                await client.aclose()
    return tally, time.monotonic() - started


async def _baseline_load(base: str, clients: int, seconds: float, max_requests: int,
                         warm_up: int) -> tuple[Tally, float]:
    tally = Tally()
    started = 0.0
    for phase in ("warm-up", "measured"):
        sessions = [_fresh(base) for _ in range(clients)]
        try:
            if phase == "warm-up":
                await asyncio.gather(*(_baseline_client(c, Tally(), time.monotonic() + 120, warm_up)
                                       for c in sessions))
            else:
                started = time.monotonic()
                await asyncio.gather(*(_baseline_client(c, tally, started + seconds, max_requests)
                                       for c in sessions))
        finally:
            for c in sessions:
                await c.aclose()
    return tally, time.monotonic() - started


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


def _summary(tally: Tally, wall: float) -> dict[str, dict[str, Any]]:
    out = {}
    for name in sorted(set(tally.latencies) | set(tally.errors)):
        lat = tally.latencies.get(name, [])
        out[name] = {"requests": len(lat), "errors": len(tally.errors.get(name, [])),
                     "rps": round(len(lat) / wall, 1), "p50_ms": round(_pct(lat, 0.5), 1),
                     "p95_ms": round(_pct(lat, 0.95), 1), "p99_ms": round(_pct(lat, 0.99), 1),
                     "mean_bytes": int(statistics.mean(tally.bytes[name])) if tally.bytes.get(name) else 0,
                     "first_errors": tally.errors.get(name, [])[:3]}
    return out


# --- the benchmark -------------------------------------------------------------------------


@contextmanager
def _database(url: str | None, agreements: int, seeded: bool) -> Iterator[str]:
    from benchmarks.harness import fresh_database
    from benchmarks.seed import seed

    if url is not None and seeded:
        yield url
        return
    with fresh_database(url) as (db_url, engine):
        seed(engine, agreements)
        yield db_url


def benchmark(url: str | None, agreements: int = 100_000, *, clients: int = 32, seconds: float = 30,
              workers: int = 2, max_requests: int = 100_000, seeded: bool = False,
              warm_up: int = 5) -> list[Result]:
    tmp = tempfile.mkdtemp(prefix="hamkor-web-")
    try:
        with _database(url, agreements, seeded) as db_url:
            plan = prepare(db_url, clients)
            port = _free_port()
            with hamkor_server(db_url, port, workers, tmp):
                # Warm-up: a few requests a client (every worker's imports, templates).
                tally, wall = asyncio.run(_hamkor_load(f"http://127.0.0.1:{port}", plan, clients,
                                                       seconds, max_requests, warm_up))
        pages = _summary(tally, wall)
        sizes = [b for name in PAGES if name != "event POST" for b in tally.bytes.get(name, [])]
        page_bytes = int(statistics.mean(sizes)) if sizes else 20_000
        port = _free_port()
        with baseline_server(port, workers, page_bytes, tmp):
            btally, bwall = asyncio.run(_baseline_load(f"http://127.0.0.1:{port}", clients, seconds,
                                                       max_requests, warm_up))
        baseline = _summary(btally, bwall)["baseline"]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    dialect = "postgresql" if url and url.startswith("postgresql") else "sqlite"
    total = sum(p["requests"] for p in pages.values())
    errors = sum(p["errors"] for p in pages.values()) + baseline["errors"]
    rps = total / wall
    misses = [name for name, p in pages.items()
              if p["p95_ms"] >= (TARGET_SEARCH_P95_MS if name == "search" else TARGET_PAGE_P95_MS)]
    worst = max(p["p95_ms"] for name, p in pages.items() if name != "search")
    return [Result(
        name=f"web under load ({dialect})",
        measured=f"`hamkor serve --workers {workers}`, {clients} signed-in clients for {wall:.0f} s "
                 f"({total:,} requests: {', '.join(PAGES)}); worst page p95 {worst:.0f} ms, "
                 f"search p95 {pages.get('search', {}).get('p95_ms', float('nan')):.0f} ms",
        value=round(rps, 1), unit="requests/s",
        baseline=f"a minimal Starlette endpoint rendering a {page_bytes:,}-byte Jinja template, "
                 f"same uvicorn options and workers, {clients} clients "
                 f"(p95 {baseline['p95_ms']:.0f} ms)",
        baseline_value=baseline["rps"], ratio=round(rps / baseline["rps"], 3) if baseline["rps"] else None,
        target=f"p95 < {TARGET_PAGE_P95_MS:.0f} ms per page, < {TARGET_SEARCH_P95_MS:.0f} ms search, "
               "no errors",
        ok=not misses and errors == 0,
        detail={"pages": pages, "baseline": baseline, "clients": clients, "workers": workers,
                "seconds": round(wall, 1), "agreements": agreements, "page_bytes": page_bytes,
                "missed": misses},
    )]


def quick(url: str | None, *, seeded: bool = False) -> list[Result]:
    """The CI variant: proves the harness runs end to end (both servers, every page)."""
    return benchmark(url, 1_000, clients=4, seconds=3, workers=1, seeded=seeded, warm_up=2)


def print_result(r: Result) -> None:
    d = r.detail or {}
    print(f"{r.name}: {r.measured}")
    print(f"{'page':<14}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'errors':>8}{'bytes':>9}")
    for name, p in [*d["pages"].items(), ("baseline", d["baseline"])]:
        print(f"{name:<14}{p['requests']:>9}{p['rps']:>8}{p['p50_ms']:>9}{p['p95_ms']:>9}"
              f"{p['p99_ms']:>9}{p['errors']:>8}{p['mean_bytes']:>9}")
        for e in p["first_errors"]:
            print(f"    {e}")
    print(f"all pages {r.value} req/s vs baseline {r.baseline_value} req/s: ratio {r.ratio}; "
          f"target {r.target}: {'ok' if r.ok else 'MISSED ' + ', '.join(d.get('missed', []))}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.web_load", description=__doc__.split("\n")[0])
    ap.add_argument("--db", help="PostgreSQL URL (WIPED and seeded unless --seeded); default a temporary SQLite file")
    ap.add_argument("--agreements", type=int, default=100_000)
    ap.add_argument("--seeded", action="store_true", help="--db already holds a seeded database")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="1,000 agreements, 4 clients, 3 s (CI)")
    args = ap.parse_args(argv)
    if args.quick:
        (r,) = quick(args.db, seeded=args.seeded)
    else:
        (r,) = benchmark(args.db, args.agreements, clients=args.clients, seconds=args.seconds,
                         workers=args.workers, seeded=args.seeded)
    print_result(r)
    return 0 if r.ok else 1


if __name__ == "__main__":
    sys.exit(main())
