"""`hamkor agreement attach|files|file|detach` and `hamkor files verify`, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tests.documents.samples import EXE, PDF, PNG, docx_bytes, write
from tests.helpers import hamkor, ok, refused, seed_people

OFFICER, VIEWER = "olga@uni.uz", "vera@uni.uz"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"HAMKOR_FILES_DIR": str(tmp_path / "store"), "HAMKOR_USER": OFFICER}


@pytest.fixture
def ref(db_url: str) -> str:
    seed_people(db_url)
    return ok(hamkor(db_url, "agreement", "create", "--title", "Exchange with Hiroshima",
                     "--partner", "Hiroshima University", "--type", "exchange",
                     "--owner", OFFICER, "--by", OFFICER)).out.strip()


def stored(tmp_path: Path) -> list[Path]:
    """Files in the store (not the staging area)."""
    root = tmp_path / "store"
    return sorted(p for p in root.rglob("*") if p.is_file() and ".staging" not in p.parts)


def staging_left(tmp_path: Path) -> list[Path]:
    return [p for p in (tmp_path / "store" / ".staging").glob("*")] if (tmp_path / "store" / ".staging").exists() else []


def test_attach_prints_the_hash_lists_and_gives_back_the_same_bytes(
        db_url: str, ref: str, env: dict[str, str], tmp_path: Path) -> None:
    scan = write(tmp_path / "signed scan.pdf", PDF)
    digest = hashlib.sha256(PDF).hexdigest()
    out = ok(hamkor(db_url, "agreement", "attach", ref, str(scan), "--kind", "signed-copy",
                    "--note", "both signatures", env=env)).out
    assert out.strip() == digest

    j = ok(hamkor(db_url, "agreement", "attach", ref, str(write(tmp_path / "partner.docx", docx_bytes())),
                  "--kind", "partner-version", "--json", env=env)).json()
    assert set(j) == {"id", "name", "kind", "size", "sha256", "media_type", "uploaded_by",
                      "uploaded_at", "note"}
    assert j["kind"] == "partner-version" and j["uploaded_by"] == OFFICER and j["note"] is None
    assert j["media_type"].endswith("wordprocessingml.document") and j["name"] == "partner.docx"

    files = ok(hamkor(db_url, "agreement", "files", ref, "--json", env=env)).json()
    assert [(f["kind"], f["name"], f["sha256"]) for f in files] == [
        ("signed-copy", "signed scan.pdf", digest), ("partner-version", "partner.docx", j["sha256"])]
    assert files[0]["size"] == len(PDF) and files[0]["media_type"] == "application/pdf"
    assert files[0]["note"] == "both signatures"
    text = ok(hamkor(db_url, "agreement", "files", ref, env=env)).out
    assert "signed scan.pdf" in text and digest in text

    target = tmp_path / "copy.pdf"
    ok(hamkor(db_url, "agreement", "file", ref, str(files[0]["id"]), "--out", str(target), env=env))
    assert target.read_bytes() == PDF
    # An existing file is not overwritten without --force.
    target.write_bytes(b"mine")
    refused(hamkor(db_url, "agreement", "file", ref, str(files[0]["id"]), "--out", str(target),
                   env=env), "already exists", "--force")
    assert target.read_bytes() == b"mine"
    ok(hamkor(db_url, "agreement", "file", ref, str(files[0]["id"]), "--out", str(target),
              "--force", env=env))
    assert target.read_bytes() == PDF

    # Stored read-only, under its hash.
    (path,) = [p for p in stored(tmp_path) if p.name == digest]
    assert path.read_bytes() == PDF and not os.stat(path).st_mode & 0o222

    events = [e for e in ok(hamkor(db_url, "agreement", "history", ref, "--json")).json()
              if e["event"] == "attach"]
    assert len(events) == 2 and events[0]["actor"] == OFFICER and digest in events[0]["note"]


def test_the_same_bytes_uploaded_twice_are_stored_once(
        db_url: str, ref: str, env: dict[str, str], tmp_path: Path) -> None:
    a = write(tmp_path / "a.pdf", PDF)
    b = write(tmp_path / "b.pdf", PDF)
    first = ok(hamkor(db_url, "agreement", "attach", ref, str(a), "--json", env=env)).json()
    second = ok(hamkor(db_url, "agreement", "attach", ref, str(b), "--kind", "annex", "--json",
                       env=env)).json()
    assert first["sha256"] == second["sha256"] and first["id"] != second["id"]
    assert len(stored(tmp_path)) == 1
    assert [f["name"] for f in ok(hamkor(db_url, "agreement", "files", ref, "--json", env=env)).json()] \
        == ["a.pdf", "b.pdf"]


@pytest.mark.parametrize("case", ["exe-renamed-pdf", "empty", "over-limit", "directory", "missing",
                                  "viewer", "unknown-ref", "bad-kind", "zip"])
def test_every_refused_upload_leaves_no_file_and_no_row(
        db_url: str, ref: str, env: dict[str, str], tmp_path: Path, case: str) -> None:
    import zipfile

    args: list[str] = []
    target, needle = ref, ""
    if case == "exe-renamed-pdf":
        path, needle = write(tmp_path / "contract.pdf", EXE), "it is a program"
    elif case == "empty":
        path, needle = write(tmp_path / "empty.pdf", b""), "empty"
    elif case == "over-limit":
        env = {**env, "HAMKOR_MAX_UPLOAD_MB": "1"}
        path, needle = write(tmp_path / "big.txt", b"a" * (1024 * 1024 + 1)), "limit of 1 MB"
    elif case == "directory":
        path, needle = tmp_path / "folder", "is not a file"
        path.mkdir()
    elif case == "missing":
        path, needle = tmp_path / "nowhere.pdf", "does not exist"
    elif case == "viewer":
        path, needle = write(tmp_path / "ok.pdf", PDF), "viewer"
        args = ["--by", VIEWER]
    elif case == "unknown-ref":
        path, needle, target = write(tmp_path / "ok.pdf", PDF), "no agreement AGR-1999-0001", "AGR-1999-0001"
    elif case == "bad-kind":
        path, needle = write(tmp_path / "ok.pdf", PDF), "--kind 'contract'"
        args = ["--kind", "contract"]
    else:
        path, needle = tmp_path / "archive.pdf", "looks like a .zip"
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("a.txt", "x")
    before = ok(hamkor(db_url, "agreement", "history", ref, "--json")).json()
    refused(hamkor(db_url, "agreement", "attach", target, str(path), *args, env=env), needle)
    assert stored(tmp_path) == [] and staging_left(tmp_path) == []
    assert ok(hamkor(db_url, "agreement", "files", ref, "--all", "--json", env=env)).json() == []
    assert ok(hamkor(db_url, "agreement", "history", ref, "--json")).json() == before


def test_names_are_sanitised_and_end_in_the_type_the_content_has(
        db_url: str, ref: str, env: dict[str, str], tmp_path: Path) -> None:
    from documents.attachments import safe_name

    assert safe_name("../../etc/evil<script>.pdf", "application/pdf") == "evil_script_.pdf"
    assert safe_name("C:\\Users\\x\\scan.PNG", "image/png") == "scan.PNG"
    assert safe_name("photo.pdf", "image/png") == "photo.png"
    assert safe_name("...hidden", "text/plain") == "hidden.txt"
    assert safe_name("a\x00b\nc.txt", "text/plain") == "a_b_c.txt"
    assert len(safe_name("x" * 400 + ".pdf", "application/pdf")) <= 180
    png = write(tmp_path / "logo.pdf", PNG)
    f = ok(hamkor(db_url, "agreement", "attach", ref, str(png), "--json", env=env)).json()
    assert (f["name"], f["media_type"]) == ("logo.png", "image/png")


def test_detach_hides_the_file_but_keeps_bytes_and_record(
        db_url: str, ref: str, env: dict[str, str], tmp_path: Path) -> None:
    f = ok(hamkor(db_url, "agreement", "attach", ref, str(write(tmp_path / "d.pdf", PDF)),
                  "--kind", "draft", "--json", env=env)).json()
    fid = str(f["id"])
    refused(hamkor(db_url, "agreement", "detach", ref, fid, "--reason", "wrong", "--by", VIEWER,
                   env=env), "viewer")
    refused(hamkor(db_url, "agreement", "detach", ref, fid, "--reason", " ", env=env), "reason")
    refused(hamkor(db_url, "agreement", "detach", ref, "999", "--reason", "x", env=env), "no file")
    ok(hamkor(db_url, "agreement", "detach", ref, fid, "--reason", "superseded by v2", env=env))
    assert ok(hamkor(db_url, "agreement", "files", ref, "--json", env=env)).json() == []
    (gone,) = ok(hamkor(db_url, "agreement", "files", ref, "--all", "--json", env=env)).json()
    assert gone["removed_reason"] == "superseded by v2" and gone["removed_by"] == OFFICER
    refused(hamkor(db_url, "agreement", "detach", ref, fid, "--reason", "again", env=env),
            "already removed")
    # The bytes are still there and can be read back and verified.
    ok(hamkor(db_url, "agreement", "file", ref, fid, "--out", str(tmp_path / "back.pdf"), env=env))
    assert (tmp_path / "back.pdf").read_bytes() == PDF
    history = ok(hamkor(db_url, "agreement", "history", ref, "--json")).json()
    assert [e["event"] for e in history][-2:] == ["attach", "detach"]
    assert "superseded by v2" in history[-1]["note"]


def test_files_verify_finds_a_flipped_byte_and_a_missing_file(
        db_url: str, ref: str, env: dict[str, str], tmp_path: Path) -> None:
    a = ok(hamkor(db_url, "agreement", "attach", ref, str(write(tmp_path / "a.pdf", PDF)),
                  "--json", env=env)).json()
    b = ok(hamkor(db_url, "agreement", "attach", ref, str(write(tmp_path / "b.txt", b"plain text\n")),
                  "--json", env=env)).json()
    good = ok(hamkor(db_url, "files", "verify", "--json", env=env)).json()
    assert good == {"checked": 2, "ok": 2, "missing": [], "altered": []}
    assert "2 stored files checked: 2 intact" in ok(hamkor(db_url, "files", "verify", env=env)).out

    by_name = {p.name: p for p in stored(tmp_path)}
    flipped = by_name[a["sha256"]]
    os.chmod(flipped, 0o644)
    data = bytearray(flipped.read_bytes())
    data[20] ^= 0x01
    flipped.write_bytes(bytes(data))
    by_name[b["sha256"]].unlink()

    r = hamkor(db_url, "files", "verify", env=env)
    assert r.code == 1
    assert any("altered" in line and a["sha256"] in line and "a.pdf" in line for line in r.error_lines)
    assert any("missing" in line and b["sha256"] in line and ref in line for line in r.error_lines)
    j = hamkor(db_url, "files", "verify", "--json", env=env)
    assert j.code == 1
    report = j.json()
    assert [x["sha256"] for x in report["altered"]] == [a["sha256"]]
    assert [x["sha256"] for x in report["missing"]] == [b["sha256"]]
    assert report["missing"][0]["files"] == [{"agreement": ref, "id": b["id"], "name": "b.txt"}]


def test_files_go_beside_the_sqlite_database_by_default(sqlite_url: str, tmp_path: Path) -> None:
    seed_people(sqlite_url)
    ref = ok(hamkor(sqlite_url, "agreement", "create", "--title", "T", "--partner",
                    "Hiroshima University", "--type", "mou", "--owner", OFFICER, "--by", OFFICER)).out.strip()
    digest = ok(hamkor(sqlite_url, "agreement", "attach", ref, str(write(tmp_path / "x.pdf", PDF)),
                       "--by", OFFICER)).out.strip()
    db_dir = Path(sqlite_url.removeprefix("sqlite:///")).parent
    assert (db_dir / "files" / digest[:2] / digest[2:4] / digest).read_bytes() == PDF
