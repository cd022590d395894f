"""A `hamkor` process pauses the cyclic collector while it starts and resumes it, with
what start-up loaded frozen, when the command opens its engine (issue 22: ~18 ms of a
full collection during mapping, and the walk over SQLAlchemy's objects at exit)."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import root
from root import App, pause_collector, resume_collector


@pytest.fixture
def gc_state() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    yield before
    resume_collector(freeze=False)
    gc.unfreeze()
    gc.set_threshold(*before)


def test_opening_the_engine_ends_the_pause_and_freezes_start_up(gc_state: tuple[int, int, int],
                                                                 tmp_path: Path) -> None:
    gc.unfreeze()
    pause_collector()
    assert gc.get_threshold() == (root._STARTUP_THRESHOLD, *gc_state[1:])
    pause_collector()  # idempotent: the saved thresholds are the defaults, not the pause's
    app = App(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        app.raw_engine()
        assert gc.get_threshold() == gc_state and gc.get_freeze_count() > 0
    finally:
        app.close()


def test_nothing_changes_without_a_pause(gc_state: tuple[int, int, int], tmp_path: Path) -> None:
    gc.unfreeze()
    app = App(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        app.raw_engine()
    finally:
        app.close()
    assert gc.get_threshold() == gc_state and gc.get_freeze_count() == 0


def test_a_command_that_opens_no_engine_still_gets_the_defaults_back(gc_state: tuple[int, int, int]) -> None:
    code = ("import gc, sys; from cli.main import main\n"
            "main(['--help'])\n"
            "print(gc.get_threshold() == (700, 10, 10), gc.get_freeze_count() == 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "True True"
