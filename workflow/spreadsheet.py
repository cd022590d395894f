"""Text cells a spreadsheet program will not run as formulas (README "Limits and safety").

A cell whose text begins with `=`, `+`, `-`, `@`, a tab or a carriage return is
taken by Excel and LibreOffice for a formula (OWASP, "CSV injection"). Every CSV
and XLSX Hamkor writes passes its text cells through `inert`, which puts a single
quote in front of such text; `restore` (used by the import) takes exactly that
quote away again, so exporting and importing gives back what the user typed.

So that the round trip is exact, text that already begins with quotes followed
by one of those characters (`'=x`, `''+1`) gets one quote more too: `restore`
removes one quote only from text that, after its leading quotes, begins with a
formula character - and only `inert` makes such text. A quote a user typed in
front of anything else (`'Hello`) is left alone both ways.
"""

from __future__ import annotations

#: The first characters that make a spreadsheet program read a cell as a formula.
FORMULA_STARTS = frozenset("=+-@\t\r")
QUOTE = "'"
#: Text beginning with one of these may need `inert` (a quick test for hot loops).
RISKY_FIRST = FORMULA_STARTS | {QUOTE}


def _formula_like(text: str) -> bool:
    rest = text.lstrip(QUOTE)
    return bool(rest) and rest[0] in FORMULA_STARTS


def inert(text: str) -> str:
    """`text` as a cell no spreadsheet program evaluates (one quote more if it could)."""
    return QUOTE + text if text and _formula_like(text) else text


def restore(text: str) -> str:
    """The text `inert` was given: one leading quote less where `inert` added one."""
    return text[1:] if text.startswith(QUOTE) and _formula_like(text) else text


def inert_value(value: object) -> object:
    """A cell value: text made inert, anything else (numbers, dates, None) as it is."""
    return inert(value) if isinstance(value, str) else value
