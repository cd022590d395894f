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
    # The register: besides the signed-in user's and the search's own units (the search
    # may update the search index), one session for the partner box and the filters'
    # choices (countries, departments, owners), which took three.
    assert checkouts(hamkor_app, client, "/agreements?state=active") == 5


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
