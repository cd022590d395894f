"""Documents and files: attaching and downloading a large file, and verifying the store.

1. Attach a 25 MB file (the default upload limit) and download it again, through the
   services the CLI uses (`documents.attachments.attach`, `write_out`), against copying
   the same file in the same run. Two baselines: a durable copy (`shutil.copyfile`, then
   `fsync` of the file and of its directory, as a store must do before it says
   "stored"), which the target is set
   against, and a plain copy into the page cache (reported; hashing 25 MB alone costs
   about two of those). Each round uses new bytes, so nothing is deduplicated.
2. `files verify` over N stored files against `sha256sum` over the same files (both
   with a warm page cache, alternating, best of three).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert

from benchmarks.harness import Result

ROUNDS = 3
MB = 1024 * 1024


def _setup(url: str, files_dir: Path) -> tuple[Any, str]:
    from root import App
    from workflow.agreements import NewAgreement, create
    from workflow.registry import add_partner, add_user

    app = App(url, files_dir=files_dir, max_upload_mb=64)
    add_user(app.uow(), app.clock(), "bench@uni.uz", "Bench", "officer")
    add_partner(app.uow(), app.clock(), "Hiroshima University", country="JP")
    a = create(app.uow(), app.clock(), app.office(),
               NewAgreement(title="Bench", partners=["Hiroshima University"], type="exchange",
                            owner="bench@uni.uz"), by="bench@uni.uz")
    return app, str(a["ref"])


def _durable_copy(src: Path, dst: Path) -> None:
    """`cp` that survives a power cut, as the store's write does: the file's bytes and
    the directory entry that names it are on disk before it returns."""
    shutil.copyfile(src, dst)
    for path in (dst, dst.parent):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def attach_download(url: str, engine: Engine, size_mb: int = 25) -> list[Result]:
    from documents.attachments import Upload, attach, store_from, write_out

    work = Path(tempfile.mkdtemp(prefix="hamkor-bench-files-"))
    try:
        app, ref = _setup(url, work / "store")
        store = store_from(app.settings, app.db_url)
        body = b"%PDF-1.4\n" + os.urandom(size_mb * MB - 64)
        ours, durable, plain = [], [], []
        for n in range(ROUNDS):
            src = work / f"scan-{n}.pdf"  # a scanned signed copy: the 25 MB case
            src.write_bytes(body + f"{n:054d}\n".encode())
            for target in (work / f"copy-{n}", work / f"plain-{n}"):
                target.unlink(missing_ok=True)
            t = time.perf_counter()
            _durable_copy(src, work / f"copy-{n}")
            durable.append(time.perf_counter() - t)
            t = time.perf_counter()
            shutil.copyfile(src, work / f"plain-{n}")
            plain.append(time.perf_counter() - t)
            t = time.perf_counter()
            f = attach(app.uow(), app.clock(), store, ref, src, Upload(src.name, "signed-copy"),
                       by="bench@uni.uz", limit_mb=64)
            write_out(store, f["sha256"], work / f"out-{n}")
            ours.append(time.perf_counter() - t)
            assert hashlib.sha256((work / f"out-{n}").read_bytes()).hexdigest() == f["sha256"]
        app.close()
        best, base, cp = min(ours), min(durable), min(plain)
        ratio = best / base
        return [Result(
            name=f"attach + download, {size_mb} MB ({engine.dialect.name})",
            measured=f"attach (stage, hash, sniff, store, record) then write the file back out; "
                     f"rounds {', '.join(f'{x * 1000:.0f}' for x in ours)} ms",
            value=round(best * 1000, 1), unit="ms",
            baseline=f"copying the file durably (copyfile + fsync of file and directory): rounds "
                     f"{', '.join(f'{x * 1000:.0f}' for x in durable)} ms; a plain copy into the "
                     f"page cache: {cp * 1000:.0f} ms (ours is {best / cp:.1f}× that)",
            baseline_value=round(base * 1000, 1), ratio=round(ratio, 2),
            target="≤ 2× copying the file", ok=ratio <= 2.0,
            detail={"plain_copy_ms": round(cp * 1000, 1), "ratio_to_plain_copy": round(best / cp, 2)})]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def verify_store(url: str, engine: Engine, count: int = 10_000, size: int = 16 * 1024) -> list[Result]:
    from documents.attachments import store_from, verify
    from models import Agreement, Attachment

    work = Path(tempfile.mkdtemp(prefix="hamkor-bench-verify-"))
    try:
        app, ref = _setup(url, work / "store")
        store = store_from(app.settings, app.db_url)
        with app.uow() as uow:
            aid = uow.session.query(Agreement.id).filter(Agreement.ref == ref).scalar()
        now = datetime.now(UTC)
        rows, paths = [], []
        seed = os.urandom(size)
        for n in range(count):
            data = seed[:-8] + n.to_bytes(8, "big")
            sha = hashlib.sha256(data).hexdigest()
            path = work / "store" / sha[:2] / sha[2:4] / sha
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            paths.append(path)
            rows.append({"agreement_id": aid, "kind": "annex", "name": f"annex-{n}.txt", "size": size,
                         "sha256": sha, "media_type": "text/plain", "uploaded_by": "bench@uni.uz",
                         "uploaded_at": now})
        with engine.begin() as conn:
            conn.execute(insert(Attachment), rows)
        listing = work / "list"
        listing.write_text("\n".join(str(p) for p in paths) + "\n")
        ours, theirs = [], []
        for _ in range(ROUNDS):
            t = time.perf_counter()
            subprocess.run(f"xargs -a {listing} sha256sum > /dev/null", shell=True, check=True)
            theirs.append(time.perf_counter() - t)
            t = time.perf_counter()
            report = verify(app.uow(), store)
            ours.append(time.perf_counter() - t)
            assert report["ok"] == count, report
        app.close()
        best, base = min(ours), min(theirs)
        ratio = best / base
        total = count * size / MB
        return [Result(
            name=f"files verify, {count:,} files × {size // 1024} KB ({engine.dialect.name})",
            measured=f"`files verify` (read the records, re-hash every file on {min(4, os.cpu_count() or 1)} "
                     f"threads): rounds {', '.join(f'{x:.2f}' for x in ours)} s, "
                     f"{total / best:.0f} MB/s",
            value=round(best, 3), unit="s",
            baseline=f"sha256sum over the same files (xargs): rounds "
                     f"{', '.join(f'{x:.2f}' for x in theirs)} s, {total / base:.0f} MB/s",
            baseline_value=round(base, 3), ratio=round(ratio, 2),
            target="≤ 1.5× sha256sum (disk read speed)", ok=ratio <= 1.5)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
