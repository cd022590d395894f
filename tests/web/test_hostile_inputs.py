"""Hostile inputs through every door: one clear refusal, nothing changed (README, "Limits and safety").

Each class of input is generated here (not only the issue's examples) and sent through the
command line, the web forms and the JSON API, on SQLite and PostgreSQL; each asserts the
wording of its door, the exit code or status, and the unchanged database.
"""

from __future__ import annotations

import io
import logging
import random
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from models import Agreement, Event, Organization, User
from root import App
from tests.helpers import hamkor, ok, refused
from tests.web.conftest import post, sign_in
from tests.web.test_api import token_for
from workflow import rules

OFFICER = "olga@uni.uz"
INVISIBLES = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c",
              "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\ufeff"]
CONTROLS = [chr(c) for c in (*range(0, 9), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)]


def db_state(app: App) -> tuple[Any, ...]:
    """Everything a refusal must leave as it was: counts and the highest version."""
    with app.engine.connect() as conn:
        return tuple(conn.scalar(q) for q in (
            select(func.count()).select_from(Agreement), select(func.count()).select_from(Event),
            select(func.count()).select_from(Organization), select(func.count()).select_from(User),
            select(func.max(Agreement.version)), select(func.max(func.length(Agreement.title)))))


def api_create(client: TestClient, headers: dict[str, str], **extra: Any) -> Any:
    body = {"title": "Joint research", "partners": ["Politecnico di Torino"], "type": "research",
            "owner": OFFICER, "starts": "2021-03-01", "months": 36, **extra}
    return client.post("/api/agreements", json=body, headers=headers)


def cli_create(app: App, *extra: str) -> Any:
    args = {"--title": "Joint research", "--partner": "Politecnico di Torino", "--type": "research",
            "--owner": OFFICER, "--starts": "2021-03-01", "--months": "36"}
    flat: list[str] = []
    for k, v in args.items():
        if k not in extra:
            flat += [k, v]
    return hamkor(app.db_url, "agreement", "create", *flat, *extra, "--by", OFFICER)


@pytest.fixture
def officer(make_client: Any, hamkor_app: App) -> tuple[TestClient, dict[str, str]]:
    browser = make_client()
    sign_in(browser, OFFICER)
    return browser, token_for(hamkor_app, OFFICER)


def web_create(browser: TestClient, **extra: Any) -> Any:
    data = {"title": "Joint research", "type": "research", "owner": OFFICER,
            "partners": ["Politecnico di Torino"], "starts": "2021-03-01", "months": "36", **extra}
    return post(browser, "/agreements/new", data)


# --- 16.3: lengths, control characters, huge integers ---------------------------------------


def test_overlong_text_control_characters_and_huge_numbers_are_refused_at_every_door(
        hamkor_app: App, officer: tuple[TestClient, dict[str, str]]) -> None:
    browser, api = officer
    rng = random.Random(16)
    before = db_state(hamkor_app)
    long_title = "".join(rng.choice("abcdeé Ж") for _ in range(rng.randint(501, 10_000)))
    control = f"Joint {rng.choice(CONTROLS)} research"
    huge = str(2 ** rng.randint(64, 300))

    # The command line names its option.
    refused(cli_create(hamkor_app, "--title", long_title), "error: --title must have at most 500 characters")
    refused(cli_create(hamkor_app, "--title", control), "error: --title contains a control character")
    refused(cli_create(hamkor_app, "--months", huge), "error: --months must be at most 1200")
    refused(hamkor(hamkor_app.db_url, "agreement", "list", "--limit", huge), "--limit must be at most")
    refused(hamkor(hamkor_app.db_url, "agreement", "list", "--expiring-within", huge),
            "--expiring-within must be at most")

    # The web page names the form's label, never an option.
    for fields, needle in (({"title": long_title}, "Title must have at most 500 characters"),
                           ({"title": control}, "Title contains a control character"),
                           ({"months": huge}, "Length in months must be at most"),
                           ({"notes": "x" * 10_001}, "Notes must have at most 10000 characters")):
        r = web_create(browser, **fields)
        assert r.status_code == 422, r.text
        assert needle in r.text and "--" not in r.text.split("<main", 1)[1].split("</main>")[0]
    r = browser.get("/agreements", params={"expiring_within": huge})
    assert r.status_code == 422 and "at most" in r.text

    # The API names the JSON field, and says which field and which rule.
    r = api_create(browser, api, title=long_title)
    assert r.status_code == 422 and r.json()["field"] == "title" and r.json()["code"] == "text.too_long"
    assert r.json()["detail"].startswith("title must have at most 500 characters")
    r = api_create(browser, api, department="Energy\x00")
    assert r.status_code == 422 and r.json()["code"] == "text.control"
    assert r.json()["detail"] == "department contains a control character (U+0000); remove it"
    for body in ({"months": int(huge)}, {"renewal_months": int(huge)}, {"starts": "99999-01-01"},
                 {"starts": "1899-12-31"}):
        r = api_create(browser, api, **body)
        assert r.status_code == 422, (body, r.text)
    for path in (f"/api/agreements?limit={huge}", f"/api/outbox?limit={huge}", f"/api/reports/{huge}/file"):
        assert browser.get(path, headers=api).status_code == 422, path
    r = browser.post(f"/api/outbox/{huge}/retry", headers=api)
    assert r.status_code == 422
    assert db_state(hamkor_app) == before


def test_a_flash_message_stays_small_whatever_was_typed(officer: tuple[TestClient, dict[str, str]]) -> None:
    browser, _ = officer
    name = "Universidad " + "x" * 280  # within the column, longer than a flash keeps
    r = post(browser, "/partners", {"name": name, "country": "ES"})
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert len(cookie) < 2000  # the flash was cut, the session is not at risk


# --- 16.4: invisible characters and look-alikes ---------------------------------------------


def test_invisible_characters_never_make_a_second_partner_or_an_empty_name(
        hamkor_app: App, officer: tuple[TestClient, dict[str, str]]) -> None:
    browser, api = officer
    before = db_state(hamkor_app)
    rng = random.Random(4)
    for _ in range(5):
        name = "Hiroshima University"
        cut = rng.randrange(1, len(name))
        disguised = name[:cut] + "".join(rng.sample(INVISIBLES, 2)) + name[cut:]
        refused(hamkor(hamkor_app.db_url, "partner", "add", disguised, "--country", "JP"),
                "error: partner Hiroshima University already exists")
        r = browser.post("/api/partners", json={"name": disguised, "country": "JP"}, headers=api)
        assert r.status_code == 409, r.text
    only_invisible = "".join(rng.sample(INVISIBLES, 4))
    refused(hamkor(hamkor_app.db_url, "partner", "add", only_invisible, "--country", "JP"),
            "error: NAME must not be empty")
    r = post(browser, "/partners", {"name": only_invisible, "country": "JP"})
    assert r.status_code == 422 and "Name must not be empty" in r.text
    refused(hamkor(hamkor_app.db_url, "user", "add", "ivy@uni.uz", "--name", "\u200b\u202e",
                   "--role", "viewer"), "error: --name must not be empty")
    assert db_state(hamkor_app) == before
    # Stripped, not refused, where there is text left: the title is stored clean.
    r = api_create(browser, api, title="Joint\u200b research\ufeff")
    assert r.status_code == 201 and r.json()["title"] == "Joint research"
    # A partner name found with an invisible character in it.
    r = api_create(browser, api, partners=["Politecnico\u200b di Torino"])
    assert r.status_code == 201


def test_a_name_mixing_latin_and_cyrillic_letters_is_listed_in_data_quality(hamkor_app: App) -> None:
    from workflow.registry import add_partner

    lookalike = "Kyоto University"  # the "о" is Cyrillic
    assert rules.mixed_script(lookalike)
    assert rules.mixed_script("Kyoto University") is None
    assert rules.mixed_script("Kyoto Университет") is None  # each word in one script
    add_partner(hamkor_app.uow(), hamkor_app.clock(), lookalike, country="JP")
    ok(hamkor(hamkor_app.db_url, "agreement", "create", "--title", "Exchange", "--partner", lookalike,
              "--type", "mou", "--by", OFFICER))
    from datetime import date

    from reports.classify import _problems
    from reports.facts import Period

    row = {"state": "draft", "starts_on": None, "expires_on": None, "indefinite": False,
           "signed_on": None, "owner": None, "title": "Exchange",
           "partners": [{"name": lookalike, "country": "JP"}]}
    codes = {p["code"]: p["detail"] for p in _problems(Period(2026, date(2026, 1, 1), date(2026, 12, 31)), row)}
    assert "mixed_script" in codes and "Kyоto" in codes["mixed_script"]


# --- 16.5: one address parser ---------------------------------------------------------------


def test_addresses_that_a_mail_library_reads_otherwise_are_refused_at_entry_and_at_sending(
        hamkor_app: App, officer: tuple[TestClient, dict[str, str]]) -> None:
    browser, api = officer
    before = db_state(hamkor_app)
    rng = random.Random(5)
    hostile = ['a"b@home.uz', "evil@attacker.example,home.uz", "x@home.uz\r\nBcc: y@evil.example",
               "<x@home.uz>", "Olga <olga@uni.uz>", "x@@home.uz", "x@home", "x y@home.uz", "x@home.uz;y@z.uz",
               "(c)x@home.uz", "." + "a" * 10 + "@home.uz"]
    specials = ',;<>()[]\\" '
    hostile += [rng.choice("ab") + rng.choice(specials) + rng.choice("cd") + "@home.uz" for _ in range(6)]
    for address in hostile:
        assert not rules.is_address(address), address
        refused(hamkor(hamkor_app.db_url, "user", "add", address, "--name", "X", "--role", "viewer"),
                "is not an email address")
        refused(cli_create(hamkor_app, "--owner", address), "--owner", "is not an email address")
        r = api_create(browser, api, owner=address)
        assert r.status_code == 422 and r.json()["field"] == "owner", address
    assert db_state(hamkor_app) == before
    assert rules.is_address("olga.o'neil+intl@uni.uz") and rules.is_address("иван@пример.рф")

    # The sender asks the same rule: a row that somehow holds such an address is not sent.
    from datetime import UTC, datetime

    from notifications.message import build_message
    from notifications.outbox import Claimed

    for address in ('a"b@home.uz', "evil@attacker.example,home.uz"):
        row = Claimed(id=1, key="k", attempts=0, to_addr=address, cc=(), subject="Subject",
                      body_text="Body", body_html=None, message_id="<m@x>", created_at=datetime.now(UTC))
        with pytest.raises(ValueError, match="not one e-mail address"):
            build_message(row, "Office <intl@uni.uz>")


def test_a_mail_from_setting_with_a_line_break_is_refused_at_start(tmp_path: Any) -> None:
    result = hamkor(f"sqlite:///{tmp_path}/x.db", "agreement", "list",
                    env={"HAMKOR_MAIL_FROM": "intl@uni.uz\r\nBcc: all@evil.example"})
    refused(result, "error: HAMKOR_MAIL_FROM: must be one line")


# --- 16.6: the clock ------------------------------------------------------------------------


def test_a_tick_in_the_future_or_outside_the_dates_writes_nothing(hamkor_app: App) -> None:
    from datetime import date, timedelta

    before = db_state(hamkor_app)
    url = hamkor_app.db_url
    tomorrow = date.today() + timedelta(days=random.Random(6).randint(2, 3000))
    refused(hamkor(url, "tick", "--now", f"{tomorrow}T08:00"),
            f"error: --now {tomorrow} is after today", "--dry-run", "--allow-future")
    refused(hamkor(url, "tick", "--now", f"{tomorrow}T08:00", "--reschedule"), "is after today")
    for moment in ("9999-12-31T00:00", "1899-12-31T00:00", "3000-01-01"):
        refused(hamkor(url, "tick", "--now", moment, "--dry-run"), "is outside 1900-01-01..2999-12-31")
    refused(hamkor(url, "tick", "--now", "x" * 5000), "error: --now 'xxxx")
    assert db_state(hamkor_app) == before
    ok(hamkor(url, "tick", "--now", f"{tomorrow}T08:00", "--dry-run"))
    assert db_state(hamkor_app) == before
    ok(hamkor(url, "tick", "--now", f"{tomorrow}T08:00", "--allow-future"))


# --- 16.10: logs ----------------------------------------------------------------------------


def test_user_input_cannot_forge_a_log_line(client: TestClient) -> None:
    from config.logs import OneLineFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(OneLineFormatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("hamkor.web")
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.INFO)
    try:
        for forged in ("x@uni.uz\nINFO hamkor.web: admin@uni.uz signed in",
                       "x@uni.uz\r\nWARNING forged", "x@uni.uz\u2028INFO forged", "x\x1b[2J@uni.uz"):
            from tests.web.conftest import csrf_of

            client.post("/login", data={"email": forged, "password": "wrong-password",
                                        "csrf_token": csrf_of(client)})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4 and all(line.startswith("INFO hamkor.web: failed sign-in for") for line in lines)
    assert "\\n" in lines[0] and "\\r\\n" in lines[1] and "\\x1b" in lines[3]


# --- 16.11 and 16.12: statuses and headers --------------------------------------------------


def test_role_refusals_are_403_in_the_api_for_events_and_renew(hamkor_app: App, client: TestClient) -> None:
    from datetime import date

    from tests.conftest import clock_on
    from workflow.agreements import NewAgreement, advance, create  # noqa: I001

    office, clock = hamkor_app.office(), clock_on(date(2021, 3, 1))
    a = create(hamkor_app.uow(), clock, office, NewAgreement(
        title="In force", partners=["Hiroshima University"], type="mou", owner=OFFICER,
        starts=date(2021, 3, 1), months=12), by=OFFICER, on=date(2021, 3, 1))
    for event, by, extra in (("submit", OFFICER, {}), ("approve", "anvar@uni.uz", {}),
                             ("send_for_signature", OFFICER, {})):
        advance(hamkor_app.uow(), clock, office, a["ref"], event, by=by, **extra)
    viewer = token_for(hamkor_app, "vera@uni.uz")
    before = db_state(hamkor_app)
    r = client.post(f"/api/agreements/{a['ref']}/events", json={"event": "sign", "party": "Hiroshima University"},
                    headers=viewer)
    assert r.status_code == 403 and r.json()["code"] == "role"
    r = client.post(f"/api/agreements/{a['ref']}/events", json={"event": "withdraw", "note": "n"}, headers=viewer)
    assert r.status_code == 403
    assert db_state(hamkor_app) == before


def test_a_500_carries_the_security_headers(hamkor_app: App) -> None:
    from web.app import SECURITY_HEADERS, create_app

    web = create_app(hamkor_app, secret="s" * 40)

    @web.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    @web.get("/boom")
    def page_boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(web, raise_server_exceptions=False) as c:
        for path in ("/api/boom", "/boom"):
            r = c.get(path)
            assert r.status_code == 500
            assert "a bug" not in r.text and "Traceback" not in r.text
            for name, value in SECURITY_HEADERS.items():
                assert r.headers.get(name) == value, (path, name)


# --- the rule book: one change, every door --------------------------------------------------


def test_a_rule_changed_in_the_rule_book_changes_it_at_every_door(
        hamkor_app: App, officer: tuple[TestClient, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    """workflow/rules.py decides; the CLI, the web form and the API only word it."""
    browser, api = officer
    monkeypatch.setitem(rules.LIMITS, "title", 20)
    title = "A title of 21 chars!!"
    refused(cli_create(hamkor_app, "--title", title), "error: --title must have at most 20 characters")
    r = web_create(browser, title=title)
    assert r.status_code == 422 and "Title must have at most 20 characters" in r.text
    r = api_create(browser, api, title=title)
    assert r.status_code == 422 and r.json() == {
        "detail": "title must have at most 20 characters (21 given)", "field": "title", "code": "text.too_long"}
    # In Russian, the page words it in Russian with the form's Russian label.
    browser.post("/lang", data={"lang": "ru", "next": "/", "csrf_token": _csrf(browser)})
    r = web_create(browser, title=title)
    assert "Поле «Название»: не более 20 символов" in r.text


def _csrf(browser: TestClient) -> str:
    from tests.web.conftest import csrf_of

    return csrf_of(browser, "/")


def test_the_import_applies_the_same_rules_to_every_cell(hamkor_app: App, tmp_path: Any) -> None:
    """The import door: each hostile cell is a row error naming its column; nothing is written."""
    import csv

    rng = random.Random(3)
    rows = [
        {"title": "x" * rng.randint(501, 5000), "owner": OFFICER},
        {"title": f"Cooperation{rng.choice(CONTROLS[1:])}", "owner": OFFICER},
        {"title": "Exchange", "owner": 'a"b@home.uz'},
        {"title": "Exchange", "owner": "evil@attacker.example,home.uz"},
        {"title": "Exchange", "owner": OFFICER, "starts_on": "9999-12-31"},
        {"title": "\u200b\u2066", "owner": OFFICER},
    ]
    path = tmp_path / "hostile.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ["title", "type", "partners", "owner", "starts_on"])
        writer.writeheader()
        for row in rows:
            writer.writerow({"type": "mou", "partners": "Home University;Hiroshima University", **row})
    before = db_state(hamkor_app)
    result = hamkor(hamkor_app.db_url, "import", str(path))
    assert result.code == 1
    errors = "\n".join(result.error_lines)
    for needle in ("row 2, title: must have at most 500 characters",
                   "row 3, title: contains a control character",
                   "row 4, owner: 'a\"b@home.uz' is not an email address",
                   "row 5, owner: 'evil@attacker.example,home.uz' is not an email address",
                   "row 6, starts_on: 9999-12-31 is outside 1900-01-01..2999-12-31",
                   "row 7, title: required"):
        assert needle in errors, (needle, errors)
    assert db_state(hamkor_app) == before
