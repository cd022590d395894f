"""The report as a workbook: a summary sheet and one sheet per list.

openpyxl in write-only mode (rows are streamed, so 100k agreements fit in
seconds and little memory). Dates are real dates in the language's format,
counts are numbers; each list sheet has a styled, frozen header row, column
widths and an autofilter. Text is always a string cell, never a formula: text
that begins like one gets a leading quote (`workflow.spreadsheet.inert`), and
characters XML cannot hold are dropped.
"""

from __future__ import annotations

import io
import re
from typing import Any

from reports.i18n import EXCEL_DATE, N_, Formatter
from reports.tables import KEY_FIGURES, TABLES, Column
from workflow.spreadsheet import RISKY_FIRST, inert

HEADER_FILL = "1F4E79"
#: Control characters an XLSX cell cannot hold (openpyxl refuses them).
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
MAX_SHEET_NAME = 31


def _sheet_name(title: str, used: set[str]) -> str:
    name = "".join(" " if ch in '[]:*?/\\' else ch for ch in title)[:MAX_SHEET_NAME].strip()
    base, i = name, 2
    while name.lower() in used:
        suffix = f" {i}"
        name = base[: MAX_SHEET_NAME - len(suffix)] + suffix
        i += 1
    used.add(name.lower())
    return name


def _text(value: Any) -> Any:
    """A cell value as written: text inert and XML-safe, anything else as it is."""
    if type(value) is not str or not value:
        return value
    if value[0] in RISKY_FIRST:
        value = inert(value)
    return _NOT_IN_XML.sub("", value)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index))


def render_xlsx(data: dict[str, Any], meta: dict[str, Any], fmt: Formatter) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook(write_only=True)
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor=HEADER_FILL)
    header_align = Alignment(vertical="center", wrap_text=True)
    title_font = Font(bold=True, size=16, color=HEADER_FILL)
    bold = Font(bold=True)
    date_format = EXCEL_DATE[fmt.lang]
    used: set[str] = set()
    # Printed on every page of every sheet: what the workbook is and which data it shows.
    footer = (f"{fmt.gettext(N_('Year'))} {data['year']} · {meta['format']} · {meta['lang']} · "
              f"{meta['template']} {meta['template_sha256'][:12]} · "
              f"{fmt.gettext(N_('Data hash'))} {meta['data_hash'][:12]} · "
              f"{fmt.datetime(meta['generated_at'])}")

    def sheet(title: str) -> Any:
        ws = wb.create_sheet(_sheet_name(title, used))
        ws.oddFooter.left.text = footer.replace("&", "&&")
        ws.oddFooter.left.size = 7
        ws.oddFooter.right.text = "&P / &N"
        ws.oddFooter.right.size = 7
        return ws

    def header(ws: Any, values: list[str]) -> list[Any]:
        cells = []
        for v in values:
            c = WriteOnlyCell(ws, _text(v))
            c.font, c.fill, c.alignment = header_font, header_fill, header_align
            cells.append(c)
        return cells

    def put(ws: Any, values: list[Any]) -> None:
        ws.append([_text(v) for v in values])

    # -- summary --
    ws = sheet(fmt.gettext(N_("Summary")))
    ws.column_dimensions["A"].width = 42
    ws.column_dimensions["B"].width = 70
    title = WriteOnlyCell(ws, fmt.gettext(N_("Annual report on international cooperation"))
                          + f" {data['year']}")
    title.font = title_font
    put(ws, [title])
    put(ws, [data["institution"] or fmt.gettext(N_("Home institution"))])
    as_of = WriteOnlyCell(ws, data["period"]["end"])
    as_of.number_format = date_format
    as_of.alignment = Alignment(horizontal="left")
    put(ws, [fmt.gettext(N_("Report day")), as_of])
    if data["department"]:
        put(ws, [fmt.gettext(N_("Department")), data["department"]])
    put(ws, [])
    put(ws, header(ws, [fmt.gettext(N_("Key figures")), fmt.gettext(N_("Value"))]))
    for msgid, key in KEY_FIGURES:
        put(ws, [fmt.gettext(msgid), data["summary"][key]])
    put(ws, [])
    info = WriteOnlyCell(ws, fmt.gettext(N_("About this report")))
    info.font = bold
    put(ws, [info])
    for label, value in (
        (N_("Year"), data["year"]),
        (N_("Format"), meta["format"]),
        (N_("Language"), meta["lang"]),
        (N_("Template"), f"{meta['template']} (sha256 {meta['template_sha256']})"),
        (N_("Data hash"), f"sha256 {meta['data_hash']}"),
        (N_("Generated"), fmt.datetime(meta["generated_at"])),
    ):
        put(ws, [fmt.gettext(label), value])

    # -- one sheet per list --
    for table in TABLES:
        rows = data[table.key]
        ws = sheet(fmt.gettext(table.title))
        if not rows and table.empty:
            ws.column_dimensions["A"].width = 60
            put(ws, [fmt.gettext(table.empty)])
            continue
        cols = table.columns
        for i, col in enumerate(cols, start=1):
            ws.column_dimensions[_column_letter(i)].width = col.width
        ws.freeze_panes = "A2"
        last = _column_letter(len(cols))
        ws.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
        put(ws, header(ws, [fmt.gettext(c.header) for c in cols]))
        _write_rows(ws, rows, cols, fmt, date_format)

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _write_rows(ws: Any, rows: list[dict[str, Any]], cols: tuple[Column, ...], fmt: Formatter,
                date_format: str) -> None:
    from openpyxl.cell import WriteOnlyCell

    yes, no = fmt.yes_no(True), fmt.yes_no(False)
    kinds = [c.kind for c in cols]
    getters = [c.value for c in cols]
    for row in rows:
        out: list[Any] = []
        for kind, get in zip(kinds, getters, strict=True):
            v = get(row, fmt)
            if kind == "date" and v is not None:
                c = WriteOnlyCell(ws, v)
                c.number_format = date_format
                v = c
            elif kind == "bool":
                v = yes if v else no
            elif type(v) is str and v:
                v = _text(v)
            out.append(v)
        ws.append(out)
