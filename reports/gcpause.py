"""Pause the cyclic garbage collector while a report is computed or rendered.

A 100k-agreement report allocates hundreds of thousands of dicts, lists, dates and
strings that all stay alive until it is written (and form no reference cycles): every
automatic collection walks them again, a second or more of the report's time.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_gc() -> Iterator[None]:
    """Automatic collection off inside (nesting is fine), back as it was after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
