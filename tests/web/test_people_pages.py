"""Partners (edit, contact persons), user administration and set-password links on the web
and the JSON API: the same services and role rules as the CLI, refusals worded in the
reader's language, nothing changed by a refusal."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from root import App
from tests.dbstate import snapshot
from tests.web.conftest import (
    PASSWORD,
    clients_of,
    csrf_of,
    new_draft,
    post,
    seeded_app,
    sign_in,
)
from tests.web.test_api import token_for

LINK = re.compile(r'id="set-password-link">(?:https?://[^/]+)?(/password/[^<]+)<')


@pytest.fixture(autouse=True)
def _fresh_throttle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with the "forgot password" allowance of a new server process."""
    from web import people

    monkeypatch.setattr(people, "forgot_throttle", people._Throttle())


def records(db_url: str) -> dict[str, object]:
    """Every table but the API tokens' use times (a request notes its token's use)."""
    return {k: v for k, v in snapshot(db_url).items() if k != "api_tokens"}


def labelled(html: str) -> None:
    ids = set(re.findall(r'<label for="([^"]+)"', html))
    for tag_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html):
        assert tag_id in ids, f"input #{tag_id} has no label"


# --- partners -------------------------------------------------------------------------------


def test_an_officer_edits_a_partner_and_its_contacts_shown_on_the_agreement(client: TestClient) -> None:
    sign_in(client, "olga@uni.uz")
    ref = new_draft(client, partners=["Politecnico di Torino"])
    page = client.get("/partners")
    assert '<a href="/partners/2">Politecnico di Torino</a>' in page.text
    html = client.get("/partners/2").text
    labelled(html)
    r = post(client, "/partners/2/edit", {"name": "Politecnico di Torino", "country": "IT",
                                          "kind": "university", "city": "Torino",
                                          "erasmus_code": "I TORINO02", "pic": "999879881",
                                          "website": "www.polito.it", "hei_id": "polito.it"})
    assert r.status_code == 303 and r.headers["location"] == "/partners/2"
    html = client.get("/partners/2").text
    assert "Saved: 5 field(s) changed." in html and "<code>polito.it</code>" in html
    assert "<strong>City:</strong> Turin → Torino" in html and "olga@uni.uz" in html
    assert "<strong>hei-id:</strong> — → polito.it" in html
    r = post(client, "/partners/2/contacts", {"name": "Guido Saracco", "role": "signatory",
                                              "position": "Rector", "email": "rector@polito.it",
                                              "phone": "+39 011 090 6000"})
    assert r.status_code == 303
    post(client, "/partners/2/contacts", {"name": "Anna Rossi", "role": "coordinator"})
    r = post(client, "/partners/2/contacts/2/edit", {"name": "Anna Rossi", "role": "coordinator",
                                                     "email": "anna.rossi@polito.it"})
    assert r.status_code == 303
    html = client.get(f"/agreements/{ref}").text
    party = html.split('id="parties"')[1].split("</section>")[0]
    assert '<a href="/partners/2">Politecnico di Torino</a>' in party
    assert "Guido Saracco, Rector" in party and "anna.rossi@polito.it" in party
    assert party.index("Guido Saracco") < party.index("Anna Rossi")  # signatories first
    assert post(client, "/partners/2/contacts/2/remove").status_code == 303
    assert "Anna Rossi" not in client.get(f"/agreements/{ref}").text.split('id="parties"')[1]


def test_a_refused_partner_change_is_worded_for_the_reader_and_changes_nothing(
        client: TestClient, hamkor_app: App, db_url: str) -> None:
    sign_in(client, "olga@uni.uz")
    post(client, "/lang", {"lang": "uz", "next": "/"})
    post(client, "/partners/2/edit", {"name": "Politecnico di Torino", "country": "IT",
                                      "kind": "company", "city": "Turin"})
    history = client.get("/partners/2").text.split('id="phistory"')[1]
    assert "<strong>Turi:</strong> Universitet → Kompaniya" in history, history[:600]
    before = snapshot(db_url)
    r = post(client, "/partners/2/edit", {"name": "Politecnico di Torino", "country": "IT",
                                          "kind": "university", "website": "polito dot it"})
    assert r.status_code == 422
    assert "Poле" not in r.text and "Veb-sayt: &#39;polito dot it&#39; veb-manzil emas" in r.text
    assert 'value="polito dot it"' in r.text  # the form keeps what was typed
    r = post(client, "/partners/2/contacts", {"name": "X", "role": "other", "phone": "call me"})
    assert r.status_code == 422 and "Telefon: &#39;call me&#39; telefon raqami emas" in r.text
    r = post(client, "/partners/2/edit", {"name": "Hiroshima University", "country": "JP",
                                          "kind": "university"})
    assert r.status_code == 409 and "Hamkor “Hiroshima University” allaqachon mavjud." in r.text
    assert snapshot(db_url) == before


def test_a_viewer_sees_no_forms_and_is_refused(make_client: Callable[[], TestClient], db_url: str) -> None:
    viewer = make_client()
    sign_in(viewer, "vera@uni.uz")
    html = viewer.get("/partners/1").text
    assert "/partners/1/edit" not in html and "/partners/1/contacts" not in html
    before = snapshot(db_url)
    r = post(viewer, "/partners/1/edit", {"name": "Hiroshima", "country": "JP", "kind": "university"})
    assert r.status_code == 403 and "needs role officer" in r.text
    post(viewer, "/lang", {"lang": "ru", "next": "/"})
    r = post(viewer, "/partners/1/contacts", {"name": "X", "role": "other"})
    assert r.status_code == 403 and "Ваша роль (наблюдатель) этого не позволяет: нужна роль «сотрудник» или выше." in r.text
    assert snapshot(db_url) == before
    assert viewer.get("/partners/99").status_code == 404


def test_the_api_edits_partners_and_contacts_as_the_cli_does(client: TestClient, hamkor_app: App,
                                                              db_url: str) -> None:
    officer, viewer = token_for(hamkor_app, "olga@uni.uz"), token_for(hamkor_app, "vera@uni.uz")
    r = client.patch("/api/partners/Politecnico di Torino", json={"hei_id": "polito.it", "city": None},
                     headers=officer)
    assert r.status_code == 200, r.text
    assert r.json()["partner"]["hei_id"] == "polito.it" and r.json()["partner"]["city"] is None
    assert [c["field"] for c in r.json()["changes"]] == ["city", "hei_id"]
    r = client.post("/api/partners/polito.it/contacts", headers=officer,
                    json={"name": "Guido Saracco", "role": "signatory", "position": "Rector"})
    assert r.status_code == 201 and r.json()["partner"] == "Politecnico di Torino"
    cid = r.json()["id"]
    r = client.patch(f"/api/partners/polito.it/contacts/{cid}", json={"email": "rector@polito.it"},
                     headers=officer)
    assert r.json()["email"] == "rector@polito.it"
    d = client.get("/api/partners/2", headers=viewer).json()
    assert [c["name"] for c in d["contacts"]] == ["Guido Saracco"]
    assert [e["event"] for e in d["history"]] == ["edit", "contact_added", "contact_edited"]
    before = records(db_url)
    r = client.patch("/api/partners/2", json={"city": "Roma"}, headers=viewer)
    assert r.status_code == 403 and r.json()["code"] == "role"
    r = client.patch("/api/partners/2", json={"country": "Italia"}, headers=officer)
    assert r.status_code == 422 and r.json()["field"] == "country"
    r = client.patch("/api/partners/2", json={"colour": "red"}, headers=officer)
    assert r.status_code == 422
    r = client.delete(f"/api/partners/Hiroshima University/contacts/{cid}", headers=officer)
    assert r.status_code == 404  # not Hiroshima's contact
    assert records(db_url) == before
    assert client.delete(f"/api/partners/2/contacts/{cid}", headers=officer).status_code == 200
    assert client.get("/api/partners/2/contacts", headers=viewer).json() == []
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"patch", "get"} <= set(paths["/api/partners/{partner}"])
    assert {"post", "get"} <= set(paths["/api/admin/users"])


# --- users and set-password links -----------------------------------------------------------


@pytest.fixture
def mail_app(db_url: str, tmp_path: Path) -> Iterator[App]:
    yield from seeded_app(db_url, tmp_path, base_url="https://hamkor.uni.uz")


@pytest.fixture
def mail_client(mail_app: App) -> Iterator[Callable[[], TestClient]]:
    yield from clients_of(mail_app)


def set_password(client: TestClient, path: str, password: str, repeat: str | None = None) -> object:
    return client.post(path, data={"password": password, "repeat": password if repeat is None else repeat,
                                   "csrf_token": csrf_of(client, path)}, follow_redirects=False)


def test_an_admin_adds_a_user_who_sets_a_password_by_the_link_and_signs_in(
        make_client: Callable[[], TestClient], db_url: str) -> None:
    admin = make_client()
    sign_in(admin, "root@uni.uz")
    html = admin.get("/users").text
    labelled(html)
    assert "olga@uni.uz" in html and 'href="/users"' in html
    r = post(admin, "/users", {"email": "nodir@uni.uz", "name": "Nodir Aliyev", "role": "officer",
                               "lang": "uz"})
    assert r.status_code == 201 and "Hand it over to them yourself" in r.text
    path = LINK.search(r.text).group(1)  # type: ignore[union-attr]
    assert path.startswith("/password/") and "no password yet" in r.text
    newcomer = make_client()
    page = newcomer.get(path)
    assert page.status_code == 200 and "Nodir Aliyev (nodir@uni.uz)" in page.text
    labelled(page.text)
    before = snapshot(db_url)
    r = set_password(newcomer, path, "correct horse staple", "correct horse stapler")
    assert r.status_code == 422 and "The two passwords differ." in r.text  # type: ignore[attr-defined]
    r = set_password(newcomer, path, "short")
    assert r.status_code == 422 and "at least 10 characters" in r.text  # type: ignore[attr-defined]
    assert snapshot(db_url) == before
    r = set_password(newcomer, path, PASSWORD)
    assert r.status_code == 303 and r.headers["location"] == "/login"  # type: ignore[attr-defined]
    sign_in(newcomer, "nodir@uni.uz")
    assert "Nodir Aliyev" in newcomer.get("/").text
    gone = make_client().get(path)  # used once: refused, in the reader's language
    assert gone.status_code == 410 and "unknown, used, replaced" in gone.text
    assert 'id="new-password"' not in gone.text


def test_user_administration_is_for_admins_and_keeps_the_last_admin(
        make_client: Callable[[], TestClient], db_url: str) -> None:
    officer = make_client()
    sign_in(officer, "olga@uni.uz")
    assert 'href="/users"' not in officer.get("/").text
    before = snapshot(db_url)
    assert officer.get("/users").status_code == 403
    assert post(officer, "/users", {"email": "x@uni.uz", "name": "X", "role": "admin"}).status_code == 403
    assert post(officer, "/users/olga@uni.uz/edit", {"role": "admin", "lang": "en"}).status_code == 403
    admin = make_client()
    sign_in(admin, "root@uni.uz")
    r = post(admin, "/users/root@uni.uz/active", {"active": "false"})
    assert r.status_code == 422 and "cannot deactivate your own account" in r.text
    r = post(admin, "/users", {"email": "olga@uni.uz", "name": "Olga", "role": "viewer", "lang": "en"})
    assert r.status_code == 409 and 'value="Olga"' in r.text
    post(admin, "/lang", {"lang": "ru", "next": "/"})
    r = post(admin, "/users", {"email": "not-an-address", "name": "X", "role": "viewer", "lang": "en"})
    assert r.status_code == 422 and "Поле «Эл. почта»: &#39;not-an-address&#39; — не адрес" in r.text
    assert snapshot(db_url) == before
    post(admin, "/lang", {"lang": "en", "next": "/"})
    assert post(admin, "/users/olga@uni.uz/edit", {"role": "approver", "lang": "ru"}).status_code == 303
    assert post(admin, "/users/olga@uni.uz/active", {"active": "false"}).status_code == 303
    assert "olga@uni.uz is deactivated" in admin.get("/users").text
    assert officer.get("/", follow_redirects=False).status_code == 303  # signed out at once
    assert post(admin, "/users/olga@uni.uz/active", {"active": "true"}).status_code == 303
    r = post(admin, "/users/olga@uni.uz/link")
    first = LINK.search(r.text).group(1)  # type: ignore[union-attr]
    second = LINK.search(post(admin, "/users/olga@uni.uz/link").text).group(1)  # type: ignore[union-attr]
    assert make_client().get(first).status_code == 410 and make_client().get(second).status_code == 200


def test_the_api_administers_users_for_admins(client: TestClient, hamkor_app: App, db_url: str) -> None:
    admin, officer = token_for(hamkor_app, "root@uni.uz"), token_for(hamkor_app, "olga@uni.uz")
    before = records(db_url)
    r = client.post("/api/admin/users", json={"email": "x@uni.uz", "name": "X", "role": "viewer"},
                    headers=officer)
    assert r.status_code == 403 and "needs role admin" in r.json()["detail"]
    assert client.get("/api/admin/users", headers=officer).status_code == 403
    assert records(db_url) == before
    r = client.post("/api/admin/users", json={"email": "x@uni.uz", "name": "X", "role": "viewer",
                                              "lang": "ru"}, headers=admin)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["user"] == {"email": "x@uni.uz", "name": "X", "role": "viewer", "lang": "ru",
                            "active": True, "has_password": False}
    assert "/password/" in body["link"]["link"] and body["link"]["mailed"] is False
    assert client.patch("/api/admin/users/x@uni.uz", json={"role": "officer"},
                        headers=admin).json()["role"] == "officer"
    assert client.post("/api/admin/users/x@uni.uz/deactivate", headers=admin).json()["active"] is False
    assert client.post("/api/admin/users/x@uni.uz/link", headers=admin).status_code == 422
    assert client.post("/api/admin/users/x@uni.uz/reactivate", headers=admin).json()["active"] is True
    r = client.post("/api/admin/users/root@uni.uz/deactivate", headers=admin)
    assert r.status_code == 422 and r.json()["code"] == "user.self_deactivate"


def test_sign_in_page_has_no_command_line_and_offers_forgot_password_only_with_mail(
        client: TestClient, db_url: str, tmp_path: Path) -> None:
    from web.app import create_app

    html = client.get("/login").text
    assert "hamkor user" not in html and "set-password link" in html
    assert "/password/forgot" not in html and client.get("/password/forgot").status_code == 404
    with_mail = App(db_url, reports_dir=tmp_path, base_url="https://hamkor.uni.uz")
    with TestClient(create_app(with_mail, secret="s" * 40)) as web:
        assert "/password/forgot" in web.get("/login").text
    with_mail.close()


def test_forgot_password_answers_the_same_and_mails_active_users_only(
        mail_client: Callable[[], TestClient], mail_app: App) -> None:
    from notifications import outbox

    web = mail_client()
    answers = []
    for email in ("olga@uni.uz", "nobody@uni.uz", "olga@uni.uz"):
        r = web.post("/password/forgot", data={"email": email, "csrf_token": csrf_of(web, "/password/forgot")})
        answers.append((r.status_code, r.text.split('id="forgot-sent">')[1].split("<")[0]))
    assert len(set(answers)) == 1 and answers[0][0] == 200
    rows = outbox.list_rows(mail_app.uow(), kind="account")
    assert [(r["to"], r["rule"]) for r in rows] == [("olga@uni.uz", "password_link")]  # cooldown
    # its body holds a working link: officers may not open it, admins may
    officer = mail_client()
    sign_in(officer, "olga@uni.uz")
    assert officer.get(f"/outbox/{rows[0]['id']}").status_code == 404
    headers = token_for(mail_app, "olga@uni.uz")
    assert officer.get(f"/api/outbox/{rows[0]['id']}", headers=headers).status_code == 404
    admin_api = token_for(mail_app, "root@uni.uz")
    assert "/password/" in officer.get(f"/api/outbox/{rows[0]['id']}", headers=admin_api).json()["text"]
    listed = officer.get("/outbox", params={"kind": "account"}).text
    assert "set-password link" in listed and "Set a new password for Hamkor" in listed
    admin = mail_client()
    sign_in(admin, "root@uni.uz")
    opened = admin.get(f"/outbox/{rows[0]['id']}").text
    assert "https://hamkor.uni.uz/password/" in opened
    path = re.search(r"https://hamkor\.uni\.uz(/password/[A-Za-z0-9_-]+)", opened).group(1)  # type: ignore[union-attr]
    stranger = mail_client()
    r = set_password(stranger, path, "a brand new password")
    assert r.status_code == 303  # type: ignore[attr-defined]
    sign_in(stranger, "olga@uni.uz", "a brand new password")


def test_forgot_password_is_rate_limited_per_address(mail_client: Callable[[], TestClient],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from web import people

    monkeypatch.setattr(people, "forgot_throttle", people._Throttle(limit=2))
    web = mail_client()
    codes = [web.post("/password/forgot", data={"email": f"u{i}@uni.uz",
                                                "csrf_token": csrf_of(web, "/password/forgot")}).status_code
             for i in range(3)]
    assert codes == [200, 200, 429]


def test_every_label_of_these_pages_is_translated() -> None:
    """Each key the partner, users and password pages use (and the dynamic ones: roles,
    contact roles, history events, the refusals' kinds) has an English, Uzbek and Russian
    text in the catalogs, and the Uzbek and Russian are not the English left untranslated.
    (tests/web/test_catalogs.py checks every static key of every page; this also checks each
    key these pages build at run time, and that the words differ from the English.)"""
    from models import CONTACT_ROLES
    from web.catalog_tool import LANGS, load
    from workflow.registry import ROLES

    templates = Path(__file__).parents[2] / "web" / "templates"
    keys = set()
    for name in ("partner.html", "_contact_fields.html", "_party_contacts.html", "users.html",
                 "password_set.html", "password_forgot.html", "login.html"):
        keys |= set(re.findall(r"""\bt\(["']([\w.]+)["']""", (templates / name).read_text()))
    keys = {k for k in keys if not k.endswith(".")}  # t("pp.role." ~ x): listed below
    assert {"pp.edit", "us.add", "pw.title"} <= keys  # the scan finds them
    keys |= {f"pp.role.{r}" for r in CONTACT_ROLES} | {f"us.role.{r}" for r in ROLES}
    keys |= {f"pp.ev.{e}" for e in ("edit", "contact_added", "contact_edited", "contact_removed")}
    keys |= {"m.kind.account", "nav.users", "err.role", "err.duplicate", "err.not_found"}
    keys |= {f"err.kind.{k}" for k in ("partner", "partner with hei-id", "contact", "user")}
    catalogs = {lang: load(lang) for lang in LANGS}
    for key in sorted(keys):
        found = [catalogs[lang].get(key) for lang in LANGS]
        en, uz, ru = (str(m.string) if m is not None and m.string else "" for m in found)
        assert en and uz and ru, key
        if re.search(r"[a-z]{4}", en) and key not in ("pp.pic", "pp.hei_id"):
            assert uz != en and ru != en, key
        assert "hamkor " not in en + uz + ru, key  # no command line on the web
