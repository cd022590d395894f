"""Role refusals live in the services: a named actor below the role is refused before any
work (the web and the API only map the refusal to 403); no actor is the operator at the
command line, who is not checked."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from root import App
from tests.conftest import clock_on
from workflow.errors import NotFound, PermissionDenied

CLOCK = clock_on("2026-03-02")
NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)


@pytest.fixture
def app(sqlite_url: str, tmp_path: Path) -> App:
    from workflow.registry import add_user

    a = App(sqlite_url, reports_dir=tmp_path / "out")
    for email, role in (("vera@uni.uz", "viewer"), ("olga@uni.uz", "officer"),
                        ("root@uni.uz", "admin")):
        add_user(a.uow(), CLOCK, email, email.split("@")[0].title(), role)
    return a


def test_adding_a_partner_needs_an_officer_and_a_refusal_adds_nothing(app: App) -> None:
    from workflow.registry import add_partner, list_partners

    with pytest.raises(PermissionDenied, match="vera@uni.uz \\(viewer\\) may not add partners"):
        add_partner(app.uow(), CLOCK, "Politecnico di Torino", by="vera@uni.uz", country="IT")
    assert list_partners(app.uow()) == []
    added = add_partner(app.uow(), CLOCK, "Politecnico di Torino", by="olga@uni.uz", country="IT")
    operator = add_partner(app.uow(), CLOCK, "Hiroshima University", country="JP")
    assert [p["name"] for p in list_partners(app.uow())] == [operator["name"], added["name"]]


def test_retrying_notifications_needs_an_officer_before_the_row_is_looked_up(app: App) -> None:
    from notifications import outbox

    with pytest.raises(PermissionDenied, match="may not retry notifications"):
        outbox.retry(app.uow(), 999, NOW, by="vera@uni.uz")  # 403 before 404, as the web did
    with pytest.raises(NotFound):
        outbox.retry(app.uow(), 999, NOW, by="olga@uni.uz")
    with pytest.raises(PermissionDenied, match="may not retry notifications"):
        outbox.retry_dead(app.uow(), NOW, by="vera@uni.uz")
    assert outbox.retry_dead(app.uow(), NOW, by="olga@uni.uz") == 0
    assert outbox.retry_dead(app.uow(), NOW) == 0


def test_participant_names_need_an_officer_to_see_or_export(app: App) -> None:
    from workflow.activities import list_activities
    from workflow.activity_transfer import export_rows

    start = app.office().year_start
    for call in (lambda by: list_activities(app.uow(), start, with_names=True, by=by),
                 lambda by: export_rows(app.uow(), with_names=True, by=by)):
        with pytest.raises(PermissionDenied, match="needs role officer"):
            call("vera@uni.uz")
        assert call("olga@uni.uz") == []
    assert list_activities(app.uow(), start, by="vera@uni.uz") == []  # without names: anyone
    assert export_rows(app.uow(), by="vera@uni.uz") == []


def test_verifying_the_file_store_needs_an_admin(app: App, tmp_path: Path) -> None:
    from documents.attachments import verify
    from documents.storage import store_for

    store = store_for(tmp_path / "files")
    with pytest.raises(PermissionDenied, match="may not verify the file store: needs role admin"):
        verify(app.uow(), store, by="olga@uni.uz")
    assert verify(app.uow(), store, by="root@uni.uz")["checked"] == 0


def test_a_non_admin_revokes_only_their_own_tokens(app: App) -> None:
    from workflow.accounts import create_token, list_tokens, revoke_token

    olga = create_token(app.uow(), CLOCK, "olga@uni.uz", "script")
    vera = create_token(app.uow(), CLOCK, "vera@uni.uz", "script")
    with pytest.raises(NotFound):  # someone else's token does not exist for them
        revoke_token(app.uow(), olga["id"], by="vera@uni.uz")
    assert revoke_token(app.uow(), vera["id"], by="vera@uni.uz")["revoked"] is True
    assert revoke_token(app.uow(), olga["id"], by="root@uni.uz")["revoked"] is True
    assert [t["revoked"] for t in list_tokens(app.uow())] == [True, True]


def test_the_new_agreement_form_and_keeping_a_document_ask_the_service(app: App) -> None:
    from documents.service import check_may_attach
    from workflow.agreements import check_may_create

    for check, action in ((lambda by: check_may_create(app.uow(), by), "create agreements"),
                          (lambda by: check_may_attach(app, by), "attach files")):
        with pytest.raises(PermissionDenied, match=f"may not {action}"):
            check("vera@uni.uz")
        check("olga@uni.uz")
        check(None)


def test_the_dashboard_quota_warning_shows_an_officer_their_own_and_approvers_all(
        sqlite_url: str, tmp_path: Path) -> None:
    from datetime import date

    from tests.cli.test_activity_cli import HOME, cli, setup
    from tests.helpers import ok
    from workflow.quota_warnings import under_used_for

    setup(sqlite_url, tmp_path)  # AGR-2024-0001 in force, owned by olga
    ok(cli(sqlite_url, "agreement", "conditions", "add", "AGR-2024-0001", "--kind",
           "student-studies", "--from", HOME, "--to", "Politecnico di Torino", "--years",
           "2025/2026", "--mobilities", "4", "--months", "20", "--language", "en:B2"))
    app = App(sqlite_url, reports_dir=tmp_path / "out", institution=HOME)
    day = date(2026, 6, 1)  # the warning window of 2025/2026 is open

    def shown(by: str) -> list[tuple[str, str, int]]:
        return [(w["ref"], w["academic_year"], w["used"]["mobilities"])
                for w in under_used_for(app.uow(), app.office(), day, by)]

    assert shown("olga@uni.uz") == [("AGR-2024-0001", "2025/2026", 0)]  # the owner
    assert shown("oleg@uni.uz") == []  # another officer: not theirs
    assert shown("anvar@uni.uz") == shown("root@uni.uz") == [("AGR-2024-0001", "2025/2026", 0)]
    assert under_used_for(app.uow(), app.office(), date(2026, 5, 31), "anvar@uni.uz") == []
