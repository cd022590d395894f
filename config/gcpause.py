"""Pause the cyclic garbage collector while a large report is computed or rendered, or a
large EWP tree is parsed and walked (`ewp.iia_hash`, `ewp.exchange`).

A 100k-agreement report (or IIA file) allocates hundreds of thousands of dicts, lists, dates and
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
