"""A page assembled from several services reads in one session (web/unit.py): one
connection checkout for all its parts, and a unit that refuses to write."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from root import App
from tests.web.conftest import sign_in
from tests.web.test_outbox_reports import active_agreement
from web.unit import SharedReadUnit, one_unit


def checkouts(app: App, client: TestClient, path: str) -> int:
    seen: list[Any] = []

    def on_checkout(*args: Any) -> None:
        seen.append(args)

    event.listen(app.engine.pool, "checkout", on_checkout)
    try:
        r = client.get(path)
    finally:
        event.remove(app.engine.pool, "checkout", on_checkout)
    assert r.status_code == 200, r.text
    return len(seen)


def test_the_agreement_page_and_the_dashboard_read_in_one_session_besides_the_sign_in(
        client: TestClient, hamkor_app: App) -> None:
    ref = active_agreement(hamkor_app)
    sign_in(client, "root@uni.uz")
    # The signed-in user is checked in its own session; everything the page shows
    # (agreement, history, EWP details, files, activities, contacts) in one more.
    assert checkouts(hamkor_app, client, f"/agreements/{ref}") == 2
    assert checkouts(hamkor_app, client, "/") == 2
    # The register: the search, the partner box and the filters' choices (countries,
    # departments, owners) in one session, which took four. The first list after a new
    # agreement also brings the search index up to date, in a unit of its own (it
    # writes), and then reads on in a fresh snapshot that has the new documents.
    assert checkouts(hamkor_app, client, "/agreements?state=active") == 4
    assert checkouts(hamkor_app, client, "/agreements?state=active") == 2


def statements(app: App, client: TestClient, path: str) -> list[str]:
    seen: list[str] = []

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's, emitted by the engine
            seen.append(statement)

    event.listen(app.engine, "before_cursor_execute", on_execute)
    try:
        r = client.get(path)
    finally:
        event.remove(app.engine, "before_cursor_execute", on_execute)
    assert r.status_code == 200, r.text
    return seen


def test_the_register_counts_and_pages_in_one_statement_when_few_match(
        client: TestClient, hamkor_app: App) -> None:
    ref = active_agreement(hamkor_app)
    sign_in(client, "root@uni.uz")
    client.get("/agreements")  # the search index brought up to date
    # The signed-in user; the search index's freshness; the matches counted and their page
    # in one statement; the page's agreements and their parties; countries, departments
    # and owners for the filters.
    for path in ("/agreements?state=active", "/agreements?state=active&country=JP"):
        assert len(statements(hamkor_app, client, path)) == 8, path
    # A search box: counted, then its page (its count stops early along the index).
    assert len(statements(hamkor_app, client, "/agreements?q=" + ref)) == 9
    # No match: no agreements to read.
    assert len(statements(hamkor_app, client, "/agreements?q=no-such-words-anywhere")) == 7
    assert len(statements(hamkor_app, client, "/agreements?state=active&country=ZZ")) == 6


def test_the_shared_unit_is_one_session_for_nested_blocks_and_refuses_to_write(hamkor_app: App) -> None:
    from workflow.agreements import show

    with one_unit(hamkor_app) as app:
        unit = app.uow()
        assert isinstance(unit, SharedReadUnit) and app.uow() is unit
        outer = unit.session
        with app.uow() as inner:
            assert inner.session is outer
        assert unit.session is outer  # still open after the inner block
        assert show(app.uow(), app.clock(), app.office(), active_agreement(hamkor_app))["state"] == "active"
        with pytest.raises(RuntimeError, match="read-only"):
            unit.commit()
        with pytest.raises(RuntimeError, match="read-only"):
            unit.writing()
        assert app.clock() is app.clock() and app.office() is app.office()
    with pytest.raises(RuntimeError, match="outside its `with` block"):
        unit.session  # noqa: B018 - closed with the outermost block
