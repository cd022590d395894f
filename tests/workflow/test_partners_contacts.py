"""Partners edited field by field and their contact persons: the services (roles, rules,
audit) on both databases, and `hamkor partner edit|show|contact ...`."""

from __future__ import annotations

from pathlib import Path

import pytest

from root import App
from tests.conftest import clock_on
from tests.dbstate import snapshot
from tests.helpers import hamkor, ok, refused
from workflow.errors import Duplicate, Invalid, NotFound, PermissionDenied

CLOCK = clock_on("2026-03-02")


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> App:
    from workflow.registry import add_partner, add_user

    a = App(db_url, reports_dir=tmp_path / "out")
    for email, role in (("olga@uni.uz", "officer"), ("vera@uni.uz", "viewer")):
        add_user(a.uow(), CLOCK, email, email.split("@")[0].title(), role)
    add_partner(a.uow(), CLOCK, "Politecnico di Torino", country="IT", city="Turin")
    add_partner(a.uow(), CLOCK, "Hiroshima University", country="JP", hei_id="hiroshima-u.ac.jp")
    return a


def test_an_officer_edits_every_field_and_the_history_records_old_and_new(app: App) -> None:
    from workflow.partners import edit_partner, partner_detail

    done = edit_partner(app.uow(), CLOCK, "politecnico di torino", {
        "name": "Politecnico  di Torino (PoliTo)", "country": "it", "kind": "university",
        "city": "Torino", "erasmus_code": "I TORINO02", "pic": "999879881",
        "website": "www.polito.it", "hei_id": "polito.it"}, actor_email="olga@uni.uz")
    p = done["partner"]
    assert (p["name"], p["country"], p["city"], p["erasmus_code"], p["pic"], p["website"],
            p["hei_id"]) == ("Politecnico di Torino (PoliTo)", "IT", "Torino", "I TORINO02",
                             "999879881", "www.polito.it", "polito.it")
    assert [c["field"] for c in done["changes"]] == ["name", "city", "erasmus_code", "pic",
                                                     "website", "hei_id"]
    # found under its new name and its hei-id; an empty value clears an optional field
    edit_partner(app.uow(), CLOCK, "polito.it", {"pic": ""}, actor_email="olga@uni.uz")
    d = partner_detail(app.uow(), "politecnico di torino (polito)")
    assert d["partner"]["pic"] is None
    assert [(e["event"], e["actor"]) for e in d["history"]] == [("edit", "olga@uni.uz")] * 2
    assert "city: Turin → Torino" in (d["history"][0]["note"] or "")
    assert d["history"][1]["note"] == "pic: 999879881 → —"


@pytest.mark.parametrize(("changes", "actor", "error", "needle"), [
    ({"city": "Torino"}, "vera@uni.uz", PermissionDenied, "needs role officer"),
    ({"name": "hiroshima   UNIVERSITY"}, "olga@uni.uz", Duplicate, "partner hiroshima"),
    ({"hei_id": "hiroshima-u.ac.jp"}, "olga@uni.uz", Duplicate, "Hiroshima University"),
    ({"hei_id": "Polito.IT"}, "olga@uni.uz", Invalid, "SCHAC"),
    ({"country": "Italia"}, "olga@uni.uz", Invalid, "ISO 3166"),
    ({"country": ""}, "olga@uni.uz", Invalid, "country must not be empty"),
    ({"name": " "}, "olga@uni.uz", Invalid, "partner_name must not be empty"),
    ({"kind": "club"}, "olga@uni.uz", Invalid, "not one of"),
    ({"website": "polito dot it"}, "olga@uni.uz", Invalid, "not a web address"),
    ({"city": "Tor\x00ino"}, "olga@uni.uz", Invalid, "control character"),
    ({"city": "x" * 121}, "olga@uni.uz", Invalid, "at most 120"),
    ({"colour": "red"}, "olga@uni.uz", Invalid, "not one of"),
    ({}, "olga@uni.uz", Invalid, "nothing to change"),
])
def test_a_refused_edit_changes_nothing(app: App, db_url: str, changes: dict[str, str],
                                        actor: str, error: type[Exception], needle: str) -> None:
    from workflow.partners import edit_partner

    before = snapshot(db_url)
    with pytest.raises(error, match=needle):
        edit_partner(app.uow(), CLOCK, "Politecnico di Torino", changes, actor_email=actor)
    assert snapshot(db_url) == before


def test_the_home_institution_keeps_its_configured_name(app: App, db_url: str) -> None:
    from workflow.partners import edit_partner

    before = snapshot(db_url)
    with pytest.raises(Invalid, match="home institution"):
        edit_partner(app.uow(), CLOCK, "Politecnico di Torino", {"name": "PoliTo"},
                     actor_email="olga@uni.uz", home="politecnico di torino")
    assert snapshot(db_url) == before
    done = edit_partner(app.uow(), CLOCK, "Politecnico di Torino", {"city": "Torino"},
                        actor_email="olga@uni.uz", home="Politecnico di Torino")
    assert done["partner"]["city"] == "Torino"


def test_contacts_are_added_edited_listed_signatories_first_and_removed(app: App, db_url: str) -> None:
    from workflow.partners import (
        add_contact,
        agreement_contacts,
        edit_contact,
        list_contacts,
        partner_detail,
        remove_contact,
    )

    coord = add_contact(app.uow(), CLOCK, "Politecnico di Torino", name="Anna Rossi",
                        role="coordinator", email="Anna.Rossi@PoliTo.it", phone="+39 011 090 6254",
                        actor_email="olga@uni.uz")
    assert coord["email"] == "anna.rossi@polito.it"
    sig = add_contact(app.uow(), CLOCK, "Politecnico di Torino", name="Guido Saracco",
                      role="signatory", position="Rector", actor_email="olga@uni.uz")
    assert [c["name"] for c in list_contacts(app.uow(), "Politecnico di Torino")] == \
        ["Anna Rossi", "Guido Saracco"]
    edited = edit_contact(app.uow(), CLOCK, sig["id"], {"name": "Stefano Corgnati", "phone": ""},
                          actor_email="olga@uni.uz")
    assert (edited["name"], edited["position"], edited["phone"]) == ("Stefano Corgnati", "Rector", None)
    before = snapshot(db_url)
    for call, error in [
        (lambda: add_contact(app.uow(), CLOCK, "Politecnico di Torino", name="X", email="x@",
                             actor_email="olga@uni.uz"), "not an email address"),
        (lambda: add_contact(app.uow(), CLOCK, "Politecnico di Torino", name="X", phone="call me",
                             actor_email="olga@uni.uz"), "not a telephone number"),
        (lambda: add_contact(app.uow(), CLOCK, "Politecnico di Torino", name="X", role="boss",
                             actor_email="olga@uni.uz"), "not one of"),
        (lambda: add_contact(app.uow(), CLOCK, "Politecnico di Torino", name="",
                             actor_email="olga@uni.uz"), "name must not be empty"),
        (lambda: add_contact(app.uow(), CLOCK, "Politecnico di Torino", name="X",
                             actor_email="vera@uni.uz"), "needs role officer"),
        (lambda: edit_contact(app.uow(), CLOCK, sig["id"], {"name": "Y"}, partner="Hiroshima University",
                              actor_email="olga@uni.uz"), "no contact"),
        (lambda: remove_contact(app.uow(), CLOCK, 999, actor_email="olga@uni.uz"), "no contact"),
    ]:
        with pytest.raises((Invalid, PermissionDenied, NotFound), match=error):
            call()
    assert snapshot(db_url) == before
    remove_contact(app.uow(), CLOCK, coord["id"], actor_email="olga@uni.uz")
    d = partner_detail(app.uow(), "Politecnico di Torino")
    assert [c["name"] for c in d["contacts"]] == ["Stefano Corgnati"]
    assert [e["event"] for e in d["history"]] == ["contact_added", "contact_added", "contact_edited",
                                                   "contact_removed"]
    assert d["history"][-1]["note"] == "Anna Rossi (coordinator)"
    with pytest.raises(NotFound):
        agreement_contacts(app.uow(), "HMK-2026-999")


def test_cli_edits_partners_and_their_contacts(db_url: str) -> None:
    ok(hamkor(db_url, "user", "add", "olga@uni.uz", "--name", "Olga", "--role", "officer"))
    ok(hamkor(db_url, "user", "add", "vera@uni.uz", "--name", "Vera", "--role", "viewer"))
    ok(hamkor(db_url, "partner", "add", "Politecnico di Torino", "--country", "IT", "--city", "Turin"))
    out = ok(hamkor(db_url, "partner", "edit", "Politecnico di Torino", "--city", "Torino",
                    "--website", "www.polito.it", "--by", "olga@uni.uz")).out
    assert "city: Turin -> Torino" in out and "website: - -> www.polito.it" in out
    j = ok(hamkor(db_url, "partner", "edit", "1", "--pic", "999879881", "--json")).json()
    assert j["pic"] == "999879881" and j["changes"] == [{"field": "pic", "old": None, "new": "999879881"}]
    before = snapshot(db_url)
    refused(hamkor(db_url, "partner", "edit", "1", "--city", "Roma", "--by", "vera@uni.uz"),
            "vera@uni.uz (viewer) may not edit partners")
    refused(hamkor(db_url, "partner", "edit", "1", "--website", "no site"), "--website", "web address")
    refused(hamkor(db_url, "partner", "edit", "1"), "nothing to change")
    refused(hamkor(db_url, "partner", "contact", "add", "1", "--name", "X", "--email", "x@"),
            "--email 'x@' is not an email address")
    assert snapshot(db_url) == before
    c = ok(hamkor(db_url, "partner", "contact", "add", "Politecnico di Torino", "--name", "Guido Saracco",
                  "--role", "signatory", "--position", "Rector", "--email", "rector@polito.it",
                  "--json")).json()
    assert (c["name"], c["role"], c["position"]) == ("Guido Saracco", "signatory", "Rector")
    ok(hamkor(db_url, "partner", "contact", "edit", str(c["id"]), "--phone", "+39 011 090 6000"))
    listed = ok(hamkor(db_url, "partner", "contact", "list", "1")).out
    assert "Guido Saracco" in listed and "+39 011 090 6000" in listed
    shown = ok(hamkor(db_url, "partner", "show", "1")).out
    assert "contact_added by system" in shown and "edit by olga@uni.uz" in shown
    ok(hamkor(db_url, "partner", "contact", "remove", str(c["id"])))
    assert ok(hamkor(db_url, "partner", "contact", "list", "1", "--json")).json() == []
    refused(hamkor(db_url, "partner", "contact", "remove", str(c["id"])), f"no contact {c['id']}")
