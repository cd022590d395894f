"""Each door words a refusal of the rule book for its audience: the web in the reader's
language with the form's labels, the JSON API with the JSON field and the rule's code, the
command line with its option. No command-line wording reaches a page or the API."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from root import App
from tests.web.conftest import csrf_of, sign_in
from tests.web.test_api import token_for
from tests.web.test_parity import BAD, refusal, section, text_of

UTC = ZoneInfo("UTC")
#: Uzbek and Russian words of the rule book's "is not one of".
CHOICE = {"uz": "quyidagilardan biri emas", "ru": "не одно из"}
CLI_WORDING = re.compile(r"(?<![\w-])--[a-z]|`|\bhamkor (?:agreement|partner|files|ewp|import)\b")


@pytest.mark.parametrize("lang", ["uz", "ru"])
def test_a_refused_filter_reads_in_the_page_language_with_its_label(client: TestClient, lang: str) -> None:
    from web.i18n import Translator

    sign_in(client, "olga@uni.uz")
    t = Translator(lang, UTC)
    r = client.get("/agreements?sort=bogus", headers={"accept-language": lang})
    assert r.status_code == 422
    why = refusal(r.text)
    assert CHOICE[lang] in why and t.field_name("sort") in why and "'bogus'" in why
    assert "is not one of" not in why and "sorts descending" not in why
    assert not CLI_WORDING.search(why)


@pytest.mark.parametrize("lang", ["uz", "ru"])
def test_the_import_dry_run_shows_each_row_error_in_the_readers_language(
        client: TestClient, hamkor_app: App, lang: str) -> None:
    sign_in(client, "olga@uni.uz")
    bad = BAD + "AGR-2021-0004,,exchange,Home University,Physics\n"
    r = client.post("/import/preview", data={"csrf_token": csrf_of(client, "/")}, headers={"accept-language": lang},
                    files={"file": ("agreements.csv", bad.encode(), "application/octet-stream")},
                    follow_redirects=False)
    assert r.status_code == 422
    rows = {(n, text_of(cells)) for n, cells in
            re.findall(r'<tr data-row="(\d+)">(.*?)</tr>', section(r.text, "imp-errors"), re.S)}
    messages = " | ".join(text for _, text in rows)
    assert {n for n, _ in rows} == {"4", "5"}
    required = {"uz": "majburiy", "ru": "обязательно"}[lang]
    two = {"uz": "kamida ikki tomon", "ru": "не меньше двух сторон"}[lang]
    assert CHOICE[lang] in messages and "'bogus'" in messages
    assert required in messages and two in messages
    assert "is not one of" not in messages and "required" not in messages
    assert "at least two parties" not in messages


def test_the_api_names_the_json_field_and_the_rules_code(client: TestClient, hamkor_app: App) -> None:
    officer = token_for(hamkor_app, "olga@uni.uz")
    r = client.get("/api/agreements", params={"sort": "bogus"}, headers=officer)
    assert r.status_code == 422
    body = r.json()
    assert body["field"] == "sort" and body["code"] == "search.sort"
    assert body["detail"].startswith("sort 'bogus' is not one of ")
    assert not CLI_WORDING.search(body["detail"])

    rows = [{"title": "One", "type": "exchange", "partners": ["Home University", "Hiroshima University"]},
            {"title": "", "type": "bogus", "partners": ["Home University"]}]
    r = client.post("/api/import", json={"rows": rows, "source": "api", "dry_run": True}, headers=officer)
    assert r.status_code == 422
    errors = r.json()["detail"]["errors"]
    by_column = {e["column"]: e for e in errors}
    assert by_column["type"]["code"] == "row.choice" and by_column["title"]["code"] == "row.required"
    assert by_column["partners"]["code"] == "row.two_parties"
    assert all(not CLI_WORDING.search(e["message"]) for e in errors)


def test_an_activity_refusal_names_the_option_on_the_command_line_and_the_field_elsewhere(
        make_client: Callable[[], TestClient], hamkor_app: App) -> None:
    from cli.errors import message_for
    from web.errors import api_error, humanize
    from web.i18n import Translator
    from workflow.activities import add_activity
    from workflow.errors import HamkorError

    with pytest.raises(HamkorError) as caught:
        add_activity(hamkor_app.uow(), hamkor_app.clock(), hamkor_app.office(), (9, 1),
                     {"kind": "event", "title": "Summer school", "starts_on": "2025-01-10"}, by="olga@uni.uz")
    exc = caught.value
    assert exc.code == "activity.link_needed" and exc.field == "partner"
    cli = message_for(exc)
    assert cli is not None and cli.startswith("--partner: give the agreement (REF)") and cli.endswith("--partner")
    api = api_error(exc)
    assert api["code"] == "activity.link_needed" and api["field"] == "partner"
    assert "--" not in api["detail"] and api["detail"].endswith(", partner")
    for lang, word in (("uz", "Hamkor"), ("ru", "Партнёр")):
        page = humanize(exc, Translator(lang, UTC))
        assert word in page and "give the agreement" not in page and not CLI_WORDING.search(page)


def test_a_file_refusal_reads_in_russian_on_the_page(tmp_path: Path) -> None:
    from documents.sniff import sniff
    from web.errors import humanize
    from web.i18n import Translator
    from workflow.errors import Invalid

    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    program = tmp_path / "run.pdf"
    program.write_bytes(b"MZ\x90\x00" + b"\x00" * 64)
    worded: dict[str, Any] = {}
    for path in (empty, program):
        with pytest.raises(Invalid) as caught:
            sniff(path)
        worded[path.name] = (caught.value, humanize(caught.value, Translator("ru", UTC)),
                             humanize(caught.value, Translator("uz", UTC)))
    exc, ru, uz = worded["empty.pdf"]
    assert (exc.code, exc.field, str(exc)) == ("file.empty", "file", "the file is empty")
    assert ru == "Файл пуст" and uz == "fayl boʻsh"
    exc, ru, uz = worded["run.pdf"]
    assert exc.code == "file.type.program" and "(it is a program)" in str(exc)
    assert "это программа" in ru and "bu dastur" in uz


def test_a_users_refusal_names_options_fields_and_labels_by_door(hamkor_app: App) -> None:
    from cli.errors import message_for
    from web.errors import api_error, humanize
    from web.i18n import Translator
    from workflow.errors import Invalid
    from workflow.registry import edit_user

    with pytest.raises(Invalid) as caught:
        edit_user(hamkor_app.uow(), "olga@uni.uz")
    exc = caught.value
    assert message_for(exc) == "nothing to change: give --name, --role or --lang"
    assert api_error(exc) == {"detail": "nothing to change: give name, role or lang", "field": None,
                              "code": "user.nothing_to_edit"}
    ru = humanize(exc, Translator("ru", UTC))
    t = Translator("ru", UTC)
    assert ru.startswith("Нечего менять") and t.field_name("role") in ru and "--" not in ru


def test_an_activity_file_with_a_bad_row_is_refused_in_uzbek(client: TestClient, hamkor_app: App) -> None:
    from web.i18n import Translator

    sign_in(client, "olga@uni.uz")
    bad = ("kind,partner,direction,category,people,starts_on,ends_on\n"
           "mobility,Hiroshima University,out,student-studies,0,2025-09-15,2026-02-10\n")
    r = client.post("/activities/import", data={"csrf_token": csrf_of(client, "/activities")},
                    headers={"accept-language": "uz"}, files={"file": ("acts.csv", bad.encode(), "text/csv")})
    assert r.status_code == 422
    why = refusal(r.text)
    people = Translator("uz", UTC).field_name("people")
    assert f"Qator 2, {people}: 0 kamida 1 boʻlishi kerak" in why
    assert "must be at least" not in why and "nothing was imported" not in why


@pytest.mark.parametrize(("lang", "sentence"), [
    ("en", "template year.md, line 3: unexpected '}'"),
    ("uz", "year.md shablonida, 3-qatorda xato: unexpected '}'"),
    ("ru", "Ошибка в шаблоне year.md, строка 3: unexpected '}'"),
])
def test_a_report_templates_error_keeps_jinjas_detail_inside_the_readers_sentence(lang: str, sentence: str) -> None:
    from reports.templating import TemplateFailed
    from web.errors import humanize
    from web.i18n import Translator

    exc = TemplateFailed("year.md", 3, "unexpected '}'")
    assert humanize(exc, Translator(lang, UTC)) == sentence
    assert str(exc) == "template year.md, line 3: unexpected '}'"  # the command line's
    assert humanize(TemplateFailed("year.md", None, "x"), Translator("ru", UTC)) == "Ошибка в шаблоне year.md: x"


@pytest.mark.parametrize(("lang", "sentence"), [
    ("en", "iia IIA-7: not well-formed XML: junk"),
    ("uz", "«IIA-7» IIA hujjati: XML toʻgʻri tuzilmagan: junk"),
    ("ru", "IIA «IIA-7»: XML составлен неправильно: junk"),
])
def test_a_refusal_wrapped_in_an_iias_keeps_the_iias_label_in_the_readers_words(lang: str, sentence: str) -> None:
    from ewp.exchange import in_iia
    from web.errors import humanize
    from web.i18n import Translator
    from workflow import rules
    from workflow.errors import Invalid

    exc = Invalid(in_iia("IIA-7", rules.problem("ewp.xml", "file", detail="junk")))
    assert humanize(exc, Translator(lang, UTC)) == sentence
    own = Invalid(rules.problem("iia.no_in_effect", "file", label="IIA-7"))  # the label in its own rule
    assert "IIA-7" in humanize(own, Translator(lang, UTC))
    if lang != "en":
        assert "iia IIA-7" not in humanize(own, Translator(lang, UTC))


def test_what_an_incomplete_agreement_misses_is_named_in_the_readers_words() -> None:
    from web.i18n import Translator
    from workflow import rules

    p = rules.problem("guard.incomplete", missing="start date, expiry date (or indefinite)",
                      missing_keys=("starts_on", "expires_on"))
    assert p.text() == "incomplete: missing start date, expiry date (or indefinite)"  # API and CLI
    words = {lang: p.text(t.field_name, t.rule(p)) for lang in ("uz", "ru")
             for t in [Translator(lang, UTC)]}
    assert words == {"uz": "toʻliq emas: boshlanish sanasi, amal qilishning oxirgi kuni (yoki muddatsiz) yoʻq",
                     "ru": "не заполнено: нет даты начала, последнего дня действия (или отметки «бессрочно»)"}
