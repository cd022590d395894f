"""Fixtures for the web tests: a seeded database, a test client, signing in as each role."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from root import App

PASSWORD = "correct horse battery"
PEOPLE = [("olga@uni.uz", "Olga Karimova", "officer"), ("oleg@uni.uz", "Oleg Ivanov", "officer"),
          ("anvar@uni.uz", "Anvar Rashidov", "approver"), ("aziza@uni.uz", "Aziza Yusupova", "approver"),
          ("vera@uni.uz", "Vera Petrova", "viewer"), ("root@uni.uz", "Root Admin", "admin")]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless chromium for the browser tests (tests/web/browser.py)."""
    from tests.web.browser import launch_browser

    yield from launch_browser()


@pytest.fixture(autouse=True)
def _cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its lightest: the same code paths, a fraction of the time per hash."""
    from argon2 import PasswordHasher

    from workflow import accounts

    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", fast)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", fast.hash("dummy"))


def seed(app: App) -> None:
    """Users of every role (all with PASSWORD) and two partners."""
    from workflow.accounts import set_password
    from workflow.registry import add_partner, add_user

    for email, name, role in PEOPLE:
        add_user(app.uow(), app.clock(), email, name, role)
        set_password(app.uow(), email, PASSWORD)
    add_partner(app.uow(), app.clock(), "Hiroshima University", country="JP", city="Hiroshima")
    add_partner(app.uow(), app.clock(), "Politecnico di Torino", country="IT", city="Turin")


#: The home institution's hei-id on the servers of the modules marked `home_hei`.
HOME_HEI = "home.uz"


@pytest.fixture
def hei_id() -> str | None:
    """HAMKOR_INSTITUTION_HEI_ID of a `home_hei` module's server (a test parametrises it
    to None: not configured)."""
    return HOME_HEI


@pytest.fixture
def app_options(request: pytest.FixtureRequest, hei_id: str | None) -> dict[str, Any]:
    """More settings of the server's App: none, but in a module marked `home_hei` the home
    institution's hei-id (`hei_id`), configured or not; a test module may override this."""
    if request.node.get_closest_marker("home_hei") is None:
        return {}
    return {"institution_hei_id": hei_id}


def seeded_app(db_url: str, tmp_path: Path, **options: Any) -> Iterator[App]:
    """An App over a seeded database (see `seed`), closed after the test."""
    app = App(db_url, reports_dir=tmp_path / "out", **options)
    seed(app)
    yield app
    app.close()


def clients_of(app: App) -> Iterator[Callable[[], TestClient]]:
    """New browsers (each with its own cookies) on one server, closed after the test."""
    from web.app import create_app

    web = create_app(app, secret="s" * 40)
    clients: list[TestClient] = []

    def make() -> TestClient:
        c = TestClient(web)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def hamkor_app(db_url: str, tmp_path: Path, app_options: dict[str, Any]) -> Iterator[App]:
    yield from seeded_app(db_url, tmp_path, **app_options)


@pytest.fixture
def make_client(hamkor_app: App) -> Iterator[Callable[[], TestClient]]:
    """New browsers (each with its own cookies) on one server."""
    yield from clients_of(hamkor_app)


@pytest.fixture
def client(make_client: Callable[[], TestClient]) -> TestClient:
    return make_client()


def csrf_of(client: TestClient, path: str = "/login") -> str:
    m = CSRF.search(client.get(path).text)
    assert m, f"no CSRF token on {path}"
    return m.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    r = client.post("/login", data={"email": email, "password": password, "next": "/",
                                    "csrf_token": csrf_of(client)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r


def post(client: TestClient, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
    """A form POST as the browser sends it: with the page's CSRF token."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_of(client, "/")},
                       follow_redirects=False, **kw)


def new_draft(client: TestClient, **fields: Any) -> str:
    """Create a complete draft through the form; returns its reference."""
    data = {"title": "Academic exchange", "type": "exchange", "owner": "olga@uni.uz",
            "partners": ["Hiroshima University"], "starts": "2020-01-01", "months": "60",
            "forms": ["student exchange"], "on": "2020-01-01"}
    data.update(fields)
    r = post(client, "/agreements/new", data)
    assert r.status_code == 303, r.text
    return str(r.headers["location"]).rsplit("/", 1)[-1]


def agreement_state(app: App, ref: str) -> tuple[str, int, int]:
    """(state, version, number of history events) straight from the services."""
    from workflow.agreements import history, show

    a = show(app.uow(), app.clock(), app.office(), ref)
    return a["state"], a["version"], len(history(app.uow(), ref))
