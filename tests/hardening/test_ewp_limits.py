"""Issue 16.2, a partner's EWP file: elements nested a thousand deep inside a text field,
a 20-digit (or 5,000-digit) `mobilities-per-year`, an over-long total: each is refused with
one `error:` line within seconds, on both databases, and nothing changes."""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

import pytest

from ewp import reader
from ewp.iia_hash import hash_document
from tests.dbstate import snapshot
from tests.ewp.support import cli, seed
from tests.helpers import refused

EXAMPLE = Path(__file__).parents[1] / "ewp" / "data" / "get-response-example.xml"
AS_HIBO = {"HAMKOR_INSTITUTION_HEI_ID": "hibo.no"}


def with_true_hash(xml: str) -> str:
    """The file with its declared hash recomputed, so that only the hostile value is wrong."""
    [result] = hash_document(xml.encode())
    return re.sub(r"<iia-hash>[0-9a-f]+", "<iia-hash>" + result.computed, xml)


def hostile_files(tmp_path: Path, seed_: int) -> dict[str, tuple[Path, str]]:
    rng = random.Random(seed_)
    src = EXAMPLE.read_text(encoding="utf-8")
    depth = rng.randrange(1000, 3000)
    tag = rng.choice(["b", "x", "span"])
    nested = f"<{tag}>" * depth + "Monica" + f"</{tag}>" * depth
    digits20 = str(rng.randrange(10**19, 10**20))
    files = {
        "nested": (src.replace("<c:contact-name>Monica Turner</c:contact-name>",
                               f"<c:contact-name>{nested}</c:contact-name>", 1),
                   "nested deeper than 32 levels"),
        "20 digits": (with_true_hash(src.replace(
            "<mobilities-per-year>2</mobilities-per-year>",
            f"<mobilities-per-year>{digits20}</mobilities-per-year>", 1)),
            "mobilities-per-year"),
        "5000 digits": (with_true_hash(src.replace(
            "<mobilities-per-year>2</mobilities-per-year>",
            f"<mobilities-per-year>{'7' * 5000}</mobilities-per-year>", 1)),
            "mobilities-per-year"),
        "long total": (with_true_hash(src.replace(
            "<total-months-per-year>5</total-months-per-year>",
            f"<total-months-per-year>5.{'1' * 40}</total-months-per-year>", 1)),
            "total-months-per-year"),
    }
    out = {}
    for name, (text, needle) in files.items():
        path = tmp_path / f"{name.replace(' ', '-')}.xml"
        path.write_text(text, encoding="utf-8")
        out[name] = (path, needle)
    return out


def test_hostile_partner_files_are_refused_and_change_nothing(db_url: str,
                                                              tmp_path: Path) -> None:
    seed(db_url)
    before = snapshot(db_url)
    for name, (path, needle) in hostile_files(tmp_path, 16).items():
        started = time.monotonic()
        refused(cli(db_url, "ewp", "import", str(path), env=AS_HIBO), needle)
        assert time.monotonic() - started < 10, name
        hashed = cli(db_url, "ewp", "hash", str(path))  # reads the same files: no traceback
        assert hashed.code in (0, 1) and len(hashed.error_lines) <= 1, hashed.err
    assert snapshot(db_url) == before


def test_a_partner_file_over_the_size_limit_is_not_read(db_url: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 1000)
    seed(db_url)
    before = snapshot(db_url)
    refused(cli(db_url, "ewp", "import", str(EXAMPLE), env=AS_HIBO), "at most 1,000 are read")
    assert snapshot(db_url) == before
