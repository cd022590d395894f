"""The real `hamkor` command in a subprocess: startup time, errors, a walk."""

from __future__ import annotations

import subprocess
import sys
import time

from tests.helpers import hamkor_subprocess, ok, refused


def test_help_starts_fast_and_lists_every_command() -> None:
    ok(hamkor_subprocess(None, "--help"))  # warm the bytecode cache
    best = min(_timed([sys.executable, "-m", "cli.main", "--help"]) for _ in range(3))
    baseline = min(_timed([sys.executable, "-c", "pass"]) for _ in range(3))
    assert best - baseline < 0.5, f"--help overhead {best - baseline:.2f}s"
    out = ok(hamkor_subprocess(None, "--help")).out
    for name in ("agreement", "db", "demo", "diagram", "export", "import", "outbox", "partner",
                 "report", "tick", "user", "worker"):
        assert f"  {name}" in out


def test_help_imports_no_heavy_library() -> None:
    code = ("import sys; from cli.main import main; sys.argv=['hamkor','--help']\n"
            "try: main()\nexcept SystemExit: pass\n"
            "heavy = [m for m in ('sqlalchemy','alembic','apscheduler','openpyxl','weasyprint',"
            "'docxtpl','jinja2','pydantic','babel') if m in sys.modules]\nprint(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def _timed(argv: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=True)
    return time.perf_counter() - t


def test_a_bad_setting_fails_with_one_line_naming_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    r = hamkor_subprocess(f"sqlite:///{tmp_path / 'x.db'}", "user", "list",
                          env={"HAMKOR_REMINDER_DAYS": "abc"})
    refused(r, "HAMKOR_REMINDER_DAYS")
    r = hamkor_subprocess(f"sqlite:///{tmp_path / 'x.db'}", "user", "list",
                          env={"HAMKOR_TIMEZONE": "Nowhere/City"})
    refused(r, "HAMKOR_TIMEZONE")


def test_an_unreachable_database_is_one_line_without_the_password() -> None:
    r = hamkor_subprocess("postgresql+psycopg://app:s3cret@127.0.0.1:1/nodb", "user", "list")
    refused(r, "cannot use the database")
    assert "s3cret" not in r.err


def test_a_walk_in_real_processes_with_hamkor_user(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path / 'walk.db'}"
    env = {"HAMKOR_USER": "olga@uni.uz", "HAMKOR_INSTITUTION": "Turin Polytechnic University in Tashkent"}
    ok(hamkor_subprocess(db, "user", "add", "olga@uni.uz", "--name", "Olga", "--role", "officer"))
    ok(hamkor_subprocess(db, "partner", "add", "Hiroshima University", "--country", "JP"))
    ref = ok(hamkor_subprocess(db, "agreement", "create", "--title", "Exchange", "--partner",
                               "Hiroshima University", "--type", "exchange", "--owner", "olga@uni.uz",
                               "--starts", "2020-02-19", "--months", "60", "--on", "2020-02-01",
                               env=env)).out.strip()
    ok(hamkor_subprocess(db, "agreement", "advance", ref, "submit", "--on", "2020-02-02", env=env))
    r = hamkor_subprocess(db, "agreement", "advance", ref, "approve", env=env)
    refused(r, "needs role approver")
    shown = ok(hamkor_subprocess(db, "agreement", "show", ref, "--json", env=env)).json()
    assert shown["state"] == "in_review"
    assert shown["parties"][0]["name"] == "Turin Polytechnic University in Tashkent"
    assert shown["expires_on"] == "2025-02-18"


def test_diagram_is_drawn_from_the_table() -> None:
    mermaid = ok(hamkor_subprocess(None, "diagram")).out
    assert mermaid.startswith("stateDiagram-v2")
    assert "awaiting_signatures --> signed: sign (last party)" in mermaid
    dot = ok(hamkor_subprocess(None, "diagram", "--format", "dot")).out
    assert dot.startswith("digraph lifecycle") and "in_review -> approved" in dot


def test_a_simple_command_imports_only_what_it_uses(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path / 'lean.db'}"
    ok(hamkor_subprocess(db, "agreement", "list"))  # creates the schema
    code = ("import sys, io, contextlib; from cli.main import main\n"
            f"sys.argv = ['hamkor', '--db', {db!r}, 'agreement', 'list']\n"
            "with contextlib.redirect_stdout(io.StringIO()): main()\n"
            "print(sorted(m for m in ('pydantic', 'pydantic_settings', 'dotenv', 'alembic', 'jinja2',"
            " 'babel', 'openpyxl', 'fastapi', 'apscheduler', 'notifications', 'models.activities',"
            " 'models.people', 'models.records', 'sqlalchemy.dialects.postgresql', 'transitions')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_models_mapped_on_first_use_are_all_in_the_metadata() -> None:
    code = ("import sys, models\n"
            "lazy = [m for m in ('models.activities', 'models.people', 'models.records') if m in sys.modules]\n"
            "tables = set(models.metadata.tables)\n"
            "print(lazy, {'activities', 'partner_contacts', 'attachments', 'api_tokens'} <= tables,"
            " models.Attachment.__tablename__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] True attachments"
