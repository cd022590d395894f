"""`hamkor ewp export` and `hamkor ewp hash` of 10,000 IIAs with 8 specs each, in under 10 s."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from benchmarks.ewp import HOME_HEI, HOME_NAME, seed_iias
from models.database import make_engine
from tests.helpers import hamkor, ok

ENV = {"HAMKOR_INSTITUTION": HOME_NAME, "HAMKOR_INSTITUTION_HEI_ID": HOME_HEI}
N = 10_000


@pytest.mark.slow
def test_ten_thousand_iias_export_and_hash_through_the_cli_in_under_ten_seconds_each(
        sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    seed_iias(engine, N)
    engine.dispose()
    out = tmp_path / "iias.xml"

    start = time.perf_counter()
    r = ok(hamkor(sqlite_url, "ewp", "export", "--out", str(out), env=ENV))
    export_s = time.perf_counter() - start
    assert f"wrote {N} IIAs" in r.out

    start = time.perf_counter()
    rows = ok(hamkor(None, "ewp", "hash", str(out), "--json", env=ENV)).json()
    hash_s = time.perf_counter() - start

    assert len(rows) == N and all(x["matches"] and x["valid_for_approval"] for x in rows)
    assert len({x["iia_id"] for x in rows}) == N and len({x["computed"] for x in rows}) == N
    assert export_s < 10.0, f"export took {export_s:.1f} s"
    assert hash_s < 10.0, f"hash took {hash_s:.1f} s"
