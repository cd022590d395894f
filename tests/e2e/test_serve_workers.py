"""`hamkor serve --workers 2`: two server processes share the port, and a session one
of them signed is accepted by the other, even without HAMKOR_SECRET_KEY."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.helpers import hamkor

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_workers_share_the_sessions_they_sign(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'serve.db'}"
    assert hamkor(db, "user", "add", "ada@uni.uz", "--name", "Ada", "--role", "officer").code == 0
    assert hamkor(db, "user", "set-password", "ada@uni.uz", "--password-stdin",
                  input="correct-horse-battery-9\n").code == 0
    port = _port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAMKOR_")}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "cli.main", "--db", db, "serve", "--port",
                                   str(port), "--workers", "2", "--log-level", "warning"],
                                  env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, log.read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        for _ in range(4):  # each client its own connection: the workers take turns
            with httpx.Client(base_url=base, timeout=30) as c:
                token = CSRF.search(c.get("/login").text)
                assert token
                signed = c.post("/login", data={"email": "ada@uni.uz", "next": "/",
                                                "password": "correct-horse-battery-9",
                                                "csrf_token": token[1]}, follow_redirects=False)
                assert signed.status_code == 303, signed.text[:300]
                for _ in range(6):
                    # A new connection each time, so either worker may answer.
                    with httpx.Client(base_url=base, timeout=30, cookies=c.cookies) as again:
                        page = again.get("/", follow_redirects=False)
                    assert page.status_code == 200, page.headers.get("location")
        # Without a key of its own the server drew one for both workers, and said so.
        assert log.read_text().count("HAMKOR_SECRET_KEY is not set") == 1
    finally:
        server.terminate()
        server.wait(30)
