"""Result records, timing, and the database each benchmark runs on."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, text

from migrations.schema import upgrade
from models.database import make_engine


@dataclass
class Result:
    name: str
    measured: str  # what was measured, in words
    value: float
    unit: str
    baseline: str  # what the baseline is
    baseline_value: float | None
    ratio: float | None  # value / baseline (throughputs) or as stated in `target`
    target: str
    ok: bool
    detail: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


@contextmanager
def fresh_database(url: str | None) -> Iterator[tuple[str, Engine]]:
    """A migrated, empty database: a temporary SQLite file, or the given URL wiped.

    A PostgreSQL URL passed with --db is reset (schema `public` dropped): point
    it at a scratch database, never at real data.
    """
    tmp = None
    if url is None:
        tmp = tempfile.mkdtemp(prefix="hamkor-bench-")
        url = f"sqlite:///{os.path.join(tmp, 'bench.db')}"
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    try:
        yield url, engine
    finally:
        engine.dispose()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
