"""Log lines that user input cannot forge.

A value typed by a user (the e-mail of a failed sign-in, a partner's name) may
hold a line break: logged as it is, it would start a line of its own that reads
like one Hamkor wrote. Every handler Hamkor sets up formats with
`OneLineFormatter`, which writes CR, LF and the other control characters of a
message as escapes (`\\n`, `\\r`, `\\x1b`); a traceback still follows on its own lines.
"""

from __future__ import annotations

import logging
import re

_CONTROL = re.compile("[\x00-\x1f\x7f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(text: str) -> str:
    """`text` with control characters (and Unicode line separators) escaped."""
    return _CONTROL.sub(lambda m: _NAMED.get(m[0]) or f"\\x{ord(m[0]):02x}"
                        if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


class OneLineFormatter(logging.Formatter):
    """A formatter whose message part is always one line (see the module's note)."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        return one_line(super().formatMessage(record))


def configure(level: int | str, fmt: str) -> None:
    """`logging.basicConfig` with the one-line formatter on the root handler."""
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter(fmt))
    logging.basicConfig(level=level if isinstance(level, int) else level.upper(), handlers=[handler])
