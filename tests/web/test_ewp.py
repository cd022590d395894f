"""Erasmus Without Paper on the agreement page and in the API: cooperation conditions,
IIA ids, hashes and approval status (mutual, stale), and the note when the home
institution's hei-id is not configured. On both databases."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from root import App
from tests.helpers import hamkor, ok
from tests.web.conftest import HOME_HEI, new_draft, post, sign_in
from tests.web.test_api import token_for

pytestmark = pytest.mark.home_hei
YEAR = date.today().year
YEARS = f"{YEAR - 1}/{YEAR}:{YEAR + 3}/{YEAR + 4}"


def cli(app: App, *args: str) -> Any:
    """`hamkor` on the server's database, configured like the server."""
    env = {"HAMKOR_INSTITUTION_HEI_ID": app.settings.institution_hei_id or ""}
    return ok(hamkor(app.db_url, *args, env=env))


def active_agreement(client: TestClient, app: App) -> str:
    """An active exchange with Politecnico di Torino (hei-id polito.it), made in the browser."""
    cli(app, "partner", "edit", "Politecnico di Torino", "--hei-id", "polito.it")
    ref = erasmus_draft(client)
    sign_and_activate(app, ref)
    return ref


def erasmus_draft(officer: TestClient) -> str:
    return new_draft(officer, title="Erasmus+ exchange", partners=["Politecnico di Torino"],
                     starts=f"{YEAR - 1}-09-01", months="60", on=f"{YEAR - 1}-08-01")


def sign_and_activate(app: App, ref: str) -> None:
    from workflow.agreements import advance

    for event, by, party in [("submit", "olga@uni.uz", None), ("approve", "anvar@uni.uz", None),
                             ("send_for_signature", "olga@uni.uz", None),
                             ("sign", "olga@uni.uz", "Home University"),
                             ("sign", "olga@uni.uz", "Politecnico di Torino"),
                             ("activate", "olga@uni.uz", None)]:
        advance(app.uow(), app.clock(), app.office(), ref, event, by=by, party=party)


def section(page: str, heading_id: str) -> str:
    """The HTML of the card whose heading has ``heading_id``."""
    start = page.index(f'id="{heading_id}"')
    return page[start:page.index("</section>", start)]


def ewp_box(page: str) -> dict[str, str]:
    """The EWP box as {term: text}."""
    box = section(page, "ewp")
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", box, re.S)
    return {html.unescape(dt): html.unescape(re.sub(r"<[^>]+>", "", dd)).strip() for dt, dd in pairs}


def test_conditions_added_with_the_cli_show_on_the_page_and_in_the_api(
        make_client: Callable[[], TestClient], hamkor_app: App) -> None:
    officer = make_client()
    sign_in(officer, "olga@uni.uz")
    ref = active_agreement(officer, hamkor_app)
    page = officer.get(f"/agreements/{ref}").text
    assert "None recorded." in section(page, "conditions")
    assert "Not an EWP IIA yet" in section(page, "ewp") and not ewp_box(page)

    cli(hamkor_app, "agreement", "conditions", "add", ref, "--kind", "student-studies",
        "--from", HOME_HEI, "--to", "polito.it", "--years", YEARS, "--mobilities", "4",
        "--months", "5", "--isced", "0714:Mechatronics & robotics", "--isced", "0613",
        "--language", "en:B2", "--language", "it:A2", "--eqf", "6", "--eqf", "7", "--blended",
        "--by", "olga@uni.uz")
    cli(hamkor_app, "agreement", "conditions", "add", ref, "--kind", "staff-teacher",
        "--from", "Politecnico di Torino", "--to", "Home University", "--years", f"{YEAR}/{YEAR + 1}",
        "--mobilities", "2", "--days", "10", "--language", "en:C1",
        "--info", "Autumn <intensive> course", "--by", "olga@uni.uz")

    page = officer.get(f"/agreements/{ref}").text
    table = section(page, "conditions")
    assert "<caption" in table and table.count('<th scope="col">') == 8
    for header in ("Kind", "From → to", "Academic years", "Mobilities per year",
                   "Months / days per year", "Subject areas (ISCED-F)", "Languages (CEFR)",
                   "EQF levels"):
        assert f'<th scope="col">{header}</th>' in table
    rows = re.findall(r"<tr>\s*<th scope=\"row\".*?</tr>", table, re.S)
    assert len(rows) == 2
    first = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", rows[0])))
    for text in ("Students: studies", "blended mobility possible",
                 "Home University → Politecnico di Torino", f"{YEAR - 1}/{YEAR} – {YEAR + 3}/{YEAR + 4}",
                 " 4 ", "5 months", "0714 Mechatronics & robotics; 0613", "en B2, it A2", "6, 7"):
        assert text in first, (text, first)
    assert 'title="Electronics and automation">0714</span>' in rows[0]  # the ISCED-F name
    second = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", rows[1])))
    for text in ("Staff: teaching", "Politecnico di Torino → Home University",
                 f" {YEAR}/{YEAR + 1} ", "10 days", "en C1", "Autumn <intensive> course"):
        assert text in second, (text, second)
    assert "Autumn &lt;intensive&gt; course" in rows[1]  # escaped, never markup

    box = ewp_box(page)
    iia_id = box["Our IIA id"]
    assert re.fullmatch(r"[0-9a-f-]{36}", iia_id)  # assigned with the first condition
    assert box["Partner’s IIA id"] == "not known yet"
    assert box["Partner’s iia-hash"] == "no copy received yet"
    assert (box["Approved by us"], box["Approved by the partner"], box["Approval"]) == (
        "no", "no", "not approved yet")

    headers = token_for(hamkor_app, "vera@uni.uz")
    detail = officer.get(f"/api/agreements/{ref}", headers=headers).json()
    listed = cli(hamkor_app, "agreement", "conditions", "list", ref, "--json").json()
    assert [{k: v for k, v in c.items() if k != "summary"} for c in detail["conditions"]] == listed
    assert detail["conditions"][0]["from"] == "Home University"
    assert detail["conditions"][0]["subject_areas"] == [
        {"code": "0714", "clarification": "Mechatronics & robotics"},
        {"code": "0613", "clarification": None}]
    assert detail["conditions"][1]["summary"].startswith(
        "staff-teacher Politecnico di Torino -> Home University")
    status = cli(hamkor_app, "ewp", "status", ref, "--json").json()[0]
    ewp = detail["ewp"]
    assert ewp == {**ewp, "iia_id": iia_id, "partner_iia_id": None, "hash": status["hash"],
                   "partner_hash": None, "approved_by_us": False, "approved_by_partner": False,
                   "mutual": False, "approval": "none", "note": None}
    assert f'title="{status["hash"]}">{status["hash"][:12]}…</code>' in section(page, "ewp")

    spec = officer.get("/api/openapi.json").json()
    schemas = spec["components"]["schemas"]
    detail_props = schemas["AgreementDetail"]["properties"]
    assert {"conditions", "ewp"} <= set(detail_props)
    assert {"conditions", "ewp"}.isdisjoint(schemas["AgreementDetail"].get("required", []))
    assert {"from", "to", "kind", "first_year", "subject_areas", "languages", "eqf_levels"} <= set(
        schemas["ConditionOut"]["properties"])
    assert {"iia_id", "partner_iia_id", "hash", "approved_by_us", "approved_by_partner", "mutual",
            "approval", "note"} <= set(schemas["EwpOut"]["properties"])
    docs = officer.get("/api/docs").text
    assert 'id="schema-ConditionOut"' in docs and 'id="schema-EwpOut"' in docs


def test_the_approval_round_trip_shows_mutual_and_an_amendment_shows_stale(
        make_client: Callable[[], TestClient], hamkor_app: App, tmp_path: Path) -> None:
    from ewp.conditions import ConditionInput, add_condition
    from ewp.demo import apply_demo_conditions, run_exchange

    app = hamkor_app
    officer, viewer = make_client(), make_client()
    sign_in(officer, "olga@uni.uz")
    sign_in(viewer, "vera@uni.uz")
    ref = erasmus_draft(officer)
    apply_demo_conditions(app.uow, app.clock(), app.home(), ref, by="olga@uni.uz")
    sign_and_activate(app, ref)
    exchange = run_exchange(app.uow, app.clock(), app.home(), ref, tmp_path / "ewp",
                            approver="anvar@uni.uz", partner_iia_id="polito-17")
    assert exchange["status"]["mutual"]

    page = viewer.get(f"/agreements/{ref}").text
    assert len(re.findall(r'<th scope="row"', section(page, "conditions"))) == 6
    box = ewp_box(page)
    assert box["Partner’s IIA id"] == "polito-17"
    assert (box["Approved by us"], box["Approved by the partner"], box["Approval"]) == (
        "yes", "yes", "mutually approved")
    assert 'data-approval="mutual"' in page
    timeline = section(page, "timeline")
    assert "EWP: we approved the partner’s copy" in timeline
    assert "EWP: the partner approved our copy" in timeline
    headers = token_for(app, "vera@uni.uz")
    ewp = viewer.get(f"/api/agreements/{ref}", headers=headers).json()["ewp"]
    assert (ewp["partner_iia_id"], ewp["approved_by_us"], ewp["approved_by_partner"], ewp["mutual"],
            ewp["approval"]) == ("polito-17", True, True, True, "mutual")
    assert ewp["hash"] == ewp["partner_approved"] == exchange["status"]["hash"]

    # An amendment: our copy has a new hash; the partner's approval is of the old one.
    add_condition(app.uow(), app.clock(), app.home(), ref,
                  ConditionInput(kind="staff-training", sending=HOME_HEI, receiving="polito.it",
                                 years=YEARS, mobilities=1, days="5"), by="olga@uni.uz")
    page = viewer.get(f"/agreements/{ref}").text
    box = ewp_box(page)
    assert box["Approved by us"] == "yes"
    assert box["Approved by the partner"] == "stale: the partner approved an earlier version of ours"
    assert box["Approval"] == "stale: the partner approved an earlier version"
    assert "amended" in section(page, "timeline")
    ewp = viewer.get(f"/api/agreements/{ref}", headers=headers).json()["ewp"]
    assert (ewp["approved_by_partner"], ewp["mutual"], ewp["approval"]) == (False, False, "stale")
    assert ewp["partner_approved"] != ewp["hash"]

    post(viewer, "/lang", {"lang": "ru", "next": "/"})
    page = viewer.get(f"/agreements/{ref}").text
    assert "Условия сотрудничества" in page and "Студенты: обучение" in page
    assert "устарело: партнёр одобрил прежнюю версию" in page
    post(viewer, "/lang", {"lang": "uz", "next": "/"})
    page = viewer.get(f"/agreements/{ref}").text
    assert "Hamkorlik shartlari" in page and "Xodimlar: dars berish" in page


@pytest.mark.parametrize("hei_id", [None])
def test_without_the_home_hei_id_the_page_shows_a_note_not_an_error(
        make_client: Callable[[], TestClient], hamkor_app: App, hei_id: None) -> None:
    from ewp.conditions import ConditionInput, add_condition

    app = hamkor_app
    officer = make_client()
    sign_in(officer, "olga@uni.uz")
    plain = new_draft(officer)
    ref = new_draft(officer, partners=["Politecnico di Torino"])
    add_condition(app.uow(), app.clock(), app.home(), ref,
                  ConditionInput(kind="student-studies", sending="Home University",
                                 receiving="Politecnico di Torino", years=YEARS, mobilities=3,
                                 months="6", languages=("en:B2",)), by="olga@uni.uz")
    r = officer.get(f"/agreements/{ref}")
    assert r.status_code == 200
    box = ewp_box(r.text)
    assert re.fullmatch(r"[0-9a-f-]{36}", box["Our IIA id"])
    assert "Our iia-hash" not in box and "Approval" not in box
    note = ("Hashes and approvals are not shown: HAMKOR_INSTITUTION_HEI_ID (our hei-id) is not set.")
    assert note in section(r.text, "ewp")
    assert "Home University → Politecnico di Torino" in section(r.text, "conditions")
    r = officer.get(f"/agreements/{plain}")
    assert r.status_code == 200 and note in section(r.text, "ewp")
    assert "None recorded." in section(r.text, "conditions")

    headers = token_for(app, "olga@uni.uz")
    detail = officer.get(f"/api/agreements/{ref}", headers=headers).json()
    assert [c["kind"] for c in detail["conditions"]] == ["student-studies"]
    ewp = detail["ewp"]
    assert ewp["iia_id"] == box["Our IIA id"]
    assert (ewp["hash"], ewp["mutual"], ewp["approval"]) == (None, None, None)
    assert "HAMKOR_INSTITUTION_HEI_ID is not set" in ewp["note"]



def test_why_an_iia_has_no_hash_reads_in_the_readers_language_without_command_line_words(
        client: TestClient, hamkor_app: App) -> None:
    """The EWP page's and the agreement page's "no hash" reason is a rule worded per language
    (a partner without hei-id; no IIA id yet); the API keeps its code and values."""
    from ewp.conditions import ConditionInput, add_condition

    app = hamkor_app
    sign_in(client, "olga@uni.uz")
    ref = new_draft(client, partners=["Politecnico di Torino"])  # Politecnico has no hei-id
    add_condition(app.uow(), app.clock(), app.home(), ref,
                  ConditionInput(kind="student-studies", sending="Home University",
                                 receiving="Politecnico di Torino", years=YEARS, mobilities=3,
                                 months="6", languages=("en:B2",)), by="olga@uni.uz")
    plain = new_draft(client)  # no conditions: no IIA id yet (the API says so)
    expected = {"en": ("partner Politecnico di Torino has no hei-id", "no IIA id yet"),
                "uz": ("Politecnico di Torino hamkorining hei-id si yoʻq", "hali IIA identifikatori yoʻq"),
                "ru": ("у партнёра Politecnico di Torino нет hei-id", "ещё нет идентификатора IIA")}
    for lang, (no_hei_id, _) in expected.items():
        post(client, "/lang", {"lang": lang, "next": "/"})
        ewp_page = html.unescape(client.get("/ewp").text)
        page = html.unescape(client.get(f"/agreements/{ref}").text)
        assert no_hei_id in ewp_page and any(no_hei_id in v for v in ewp_box(page).values()), lang
        for text in (ewp_page, page):
            assert "hamkor partner" not in text and "--hei-id" not in text
            if lang != "en":
                assert "has no hei-id" not in text
    headers = token_for(app, "olga@uni.uz")
    row = client.get(f"/api/ewp/status?ref={ref}", headers=headers).json()[0]
    assert (row["problem_code"], row["problem_params"]) == ("ewp.why.partner_no_hei_id",
                                                            {"name": "Politecnico di Torino"})
    assert row["problem"] == "partner Politecnico di Torino has no hei-id (set its hei_id)"
    ewp = client.get(f"/api/agreements/{plain}", headers=headers).json()["ewp"]
    assert (ewp["problem_code"], ewp["problem"]) == ("ewp.why.no_iia_id", expected["en"][1] +
                                                     " (export it or give it conditions)")
    # The agreement page words the reason in the reader's language where it shows it.
    from web.i18n import Translator

    assert Translator("ru", ZoneInfo("UTC")).worded(ewp["problem_code"], ewp["problem_params"]).startswith(
        expected["ru"][1])


def exported_draft(client: TestClient, app: App) -> tuple[str, bytes, str]:
    """Olga's Erasmus draft with Politecnico di Torino (hei-id polito.it) and one staff
    condition: its reference, our IIA export and the IIA's id in it."""
    from ewp.conditions import ConditionInput, add_condition

    sign_in(client, "olga@uni.uz")
    cli(app, "partner", "edit", "Politecnico di Torino", "--hei-id", "polito.it")
    ref = erasmus_draft(client)
    add_condition(app.uow(), app.clock(), app.home(), ref,
                  ConditionInput(kind="staff-training", sending=HOME_HEI, receiving="polito.it",
                                 years=YEARS, mobilities=1, days="5"), by="olga@uni.uz")
    ours = client.get("/ewp/iias.xml").content
    iia_id = re.search(rb"<iia-id>([^<]+)</iia-id>", ours).group(1).decode()  # type: ignore[union-attr]
    return ref, ours, iia_id


def test_an_ewp_imports_warnings_read_in_the_readers_language(client: TestClient, hamkor_app: App) -> None:
    """The preview's warnings are rules (`ewp.warn.*`) worded per language, the agreement's
    state by its name; the JSON keeps the English sentences."""
    from ewp.demo import partner_copy
    from tests.web.test_parity import section as card, text_of, upload
    from web.i18n import Translator

    app = hamkor_app
    ref, ours, iia_id = exported_draft(client, app)
    theirs = partner_copy(ours, {iia_id: "polito-9"}).replace(b"<in-effect>false", b"<in-effect>true")
    assert b"<in-effect>true" in theirs
    post(client, "/lang", {"lang": "ru", "next": "/"})
    r = upload(client, "/ewp/iias/preview", "polito.xml", theirs)
    assert r.status_code == 200, r.text
    draft = Translator("ru", ZoneInfo("UTC")).state("draft")
    preview = text_of(card(r.text, "x-preview"))
    assert f"{ref}: партнёр сообщает, что IIA действует, а здесь оно в состоянии «{draft}»" in preview
    assert "the partner says" not in preview


def test_taking_a_partners_conditions_refused_while_out_for_signature_reads_in_russian(
        client: TestClient, hamkor_app: App) -> None:
    from ewp.demo import partner_copy
    from tests.web.test_parity import refusal, upload
    from workflow.agreements import advance

    app = hamkor_app
    ref, ours, iia_id = exported_draft(client, app)
    more = ours.replace(b"<mobilities-per-year>1<", b"<mobilities-per-year>2<")  # their copy: 2
    assert more != ours
    changed = partner_copy(more, {iia_id: "polito-9"})
    for event, by in [("submit", "olga@uni.uz"), ("approve", "anvar@uni.uz"), ("send_for_signature", "olga@uni.uz")]:
        advance(app.uow(), app.clock(), app.office(), ref, event, by=by)
    post(client, "/lang", {"lang": "ru", "next": "/"})
    r = upload(client, "/ewp/iias/preview", "polito.xml", changed)
    why = html.unescape(refusal(r.text))
    assert r.status_code == 422, r.text
    assert (f"IIA «polito-9»: {ref}: условия партнёра сейчас принять нельзя: утверждённый текст "
            "отправлен на подпись") in why
    assert "cannot" not in why and "iia " not in why


def test_a_home_hei_id_that_differs_from_the_settings_is_noted_in_the_readers_language(
        client: TestClient, hamkor_app: App) -> None:
    from ewp.conditions import ConditionInput, add_condition

    app = hamkor_app
    sign_in(client, "olga@uni.uz")
    ref = new_draft(client, partners=["Politecnico di Torino"])
    add_condition(app.uow(), app.clock(), app.home(), ref,
                  ConditionInput(kind="student-studies", sending="Home University",
                                 receiving="Politecnico di Torino", years=YEARS, mobilities=3,
                                 months="6", languages=("en:B2",)), by="olga@uni.uz")
    cli(app, "partner", "edit", "Politecnico di Torino", "--hei-id", "polito.it")
    cli(app, "partner", "edit", "Home University", "--hei-id", "other.uz")
    post(client, "/lang", {"lang": "ru", "next": "/"})
    for page in (client.get(f"/agreements/{ref}").text, client.get("/ewp").text):
        note = html.unescape(re.search(r'role="note">(.*?)</p>', page, re.S).group(1))  # type: ignore[union-attr]
        assert "other.uz" in note and HOME_HEI in note and "has hei-id" not in note, note
