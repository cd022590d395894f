"""Every operation of the command line has an endpoint in the JSON API (issue 18): the
OpenAPI document is checked against the CLI's own command tree, so a new command without
an endpoint -- or an endpoint that disappears -- fails here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest
from fastapi.testclient import TestClient

from root import App
from tests.web.test_api import token_for

#: CLI command -> the API operations that do its work ("METHOD /path" as in OpenAPI).
API_FOR: dict[str, list[str]] = {
    "activity add": ["POST /api/activities"],
    "activity edit": ["PATCH /api/activities/{activity_id}"],
    "activity export": ["GET /api/activities/export.csv"],
    "activity import": ["POST /api/activities/import"],
    "activity list": ["GET /api/activities"],
    "activity remove": ["POST /api/activities/{activity_id}/remove",
                        "POST /api/activities/{activity_id}/remove-names"],
    "activity show": ["GET /api/activities/{activity_id}"],
    "agreement advance": ["POST /api/agreements/{ref}/events"],
    "agreement attach": ["POST /api/agreements/{ref}/files"],
    "agreement conditions add": ["POST /api/agreements/{ref}/conditions"],
    "agreement conditions list": ["GET /api/agreements/{ref}/conditions"],
    "agreement conditions remove": ["DELETE /api/agreements/{ref}/conditions/{n}"],
    "agreement create": ["POST /api/agreements"],
    "agreement detach": ["POST /api/agreements/{ref}/files/{file_id}/detach"],
    "agreement document": ["POST /api/agreements/{ref}/document"],
    "agreement file": ["GET /api/agreements/{ref}/files/{file_id}/content"],
    "agreement files": ["GET /api/agreements/{ref}/files"],
    "agreement history": ["GET /api/agreements/{ref}/history"],
    "agreement list": ["GET /api/agreements"],
    "agreement renew": ["POST /api/agreements/{ref}/renew"],
    "agreement show": ["GET /api/agreements/{ref}"],
    "calendar export": ["GET /api/me/calendar.ics"],
    "diagram": ["GET /api/lifecycle"],
    "ewp approvals export": ["GET /api/ewp/approvals"],
    "ewp approvals import": ["POST /api/ewp/approvals/import"],
    "ewp approve": ["POST /api/agreements/{ref}/ewp/approve"],
    "ewp export": ["GET /api/ewp/iias"],
    "ewp hash": ["POST /api/ewp/hash"],
    "ewp import": ["POST /api/ewp/iias/import"],
    "ewp status": ["GET /api/ewp/status"],
    "export": ["GET /api/agreements/export.{fmt}"],
    "files verify": ["POST /api/files/verify"],
    "import": ["POST /api/import"],
    "outbox list": ["GET /api/outbox"],
    "outbox retry": ["POST /api/outbox/{row_id}/retry", "POST /api/outbox/retry-dead"],
    "outbox show": ["GET /api/outbox/{row_id}"],
    "partner add": ["POST /api/partners"],
    "partner contact add": ["POST /api/partners/{partner}/contacts"],
    "partner contact edit": ["PATCH /api/partners/{partner}/contacts/{contact_id}"],
    "partner contact list": ["GET /api/partners/{partner}/contacts"],
    "partner contact remove": ["DELETE /api/partners/{partner}/contacts/{contact_id}"],
    "partner edit": ["PATCH /api/partners/{partner}"],
    "partner list": ["GET /api/partners"],
    "partner show": ["GET /api/partners/{partner}"],
    "report annual": ["POST /api/reports", "GET /api/reports/{report_id}/file"],
    "report list": ["GET /api/reports"],
    "user add": ["POST /api/admin/users"],
    "user deactivate": ["POST /api/admin/users/{email}/deactivate"],
    "user edit": ["PATCH /api/admin/users/{email}"],
    "user list": ["GET /api/admin/users"],
    "user reactivate": ["POST /api/admin/users/{email}/reactivate"],
    "user reset-link": ["POST /api/admin/users/{email}/link"],
    # A password is never sent through the API: a set-password link is (the user opens it).
    "user set-password": ["POST /api/admin/users/{email}/link"],
    "user token create": ["POST /api/me/tokens"],
    "user token list": ["GET /api/me/tokens"],
    "user token revoke": ["POST /api/me/tokens/{token_id}/revoke"],
}

#: Commands that run or set up the installation rather than the office's work, and why.
NOT_OFFICE_WORK = {
    "db current": "the schema version: an operator's task on the server",
    "db downgrade": "an operator's task on the server, with the server stopped",
    "db upgrade": "an operator's task on the server, before it starts",
    "demo": "makes a new demo database and folder",
    "serve": "starts the web server itself",
    "tick": "the worker's daily job (`hamkor worker`), not a person's",
    "worker": "runs the scheduler",
}


def cli_commands() -> list[str]:
    from cli.main import cli

    def walk(cmd: click.Command, prefix: tuple[str, ...]) -> list[str]:
        if isinstance(cmd, click.Group):
            ctx = click.Context(cmd)
            out: list[str] = []
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                assert sub is not None
                out += walk(sub, (*prefix, name))
            return out
        return [" ".join(prefix)]

    return walk(cli, ())


def api_operations(app: App) -> set[str]:
    from web.app import create_app

    spec = create_app(app, secret="s" * 40).openapi()
    return {f"{method.upper()} {path}" for path, ops in spec["paths"].items() for method in ops}


def test_every_cli_command_is_mapped_to_the_api_or_said_why_not() -> None:
    commands = set(cli_commands())
    unmapped = commands - API_FOR.keys() - NOT_OFFICE_WORK.keys()
    assert not unmapped, f"commands without an API endpoint: {sorted(unmapped)}"
    gone = (API_FOR.keys() | NOT_OFFICE_WORK.keys()) - commands
    assert not gone, f"mapped commands that no longer exist: {sorted(gone)}"


def test_every_mapped_endpoint_is_in_the_openapi_document(tmp_path: Path) -> None:
    app = App(f"sqlite:///{tmp_path / 'h.db'}")
    try:
        operations = api_operations(app)
    finally:
        app.close()
    missing = {cmd: [op for op in ops if op not in operations] for cmd, ops in API_FOR.items()}
    assert {cmd: ops for cmd, ops in missing.items() if ops} == {}


@pytest.fixture
def officer(hamkor_app: App) -> dict[str, str]:
    return token_for(hamkor_app, "olga@uni.uz")


def test_ewp_hash_over_the_api_recomputes_every_iia_hash_and_stores_nothing(
        client: TestClient, officer: dict[str, Any]) -> None:
    xml = (Path(__file__).parents[1] / "ewp" / "data" / "get-response-v7.xml").read_bytes()
    r = client.post("/api/ewp/hash", content=xml, headers={**officer, "content-type": "application/xml"})
    assert r.status_code == 200, r.text
    rows = r.json()
    assert rows and all(len(row["computed"]) == 64 for row in rows)
    assert all(row["matches"] for row in rows if row["declared"])
    bad = client.post("/api/ewp/hash", content=b"<not-closed", headers={**officer, "content-type": "application/xml"})
    assert bad.status_code == 422 and "XML" in bad.json()["detail"]
    from tests.ewp.test_iia_hash import iia_xml, response

    two_ids = response(iia_xml(partner_id="<iia-id>a</iia-id><iia-id>b</iia-id>"))
    bad = client.post("/api/ewp/hash", content=two_ids, headers={**officer, "content-type": "application/xml"})
    assert bad.status_code == 422 and bad.json()["code"] == "ewp.hash_ambiguous"
    assert bad.json()["detail"] == "partner/iia-id: 2 elements where the iia-hash's XSLT accepts one"
