"""`hamkor serve` runs uvicorn on uvloop and httptools (dependencies) when they are
installed, and on asyncio and h11 where they are not (another platform, say)."""

from __future__ import annotations

import importlib.util

import pytest


def test_serve_uses_uvloop_and_httptools_when_installed() -> None:
    from cli.serve import speedups

    assert speedups() == {"loop": "uvloop", "http": "httptools"}


def test_serve_falls_back_to_the_standard_loop_and_h11(monkeypatch: pytest.MonkeyPatch) -> None:
    from cli.serve import speedups

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("uvloop", "httptools") else real(name, *a))
    assert speedups() == {"loop": "asyncio", "http": "h11"}


def test_the_server_leaves_what_it_loaded_to_the_collectors_permanent_generation() -> None:
    import gc

    from cli.serve import settle_heap

    before = gc.get_freeze_count()
    try:
        settle_heap()
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
