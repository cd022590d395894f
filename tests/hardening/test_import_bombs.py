"""Issue 16.2: decompression and size bombs in imports are refused within seconds and
bounded memory, with one `error:` line, and change nothing (README "Limits and safety").

Every hostile file is generated here. The refusals are checked through the CLI on both
databases (in-process); the time and memory are measured on the real `hamkor import`
process (SQLite)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.dbstate import snapshot
from tests.helpers import hamkor, ok, refused, seed_people
from workflow import rules
from workflow.transfer import limits

MiB = 1024 * 1024
HEADER = ["title", "type", "partners"]


def base_xlsx(path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(["Exchange", "exchange", "Home University;Hiroshima University"])
    wb.save(path)


def rewrite(path: Path, parts: dict[str, Callable[[zipfile.ZipFile], None]]) -> Path:
    """`path` with some parts replaced: each writer streams its part into the new zip."""
    src = path.with_suffix(".src")
    path.rename(src)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename not in parts:
                zout.writestr(item, zin.read(item.filename))
        for writer in parts.values():
            writer(zout)
    src.unlink()
    return path


def streamed(name: str, head: bytes, body: bytes, times: int, tail: bytes
             ) -> Callable[[zipfile.ZipFile], None]:
    def write(z: zipfile.ZipFile) -> None:
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as fh:
            fh.write(head)
            block = body * max(1, MiB // len(body))
            for _ in range(-(-times * len(body) // len(block))):  # rounded up
                fh.write(block)
            fh.write(tail)
    return write


SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
              b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SST_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats'
            b'.org/spreadsheetml/2006/main">')


def xlsx_shared_strings_gigabyte(tmp: Path) -> Path:
    path = tmp / "shared-gb.xlsx"
    base_xlsx(path)
    return rewrite(path, {"xl/sharedStrings.xml": streamed(
        "xl/sharedStrings.xml", SST_HEAD, b"<si><t>abcdefgh</t></si>", 1024 * MiB // 24,
        b"</sst>")})


def xlsx_too_many_shared_strings(tmp: Path) -> Path:
    path = tmp / "shared-many.xlsx"
    base_xlsx(path)
    n = limits.MAX_SHARED_STRINGS + 1000
    return rewrite(path, {"xl/sharedStrings.xml": streamed(
        "xl/sharedStrings.xml", SST_HEAD, b"<si><t>a</t></si>", n, b"</sst>")})


def _inline_string(path: Path, fill: bytes, size: int) -> Path:
    """A workbook whose one cell is an inline text of `size` bytes of `fill`, streamed."""
    base_xlsx(path)
    head = SHEET_HEAD + b'<row r="1"><c r="A1" t="inlineStr"><is><t>'
    return rewrite(path, {"xl/worksheets/sheet1.xml": streamed(
        "xl/worksheets/sheet1.xml", head, fill * 4096, size // 4096,
        b"</t></is></c></row></sheetData></worksheet>")})


def xlsx_inline_string_gigabyte(tmp: Path) -> Path:
    return _inline_string(tmp / "inline-gb.xlsx", b"x", 1024 * MiB)


def xlsx_inline_string_long(tmp: Path) -> Path:
    """Within the unpacked size, but one text far longer than a cell may be."""
    return _inline_string(tmp / "inline-long.xlsx", b"y", 200 * MiB)


def xlsx_entities(tmp: Path) -> Path:
    path = tmp / "laughs.xlsx"
    base_xlsx(path)
    lol = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">' + b"".join(
        b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&%s;" % bytes([97 + i])) * 10)
        for i in range(9)) + b"]>"
    sheet = (b'<?xml version="1.0"?>' + lol + SHEET_HEAD[21 + 17:] +
             b'<row r="1"><c r="A1" t="inlineStr"><is><t>&j;</t></is></c></row>'
             b"</sheetData></worksheet>")
    return rewrite(path, {"xl/worksheets/sheet1.xml": lambda z: z.writestr(
        "xl/worksheets/sheet1.xml", sheet)})


def xlsx_malformed(tmp: Path) -> Path:
    path = tmp / "broken.xlsx"
    base_xlsx(path)
    return rewrite(path, {"xl/worksheets/sheet1.xml": lambda z: z.writestr(
        "xl/worksheets/sheet1.xml", SHEET_HEAD + b'<row r="1"><c r="A1"><v>1</c></row>')})


def json_deep(tmp: Path) -> Path:
    path = tmp / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    return path


def json_deep_objects(tmp: Path) -> Path:
    path = tmp / "deep-objects.json"
    path.write_text('{"a":' * 100_000 + "1" + "}" * 100_000)
    return path


def json_long_number(tmp: Path) -> Path:
    path = tmp / "number.json"
    row = {"title": "Exchange", "type": "exchange", "partners": ["Home University", "B"]}
    path.write_text(json.dumps([row])[:-2] + ', "term": ' + "9" * 5000 + "}]")
    return path


def json_long_float(tmp: Path) -> Path:
    path = tmp / "float.json"
    path.write_text('[{"title": "X", "type": "exchange", "partners": "A;B", "term": 1.'
                    + "5" * 5000 + "}]")
    return path


def json_many_values(tmp: Path) -> Path:
    path = tmp / "values.json"
    path.write_text("[" + "[]," * (limits.MAX_JSON_VALUES + 10) + "[]]")
    return path


def csv_too_big(tmp: Path) -> Path:
    path = tmp / "big.csv"
    with path.open("wb") as fh:
        fh.write(b"title,type,partners\n")
        fh.truncate(limits.MAX_FILE_BYTES + 1)  # a sparse file: nothing to write
    return path


def csv_too_many_rows(tmp: Path) -> Path:
    path = tmp / "rows.csv"
    path.write_text("title,type,partners\n" + "a,exchange,A;B\n" * (limits.MAX_ROWS + 1))
    return path


BOMBS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "xlsx shared strings of 1 GiB": (xlsx_shared_strings_gigabyte, "unpacks to"),
    "xlsx too many shared strings": (xlsx_too_many_shared_strings, "shared strings"),
    "xlsx inline string of 1 GiB": (xlsx_inline_string_gigabyte, "unpacks to"),
    "xlsx inline string of 200 MiB": (xlsx_inline_string_long, "longer than a cell"),
    "xlsx with entities": (xlsx_entities, "declares a DTD"),
    "xlsx malformed sheet": (xlsx_malformed, "not a readable XLSX workbook"),
    "json nested 100,000 deep": (json_deep, "nested deeper than 8 levels"),
    "json objects nested 100,000 deep": (json_deep_objects, "nested deeper than 8 levels"),
    "json 5,000-digit number": (json_long_number, "a number of 5,000 digits"),
    "json 5,000-digit fraction": (json_long_float, "a number of 5,001 digits"),
    "json four million values": (json_many_values, "values"),
    "csv over the file size": (csv_too_big, "an import reads at most"),
    "csv over the rows": (csv_too_many_rows, "rows; split the file"),
}


@pytest.fixture(scope="module")
def bomb_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("bombs")
    return {name: make(tmp) for name, (make, _) in BOMBS.items()}


def test_every_bomb_is_refused_with_one_error_and_changes_nothing(
        db_url: str, bomb_files: dict[str, Path]) -> None:
    seed_people(db_url)
    before = snapshot(db_url)
    for name, (_, needle) in BOMBS.items():
        path = bomb_files[name]
        size = path.stat().st_size
        refused(hamkor(db_url, "import", str(path), "--by", "olga@uni.uz"), path.name, needle)
        assert path.stat().st_size == size
    assert snapshot(db_url) == before


#: Runs a command and reports its own exit code, wall time and peak memory (wait4).
_MEASURE = """
import json, os, subprocess, sys, time
t = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stderr=subprocess.PIPE)
err = child.stderr.read()
_, status, usage = os.wait4(child.pid, 0)
print(json.dumps({"code": os.waitstatus_to_exitcode(status), "wall": time.perf_counter() - t,
                  "cpu": usage.ru_utime + usage.ru_stime, "maxrss_kb": usage.ru_maxrss,
                  "err": err.decode()}))
"""


def measured_import(db: str, path: Path) -> tuple[int, str, float, float, int]:
    """The real `hamkor import` process: exit code, stderr, wall and CPU seconds, peak
    memory (KiB)."""
    argv = [sys.executable, "-c", _MEASURE, sys.executable, "-m", "cli.main", "--db", db,
            "import", str(path), "--by", "olga@uni.uz"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAMKOR_")}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=True)
    m = json.loads(done.stdout)
    return m["code"], m["err"], m["wall"], m["cpu"], m["maxrss_kb"]


def test_each_bomb_is_refused_in_seconds_and_bounded_memory(
        sqlite_url: str, bomb_files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """Under 10 s and 300 MB each (the whole process: Python, Hamkor and the check). The
    time asserted is the process's CPU time, which a machine busy with other work does not
    inflate; the wall time is printed beside it."""
    seed_people(sqlite_url)
    rows = []
    for name, (_, needle) in BOMBS.items():
        code, err, wall, cpu, peak_kb = measured_import(sqlite_url, bomb_files[name])
        lines = [line for line in err.splitlines() if line.strip()]
        assert code == 1 and len(lines) == 1 and lines[0].startswith("error: "), (name, err)
        assert needle in lines[0], (name, lines[0])
        rows.append(f"{name}: {cpu:.2f} s CPU ({wall:.2f} s wall), {peak_kb / 1024:.0f} MB")
        assert cpu < 10, rows[-1]
        assert peak_kb < 300 * 1024, rows[-1]
    with capsys.disabled():
        print("\nimport bombs:\n  " + "\n  ".join(rows))


def test_a_file_within_the_limits_still_imports(db_url: str, tmp_path: Path) -> None:
    """The limits leave ordinary files alone: a note as long as the rule book allows, numbers, a JSON wrapper object."""
    seed_people(db_url)
    path = tmp_path / "fine.json"
    path.write_text(json.dumps({"agreements": [{
        "title": "Exchange", "type": "exchange", "partners": ["Home University", "Kyoto U"],
        "notes": "n" * rules.LIMITS["notes"], "notice_days": 90, "term": 1}]}))
    ok(hamkor(db_url, "import", str(path), "--by", "olga@uni.uz"))
    xlsx = tmp_path / "fine.xlsx"
    base_xlsx(xlsx)
    ok(hamkor(db_url, "import", str(xlsx), "--by", "olga@uni.uz"))
