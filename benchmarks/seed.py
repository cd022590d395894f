"""Bulk-seed a migrated database with realistic agreements and their history.

    python -m benchmarks.seed --db sqlite:///bench.db --agreements 100000 [--seed 1]
                              [--today 2025-06-30] [--first-year 2010]

Each agreement gets a history the lifecycle allows, dated as the services and
the tick would date it: create, submit, approve, send for signature, one
signature per party, activation on the start date, renewal window, tacit
renewals, successors (renew, then supersede or a coverage gap when the
successor comes late), notice, termination, expiry, withdrawal; a share is
imported with partial data (no dates, no owner, no signature dates), and some
partners have no country. Partners come from ~50 countries and every kind.

Rows go in with SQLAlchemy Core `insert()` in batches (explicit ids for
agreements, organisations and users; PostgreSQL sequences are moved past them),
so 100k agreements take seconds. The same `--seed` gives the same data.
`seed(engine, n)` is the reusable entry point.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Engine,
    Table,
    func,
    insert,
    select,
    text,
)

from models import (
    Agreement,
    AgreementParty,
    Event,
    Organization,
    User,
    metadata,
    normalize_name,
)
from models.bulk import insert_many
from workflow.dates import extend_term, term_end
from workflow.lifecycle import TERMINAL, State
from workflow.schedule import Facts, Policy, next_due_on

ONE_DAY = timedelta(days=1)

COUNTRIES = (  # (code, weight): neighbours and traditional partners first
    ("RU", 14), ("KZ", 9), ("KR", 9), ("CN", 8), ("TR", 7), ("DE", 6), ("JP", 5), ("IT", 5),
    ("US", 5), ("GB", 4), ("FR", 4), ("KG", 4), ("TJ", 3), ("BY", 3), ("IN", 3), ("PL", 3),
    ("LV", 2), ("LT", 2), ("CZ", 2), ("ES", 2), ("AT", 2), ("HU", 2), ("MY", 2), ("AZ", 2),
    ("TM", 2), ("UA", 2), ("FI", 1), ("SE", 1), ("NL", 1), ("BE", 1), ("CH", 1), ("PT", 1),
    ("GR", 1), ("RO", 1), ("BG", 1), ("EE", 1), ("SK", 1), ("SI", 1), ("HR", 1), ("IL", 1),
    ("AE", 1), ("SA", 1), ("EG", 1), ("ID", 1), ("TH", 1), ("VN", 1), ("PK", 1), ("IR", 1),
    ("AU", 1), ("CA", 1),
)
KINDS = (("university", 74), ("company", 11), ("government", 6), ("ngo", 5), ("other", 4))
KIND_WORDS = {"university": "University", "company": "Industries", "government": "Ministry",
              "ngo": "Foundation", "other": "Institute"}
TYPES = (("exchange", 24), ("mou", 22), ("cooperation", 16), ("research", 10),
         ("double_degree", 7), ("internship", 8), ("consortium", 5), ("grant", 5), ("other", 3))
FORMS = ("student exchange", "staff exchange", "joint programme", "joint research",
         "internship", "training", "lab", "other")
DEPARTMENTS = ("Computer Engineering", "Mechanical Engineering", "Economics", "Energy",
               "Transport Systems", "Architecture", "Chemistry", "Physics", "Mathematics",
               "Languages", "Business School", "Medicine")
TERM_MONTHS = (12, 24, 36, 36, 60, 60, 60)


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _pick(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


@dataclass
class SeedResult:
    agreements: int
    events: int
    parties: int
    organizations: int
    users: int
    seconds: float


@dataclass
class _Agreement:
    """One simulated agreement: its row values, parties and events."""

    id: int
    ref_year: int
    created_on: date
    type: str
    owner_id: int | None
    department: str | None
    partners: list[int]
    forms: list[str]
    renews_id: int | None = None
    starts_on: date | None = None
    expires_on: date | None = None
    indefinite: bool = False
    auto_renew: bool = False
    renewal_months: int | None = None
    notice_days: int | None = None
    notice_given_on: date | None = None
    ends_on: date | None = None
    term: int = 1
    state: str = "draft"
    state_since: date | None = None
    signed_on: list[date | None] = field(default_factory=list)
    events: list[tuple[str, str | None, str | None, str, date, str | None, str | None, int]] = \
        field(default_factory=list)
    activated_on: date | None = None
    title: str = ""


class _Simulation:
    def __init__(self, rng: random.Random, today: date, first_year: int, home_id: int,
                 org_ids: list[int], owners: list[int], approvers: list[str],
                 officers: list[str], next_id: int) -> None:
        self.rng, self.today, self.home_id = rng, today, home_id
        self.first = date(first_year, 1, 1)
        self.org_ids, self.owners = org_ids, owners
        self.approvers, self.officers = approvers, officers
        self.next_id = next_id
        self.policy = Policy()

    # -- helpers --
    def _ev(self, a: _Agreement, event: str, to: str | None, day: date, *, actor: str | None = None,
            note: str | None = None, party: str | None = None) -> None:
        a.events.append((event, a.state if event not in ("create", "import") else None, to,
                         actor or self.rng.choice(self.officers), day, note, party, a.term))
        if to is not None and to != a.state:
            a.state, a.state_since = to, day

    def _days(self, lo: int, hi: int) -> timedelta:
        return timedelta(days=self.rng.randint(lo, hi))

    def _new(self, created: date, *, pred: _Agreement | None = None) -> _Agreement:
        rng = self.rng
        self.next_id += 1
        if pred is not None:
            a = _Agreement(self.next_id, created.year, created, pred.type, pred.owner_id,
                           pred.department, list(pred.partners), list(pred.forms), renews_id=pred.id,
                           auto_renew=pred.auto_renew, renewal_months=pred.renewal_months,
                           notice_days=pred.notice_days, title=pred.title)
            return a
        kind = _pick(rng, TYPES)
        n = 1 if rng.random() < 0.86 else rng.randint(2, 3) if kind != "consortium" else rng.randint(4, 9)
        if kind == "consortium":
            n = max(n, 4)
        # The circle of partners grows over the years: later agreements may bring new ones.
        grown = min(1.0, ((created - self.first).days + 30) / max(1, (self.today - self.first).days))
        pool = self.org_ids[:max(n, 10, int(len(self.org_ids) * grown ** 0.8))]
        partners = rng.sample(pool, n)
        forms = sorted(rng.sample(FORMS, rng.choice((1, 1, 2, 2, 3))))
        auto = rng.random() < 0.18
        a = _Agreement(self.next_id, created.year, created, kind, rng.choice(self.owners),
                       rng.choice(DEPARTMENTS) if rng.random() < 0.93 else None,
                       partners, forms, auto_renew=auto,
                       renewal_months=rng.choice((12, 24, 36)) if auto else None,
                       notice_days=rng.choice((30, 60, 90)) if auto else None)
        a.title = f"{kind.replace('_', ' ').title()} agreement {a.id}"
        return a

    # -- lifecycle --
    def chain(self, created: date) -> Iterator[_Agreement]:
        """An agreement and, when it is renewed, its successors."""
        if self.rng.random() < 0.06:
            yield from self._imported(created)
            return
        a = self._new(created)
        yield from self._lifecycle(a)

    def _lifecycle(self, a: _Agreement, starts: date | None = None) -> Iterator[_Agreement]:
        rng, today = self.rng, self.today
        parties = [self.home_id, *a.partners]
        a.signed_on = [None] * len(parties)
        day = a.created_on
        self._ev(a, "create", "draft", day, note=None)
        months = rng.choice(TERM_MONTHS)
        steps = [("submit", "in_review", 2, 25), ("approve", "approved", 1, 20),
                 ("send_for_signature", "awaiting_signatures", 0, 7)]
        withdraw_at = rng.randrange(len(steps) + 1) if rng.random() < 0.05 else None
        for i, (event, to, lo, hi) in enumerate(steps):
            nxt = day + self._days(lo, hi)
            if nxt > today:
                yield a
                return
            if withdraw_at == i:
                self._ev(a, "withdraw", "withdrawn", nxt, note="partner lost interest")
                yield a
                return
            if i == 0:
                a.starts_on = starts or (nxt + self._days(15, 90))
                a.expires_on = term_end(a.starts_on, months)
            day = nxt
            self._ev(a, event, to, day,
                     actor=rng.choice(self.approvers) if event == "approve" else None)
        names = [f"org-{oid}" for oid in parties]
        for i in rng.sample(range(len(parties)), len(parties)):
            nxt = day + self._days(1, 40)
            if nxt > today:
                yield a
                return
            day = nxt
            a.signed_on[i] = day
            last = all(s is not None for s in a.signed_on)
            self._ev(a, "sign", "signed" if last else "awaiting_signatures", day, party=names[i])
        assert a.starts_on is not None
        start = max(a.starts_on, day)
        if start > today:
            yield a
            return
        if rng.random() < 0.02:
            self._ev(a, "terminate", "terminated", start, note="funding was not granted")
            yield a
            return
        self._ev(a, "activate", "active", start, actor="system")
        a.activated_on = start
        yield from self._in_force(a)

    def _in_force(self, a: _Agreement) -> Iterator[_Agreement]:
        rng, today = self.rng, self.today
        while True:
            if a.expires_on is None:
                yield a
                return
            last = a.events[-1][4]
            if a.auto_renew and a.notice_given_on is None:
                if rng.random() < 0.12:
                    notice = a.expires_on - timedelta(days=(a.notice_days or 0) + rng.randint(5, 60))
                    if last <= notice <= today:
                        a.notice_given_on, a.ends_on = notice, a.expires_on
                        self._ev(a, "give_notice", a.state, notice, note="not renewing")
                        continue
                renew_on = a.expires_on + ONE_DAY
                if renew_on > today:
                    yield a
                    return
                a.term += 1
                a.expires_on = extend_term(a.expires_on, a.renewal_months or 12)
                self._ev(a, "auto_renew", "active", max(renew_on, last), actor="system")
                continue
            opens = a.expires_on - timedelta(days=self.policy.window_days)
            if a.state == "active" and last <= opens <= today:
                self._ev(a, "open_renewal", "renewal_due", opens, actor="system")
            fate = rng.random()
            if fate < 0.04:
                end = a.expires_on - self._days(30, 700)
                if a.events[-1][4] <= end <= today:
                    self._ev(a, "terminate", "terminated", end, note="partner closed the programme")
                    yield a
                    return
            if fate > 0.55 and a.notice_given_on is None:
                renew_on = a.expires_on - self._days(20, 160)
                if a.events[-1][4] <= renew_on <= today:
                    yield from self._renewed(a, renew_on)
                    return
            lapse = a.expires_on + ONE_DAY
            if lapse <= today:
                kind = "terminate" if a.ends_on and a.ends_on < a.expires_on else "expire"
                self._ev(a, kind, "expired" if kind == "expire" else "terminated",
                         max(lapse, a.events[-1][4]), actor="system")
            yield a
            return

    def _renewed(self, pred: _Agreement, on: date) -> Iterator[_Agreement]:
        """A successor draft on `on`; it supersedes `pred` or leaves a coverage gap."""
        assert pred.expires_on is not None
        succ = self._new(on, pred=pred)
        self._ev(pred, "renew", pred.state, on, note=f"successor {succ.id}")
        later = list(self._lifecycle(succ, starts=pred.expires_on))
        started = succ.activated_on
        if started is not None and started <= pred.expires_on + ONE_DAY:
            self._ev(pred, "supersede", "superseded", started, actor="system",
                     note=f"superseded by {succ.id}")
        else:
            lapse = pred.expires_on + ONE_DAY
            if lapse <= self.today:
                self._ev(pred, "expire", "expired", max(lapse, pred.events[-1][4]), actor="system")
            if started is not None:
                gap_to = started - ONE_DAY
                days = (gap_to - lapse).days + 1
                # Recorded on the successor right after its activation.
                idx = next(i for i, e in enumerate(succ.events) if e[0] == "activate") + 1
                succ.events.insert(idx, ("coverage_gap", "active", "active", "system", started,
                                         f"predecessor expired on {lapse.isoformat()}; no agreement "
                                         f"in force from {lapse.isoformat()} to "
                                         f"{gap_to.isoformat()} ({days} days)", None, succ.term))
        yield pred
        yield from later

    def _imported(self, created: date) -> Iterator[_Agreement]:
        """An agreement entered from a legacy table: one `import` event, partial data."""
        rng = self.rng
        a = self._new(created)
        if rng.random() < 0.12:
            a.owner_id = None
        starts = created - self._days(30, 1500)
        if rng.random() < 0.15:  # the "when, for how long" column was empty
            a.starts_on = a.expires_on = None
            state = "active"
        else:
            a.starts_on = starts
            a.expires_on = term_end(starts, rng.choice(TERM_MONTHS))
            state = "expired" if a.expires_on < created else "active"
        a.signed_on = [starts if rng.random() < 0.7 else None for _ in range(len(a.partners) + 1)]
        self._ev(a, "import", state, created, note="imported from the department table")
        if state == "active" and a.expires_on is not None:
            a.activated_on = a.starts_on
            yield from self._in_force(a)
        else:
            yield a


def _weighted_dates(rng: random.Random, first: date, last: date, n: int) -> list[date]:
    """Creation dates, more in later years (cooperation grows)."""
    span = (last - first).days
    return sorted(first + timedelta(days=int(span * (rng.random() ** 0.8))) for _ in range(n))


def seed(engine: Engine, n: int, *, seed: int = 1, today: date | None = None,
         first_year: int = 2010, institution: str = "Home University",
         institution_country: str = "UZ", batch: int = 5000) -> SeedResult:
    """Insert `n` agreements (successors included) with parties, history and partners."""
    started = time.perf_counter()
    today = today or date.today()
    rng = random.Random(seed)
    now = datetime.now(UTC)
    a_t, o_t, u_t = _table(Agreement), _table(Organization), _table(User)
    with engine.begin() as conn:
        max_org = int(conn.scalar(select(func.coalesce(func.max(o_t.c.id), 0))) or 0)
        max_user = int(conn.scalar(select(func.coalesce(func.max(u_t.c.id), 0))) or 0)
        max_agr = int(conn.scalar(select(func.coalesce(func.max(a_t.c.id), 0))) or 0)
        seqs: dict[int, int] = {year: seq for year, seq in conn.execute(
            select(a_t.c.ref_year, func.max(a_t.c.ref_seq)).group_by(a_t.c.ref_year))}
        home_key = normalize_name(institution)
        home_id = conn.scalar(select(o_t.c.id).where(o_t.c.name_key == home_key))
        n_orgs = max(20, n // 20)
        orgs: list[dict[str, Any]] = []
        oid = max_org
        if home_id is None:
            oid += 1
            home_id = oid
            orgs.append({"id": oid, "name": institution, "name_key": home_key,
                         "country": institution_country, "kind": "university", "city": None,
                         "created_on": date(first_year, 1, 1), "created_at": now})
        org_ids = []
        for i in range(n_orgs):
            oid += 1
            kind = _pick(rng, KINDS)
            country = None if i % 50 == 7 else _pick(rng, COUNTRIES)  # 2%: no country given
            name = f"{country or 'Unknown'} {KIND_WORDS[kind]} {seed}-{i + 1:05d}"
            orgs.append({"id": oid, "name": name, "name_key": normalize_name(name),
                         "country": country, "kind": kind, "city": None,
                         "created_on": date(first_year, 1, 1) + timedelta(days=rng.randint(0, 300)),
                         "created_at": now})
            org_ids.append(oid)
        conn.execute(insert(o_t), orgs)
        users: list[dict[str, Any]] = []
        owners: list[int] = []
        officers: list[str] = []
        approvers: list[str] = []
        uid = max_user
        for i in range(45):
            uid += 1
            role = "approver" if i < 5 else "officer"
            email = f"{role}{i + 1:02d}.s{seed}.{uid}@bench.hamkor"
            users.append({"id": uid, "email": email, "name": f"{role.title()} {i + 1}", "role": role,
                          "active": True, "created_at": now})
            (approvers if role == "approver" else officers).append(email)
            owners.append(uid)
        conn.execute(insert(u_t), users)

    sim = _Simulation(rng, today, first_year, home_id, org_ids, owners, approvers, officers, max_agr)
    counts = {"agreements": 0, "events": 0, "parties": 0}
    pending: list[_Agreement] = []
    made = 0
    with _indexes_rebuilt_after(engine):
        for created in _weighted_dates(rng, date(first_year, 1, 1), today - timedelta(days=1), n):
            if made >= n:
                break
            for a in sim.chain(created):
                if made >= n:
                    break
                pending.append(a)
                made += 1
            if len(pending) >= batch:
                _flush(engine, pending, seqs, home_id, sim.policy, today, now, counts)
                pending = []
        if pending:
            _flush(engine, pending, seqs, home_id, sim.policy, today, now, counts)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in ("organizations", "users", "agreements"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
        # Planner statistics, as a database in use has them (autovacuum may not have
        # analysed the bulk-loaded tables yet): without them per-agreement lookups by
        # index are planned as bitmap scans over thousands of guessed rows. The agreements
        # are vacuumed too, as autovacuum would have: until their visibility map is set, an
        # index-only scan (the dashboard's count per state) still reads the table's pages.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE) agreements"))
            conn.execute(text("ANALYZE"))
    return SeedResult(counts["agreements"], counts["events"], counts["parties"], len(orgs),
                      len(users), time.perf_counter() - started)


AGREEMENT_COLUMNS = (
    "id", "ref", "ref_year", "ref_seq", "title", "type", "state", "department", "owner_id",
    "starts_on", "expires_on", "indefinite", "term", "auto_renew", "renewal_months", "notice_days",
    "notice_given_on", "ends_on", "state_since", "forms", "quotas", "notes", "renews_id",
    "next_due_on", "created_on", "created_at", "version",
)
PARTY_COLUMNS = ("agreement_id", "organization_id", "position", "signed_on")
EVENT_COLUMNS = ("agreement_id", "event", "from_state", "to_state", "actor", "occurred_on",
                 "recorded_at", "note", "party", "term")
TERMINAL_STATES = TERMINAL


def _flush(engine: Engine, batch: list[_Agreement], seqs: dict[int, int], home_id: int,
           policy: Policy, today: date, now: datetime, counts: dict[str, int]) -> None:
    # A predecessor always has a smaller id than its successor, and a whole chain is
    # in one batch: inserting by id satisfies the `renews` foreign key.
    agreements: list[tuple[Any, ...]] = []
    parties: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    noon: dict[date, datetime] = {}
    for a in sorted(batch, key=lambda a: a.id):
        seq = seqs.get(a.ref_year, 0) + 1
        seqs[a.ref_year] = seq
        a.events.sort(key=lambda e: e[4])
        due = None
        if a.state not in TERMINAL_STATES:
            due = next_due_on(Facts(state=State(a.state), starts_on=a.starts_on,
                                    expires_on=a.expires_on, ends_on=a.ends_on,
                                    auto_renew=a.auto_renew, renewal_months=a.renewal_months,
                                    notice_days=a.notice_days, notice_given_on=a.notice_given_on,
                                    term=a.term, state_since=a.state_since,
                                    last_event_on=a.events[-1][4]), today, policy)
        agreements.append((
            a.id, f"AGR-{a.ref_year}-{seq:04d}", a.ref_year, seq, a.title, a.type, a.state,
            a.department, a.owner_id, a.starts_on, a.expires_on, a.indefinite, a.term,
            a.auto_renew, a.renewal_months, a.notice_days, a.notice_given_on, a.ends_on,
            a.state_since or a.created_on, a.forms, None, None, a.renews_id, due, a.created_on,
            now, len(a.events),
        ))
        signed = a.signed_on or [None] * (len(a.partners) + 1)
        parties.extend((a.id, oid, pos, signed[pos]) for pos, oid in enumerate((home_id, *a.partners)))
        for ev, frm, to, actor, on, note, party, term in a.events:
            at = noon.get(on)
            if at is None:
                at = noon[on] = datetime(on.year, on.month, on.day, 12, tzinfo=UTC)
            events.append((a.id, ev, frm, to, actor, on, at, note, party, term))
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            # A large page cache keeps index inserts in memory (the default is 2 MB).
            conn.exec_driver_sql("PRAGMA cache_size=-262144")
        insert_many(conn, _table(Agreement), AGREEMENT_COLUMNS, agreements)
        insert_many(conn, _table(AgreementParty), PARTY_COLUMNS, parties)
        insert_many(conn, _table(Event), EVENT_COLUMNS, events)
    counts["agreements"] += len(agreements)
    counts["parties"] += len(parties)
    counts["events"] += len(events)


#: Plain (non-unique) indexes of the bulk-loaded tables: built once at the end, which is
#: several times faster than maintaining them row by row. Unique ones stay: they guard.
BULK_TABLES = ("agreements", "agreement_parties", "events")


@contextmanager
def _indexes_rebuilt_after(engine: Engine) -> Iterator[None]:
    indexes = [ix for name in BULK_TABLES for ix in metadata.tables[name].indexes if not ix.unique]
    with engine.begin() as conn:
        for ix in indexes:
            ix.drop(conn, checkfirst=True)
    try:
        yield
    finally:
        with engine.begin() as conn:
            for ix in indexes:
                ix.create(conn, checkfirst=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.seed", description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, help="URL of a migrated database")
    parser.add_argument("--agreements", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", type=date.fromisoformat, default=None)
    parser.add_argument("--first-year", type=int, default=2010)
    parser.add_argument("--institution", default="Home University")
    parser.add_argument("--upgrade", action="store_true", help="migrate the database first")
    args = parser.parse_args(argv)
    from migrations.schema import schema_state, upgrade
    from models.database import make_engine

    engine = make_engine(args.db)
    if args.upgrade:
        upgrade(engine)
    if schema_state(engine) != "current":
        print("error: the database is not migrated; run `hamkor db upgrade` or pass --upgrade",
              file=sys.stderr)
        return 1
    r = seed(engine, args.agreements, seed=args.seed, today=args.today,
             first_year=args.first_year, institution=args.institution)
    engine.dispose()
    print(f"seeded {r.agreements} agreements, {r.events} events, {r.parties} parties, "
          f"{r.organizations} organisations, {r.users} users in {r.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
