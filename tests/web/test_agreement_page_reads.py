"""The agreement page reads the agreement once: one statement for the agreement, its
parties, owner, the user asking, its surroundings, its predecessor and whether it has
successors, conditions, files, activities or contact persons; then one for its history
and one for each of those it has."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

from root import App
from tests.web.conftest import sign_in
from tests.web.test_outbox_reports import active_agreement

#: The table of a statement's first column.
_TABLE = re.compile(r"^\s*SELECT\s+(?:DISTINCT\s+)?(\w+)\.", re.IGNORECASE)


def page_reads(app: App, client: TestClient, path: str) -> tuple[str, list[str]]:
    """The page and the table of each of its statements' first column (in order; the
    BEGIN that SQLite's connections send is left out)."""
    seen: list[str] = []

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        m = _TABLE.search(statement)
        if statement.strip().upper() != "BEGIN":
            seen.append(m.group(1).lower() if m else statement.split()[0].upper())

    event.listen(app.engine, "before_cursor_execute", on_execute)
    try:
        r = client.get(path)
    finally:
        event.remove(app.engine, "before_cursor_execute", on_execute)
    assert r.status_code == 200, r.text
    return r.text, seen


def test_an_agreement_with_nothing_related_is_shown_in_three_statements(
        client: TestClient, hamkor_app: App) -> None:
    ref = active_agreement(hamkor_app)
    sign_in(client, "root@uni.uz")
    html, reads = page_reads(hamkor_app, client, f"/agreements/{ref}")
    # The signed-in user; the agreement with all it needs; its history.
    assert reads == ["users", "agreements", "events"], reads
    assert "Hiroshima University" in html and "Activate" in html


def test_successors_and_contact_persons_are_read_only_when_there_are_some(
        client: TestClient, hamkor_app: App) -> None:
    from workflow.agreements import renew
    from workflow.partners import add_contact

    app = hamkor_app
    ref = active_agreement(app)
    successor = renew(app.uow(), app.clock(), app.office(), ref, by="olga@uni.uz")["ref"]
    add_contact(app.uow(), app.clock(), "Hiroshima University", name="Kenji Sato",
                role="signatory", email="kenji@hiroshima.example", actor_email="root@uni.uz")
    sign_in(client, "root@uni.uz")
    html, reads = page_reads(app, client, f"/agreements/{ref}")
    assert reads == ["users", "agreements", "agreements", "events", "partner_contacts"], reads
    assert f'<a href="/agreements/{successor}">{successor}</a>' in html
    assert "Kenji Sato" in html
    # The successor: its predecessor's reference comes with it, not in a statement of its own.
    html, reads = page_reads(app, client, f"/agreements/{successor}")
    assert reads == ["users", "agreements", "events", "partner_contacts"], reads
    assert f'<a href="/agreements/{ref}">{ref}</a>' in html
