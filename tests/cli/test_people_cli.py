"""`hamkor user` and `hamkor partner` on both databases."""

from __future__ import annotations

import pytest

from tests.dbstate import snapshot
from tests.helpers import hamkor, ok, refused


def test_users_are_added_and_listed_as_json(db_url: str) -> None:
    out = ok(hamkor(db_url, "user", "add", "Olga@Uni.uz", "--name", "Olga", "--role", "officer",
                    "--json")).json()
    assert out == {"email": "olga@uni.uz", "name": "Olga", "role": "officer", "active": True,
                   "lang": "en"}
    ok(hamkor(db_url, "user", "add", "anvar@uni.uz", "--name", "Anvar", "--role", "approver"))
    users = ok(hamkor(db_url, "user", "list", "--json")).json()
    assert [u["email"] for u in users] == ["anvar@uni.uz", "olga@uni.uz"]
    assert "olga@uni.uz" in ok(hamkor(db_url, "user", "list")).out


def test_a_users_mail_language_is_set_when_added_and_changed_by_user_edit(db_url: str) -> None:
    out = ok(hamkor(db_url, "user", "add", "dilnoza@uni.uz", "--name", "Dilnoza", "--role",
                    "officer", "--lang", "uz", "--json")).json()
    assert out["lang"] == "uz"
    edited = ok(hamkor(db_url, "user", "edit", "dilnoza@uni.uz", "--lang", "ru", "--name",
                       "Dilnoza R.", "--role", "approver", "--json")).json()
    assert (edited["lang"], edited["name"], edited["role"]) == ("ru", "Dilnoza R.", "approver")
    assert "ru" in ok(hamkor(db_url, "user", "list")).out.splitlines()[-1]


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["dilnoza@uni.uz", "--lang", "de"], "language 'de' is not one of en, uz, ru"),
     (["dilnoza@uni.uz"], "nothing to change"),
     (["dilnoza@uni.uz", "--role", "boss"], "role 'boss'"),
     (["dilnoza@uni.uz", "--name", "  "], "name must not be empty"),
     (["nobody@uni.uz", "--lang", "ru"], "nobody@uni.uz")],
)
def test_a_refused_user_edit_changes_nothing(db_url: str, args: list[str], needle: str) -> None:
    ok(hamkor(db_url, "user", "add", "dilnoza@uni.uz", "--name", "Dilnoza", "--role", "officer"))
    before = snapshot(db_url)
    refused(hamkor(db_url, "user", "edit", *args), needle)
    assert snapshot(db_url) == before


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["olga@uni.uz", "--name", "Again", "--role", "officer"], "already exists"),
     (["not-an-email", "--name", "X", "--role", "officer"], "not an email"),
     (["x@uni.uz", "--name", "X", "--role", "boss"], "role 'boss'"),
     (["x@uni.uz", "--name", "X", "--role", "officer", "--lang", "fr"], "language 'fr'")],
)
def test_bad_users_are_refused_and_nothing_changes(db_url: str, args: list[str], needle: str) -> None:
    ok(hamkor(db_url, "user", "add", "olga@uni.uz", "--name", "Olga", "--role", "officer"))
    before = snapshot(db_url)
    refused(hamkor(db_url, "user", "add", *args), needle)
    assert snapshot(db_url) == before


def test_partners_are_unique_ignoring_case_and_spaces(db_url: str) -> None:
    p = ok(hamkor(db_url, "partner", "add", "Shandong  Jianzhu University", "--country", "cn",
                  "--city", "Jinan", "--json")).json()
    assert p["name"] == "Shandong Jianzhu University" and p["country"] == "CN" and p["kind"] == "university"
    before = snapshot(db_url)
    refused(hamkor(db_url, "partner", "add", "shandong jianzhu   UNIVERSITY", "--country", "CN"),
            "already exists")
    assert snapshot(db_url) == before
    ok(hamkor(db_url, "partner", "add", "Balcom", "--country", "JP", "--kind", "company"))
    listed = ok(hamkor(db_url, "partner", "list", "--json")).json()
    assert [(x["name"], x["kind"]) for x in listed] == [
        ("Balcom", "company"), ("Shandong Jianzhu University", "university")]
    assert set(listed[0]) >= {"id", "name", "country", "kind", "city"}


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["--country", "XX"], "ISO 3166"), (["--country", "Japan"], "ISO 3166"),
     (["--country", "JP", "--kind", "club"], "kind 'club'")],
)
def test_bad_partners_are_refused(db_url: str, args: list[str], needle: str) -> None:
    before = snapshot(db_url)
    refused(hamkor(db_url, "partner", "add", "Somewhere", *args), needle)
    assert snapshot(db_url) == before


def test_a_missing_required_option_is_a_usage_error(db_url: str) -> None:
    result = hamkor(db_url, "partner", "add", "Somewhere")
    assert result.code == 2 and "--country" in result.err
