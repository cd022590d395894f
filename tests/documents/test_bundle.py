"""`hamkor export --bundle FILE.zip` and `hamkor import FILE.zip`: the agreements with their files,
every hash verified on the way back in, all or nothing."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from tests.conftest import fresh_sqlite, truncate_pg
from tests.documents.samples import PDF, docx_bytes, write
from tests.helpers import hamkor, ok, refused, seed_people

OFFICER = "olga@uni.uz"


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and ".staging" not in p.parts) \
        if root.exists() else []


@pytest.fixture
def exported(db_url: str, tmp_path: Path) -> tuple[Path, dict[str, list[tuple[str, str, str]]], str]:
    """Two agreements with files (one file shared, one removed) exported to a bundle."""
    env = {"HAMKOR_FILES_DIR": str(tmp_path / "store-a"), "HAMKOR_USER": OFFICER}
    seed_people(db_url)
    refs = []
    for title, partner in (("Exchange", "Hiroshima University"), ("MoU", "Politecnico di Torino")):
        refs.append(ok(hamkor(db_url, "agreement", "create", "--title", title, "--partner", partner,
                              "--type", "exchange", "--owner", OFFICER, "--starts", "2025-01-01",
                              "--months", "24", env=env)).out.strip())
    scan = write(tmp_path / "scan.pdf", PDF)
    ok(hamkor(db_url, "agreement", "attach", refs[0], str(scan), "--kind", "signed-copy", env=env))
    ok(hamkor(db_url, "agreement", "attach", refs[1], str(scan), "--kind", "annex", "--note", "same scan",
              env=env))
    ok(hamkor(db_url, "agreement", "attach", refs[1], str(write(tmp_path / "v2.docx", docx_bytes())),
              "--kind", "partner-version", env=env))
    gone = ok(hamkor(db_url, "agreement", "attach", refs[0], str(write(tmp_path / "old.txt", b"old\n")),
                     "--json", env=env)).json()
    ok(hamkor(db_url, "agreement", "detach", refs[0], str(gone["id"]), "--reason", "obsolete", env=env))
    expected = {ref: [(f["name"], f["kind"], f["sha256"]) for f in
                      ok(hamkor(db_url, "agreement", "files", ref, "--json", env=env)).json()]
                for ref in refs}
    bundle = tmp_path / "office.zip"
    out = ok(hamkor(db_url, "export", "--bundle", str(bundle), env=env)).out
    assert "exported 2 agreements and 3 files (2 stored)" in out
    return bundle, expected, db_url


def _empty_target(db_url: str, tmp_path: Path, sqlite_template: Path) -> str:
    if db_url.startswith("sqlite"):
        target = tmp_path / "restore"
        target.mkdir()
        return fresh_sqlite(sqlite_template, target)
    truncate_pg(db_url)
    return db_url


def test_a_bundle_holds_the_agreements_every_current_file_and_their_hashes(exported) -> None:  # type: ignore[no-untyped-def]
    bundle, expected, _ = exported
    with zipfile.ZipFile(bundle) as z:
        names = sorted(z.namelist())
        manifest = json.loads(z.read("manifest.json"))
        hashes = {n: hashlib.sha256(z.read(n)).hexdigest() for n in names if n != "manifest.json"}
        records = json.loads(z.read("attachments.json"))
    stored = sorted({sha for files in expected.values() for _, _, sha in files})
    assert names == sorted(["manifest.json", "agreements.csv", "agreements.json", "attachments.json"]
                           + [f"files/{sha}" for sha in stored])
    assert {n: e["sha256"] for n, e in manifest["entries"].items()} == hashes
    assert all(hashes[f"files/{sha}"] == sha for sha in stored)
    assert sorted((r["agreement"], r["name"]) for r in records) == sorted(
        (ref, name) for ref, files in expected.items() for name, _, _ in files)
    assert "old.txt" not in {r["name"] for r in records}  # removed files stay behind


def test_import_restores_agreements_and_files_into_an_empty_database(
        exported, tmp_path: Path, sqlite_template: Path) -> None:  # type: ignore[no-untyped-def]
    bundle, expected, db_url = exported
    target = _empty_target(db_url, tmp_path, sqlite_template)
    env = {"HAMKOR_FILES_DIR": str(tmp_path / "store-b")}
    out = ok(hamkor(target, "import", str(bundle), env=env)).out
    assert "every hash verified; restored 2 agreements and 3 files (2 stored)" in out
    for ref, files in expected.items():
        got = ok(hamkor(target, "agreement", "files", ref, "--json", env=env)).json()
        assert [(f["name"], f["kind"], f["sha256"]) for f in got] == files
        for f in got:
            copy = tmp_path / f"out-{f['id']}"
            ok(hamkor(target, "agreement", "file", ref, str(f["id"]), "--out", str(copy), env=env))
            assert hashlib.sha256(copy.read_bytes()).hexdigest() == f["sha256"]
    assert len(_files(tmp_path / "store-b")) == 2
    assert ok(hamkor(target, "files", "verify", "--json", env=env)).json()["ok"] == 2
    # Not into a database that has agreements.
    refused(hamkor(target, "import", str(bundle), env=env), "empty database")


@pytest.mark.parametrize("damage", ["flipped-file-byte", "edited-agreements", "missing-file",
                                    "unlisted-entry"])
def test_a_damaged_bundle_is_refused_whole(exported, tmp_path: Path, sqlite_template: Path,  # type: ignore[no-untyped-def]
                                           damage: str) -> None:
    bundle, expected, db_url = exported
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(bad, "w") as dst:
        files = [n for n in src.namelist() if n.startswith("files/")]
        for info in src.infolist():
            data = src.read(info.filename)
            if damage == "flipped-file-byte" and info.filename == files[0]:
                data = bytes([data[0] ^ 1]) + data[1:]
            if damage == "edited-agreements" and info.filename == "agreements.json":
                data = data.replace(b"Exchange", b"Exchanged")
            if damage == "missing-file" and info.filename == files[-1]:
                continue
            dst.writestr(info, data)
        if damage == "unlisted-entry":
            dst.writestr("files/../../evil", b"x")
    target = _empty_target(db_url, tmp_path, sqlite_template)
    env = {"HAMKOR_FILES_DIR": str(tmp_path / "store-c")}
    needle = {"flipped-file-byte": "does not match its hash", "edited-agreements": "agreements.json",
              "missing-file": "missing from the bundle", "unlisted-entry": "not in the manifest"}[damage]
    refused(hamkor(target, "import", str(bad), env=env), needle)
    assert _files(tmp_path / "store-c") == []
    assert ok(hamkor(target, "agreement", "list", "--json")).json() == []
