"""`hamkor demo [--out DIR] [--db URL]`: the seed agreements, lived through.

A composition root like the other commands: it builds a demo `App` (home
institution from the data file, the file mail backend writing into DIR/mail)
and drives the same services a user would, in order:

1. users of each role (`workflow.registry.add_user`);
2. the agreements of `cli/data/demo.yaml`, in one call of the import service
   (`workflow.transfer.import_sheet`, the path of `hamkor import`);
3. each agreement's history from the file, as service calls made on their dates
   (`workflow.agreements.advance` / `renew`);
4. a daily tick from the file's start date to today, with the staff steps that
   fall in that period done on their day (`tick.worker.tick_once`);
5. the annual report (`reports.service.generate`), then a summary.

It is safe to run twice: DIR is marked as a demo directory on first use, and a
rerun deletes only what the demo itself writes there (its database, mail and
reports). A database given with --db must be empty (it is never wiped) unless
it is a SQLite file inside DIR.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from root import App

if TYPE_CHECKING:
    from documents.attachments import FileRow

DEMO_DB = "hamkor-demo.db"
MARKER = ".hamkor-demo"
MAIL_DIR = "mail"
REPORTS_DIR = "reports"
EWP_DIR = "ewp"
EWP_KEY = "polito-erasmus"  # the data file's Erasmus+ IIA: gets EWP conditions and approvals
#: Web sign-in password of every demo account (demo data only; never a real account).
DEMO_PASSWORD = "hamkor-demo-2026"
#: Everything a rerun may delete inside DIR (nothing else is touched).
OWNED = (DEMO_DB, f"{DEMO_DB}-wal", f"{DEMO_DB}-shm", f"{DEMO_DB}-journal", MAIL_DIR,
         REPORTS_DIR, EWP_DIR, ".env", "summary.txt", "files")
FILES_DIR = "files"  # the demo's file store (issue 20)
FILES_KEY = "hiroshima"  # the agreement that gets a generated draft and a demo signed copy
TICK_HOUR = 8  # the daily tick runs at 08:00; staff steps of that day follow at 10:00
STAFF_HOUR = 10
REPORT_FORMATS = ("html", "xlsx", "md")
#: The report's key figures the progress line repeats.
REPORT_COUNTS = ("active", "signed", "renewed", "expired", "new_partners", "data_quality")


def load_data() -> dict[str, Any]:
    import yaml

    text = (resources.files("cli") / "data" / "demo.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


# --- the walk ----------------------------------------------------------------------------------


@dataclass(order=True)
class Step:
    """One staff action of the data file, made on its date."""

    on: date
    seq: int  # file order: steps of one day run as written, a successor's after its renew
    key: str = field(compare=False)
    spec: dict[str, Any] = field(compare=False)


def steps_of(data: dict[str, Any]) -> list[Step]:
    out: list[Step] = []

    def add(key: str, specs: list[dict[str, Any]]) -> None:
        for spec in specs:
            out.append(Step(_day(spec["date"]), len(out), key, spec))
            if "renew" in spec:
                add(spec["successor"], spec.get("then", []))

    for a in data["agreements"]:
        add(a["key"], a.get("walk") or [])
    return sorted(out)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def expected_state(entry: dict[str, Any], on: date) -> dict[str, Any] | None:
    """The `expect` item of a data-file agreement in effect on `on` (None: not yet there)."""
    current = None
    for item in entry.get("expect", []):
        if _day(item["from"]) <= on:
            current = item
    return current


# --- the command -------------------------------------------------------------------------------


#: What `hamkor serve` answers by default: the demo's mails link to its pages.
DEMO_BASE_URL = "http://127.0.0.1:8000"


@click.command()
@click.option("--out", "out_dir", default="hamkor-demo", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Directory for the demo database, mail (.eml) and reports.")
@click.option("--db", "db_url", metavar="URL",
              help="Database to fill (default: a fresh SQLite file in DIR). Must be empty.")
@click.pass_context
def demo(ctx: click.Context, out_dir: Path, db_url: str | None) -> None:
    """Seed the demo agreements, walk their history, simulate daily ticks, write a report.

    Everything comes from cli/data/demo.yaml (the seed agreements). Prints a
    summary: agreements by state, reminders sent (.eml files), report paths,
    the demo accounts and commands to try next.
    """
    started = time.perf_counter()
    data = load_data()
    root_db = ctx.find_root().params.get("db_url")
    out_dir = out_dir.resolve()
    url = _prepare(out_dir, db_url or root_db)
    institution = data["institution"]
    app = App(url, institution=institution["name"], institution_country=institution["country"],
              institution_hei_id=institution.get("hei_id"),
              mail_backend="file", mail_dir=out_dir / MAIL_DIR, files_dir=out_dir / FILES_DIR,
              base_url=DEMO_BASE_URL)
    ctx.call_on_close(app.close)
    run = DemoRun(app, data, out_dir, url)
    run.all()
    run.summary(time.perf_counter() - started)


def _prepare(out_dir: Path, db_url: str | None) -> str:
    """Make DIR a demo directory with nothing left from a previous run; return the DB URL."""
    from workflow.errors import Invalid

    if out_dir.exists() and not out_dir.is_dir():
        raise Invalid(f"{out_dir} is not a directory")
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / MARKER).exists():
        raise Invalid(f"{out_dir} exists and is not a Hamkor demo directory; choose another --out")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MARKER).write_text("Written by `hamkor demo`; a rerun replaces this directory's "
                                  "demo database, mail and reports.\n", encoding="utf-8")
    url = db_url or f"sqlite:///{out_dir / DEMO_DB}"
    own = _sqlite_file_inside(url, out_dir)
    for name in OWNED:
        path = out_dir / name
        if name.startswith(DEMO_DB) and own is None and db_url is not None:
            continue  # the user's database is elsewhere; leave any old demo file alone
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    if own is not None and own.name != DEMO_DB:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{own}{suffix}").unlink(missing_ok=True)
    return url


def _sqlite_file_inside(url: str, out_dir: Path) -> Path | None:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    path = Path(parsed.database).resolve()
    return path if path.parent == out_dir or out_dir in path.parents else None


class DemoRun:
    def __init__(self, app: App, data: dict[str, Any], out_dir: Path, url: str) -> None:
        self.app, self.data, self.out_dir, self.url = app, data, out_dir, url
        self.zone = app.settings.zone
        self.today = app.clock().today
        self.start = _day(data["simulate"]["from"])
        self.refs: dict[str, str] = {}  # data-file key -> agreement reference
        self.import_report: Any = None
        self.ticks = 0
        self.tick_totals: Counter[str] = Counter()
        self.reports: list[Path] = []
        self.steps_done = 0
        self.ewp_files: list[Path] = []
        self.files: list[FileRow] = []  # attached to FILES_KEY's agreement

    # -- phases --

    def all(self) -> None:
        self._say(f"Hamkor demo: {self.data['institution']['name']} ({self.out_dir})")
        self._database()
        self._users()
        self._import()
        self._conditions()
        steps = steps_of(self.data)
        before = [s for s in steps if s.on < self.start]
        self._walk(before)
        self._say(f"[4/6] history: {len(before)} staff steps from {before[0].on} to "
                  f"{before[-1].on}, each made on its date")
        self._activities()
        self._simulate([s for s in steps if s.on >= self.start])
        self._files()
        self._report()
        self._exchange()
        self._write_env()

    def _database(self) -> None:
        from sqlalchemy import func, select

        from migrations.schema import schema_state, upgrade
        from models import Agreement, Organization, User
        from models.database import is_sqlite
        from workflow.errors import Invalid

        engine = self.app.raw_engine()
        state = schema_state(engine)
        if state == "empty" and not is_sqlite(engine):
            upgrade(engine)
        with self.app.uow() as uow:
            s = uow.session
            used = sum(s.scalar(select(func.count()).select_from(m)) or 0
                       for m in (User, Organization, Agreement))
        if used:
            raise Invalid("the demo needs an empty database; this one has data (omit --db to "
                          "use a fresh one in the demo directory)")
        from config import redact_url

        self._say(f"[1/6] database: {redact_url(self.url)}")

    def _users(self) -> None:
        from workflow.registry import add_user

        clock = self.app.clock()
        for u in self.data["users"]:
            add_user(self.app.uow(), clock, u["email"], u["name"], u["role"], u.get("lang", "en"))
        self._passwords()
        self._say(f"[2/6] users: {len(self.data['users'])} demo accounts, one per role")

    def _import(self) -> None:
        from workflow.transfer import decode_objects, import_sheet

        rows = [a["row"] for a in self.data["agreements"] if "row" in a]
        keys = [a["key"] for a in self.data["agreements"] if "row" in a]
        sheet = decode_objects(rows, "demo.yaml")
        admin = next(u["email"] for u in self.data["users"] if u["role"] == "admin")
        report = import_sheet(self.app.uow(immediate=True), self.app.clock(), self.app.office(),
                              sheet, source="demo.yaml", by=admin)
        for number, _kind, ref, _title, _changes in report.actions:
            self.refs[keys[number - 1]] = ref
        self.import_report = report
        self._say(f"[3/6] import: cli/data/demo.yaml -> {len(report.created)} agreements, "
                  f"{len(report.partners_created)} partners (through `hamkor import`'s service)")

    def _home(self) -> Any:
        return self.app.home()

    def _conditions(self) -> None:
        """EWP cooperation conditions for the Erasmus+ IIA, entered while it is a draft."""
        from ewp.demo import apply_demo_conditions

        ref = self.refs.get(EWP_KEY)
        if ref is None:
            return
        officer = next(u["email"] for u in self.data["users"] if u["role"] == "officer")
        added = apply_demo_conditions(self.app.uow, self.app.clock(), self._home(), ref, by=officer)
        self._say(f"      conditions: {len(added)} mobility specs on {ref} (Erasmus+ IIA)")

    def _activities(self) -> None:
        """The cooperation activities of the data file, through `hamkor activity add`'s service."""
        from collections import Counter as Tally

        from workflow.activities import add_activity

        officer = next(u["email"] for u in self.data["users"] if u["role"] == "officer")
        office = self.app.office()
        kinds: Tally[str] = Tally()
        for item in self.data.get("activities", []):
            raw = {k: v for k, v in item.items() if k not in ("basis", "agreement")}
            if item.get("agreement"):
                raw["agreement"] = self.refs[item["agreement"]]
            add_activity(self.app.uow(), self.app.clock(), office, office.year_start, raw, by=officer)
            kinds[item["kind"]] += 1
        if kinds:
            self._say("      activities: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
                      + " (cli/data/demo.yaml, through `hamkor activity add`'s service)")

    def _exchange(self) -> None:
        """The whole EWP exchange for the Erasmus+ IIA: export, partner copy, approvals."""
        from ewp.demo import run_exchange

        ref = self.refs.get(EWP_KEY)
        if ref is None:
            return
        approver = next(u["email"] for u in self.data["users"] if u["role"] == "approver")
        result = run_exchange(self.app.uow, self.app.clock(), self._home(), ref,
                              self.out_dir / EWP_DIR, approver=approver)
        self.ewp_files = [Path(p) for p in result["files"].values()]
        status = result["status"]
        self._say(f"      EWP: {ref} exported, imported back as the partner's copy; mutually approved: "
                  f"{'yes' if status['mutual'] else 'no'} ({len(self.ewp_files)} files in "
                  f"{self._rel(self.out_dir / EWP_DIR)})")

    def _passwords(self) -> None:
        """One shared demo password, so `hamkor serve` can be tried at once."""
        from workflow.accounts import set_password

        for u in self.data["users"]:
            set_password(self.app.uow(), u["email"], DEMO_PASSWORD)

    def _walk(self, steps: list[Step]) -> None:
        for step in steps:
            self._do(step)

    def _do(self, step: Step) -> None:
        from workflow.agreements import advance, renew
        from workflow.clock import Clock

        spec = step.spec
        clock = Clock.on(step.on, self.zone, hour=STAFF_HOUR)
        ref = self.refs[step.key]
        if "renew" in spec:
            terms = spec["renew"] or {}
            successor = renew(self.app.uow(), clock, self.app.office(), ref, by=spec["by"],
                              starts=_opt_day(terms.get("starts")),
                              expires=_opt_day(terms.get("expires")),
                              months=terms.get("months"), on=step.on)
            self.refs[spec["successor"]] = successor["ref"]
        else:
            advance(self.app.uow(), clock, self.app.office(), ref, spec["event"], by=spec["by"],
                    note=spec.get("note"), on=step.on, party=spec.get("party"),
                    effective=_opt_day(spec.get("effective")))
        self.steps_done += 1

    def _simulate(self, steps: list[Step]) -> None:
        """A tick for every day of the period, as `hamkor tick --now DAY 08:00` would run it.

        A day on which nothing is due (no agreement's `next_due_on`, no outbox retry,
        no staff step) is fast-forwarded: the tick reads only what is due, so it
        would change nothing there. That keeps the demo within seconds.
        """
        from tick.worker import tick_once

        days = (self.today - self.start).days + 1
        label = f"[5/6] daily ticks {self.start} .. {self.today} ({days} days)"
        pending = list(steps)
        with _progress(days, label) as advance_bar:
            day = self.start
            while day <= self.today:
                report = tick_once(self.app, datetime.combine(day, dtime(TICK_HOUR)))
                self.ticks += 1
                self.tick_totals.update({f"transition:{k}": v for k, v in report.transitions.items()})
                self.tick_totals.update({f"queued:{k}": v for k, v in report.enqueued.items()})
                self.tick_totals["sent"] += report.sent
                self.tick_totals["failed"] += report.failed + report.dead
                while pending and pending[0].on == day:
                    self._do(pending.pop(0))
                nxt = self._next_work_day(day, pending[0].on if pending else None)
                advance_bar((nxt - day).days)
                day = nxt
        moves = ", ".join(f"{k.split(':', 1)[1]} {v}" for k, v in sorted(self.tick_totals.items())
                          if k.startswith("transition:") and v)
        self._say(f"{label}: {moves or 'no transitions'}; {self.tick_totals['sent']} mails sent"
                  + (f"; {len(steps)} staff step(s) on their day" if steps else "")
                  + f" ({self.ticks} days had work)")

    def _next_work_day(self, day: date, next_step: date | None) -> date:
        """The next day after `day` on which a tick has something to do (or the day after today)."""
        from sqlalchemy import func, select

        from models import Agreement, Notification

        with self.app.uow() as uow:
            s = uow.session
            due = s.scalar(select(func.min(Agreement.next_due_on)))
            retry_at = s.scalar(select(func.min(Notification.next_attempt_at))
                                .where(Notification.status.in_(("pending", "failed"))))
            waiting = s.scalar(select(func.count()).select_from(Notification)
                               .where(Notification.status.in_(("pending", "failed")),
                                      Notification.next_attempt_at.is_(None)))
        candidates = [self.today + timedelta(days=1)]
        if due is not None:
            candidates.append(due)
        if next_step is not None:
            candidates.append(next_step)
        if retry_at is not None:
            candidates.append(retry_at.date())  # UTC date: at worst a day early
        if waiting:
            candidates.append(day + timedelta(days=1))
        candidates.append(self._next_quota_check(day))
        return max(day + timedelta(days=1), min(candidates))

    def _next_quota_check(self, day: date) -> date:
        """The next day on which the quota warnings of an academic year open (the tick's
        quota rule looks then)."""
        from workflow.activity_rules import academic_year_of, first_year, year_label
        from workflow.quota_warnings import warning_window

        start = self.app.office().year_start
        label = academic_year_of(day, start)
        opens, _ = warning_window(label, start)
        if opens <= day:
            opens, _ = warning_window(year_label(first_year(label) + 1, start), start)
        return opens

    def _files(self) -> None:
        """Documents and files: the bilingual draft and a demo signed copy (issue 20)."""
        from documents.demo import attach_demo_files

        ref = self.refs.get(FILES_KEY)
        if ref is None:
            return
        from workflow.partners import add_contact

        officer = next(u["email"] for u in self.data["users"] if u["role"] == "officer")
        # Hiroshima's president (seed 000) signs: the draft prints his name and position.
        add_contact(self.app.uow(), self.app.clock(), "Hiroshima University", name="Mitsuo Ochi",
                    role="signatory", position="President", actor_email=officer)
        self.files = attach_demo_files(self.app, ref, by=officer)
        self._say(f"      files: {ref} has its English-Uzbek draft and a demo signed copy "
                  f"({self._rel(self.out_dir / FILES_DIR)})")

    def _report(self) -> None:
        from reports.service import ReportRequest, generate

        year = int(self.data["simulate"]["report_year"])

        target = self.out_dir / REPORTS_DIR
        target.mkdir(parents=True, exist_ok=True)
        summary: dict[str, Any] = {}
        for fmt in REPORT_FORMATS:
            path = target / f"annual-{year}.{fmt}"
            record = generate(self.app.uow(), self.app.clock(),
                              ReportRequest(year=year, format=fmt, output=path),
                              institution=self.app.settings.institution,
                              institution_hei_id=self.app.settings.institution_hei_id,
                              year_start=self.app.office().year_start)
            summary = record["summary"]
            self.reports.append(path)
        counts = ", ".join(f"{k.replace('_', ' ')} {summary[k]}" for k in REPORT_COUNTS
                           if k in summary)
        self._say(f"[6/6] report: annual report {year} ({', '.join(REPORT_FORMATS)}): {counts}")

    def _write_env(self) -> None:
        officer = next(u["email"] for u in self.data["users"] if u["role"] == "officer")
        inst = self.data["institution"]
        (self.out_dir / ".env").write_text(
            "# Written by `hamkor demo`: run hamkor from this directory to use the demo.\n"
            f"HAMKOR_DATABASE_URL={self.url}\n"
            f"HAMKOR_INSTITUTION={inst['name']}\n"
            f"HAMKOR_INSTITUTION_COUNTRY={inst['country']}\n"
            f"HAMKOR_USER={officer}\n"
            + (f"HAMKOR_INSTITUTION_HEI_ID={inst['hei_id']}\n" if inst.get("hei_id") else "")
            + "HAMKOR_MAIL_BACKEND=file\n"
            + f"HAMKOR_BASE_URL={DEMO_BASE_URL}\n"
            + f"HAMKOR_MAIL_DIR={self.out_dir / MAIL_DIR}\n"
            + f"HAMKOR_REPORTS_DIR={self.out_dir / REPORTS_DIR}\n"
            + f"HAMKOR_FILES_DIR={self.out_dir / FILES_DIR}\n",
            encoding="utf-8")

    # -- summary --

    def summary(self, seconds: float) -> None:
        from workflow.agreements import list_agreements

        rows = list_agreements(self.app.uow(), self.app.clock())
        by_state = Counter(a["state"] for a in rows)
        key_of = {ref: key for key, ref in self.refs.items()}
        lines = ["", f"Summary (on {self.today}; finished in {seconds:.1f} s)", "",
                 "Agreements by state:"]
        for state, n in sorted(by_state.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {state:<20} {n}")
        lines += ["", "Agreements:"]
        for a in rows:
            parties = ", ".join(p["name"] for p in a["parties"][1:3]) + \
                (" ..." if len(a["parties"]) > 3 else "")
            lines.append(f"  {a['ref']}  {a['state']:<19} term {a['term']}  {a['title']}"
                         f"  [{key_of.get(a['ref'], '?')}; {parties}]")
        lines += ["", *self._mail_lines(), "", "Reports:"]
        lines += [f"  {self._rel(p)}" for p in self.reports]
        if self.files:
            lines += ["", f"Files of {self.refs[FILES_KEY]} (hamkor agreement files "
                      f"{self.refs[FILES_KEY]}):"]
            lines += [f"  #{f['id']}  {f['kind']:<12} {f['name']:<44} sha256 {f['sha256']}"
                      for f in self.files]
        if self.ewp_files:
            lines += ["", "Erasmus Without Paper files:"]
            lines += [f"  {self._rel(p)}" for p in self.ewp_files]
        lines += ["", f"Demo accounts (web sign-in password: {DEMO_PASSWORD}; on the command "
                  "line act with --by EMAIL or HAMKOR_USER):"]
        lines += [f"  {u['email']:<26} {u['role']:<9} {u['name']}" for u in self.data["users"]]
        lines += ["", "Try next:", f"  cd {self._rel(self.out_dir)}   "
                  "# its .env points hamkor at the demo database",
                  "  hamkor agreement list",
                  f"  hamkor agreement show {self.refs['i2-pledge']}",
                  f"  hamkor agreement history {self.refs['tict-2019']}",
                  "  hamkor agreement list --expiring-within 365",
                  "  hamkor outbox list",
                  "  hamkor tick --dry-run",
                  "  hamkor export agreements.csv",
                  f"  hamkor ewp status {self.refs.get(EWP_KEY, '')}".rstrip(),
                  "  hamkor activity list --year 2025/2026",
                  f"  hamkor agreement show {self.refs.get(EWP_KEY, '')}   # quota use".rstrip(),
                  "  hamkor serve      # then open http://127.0.0.1:8000 and sign in"]
        text = "\n".join(lines)
        click.echo(text)
        (self.out_dir / "summary.txt").write_text(text.lstrip() + "\n", encoding="utf-8")

    def _mail_lines(self) -> list[str]:
        from notifications.outbox import list_rows
        from notifications.transports import eml_name

        sent = sorted(list_rows(self.app.uow(), status="sent"),
                      key=lambda n: (n["sent_at"] or "", n["id"]))
        reminders = [n for n in sent if n["kind"] == "reminder" and ":cc:" not in n["key"]]
        others = [n for n in sent if n not in reminders]
        lines = [f"Reminders sent: {len(reminders)} (.eml files in {self._rel(self.out_dir / MAIL_DIR)})"]
        for n in reminders:
            path = self.out_dir / MAIL_DIR / eml_name(n["key"])
            sent_on = (n["sent_at"] or "?")[:10]
            lines.append(f"  sent {sent_on}  {n['agreement']}  {n['rule']:<9} (due {n['due_on']})"
                         f"  to {n['to']:<24} {self._rel(path)}")
        lines += ["", f"Other mail sent: {len(others)} (workflow mail, weekly digests, approvers' "
                  "copies; each in its reader's language, linking to the web pages)"]
        for n in others:
            what = "copy" if ":cc:" in n["key"] else n["kind"]
            path = self.out_dir / MAIL_DIR / eml_name(n["key"])
            lines.append(f"  sent {(n['sent_at'] or '?')[:10]}  {what:<8} {n['rule']:<17} "
                         f"{n['agreement'] or '-':<13}  to {n['to']:<24} {self._rel(path)}")
        return lines

    def _rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)

    def _say(self, line: str) -> None:
        click.echo(line)


def _opt_day(value: Any) -> date | None:
    return None if value is None else _day(value)


@contextmanager
def _progress(length: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal; silent otherwise (the summary line follows)."""
    if not sys.stdout.isatty():
        yield lambda n: None
        return
    with click.progressbar(length=length, label=label) as bar:
        yield bar.update
