"""Fixtures for the EWP tests: where the vendored XSDs and examples live."""

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def xsd_dir() -> Path:
    return HERE / "xsd"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return HERE / "data"
