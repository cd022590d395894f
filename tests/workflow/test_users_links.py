"""User administration and one-time set-password links: the services on both databases
(admins only, last admin kept, links hashed, single use, expiring, replaced, mailed in the
user's language when mail is configured) and `hamkor user reset-link|deactivate|reactivate`."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from root import App
from tests.conftest import clock_on
from tests.dbstate import snapshot
from tests.helpers import hamkor, ok, refused
from workflow.clock import Clock
from workflow.errors import Duplicate, Invalid, PermissionDenied

CLOCK = clock_on("2026-03-02")
PASSWORD = "correct horse battery"


def later(clock: Clock, **delta: float) -> Clock:
    return Clock(clock.utcnow + timedelta(**delta), clock.zone)


@pytest.fixture(autouse=True)
def _cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    from workflow import accounts

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> App:
    from workflow.registry import add_user

    a = App(db_url, reports_dir=tmp_path / "out", base_url="https://hamkor.uni.uz")
    add_user(a.uow(), CLOCK, "root@uni.uz", "Root Admin", "admin")
    add_user(a.uow(), CLOCK, "olga@uni.uz", "Olga Karimova", "officer", "uz")
    return a


def outbox(app: App) -> list[tuple[str, str, str, str]]:
    from models import Notification

    with app.uow() as uow:
        return [(n.kind, n.to_addr, n.subject, n.body_text) for n in
                uow.session.scalars(select(Notification).order_by(Notification.id))]


def test_an_admin_adds_a_user_who_sets_a_password_once_through_the_mailed_link(app: App) -> None:
    from models import PasswordLink
    from workflow.accounts import verify_password
    from workflow.users import add_user, link_user, use_link

    added = add_user(app.uow(), CLOCK, "Nodir@Uni.uz", "Nodir Aliyev", "officer", "ru",
                     actor_email="root@uni.uz", mailer=app.password_mailer(CLOCK))
    assert (added.user.email, added.user.active, added.user.has_password) == ("nodir@uni.uz", True, False)
    link = added.link
    assert link.mailed and link.purpose == "invite" and link.expires_at == CLOCK.utcnow + timedelta(hours=72)
    with app.uow() as uow:  # only the token's hash is kept
        stored = uow.session.scalars(select(PasswordLink.token_sha256)).all()
    assert stored == [hashlib.sha256(link.token.encode()).hexdigest()]
    [(kind, to, subject, body)] = outbox(app)
    assert (kind, to, subject) == ("account", "nodir@uni.uz", "Задайте пароль для Hamkor")
    assert f"https://hamkor.uni.uz/password/{link.token}" in body and "Nodir Aliyev" in body
    assert link_user(app.uow(), CLOCK, link.token).email == "nodir@uni.uz"
    with pytest.raises(Invalid, match="at least 10"):
        use_link(app.uow(), CLOCK, link.token, "short")
    use_link(app.uow(), later(CLOCK, hours=1), link.token, PASSWORD)
    assert verify_password(app.uow(), "nodir@uni.uz", PASSWORD)["email"] == "nodir@uni.uz"
    with pytest.raises(Invalid, match="unknown, used"):  # single use
        use_link(app.uow(), later(CLOCK, hours=2), link.token, "another good password")


def test_a_link_expires_and_a_newer_one_replaces_it(app: App) -> None:
    from workflow.users import issue_link, link_user

    first = issue_link(app.uow(), CLOCK, "olga@uni.uz", actor_email="root@uni.uz")
    assert not first.mailed  # no mailer given: the admin hands it over
    second = issue_link(app.uow(), CLOCK, "olga@uni.uz", actor_email=None)
    with pytest.raises(Invalid, match="replaced by a newer one"):
        link_user(app.uow(), CLOCK, first.token)
    assert link_user(app.uow(), later(CLOCK, hours=71), second.token).email == "olga@uni.uz"
    with pytest.raises(Invalid, match="expired"):
        link_user(app.uow(), later(CLOCK, hours=72), second.token)
    with pytest.raises(Invalid):
        link_user(app.uow(), CLOCK, "")


def test_only_admins_administer_and_the_last_admin_stays(app: App, db_url: str) -> None:
    from workflow.users import add_user, change_user, issue_link, list_users, set_active

    before = snapshot(db_url)
    for call, error, needle in [
        (lambda: add_user(app.uow(), CLOCK, "x@uni.uz", "X", "viewer", actor_email="olga@uni.uz"),
         PermissionDenied, "needs role admin"),
        (lambda: list_users(app.uow(), actor_email="olga@uni.uz"), PermissionDenied, "needs role admin"),
        (lambda: issue_link(app.uow(), CLOCK, "root@uni.uz", actor_email="olga@uni.uz"),
         PermissionDenied, "needs role admin"),
        (lambda: add_user(app.uow(), CLOCK, "OLGA@uni.uz", "Olga", "viewer", actor_email="root@uni.uz"),
         Duplicate, "already exists"),
        (lambda: add_user(app.uow(), CLOCK, "x@", "X", "viewer", actor_email="root@uni.uz"),
         Invalid, "not an email address"),
        (lambda: add_user(app.uow(), CLOCK, "x@uni.uz", "X", "boss", actor_email="root@uni.uz"),
         Invalid, "not one of"),
        (lambda: change_user(app.uow(), "root@uni.uz", role="viewer", actor_email="root@uni.uz"),
         Invalid, "own account"),
        (lambda: change_user(app.uow(), "root@uni.uz", role="viewer", actor_email=None),
         Invalid, "last active admin"),
        (lambda: set_active(app.uow(), CLOCK, "root@uni.uz", False, actor_email="root@uni.uz"),
         Invalid, "own account"),
        (lambda: set_active(app.uow(), CLOCK, "root@uni.uz", False, actor_email=None),
         Invalid, "last active admin"),
        (lambda: change_user(app.uow(), "olga@uni.uz", actor_email="root@uni.uz"),
         Invalid, "nothing to change"),
    ]:
        with pytest.raises(error, match=needle):
            call()
    assert snapshot(db_url) == before
    u = change_user(app.uow(), "olga@uni.uz", role="approver", lang="en", actor_email="root@uni.uz")
    assert (u.role, u.lang) == ("approver", "en")


def test_deactivation_ends_sign_in_tokens_and_links_until_reactivated(app: App) -> None:
    from workflow.accounts import (
        SignInFailed,
        authenticate_token,
        create_token,
        set_password,
        verify_password,
    )
    from workflow.users import issue_link, link_user, set_active

    set_password(app.uow(), "olga@uni.uz", PASSWORD)
    token = create_token(app.uow(), CLOCK, "olga@uni.uz", "script")["token"]
    link = issue_link(app.uow(), CLOCK, "olga@uni.uz", actor_email="root@uni.uz")
    assert not set_active(app.uow(), CLOCK, "olga@uni.uz", False, actor_email="root@uni.uz").active
    with pytest.raises(SignInFailed):
        verify_password(app.uow(), "olga@uni.uz", PASSWORD)
    assert authenticate_token(app.uow(), CLOCK, token) is None
    with pytest.raises(Invalid, match="unknown, used"):
        link_user(app.uow(), CLOCK, link.token)
    with pytest.raises(Invalid, match="deactivated"):
        issue_link(app.uow(), CLOCK, "olga@uni.uz", actor_email="root@uni.uz")
    set_active(app.uow(), CLOCK, "olga@uni.uz", True, actor_email="root@uni.uz")
    assert verify_password(app.uow(), "olga@uni.uz", PASSWORD)["email"] == "olga@uni.uz"


def test_forgot_password_mails_active_users_only_at_most_once_per_cooldown(app: App) -> None:
    from workflow.users import request_reset, set_active

    mailer = app.password_mailer(CLOCK)
    assert mailer is not None
    assert request_reset(app.uow(), CLOCK, " OLGA@uni.uz ", mailer)
    assert not request_reset(app.uow(), later(CLOCK, minutes=5), "olga@uni.uz", mailer)  # cooldown
    assert not request_reset(app.uow(), CLOCK, "nobody@uni.uz", mailer)
    assert not request_reset(app.uow(), CLOCK, "x" * 300, mailer)
    mails = outbox(app)
    assert [(k, to) for k, to, _s, _b in mails] == [("account", "olga@uni.uz")]
    assert mails[0][2] == "Hamkor uchun yangi parol o‘rnating"  # her language: Uzbek
    assert request_reset(app.uow(), later(CLOCK, minutes=11), "olga@uni.uz", mailer)
    set_active(app.uow(), CLOCK, "olga@uni.uz", False, actor_email=None)
    assert not request_reset(app.uow(), later(CLOCK, hours=1), "olga@uni.uz", mailer)
    assert len(outbox(app)) == 2


def test_no_base_url_no_mail(db_url: str, tmp_path: Path) -> None:
    assert App(db_url, reports_dir=tmp_path).password_mailer(CLOCK) is None


def test_cli_reset_link_deactivate_and_reactivate(db_url: str) -> None:
    ok(hamkor(db_url, "user", "add", "root@uni.uz", "--name", "Root", "--role", "admin"))
    ok(hamkor(db_url, "user", "add", "olga@uni.uz", "--name", "Olga", "--role", "officer"))
    r = ok(hamkor(db_url, "user", "reset-link", "olga@uni.uz"))
    assert r.out.startswith("/password/") and "HAMKOR_BASE_URL" in r.err
    j = ok(hamkor(db_url, "user", "reset-link", "olga@uni.uz", "--by", "root@uni.uz", "--json",
                  env={"HAMKOR_BASE_URL": "https://hamkor.uni.uz"})).json()
    assert j["link"].startswith("https://hamkor.uni.uz/password/") and j["mailed"] is True
    before = snapshot(db_url)
    refused(hamkor(db_url, "user", "reset-link", "olga@uni.uz", "--by", "olga@uni.uz"),
            "olga@uni.uz (officer) may not make set-password links")
    refused(hamkor(db_url, "user", "reset-link", "ghost@uni.uz"), "no user ghost@uni.uz")
    refused(hamkor(db_url, "user", "deactivate", "root@uni.uz"), "last active admin")
    assert snapshot(db_url) == before
    assert ok(hamkor(db_url, "user", "deactivate", "olga@uni.uz")).out.strip() == "olga@uni.uz is deactivated"
    refused(hamkor(db_url, "user", "reset-link", "olga@uni.uz"), "deactivated")
    assert ok(hamkor(db_url, "user", "reactivate", "olga@uni.uz")).out.strip() == "olga@uni.uz is active"
    added = ok(hamkor(db_url, "user", "add", "nodir@uni.uz", "--name", "Nodir", "--role", "viewer",
                      "--link", "--json")).json()
    assert added["email"] == "nodir@uni.uz" and added["link"].startswith("/password/")
    assert added["has_password"] is False
    before = snapshot(db_url)
    refused(hamkor(db_url, "user", "add", "nodir@uni.uz", "--name", "N", "--role", "viewer", "--link"),
            "already exists")
    assert snapshot(db_url) == before
