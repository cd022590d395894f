"""`hamkor demo` end to end, in a subprocess: what it prints matches the data file.

The expectations come from `cli/data/demo.yaml` itself (each agreement's
`expect` states by date and its `mails`), evaluated on the day the demo ran,
so the test keeps holding as time passes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cli.demo import expected_state, load_data
from tests.helpers import hamkor, hamkor_subprocess, ok

LIMIT_S = 15.0
AGREEMENT = re.compile(r"^  (AGR-\d{4}-\d{4})  (\w+)\s+term (\d+)  (.+)  \[([\w-]+); ")
MAIL = re.compile(r"^  sent (\d{4}-\d{2}-\d{2})  (AGR-\d{4}-\d{4})  (\w+)\s+\(due [\d-]+\)  to (\S+)\s+(\S+\.eml)$")


def run_demo(cwd: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "cli.main", "demo", *args], cwd=cwd,
                       capture_output=True, text=True, timeout=120,
                       env=clean_env())
    return p, time.perf_counter() - started


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("HAMKOR_")}


def parse_summary(out: str) -> dict[str, Any]:
    today = date.fromisoformat(re.search(r"^Summary \(on (\d{4}-\d{2}-\d{2});", out, re.M)[1])  # type: ignore[index]
    agreements = {}
    for line in out.splitlines():
        m = AGREEMENT.match(line)
        if m:
            agreements[m[5]] = {"ref": m[1], "state": m[2], "term": int(m[3]), "title": m[4].strip()}
    by_state = dict(re.findall(r"^  (\w+)\s+(\d+)$", out.split("Agreements by state:")[1]
                               .split("Agreements:")[0], re.M))
    mails = [dict(zip(("sent_on", "ref", "rule", "to", "path"), m.groups(), strict=True))
             for m in map(MAIL.match, out.splitlines()) if m]
    return {"today": today, "agreements": agreements,
            "by_state": {k: int(v) for k, v in by_state.items()}, "mails": mails}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    cwd = tmp_path_factory.mktemp("demo")
    p, seconds = run_demo(cwd)
    assert p.returncode == 0, p.stderr
    return {"cwd": cwd, "out": p.stdout, "err": p.stderr, "seconds": seconds,
            "summary": parse_summary(p.stdout)}


@pytest.mark.slow
def test_the_demo_runs_in_seconds_with_progress_and_no_setup(demo_run: dict[str, Any]) -> None:
    assert demo_run["seconds"] < LIMIT_S, f"demo took {demo_run['seconds']:.1f} s"
    out = demo_run["out"]
    for step in ("[1/6] database", "[2/6] users", "[3/6] import", "[4/6] history",
                 "[5/6] daily ticks", "[6/6] report"):
        assert step in out
    assert demo_run["err"] == ""


@pytest.mark.slow
def test_every_agreement_of_the_data_file_is_in_the_state_its_row_claims(demo_run: dict[str, Any]) -> None:
    data = load_data()
    summary = demo_run["summary"]
    today, shown = summary["today"], summary["agreements"]
    assert set(shown) == {a["key"] for a in data["agreements"]}
    expected_counts: dict[str, int] = {}
    for entry in data["agreements"]:
        want = expected_state(entry, today)
        assert want is not None, entry["key"]
        got = shown[entry["key"]]
        assert (got["state"], got["term"]) == (want["state"], want["term"]), entry["key"]
        if "row" in entry:
            assert got["title"] == entry["row"]["title"]
        expected_counts[want["state"]] = expected_counts.get(want["state"], 0) + 1
    assert summary["by_state"] == expected_counts


@pytest.mark.slow
def test_the_reminders_sent_are_those_the_data_file_lists_with_their_eml_files(
        demo_run: dict[str, Any]) -> None:
    data = load_data()
    summary = demo_run["summary"]
    ref_of = {key: a["ref"] for key, a in summary["agreements"].items()}
    expected = sorted((m["sent_on"].isoformat(), ref_of[a["key"]], m["rule"])
                      for a in data["agreements"] for m in a.get("mails", [])
                      if m["sent_on"] <= summary["today"])
    got = sorted((m["sent_on"], m["ref"], m["rule"]) for m in summary["mails"])
    assert got == expected
    owners = {a["key"]: a["row"].get("owner") for a in data["agreements"] if "row" in a}
    mail_dir = demo_run["cwd"] / "hamkor-demo" / "mail"
    others = int(re.search(r"^Other mail sent: (\d+)", demo_run["out"], re.M)[1])  # type: ignore[index]
    names = {p.name for p in mail_dir.glob("*.eml")}
    assert {Path(m["path"]).name for m in summary["mails"]} <= names
    assert len(names) == len(summary["mails"]) + others
    for m in summary["mails"]:
        eml = (demo_run["cwd"] / m["path"]).read_text()
        key = next(k for k, r in ref_of.items() if r == m["ref"])
        assert m["to"] == owners[key] and f"To: {m['to']}" in eml
        assert m["ref"] in eml and "Turin Polytechnic University" in eml


@pytest.mark.slow
def test_the_demo_mails_link_to_pages_the_web_serves_in_each_readers_language(
        demo_run: dict[str, Any]) -> None:
    """Every .eml links under http://127.0.0.1:8000; a followed link opens the agreement's
    page; the Russian-speaking approver's mail is in Russian."""
    from email import policy
    from email.parser import BytesParser

    from fastapi.testclient import TestClient

    from cli.demo import DEMO_PASSWORD
    from root import App
    from web.app import create_app

    base = "http://127.0.0.1:8000"
    mails = [BytesParser(policy=policy.default).parsebytes(p.read_bytes())
             for p in sorted((demo_run["cwd"] / "hamkor-demo" / "mail").glob("*.eml"))]
    bodies = {str(m["X-Hamkor-Key"]): (str(m["To"]), str(m["Subject"]),
                                       m.get_body(("plain",)).get_content()) for m in mails}
    assert bodies and all(f"{base}/" in text for _, _, text in bodies.values())
    assert not any("hamkor agreement" in text for _, _, text in bodies.values())
    russian = [s for to, s, _ in bodies.values() if to == "approver@ttpu.example"]
    assert russian and all(re.search("[а-яА-Я]", s) for s in russian)
    link = next(re.search(rf"{re.escape(base)}(/agreements/[^\s]+)", text)[1]  # type: ignore[index]
                for _, _, text in bodies.values() if "/agreements/" in text)
    app = App(f"sqlite:///{demo_run['cwd'] / 'hamkor-demo' / 'hamkor-demo.db'}")
    try:
        with TestClient(create_app(app, secret="x" * 40), base_url=base) as client:
            from tests.web.conftest import csrf_of

            r = client.post("/login", data={"email": "officer@ttpu.example", "password": DEMO_PASSWORD,
                                            "csrf_token": csrf_of(client)}, follow_redirects=False)
            assert r.status_code in (302, 303), r.text
            page = client.get(link.split("#")[0])
            assert page.status_code == 200
            ref = link.split("/")[2].split("?")[0]
            assert ref in page.text
            if "?act=" in link:
                act = link.split("act=")[1].split("#")[0]
                assert f'id="act-{act}" open' in page.text
    finally:
        app.close()


@pytest.mark.slow
def test_the_history_was_walked_on_the_dates_of_the_data_file(demo_run: dict[str, Any]) -> None:
    data = load_data()
    db = f"sqlite:///{demo_run['cwd'] / 'hamkor-demo' / 'hamkor-demo.db'}"
    refs = {k: a["ref"] for k, a in demo_run["summary"]["agreements"].items()}
    pledge = next(a for a in data["agreements"] if a["key"] == "i2-pledge")
    history = ok(hamkor(db, "agreement", "history", refs["i2-pledge"], "--json")).json()
    signs = [(e["occurred_on"], e["party"]) for e in history if e["event"] == "sign"]
    assert signs == [(s["date"].isoformat(), s["party"]) for s in pledge["walk"] if s["event"] == "sign"]
    assert len(signs) == len(pledge["row"]["partners"]) == 9
    old = ok(hamkor(db, "agreement", "history", refs["tict-2019"], "--json")).json()
    assert [(e["event"], e["to_state"], e["occurred_on"]) for e in old] == [
        ("import", "active", "2019-12-10"), ("renew", "active", "2024-11-15"),
        ("supersede", "superseded", "2024-12-03")]
    new = ok(hamkor(db, "agreement", "show", refs["tict-2024"], "--json")).json()
    assert new["renews"] == refs["tict-2019"]
    assert [p["signed_on"] for p in new["parties"]] == ["2024-12-03", "2024-12-03"]
    hexagon = ok(hamkor(db, "agreement", "history", refs["hexagon"], "--json")).json()
    assert (hexagon[-1]["event"], hexagon[-1]["actor"], hexagon[-1]["occurred_on"]) == (
        "activate", "system", "2025-03-01")
    drafts = [a for a in data["agreements"] if a.get("row", {}).get("department") == "E and M"]
    for entry in drafts:
        shown = ok(hamkor(db, "agreement", "show", refs[entry["key"]], "--json")).json()
        assert shown["state"] == "draft" and shown["starts_on"] is None


@pytest.mark.slow
def test_the_annual_report_lists_the_seed_agreements_and_the_data_quality_problems(
        demo_run: dict[str, Any]) -> None:
    data = load_data()
    year = data["simulate"]["report_year"]
    refs = {k: a["ref"] for k, a in demo_run["summary"]["agreements"].items()}
    reports = demo_run["cwd"] / "hamkor-demo" / "reports"
    for fmt in ("html", "xlsx", "md"):
        assert f"hamkor-demo/reports/annual-{year}.{fmt}" in demo_run["out"]
    html = (reports / f"annual-{year}.html").read_text()
    assert data["institution"]["name"] in html and "<svg" in html
    md = (reports / f"annual-{year}.md").read_text()
    quality = md.split("Data quality\n", 2)[-1].split("\n## ")[0]
    undated = [a["key"] for a in data["agreements"]
               if "row" in a and not a["row"].get("starts_on") and not a["walk"]]
    assert len(undated) == 6
    for key in undated:
        assert refs[key] in quality and "No start date" in quality
    for key in ("mmm-energy", "ozbek-ekspertiza"):
        line = next(x for x in quality.splitlines() if refs[key] in x)
        assert "No owner" in line
    # Behaviours of the simulated year show up where the report puts them.
    assert refs["hiroshima"] in md.split("Renewals in")[1].split("\n## ")[0]
    assert refs["balcom-centre"] in md.split("### Expired")[1].split("###")[0]
    assert refs["hexagon"] in md.split(f"signed in {year}")[1].split("\n## ")[0]
    from openpyxl import load_workbook

    wb = load_workbook(reports / f"annual-{year}.xlsx", read_only=True)
    cells = {str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
             for c in row if c is not None}
    wb.close()
    assert refs["i2-pledge"] in cells and refs["hexagon"] in cells


@pytest.mark.slow
def test_running_the_demo_twice_gives_the_same_result(tmp_path: Path) -> None:
    first, _ = run_demo(tmp_path, "--out", "d")
    (tmp_path / "d" / "mail" / "stray.eml").write_text("left over")
    second, _ = run_demo(tmp_path, "--out", "d")
    assert first.returncode == second.returncode == 0, second.stderr
    strip = re.compile(r"finished in [\d.]+ s")
    assert strip.sub("", first.stdout) == strip.sub("", second.stdout)
    assert not (tmp_path / "d" / "mail" / "stray.eml").exists()
    # Its .env lets the next commands use the demo database from inside the directory.
    r = subprocess.run([sys.executable, "-m", "cli.main", "agreement", "list", "--json"],
                       cwd=tmp_path / "d", capture_output=True, text=True, check=True,
                       env=clean_env())
    assert len(json.loads(r.stdout)) == len(load_data()["agreements"])


def test_the_demo_refuses_a_directory_that_is_not_its_own(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    r = hamkor(None, "demo", "--out", str(tmp_path))
    assert r.code == 1 and r.error_lines == [
        f"error: {tmp_path} exists and is not a Hamkor demo directory; choose another --out"]
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_the_demo_never_fills_a_database_that_has_data(sqlite_url: str, tmp_path: Path) -> None:
    ok(hamkor(sqlite_url, "user", "add", "a@uni.uz", "--name", "A", "--role", "admin"))
    r = hamkor(None, "demo", "--out", str(tmp_path / "d"), "--db", sqlite_url)
    assert r.code == 1 and r.error_lines[0].startswith("error: the demo needs an empty database")
    users = ok(hamkor(sqlite_url, "user", "list", "--json")).json()
    assert [u["email"] for u in users] == ["a@uni.uz"]


@pytest.mark.slow
def test_the_demo_fills_an_empty_postgresql_database(pg_url: str, tmp_path: Path) -> None:
    r = hamkor_subprocess(None, "demo", "--out", str(tmp_path / "d"), "--db", pg_url, timeout=120)
    assert r.code == 0, r.err
    summary = parse_summary(r.out)
    data = load_data()
    assert len(summary["agreements"]) == len(data["agreements"])
    for entry in data["agreements"]:
        want = expected_state(entry, summary["today"])
        assert want is not None and summary["agreements"][entry["key"]]["state"] == want["state"]


def test_the_demo_ends_with_a_mutually_approved_erasmus_iia_and_web_accounts(tmp_path: Path) -> None:
    """Issue 11 item 7 and issue 9: EWP files that validate, mutual approval, a usable sign-in."""
    from cli.demo import DEMO_PASSWORD, EWP_KEY
    from ewp.schema import validate_approval_response, validate_get_response
    from root import App
    from workflow.accounts import verify_password

    p, _ = run_demo(tmp_path, "--out", "d")
    assert p.returncode == 0, p.stderr
    demo_dir = tmp_path / "d"
    xsd = Path(__file__).resolve().parents[1] / "ewp" / "xsd"
    for name in ("ewp-iias.xml", "ewp-partner-iias.xml"):
        validate_get_response((demo_dir / "ewp" / name).read_bytes(), xsd)
    for name in ("ewp-approvals.xml", "ewp-partner-approvals.xml"):
        validate_approval_response((demo_dir / "ewp" / name).read_bytes(), xsd)
    assert f"web sign-in password: {DEMO_PASSWORD}" in p.stdout
    ref = next(line.split()[0] for line in p.stdout.splitlines()
               if "KA171" in line and line.strip().startswith("AGR-"))
    r = subprocess.run([sys.executable, "-m", "cli.main", "ewp", "status", ref, "--json"],
                       cwd=demo_dir, capture_output=True, text=True, check=True, env=clean_env())
    status = json.loads(r.stdout)
    row = status[0] if isinstance(status, list) else status
    assert row["ref"] == ref and row["mutual"] is True, row
    assert EWP_KEY in (demo_dir / "summary.txt").read_text()
    app = App(f"sqlite:///{demo_dir / 'hamkor-demo.db'}")
    try:
        for role_email in ("officer@ttpu.example", "approver@ttpu.example", "viewer@ttpu.example"):
            assert verify_password(app.uow(), role_email, DEMO_PASSWORD)["email"] == role_email
    finally:
        app.close()


def test_the_demo_keeps_a_bilingual_draft_and_a_demo_signed_copy_with_hiroshima(
        demo_run: dict[str, Any]) -> None:
    """Documents and files (issue 20): the summary lists the files, whose bytes match their hashes."""
    import hashlib

    import docx

    out, cwd = demo_run["out"], demo_run["cwd"]
    ref = demo_run["summary"]["agreements"]["hiroshima"]["ref"]
    listed = re.findall(r"^  #\d+  ([\w-]+)\s+(\S+)\s+sha256 ([0-9a-f]{64})$",
                        out.split(f"Files of {ref}")[1], re.M)
    assert [(kind, name) for kind, name, _ in listed] == [
        ("draft", f"{ref}-exchange-en+uz.docx"), ("signed-copy", f"{ref}-signed-copy-DEMO.pdf")]
    store = cwd / "hamkor-demo" / "files"
    blobs = {p.name: p for p in store.rglob("*") if p.is_file()}
    for _, _, sha in listed:
        assert hashlib.sha256(blobs[sha].read_bytes()).hexdigest() == sha
    draft = docx.Document(str(blobs[listed[0][2]]))
    cells = [c.text for row in draft.tables[0].rows for c in row.cells]
    assert "STUDENT AND STAFF EXCHANGE AGREEMENT" in cells and "Hiroshima University" in " ".join(cells)
    everything = [p.text for p in draft.paragraphs] + [c.text for t in draft.tables for row in t.rows
                                                       for c in row.cells]
    assert "Mitsuo Ochi" in " ".join(everything)  # the partner's signatory, from its contacts
    assert b"DEMO COPY" in blobs[listed[1][2]].read_bytes()
