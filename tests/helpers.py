"""Run `hamkor` in-process (fast) or in a subprocess (real), and read its output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from click.testing import CliRunner


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def hamkor(db_url: str | None, *args: str, env: dict[str, str] | None = None,
           input: str | None = None) -> Result:
    """`hamkor [--db URL] ARGS` in this process, through the same error mapping as the CLI."""
    from cli.errors import run
    from cli.main import cli

    argv = (["--db", db_url] if db_url else []) + list(args)
    runner = CliRunner()
    with runner.isolation(input=input, env=env) as (out, err, _):
        try:
            code = run(cli, argv)
        except SystemExit as exc:  # sys.exit inside a command
            code = exc.code if isinstance(exc.code, int) else 1
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    return Result(code, stdout, stderr)


def hamkor_subprocess(db_url: str | None, *args: str, env: dict[str, str] | None = None,
                      timeout: float = 60) -> Result:
    """The real `hamkor` command in a child process."""
    argv = [sys.executable, "-m", "cli.main"] + (["--db", db_url] if db_url else []) + list(args)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HAMKOR_")}
    full_env.update(env or {})
    p = subprocess.run(argv, capture_output=True, text=True, env=full_env, timeout=timeout)
    return Result(p.returncode, p.stdout, p.stderr)


def ok(result: Result) -> Result:
    assert result.code == 0, f"exit {result.code}\nstdout: {result.out}\nstderr: {result.err}"
    return result


def refused(result: Result, *needles: str) -> Result:
    """A refusal: exit 1 and exactly one `error: ...` line mentioning every needle."""
    assert result.code == 1, f"expected exit 1, got {result.code}\n{result.out}\n{result.err}"
    lines = result.error_lines
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for n in needles:
        assert n in lines[0], f"{n!r} not in {lines[0]!r}"
    return result


def seed_people(db_url: str) -> None:
    """Users of each role and two partners, as most CLI tests need."""
    for email, role in [("olga@uni.uz", "officer"), ("oleg@uni.uz", "officer"),
                        ("anvar@uni.uz", "approver"), ("aziza@uni.uz", "approver"),
                        ("vera@uni.uz", "viewer"), ("root@uni.uz", "admin")]:
        ok(hamkor(db_url, "user", "add", email, "--name", email.split("@")[0].title(), "--role", role))
    ok(hamkor(db_url, "partner", "add", "Hiroshima University", "--country", "JP", "--city", "Hiroshima"))
    ok(hamkor(db_url, "partner", "add", "Politecnico di Torino", "--country", "IT", "--city", "Turin"))
