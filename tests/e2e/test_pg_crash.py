"""A PostgreSQL crash in the middle of sending: a delivery marked sent survives it.

The test runs a PostgreSQL cluster of its own (initdb in a temporary folder, a free
port) so that it can crash it: `pg_ctl stop -m immediate` is what a power cut or an
OOM kill of the postmaster does -- no checkpoint, whatever is not in the flushed WAL
is gone. The WAL writer is slowed to its maximum delay (10 s), so a commit that did
not wait for its flush would be lost by the crash and its message sent again: with
asynchronous delivery records this test received every message sent in the 10 s
before the crash twice (issue 15, D9: 11 duplicates for 2,000 before the fix; with the
cluster's `synchronous_commit=off` this test finds a recorded delivery lost).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import hamkor_subprocess, ok
from tests.tick.test_tick_kit import SmtpSink, World, free_port


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


class Cluster:
    """A throw-away PostgreSQL cluster: started, crashed, started again."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="hamkor-pgcrash-"))
        self.data = self.root / "data"
        self.sock = self.root / "sock"
        self.sock.mkdir()
        os.chmod(self.root, 0o777)
        os.chmod(self.sock, 0o777)
        # initdb refuses to run as root: the cluster belongs to the `postgres` user then.
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync",
                  "-E", "UTF8", "--locale", "C")

    def _run(self, tool: str, *args: str) -> None:
        p = subprocess.run([*self.prefix, str(self.bin / tool), *args], capture_output=True,
                           text=True, timeout=120)
        assert p.returncode == 0, f"{tool} failed: {p.stdout}\n{p.stderr}"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 "
                   "-c wal_writer_delay=10000 -c fsync=on -c checkpoint_timeout=3600")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-w", "-t", "60",
                  "-l", str(self.root / "log"), "start")

    def crash(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        subprocess.run([*self.prefix, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m",
                        "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    bin_dir = _pg_bin()
    if bin_dir is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        if os.environ.get("CI"):
            pytest.fail("CI needs PostgreSQL's server binaries (initdb, pg_ctl) for the crash test")
        pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
    c = Cluster(bin_dir)
    try:
        c.start()
        from migrations.schema import upgrade
        from models.database import make_engine

        engine = make_engine(c.url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        yield c
    finally:
        c.remove()


def test_a_postgresql_crash_mid_send_resends_only_the_message_in_flight(cluster: Cluster) -> None:
    sink = SmtpSink().start()
    released = threading.Event()
    held = 6

    async def hold(count: int) -> None:
        # The 6th message is received, its "250 OK" held back: it is in flight when the
        # database crashes. Five delivery records were committed just before.
        while count == held and not released.is_set():
            await asyncio.sleep(0.01)

    sink.after_data = hold
    child = None
    try:
        w = World(cluster.url, sink.env())
        for i in range(12):
            w.signed(f"Exchange {i}", on="2025-12-01", starts="2026-01-01", expires="2026-12-31")
        env = {k: v for k, v in os.environ.items() if not k.startswith("HAMKOR_")}
        env.update(sink.env())
        child = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "--db", cluster.url, "tick", "--now",
             "2026-07-04T08:00"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True)
        deadline = time.monotonic() + 60
        while len(sink.messages) < held and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.02)
        assert len(sink.messages) == held, "the sender did not reach the held message"

        cluster.crash()
        released.set()  # the sender hears "250 OK" and cannot record it: the database is gone
        _, err = child.communicate(timeout=120)
        assert child.returncode != 0, "the tick should fail while its database is down"
        assert "error" in err.lower()

        cluster.start()  # crash recovery replays the flushed WAL
        sent_before = Counter(r["status"] for r in w.outbox())
        assert sent_before["sent"] == held - 1, sent_before  # every recorded delivery survived

        # After the claims' 5-minute lease the next tick sends the rest.
        report = ok(hamkor_subprocess(cluster.url, "tick", "--now", "2026-07-04T08:06", "--json",
                                      env=sink.env())).json()
        assert report["sent"] == 12 - (held - 1)
    finally:
        released.set()
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()
        sink.stop()
    keys = sink.keys()
    assert len(keys) == 12  # every reminder delivered
    twice = [k for k, n in keys.items() if n > 1]
    in_flight = str(sink.messages[held - 1]["X-Hamkor-Key"])
    assert twice == [in_flight] and keys[in_flight] == 2  # only the one in flight, twice
