"""Passwords and API tokens: the services and the `hamkor user` commands."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from root import App
from tests.helpers import hamkor, ok, refused
from tests.web.conftest import PASSWORD


def test_password_is_stored_as_argon2_and_verified(hamkor_app: App) -> None:
    from models import User
    from workflow.accounts import SignInFailed, verify_password

    with hamkor_app.uow() as uow:
        stored = uow.session.scalar(select(User.password_hash).where(User.email == "olga@uni.uz"))
    assert stored and stored.startswith("$argon2id$") and PASSWORD not in stored
    assert verify_password(hamkor_app.uow(), " OLGA@uni.uz ", PASSWORD)["role"] == "officer"
    for email, password in [("olga@uni.uz", PASSWORD + "x"), ("ghost@uni.uz", PASSWORD)]:
        with pytest.raises(SignInFailed):
            verify_password(hamkor_app.uow(), email, password)


def test_weak_passwords_are_refused(hamkor_app: App) -> None:
    from workflow.accounts import set_password, verify_password
    from workflow.errors import Invalid, NotFound

    for bad, why in [("short", "at least 10"), ("olga@uni.uz", "must not be the email")]:
        with pytest.raises(Invalid, match=why):
            set_password(hamkor_app.uow(), "olga@uni.uz", bad)
    with pytest.raises(NotFound):
        set_password(hamkor_app.uow(), "ghost@uni.uz", "long enough secret")
    assert verify_password(hamkor_app.uow(), "olga@uni.uz", PASSWORD)  # unchanged


def test_token_is_shown_once_and_only_its_hash_is_kept(hamkor_app: App) -> None:
    from models import ApiToken
    from workflow.accounts import (
        authenticate_token,
        create_token,
        list_tokens,
        revoke_token,
        token_sha256,
    )

    t = create_token(hamkor_app.uow(), hamkor_app.clock(), "anvar@uni.uz", "  nightly   export ")
    assert t["token"].startswith("hmk_") and t["name"] == "nightly export"
    with hamkor_app.uow() as uow:
        rows = [(r.name, r.token_sha256) for r in uow.session.scalars(select(ApiToken))]
    assert rows == [("nightly export", token_sha256(t["token"]))]
    assert authenticate_token(hamkor_app.uow(), hamkor_app.clock(), t["token"])["email"] == "anvar@uni.uz"
    assert list_tokens(hamkor_app.uow(), "anvar@uni.uz")[0]["last_used_at"] is not None
    assert authenticate_token(hamkor_app.uow(), hamkor_app.clock(), t["token"] + "x") is None
    revoke_token(hamkor_app.uow(), t["id"])
    assert authenticate_token(hamkor_app.uow(), hamkor_app.clock(), t["token"]) is None


def test_cli_set_password_and_tokens(db_url: str) -> None:
    ok(hamkor(db_url, "user", "add", "olga@uni.uz", "--name", "Olga", "--role", "officer"))
    ok(hamkor(db_url, "user", "set-password", "olga@uni.uz", "--password-stdin",
              input="a long enough secret\n"))
    r = ok(hamkor(db_url, "user", "set-password", "olga@uni.uz",
                  input="another long secret\nanother long secret\n"))
    assert "password set for olga@uni.uz" in r.out
    refused(hamkor(db_url, "user", "set-password", "olga@uni.uz", "--password-stdin", input="short\n"),
            "at least 10 characters")
    refused(hamkor(db_url, "user", "set-password", "ghost@uni.uz", "--password-stdin",
                   input="a long enough secret\n"), "no user ghost@uni.uz")
    created = ok(hamkor(db_url, "user", "token", "create", "olga@uni.uz", "--name", "laptop"))
    token = created.out.strip()
    assert token.startswith("hmk_") and "will not be shown again" in created.err
    listed = ok(hamkor(db_url, "user", "token", "list", "--json")).json()
    assert [(x["id"], x["user"], x["name"], x["revoked"]) for x in listed] == [(1, "olga@uni.uz", "laptop", False)]
    assert token not in ok(hamkor(db_url, "user", "token", "list")).out
    assert "revoked token 1 (laptop) of olga@uni.uz" in ok(hamkor(db_url, "user", "token", "revoke", "1")).out
    assert ok(hamkor(db_url, "user", "token", "list", "--json")).json()[0]["revoked"] is True
    refused(hamkor(db_url, "user", "token", "revoke", "99"), "no API token 99")
    refused(hamkor(db_url, "user", "token", "create", "olga@uni.uz", "--name", " "), "must not be empty")
