"""The web's words come from gettext catalogs, complete in English, Uzbek and Russian."""

from __future__ import annotations

import ast
import html
import re
import shutil
import string
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import new_draft, post, sign_in

WEB = Path(__file__).resolve().parents[2] / "web"
TEMPLATES = WEB / "templates"
#: `t("key")`, `t('key')`, `translator(request)("key")`, `t.text("key")`
STATIC_KEY = re.compile(r"""\bt(?:\.text)?\(\s*["']([a-z][\w.\- ]*)["']\s*[,)]|\)\(\s*["']([a-z][\w.\-]*)["']\s*[,)]""")
#: `t("files.k." ~ kind)` in templates, `t(f"files.k.{kind}")` in Python
DYNAMIC_PREFIX = re.compile(r"""\bt\(\s*(?:["']([a-z][\w.\-]*\.)["']\s*~|f["']([a-z][\w.\-]*\.)\{)""")


def _sources() -> list[Path]:
    return [*TEMPLATES.rglob("*.html"), *(p for p in WEB.glob("*.py") if p.name != "catalog_tool.py")]


def used_keys() -> tuple[set[str], set[str]]:
    """Every key a template or web module looks up, and the prefixes of keys built at run time."""
    keys: set[str] = set()
    prefixes: set[str] = set()
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        keys |= {a or b for a, b in STATIC_KEY.findall(text)}
        prefixes |= {a or b for a, b in DYNAMIC_PREFIX.findall(text)}
    return {k for k in keys if "." in k}, prefixes


def code_keys() -> set[str]:
    """The keys of every code the web names: states, events, roles, steps' help and
    refusals (the rule book's and those that carry their own template)."""
    from workflow.lifecycle import TRANSITIONS, Event, Role, State
    from workflow.rules import MESSAGES

    keys = {f"state.{s.value}" for s in State} | {f"event.{e.value}" for e in Event}
    keys |= {f"role.{r.label}" for r in Role} | {"role.system"}
    keys |= {f"help.{t.event.value}" for t in TRANSITIONS}
    keys |= {f"rule.{code}" for code in MESSAGES}
    keys |= {f"rule.{code}" for code in rule_codes_in_source()[1]}
    return keys


#: The packages whose refusals a page or the API shows.
SERVICES = ("workflow", "ewp", "reports", "documents", "notifications", "tick", "root")
#: Calls that name a rule book code (workflow/rules.py), and the position of the code.
_BOOK_CALLS = {"problem": 0, "refuse": 0, "bad": 1, "row_error": 2, "rule": 1, "err": 1, "fail": 0}


def _calls(packages: tuple[str, ...] = SERVICES) -> Iterator[tuple[str, ast.Call]]:
    root = WEB.parent
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    yield f"{path.relative_to(root)}:{node.lineno}", node


def _name(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _literal(call: ast.Call, i: int) -> str | None:
    arg = call.args[i] if len(call.args) > i else None
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None


def rule_codes_in_source() -> tuple[set[str], set[str]]:
    """The refusal codes the services name: (those looked up in the rule book, those given
    with their own template -- `Problem("code", ...)`, ewp/rules.py's `refuse`)."""
    book: set[str] = set()
    own: set[str] = set()
    for _, call in _calls((*SERVICES, "web", "cli")):
        name = _name(call)
        if name == "Problem" and (code := _literal(call, 0)) and code != "invalid":
            own.add(code)
        elif name == "refuse" and len(call.args) >= 3 and (code := _literal(call, 1)):
            own.add(code)  # ewp/rules.py: refuse(option, code, template)
        elif name in _BOOK_CALLS and (code := _literal(call, _BOOK_CALLS[name])) and "." in code \
                or name in ("problem", "refuse") and (code := _literal(call, 0)):
            book.add(code)
    return book, own


def test_every_code_a_service_names_is_in_the_rule_book_or_carries_its_template() -> None:
    from workflow.rules import MESSAGES

    book, own = rule_codes_in_source()
    assert len(book) > 250 and {"search.sort", "row.required", "activity.link_needed", "iia.partners"} <= book
    assert sorted(book - set(MESSAGES)) == []
    assert {"ewp.kind", "audit.range", "import.changed"} <= own


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_each_translated_refusal_fills_in_the_values_the_english_has() -> None:
    """An Uzbek or Russian template names no value the rule book does not give (it would
    fail on a page), and every one formats."""
    from web.catalog_tool import load
    from workflow.errors import Problem
    from workflow.rules import MESSAGES

    for lang in ("uz", "ru"):
        catalog = {str(m.id): str(m.string) for m in load(lang) if m.id}
        for code, english in MESSAGES.items():
            words = catalog[f"rule.{code}"]
            assert _placeholders(words) <= _placeholders(english), (lang, code)
            values = {n: 1 for n in _placeholders(english) if n != "field" and not n.startswith("f_")}
            assert Problem(code, "title", english, values).text(str.upper, words), (lang, code)


def test_no_service_refuses_with_a_sentence_of_its_own() -> None:
    """Every refusal is a `Problem` with a code, so each door can word it for its reader:
    no `Invalid("...")`, `TransitionRefused(..., "...")`, `FieldInvalid(field, "...")` or an
    import row error without its rule."""
    def text(node: ast.expr | None) -> bool:
        return isinstance(node, ast.JoinedStr | ast.BinOp) or (
            isinstance(node, ast.Constant) and isinstance(node.value, str))

    free = []
    for where, call in _calls((*SERVICES, "web")):
        name, args = _name(call), call.args
        if (name == "Invalid" and args and text(args[0])
                or name == "TransitionRefused" and len(args) == 4 and text(args[3])
                or name == "FieldInvalid" and len(args) == 2 and text(args[1])
                or name == "RowError" and len(args) == 3):
            free.append(where)
    assert free == []


def untranslated(keys: set[str], prefixes: set[str]) -> list[str]:
    """`lang: key` for each key without a (non-empty) text in uz or ru (or in en, rule-book
    templates excepted: their English is the rule book's), and each run-time prefix no key has."""
    from web.i18n import Translator

    out = []
    for lang in ("en", "uz", "ru"):
        t = Translator(lang, ZoneInfo("UTC"))
        for key in sorted(keys):
            if lang == "en" and key.startswith("rule."):
                continue
            if not t.text(key):
                out.append(f"{lang}: {key}")
    from web.catalog_tool import load

    catalog_keys = {str(m.id) for m in load("en") if m.id}
    out += [f"en: no key starts with {p!r}" for p in sorted(prefixes) if not any(k.startswith(p) for k in catalog_keys)]
    return out


def test_every_message_of_a_page_an_error_or_the_code_is_translated_in_uz_and_ru() -> None:
    keys, prefixes = used_keys()
    assert len(keys) > 300 and {"nav.dashboard", "ag.done", "files.drop"} <= keys  # the scan finds them
    assert {"files.k.", "act.kind.", "c."} <= prefixes
    assert untranslated(keys | code_keys(), prefixes) == []


def test_the_check_fails_for_a_message_without_translation() -> None:
    """The completeness check is not vacuous: a key in no catalog, or in English only, is reported."""
    found = untranslated({"nav.no_such_label", "rule.guard.note"}, {"nosuch."})
    assert "uz: nav.no_such_label" in found and "ru: nav.no_such_label" in found and "en: nav.no_such_label" in found
    assert not any("rule.guard.note" in f for f in found)
    assert "en: no key starts with 'nosuch.'" in found


def test_catalogs_are_complete_compiled_and_no_label_is_left_in_python() -> None:
    from web import i18n
    from web.catalog_tool import problems

    assert problems() == []
    for name in ("_LABELS", "STATE_LABELS", "EVENT_LABELS", "FIELD_NAMES", "RULE_MESSAGES"):
        assert getattr(i18n, name) == {}, f"run `python -m web.catalog_tool import-labels` ({name})"


#: A command of the command line ("hamkor" alone is also Uzbek for "partner").
COMMAND = re.compile(r"\bhamkor (?:agreement|user|partner|db|serve|report|ewp|activity|import|export|tick|demo|"
                     r"mail|outbox|token|calendar)\b", re.I)


def test_no_command_line_wording_in_templates_or_catalogs() -> None:
    from web.catalog_tool import LANGS, load

    texts = [(p.name, p.read_text(encoding="utf-8")) for p in TEMPLATES.rglob("*.html")]
    texts += [(f"{lang}:{m.id}", str(m.string)) for lang in LANGS for m in load(lang) if m.id]
    for where, text in texts:
        visible = re.sub(r"<!--.*?-->|<[^>]+>", " ", text, flags=re.S)
        assert not COMMAND.search(visible), where
        assert "`" not in visible and not re.search(r"(?<![\w-])--[a-z]", visible), where


def test_uzbek_is_spelt_with_the_modifier_letters() -> None:
    """oʻ, gʻ with U+02BB and the tutuq belgisi with U+02BC, as in the report's catalog."""
    from web.catalog_tool import load, uzbek_latin

    assert uzbek_latin("O‘zbekcha, g'alaba, ma’lumot, “quote”") == "Oʻzbekcha, gʻalaba, maʼlumot, “quote”"
    wrong = [m.id for m in load("uz") if m.id and uzbek_latin(str(m.string)) != m.string]
    assert wrong == []


def test_numbers_and_dates_are_formatted_by_babel_for_the_language() -> None:
    from web.i18n import Translator

    zone = ZoneInfo("Asia/Tashkent")
    assert Translator("en", zone).number(1234567) == "1,234,567"
    assert Translator("ru", zone).number(1234567) == "1\xa0234\xa0567"
    assert Translator("uz", zone).number(1234.5) == "1\xa0234,5"
    assert Translator("ru", zone).date("2027-06-30") == "30 июн. 2027\u202fг."


def test_an_empty_code_shows_nothing_and_an_unknown_key_shows_itself() -> None:
    from web.i18n import Translator

    t = Translator("uz", ZoneInfo("UTC"))
    assert t("act.direction.None") == "" and t("nav.no_such_label") == "nav.no_such_label"
    assert t("list.found", n=3) == "3 ta shartnoma"


# ---------------------------------------------------------------- the import tool


LEGACY = '''"""A module with labels written the old way."""

_LABELS: dict[str, tuple[str, str, str]] = {
    "zz.new": ("New words", "Yangi so‘zlar", "Новые слова"),
    "nav.dashboard": ("Dashboard", "Boshqaruv", "Обзор"),  # the catalog's Uzbek differs
    "zz.long": ("A label written "
                "on two lines", "Ikki qatorda", "В две строки"),
}
STATE_LABELS = {"zz_state": ("zz state", "zz holat", "zz состояние")}


def use() -> int:
    return len(_LABELS)
'''


@pytest.fixture
def scratch_locale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from web import catalog_tool

    locale = tmp_path / "locale"
    shutil.copytree(WEB / "locale", locale)
    monkeypatch.setattr(catalog_tool, "LOCALE_DIR", locale)
    return locale


def test_import_labels_moves_entries_into_the_catalogs_once(scratch_locale: Path, tmp_path: Path) -> None:
    from babel.messages.mofile import read_mo

    from web.catalog_tool import import_labels, load, problems

    source = tmp_path / "legacy.py"
    source.write_text(LEGACY, encoding="utf-8")
    notes: list[str] = []
    assert import_labels([source], out=notes) == 3 * 3
    assert load("uz").get("zz.new").string == "Yangi soʻzlar"  # oʻ spelt with U+02BB
    assert load("ru").get("zz.long").string == "В две строки"
    assert load("en").get("zz.long").string == "A label written on two lines"
    assert load("ru").get("state.zz_state").string == "zz состояние"
    assert load("uz").get("zz.new").auto_comments == ["New words"]  # the translator sees the English
    # The catalog's wording of an existing entry is kept, and the difference is reported.
    assert load("uz").get("nav.dashboard").string == "Boshqaruv paneli"
    assert notes == ["legacy.py: nav.dashboard [uz] kept the catalog's 'Boshqaruv paneli', not 'Boshqaruv'"]
    # The dicts are emptied; the module still parses and keeps its code.
    moved = source.read_text(encoding="utf-8")
    assert "_LABELS: dict[str, tuple[str, str, str]] = {}\n" in moved and "STATE_LABELS = {}\n" in moved
    assert "def use() -> int:" in moved and ast.parse(moved)
    with open(scratch_locale / "ru" / "LC_MESSAGES" / "web.mo", "rb") as f:
        assert read_mo(f).get("zz.new").string == "Новые слова"  # compiled
    assert problems() == []
    # Idempotent: a second run changes nothing.
    before = {p: p.read_bytes() for p in scratch_locale.rglob("*.*")}
    assert import_labels([source]) == 0
    assert {p: p.read_bytes() for p in scratch_locale.rglob("*.*")} == before


def test_import_labels_overwrite_lets_the_file_win(scratch_locale: Path, tmp_path: Path) -> None:
    from web.catalog_tool import import_labels, load, main

    source = tmp_path / "legacy.py"
    source.write_text(LEGACY, encoding="utf-8")
    assert import_labels([source], overwrite=True) == 3 * 3 + 1
    assert load("uz").get("nav.dashboard").string == "Boshqaruv"
    source.write_text('_LABELS = {"zz.bad": ("only English",)}\n', encoding="utf-8")
    with pytest.raises(SystemExit, match=r"zz.bad.*expected 3 strings"):
        main(["import-labels", str(source)])
    assert "zz.bad" in source.read_text(encoding="utf-8")  # refused: nothing moved


@pytest.mark.parametrize("bad", ["missing", "syntax", "not_strings"])
def test_import_labels_checks_every_file_before_emptying_any(scratch_locale: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str], bad: str) -> None:
    """A missing or malformed file among several is refused before anything is written: the
    good files keep their labels and the catalogs stay as they were."""
    from web.catalog_tool import main

    good = tmp_path / "good_labels.py"
    good.write_text(LEGACY, encoding="utf-8")
    broken = tmp_path / "broken_labels.py"
    if bad == "syntax":
        broken.write_text('LABELS = {"zz.x": ("a", "b", "c"),\n', encoding="utf-8")
    elif bad == "not_strings":
        broken.write_text('LABELS = {"zz.x": ("a", "b", 3)}\n', encoding="utf-8")
    before = {p: p.read_bytes() for p in scratch_locale.rglob("*.*")}
    with pytest.raises(SystemExit) as refused:
        main(["import-labels", str(good), str(broken)])
    assert str(refused.value.code).startswith(f"error: {broken}: ") and "nothing was changed" in str(refused.value.code)
    assert good.read_text(encoding="utf-8") == LEGACY
    assert {p: p.read_bytes() for p in scratch_locale.rglob("*.*")} == before
    if bad != "missing":
        assert "zz.x" in broken.read_text(encoding="utf-8")
    assert capsys.readouterr().out == ""


def test_labels_merged_in_python_are_shown_until_moved(monkeypatch: pytest.MonkeyPatch) -> None:
    """After a merge brings new `_LABELS` entries, pages show them even before the tool runs."""
    from web import i18n

    monkeypatch.setitem(i18n._LABELS, "zz.merged", ("Merged", "Qo‘shilgan", "Слитое"))
    monkeypatch.setitem(i18n.STATE_LABELS, "zz", ("zz", "zz-uz", "zz-ru"))
    t = i18n.Translator("ru", ZoneInfo("UTC"))
    assert t("zz.merged") == "Слитое" and t.state("zz") == "zz-ru"


# ---------------------------------------------------------------- pages in Uzbek and Russian


#: English words of the catalogs that may legitimately appear on a translated page (names).
PROPER = {"Erasmus Without Paper", "HAMKOR_INSTITUTION_HEI_ID", "API", "HTML", "PDF", "DOCX", "XLSX", "CSV", "JSON", "EWP", "ISCED"}


def _english_phrases() -> list[str]:
    """The catalogs' English texts that differ from their translations, as fragments without
    placeholders: none of these may show on a page in Uzbek or Russian."""
    from web.catalog_tool import load

    en, uz, ru = load("en"), load("uz"), load("ru")
    phrases = set()
    for m in en:
        if not m.id or not m.string or m.string in (uz.get(m.id).string, ru.get(m.id).string):
            continue
        for frag in re.split(r"\{[^}]*\}|[()“”:;·,]", str(m.string)):
            frag = frag.strip(" .…—-")
            if len(re.findall(r"[A-Za-z]", frag)) >= 4 and frag not in PROPER:
                phrases.add(frag)
    translated = " ".join(str(m.string) for c in (uz, ru) for m in c if m.id)
    # A word both languages borrow ("Token", "Format") is not English on the page.
    return sorted((p for p in phrases if not re.search(rf"(?<!\w){re.escape(p)}(?!\w)", translated)),
                  key=len, reverse=True)


def _visible(page: str) -> str:
    page = re.sub(r"<(script|style|code|pre)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return " ".join(html.unescape(page).split())


@pytest.mark.parametrize("lang", ["uz", "ru"])
def test_main_pages_in_uzbek_and_russian_show_no_english_from_the_catalogs(client: TestClient, lang: str) -> None:
    sign_in(client, "olga@uni.uz")
    ref = new_draft(client, title="Almashinuv", department="Mexanika")
    post(client, f"/agreements/{ref}/events/submit")
    post(client, "/lang", {"lang": lang, "next": "/"})
    phrases = _english_phrases()
    assert len(phrases) > 300
    pages = ["/", "/agreements", f"/agreements/{ref}", "/agreements/new", "/partners", "/outbox",
             "/reports", "/lifecycle", "/account", "/activities", "/agreements/AGR-1999-0042"]
    data = {"Olga Karimova", "olga@uni.uz", "Hiroshima University", "Politecnico di Torino", "Hiroshima",
            "Turin", "Home University", ref}
    for path in pages:
        text = _visible(client.get(path).text)
        for name in data:
            text = text.replace(name, " ")
        found = [p for p in phrases
                 if p in text and re.search(rf"(?<![\wʻʼ‘’']){re.escape(p)}(?![\wʻʼ‘’'])", text)]
        assert found == [], (lang, path, found[:5])


#: The demo's own words (stored as users typed them, or as the system recorded them at the
#: time: history notes, mails as they were sent): data, not the page's words.
_DEMO_DATA = ("select name from organizations", "select city from organizations",
              "select title from agreements", "select department from agreements",
              "select notes from agreements", "select note from events", "select name from users",
              "select email from users", "select title from activities", "select purpose from activities",
              "select place from activities", "select funder from activities", "select notes from activities",
              "select note from activity_events", "select note from partner_events",
              "select name from partner_contacts", "select position from partner_contacts",
              "select subject from notifications",
              "select name from attachments", "select other_info from mobility_specs")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, list[str], set[str]]]:
    """`hamkor demo`'s data (SQLite), a browser signed in as its administrator, the pages of
    every kind to read (each agreement, partner, activity and mail) and the data's words."""
    import sqlite3

    from cli.demo import DEMO_PASSWORD, DemoRun, _prepare, load_data
    from root import App
    from web.app import create_app

    out = tmp_path_factory.mktemp("demo")
    data, url = load_data(), _prepare(out, None)
    home = data["institution"]
    app = App(url, institution=home["name"], institution_country=home["country"],
              institution_hei_id=home.get("hei_id"), mail_backend="file", mail_dir=out / "mail",
              files_dir=out / "files", reports_dir=out / "reports")
    DemoRun(app, data, out, url).all()
    db = sqlite3.connect(url.removeprefix("sqlite:///"))
    ids = {table: [r[0] for r in db.execute(f"select id from {table} order by id")]  # noqa: S608
           for table in ("agreements", "organizations", "activities", "notifications", "users")}
    refs = [r[0] for r in db.execute("select ref from agreements order by id")]
    words = {str(v) for q in _DEMO_DATA for (v,) in db.execute(q) if v}
    db.close()
    pages = ["/", "/agreements", "/agreements/new", "/partners", "/ewp", "/import", "/outbox", "/audit",
             "/reports", "/users", "/activities", "/lifecycle", "/account",
             *(f"/agreements/{r}" for r in refs), f"/agreements/{refs[0]}/edit",
             *(f"/partners/{i}" for i in ids["organizations"]), *(f"/activities/{i}" for i in ids["activities"]),
             *(f"/outbox/{i}" for i in ids["notifications"][:12])]
    client = TestClient(create_app(app, secret="s" * 40))
    sign_in(client, "admin@ttpu.example", DEMO_PASSWORD)
    yield client, pages, words
    client.close()
    app.close()


@pytest.mark.parametrize("lang", ["uz", "ru"])
def test_the_demos_pages_in_uzbek_and_russian_show_no_english_from_the_catalogs(
        demo: tuple[TestClient, list[str], set[str]], lang: str) -> None:
    """Every page of the demo's data (dashboard, list, each agreement, partner, activity and
    mail, EWP, import, outbox, audit, reports, users) in Uzbek and Russian: no English text
    of the catalogs, once the data's own words are set aside."""
    client, pages, words = demo
    post(client, "/lang", {"lang": lang, "next": "/"})
    phrases = _english_phrases()
    assert len(pages) > 40 and len(phrases) > 300
    problems = {}
    for path in pages:
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code)
        text = _visible(r.text)
        assert html.unescape(r.text).count('lang="' + lang + '"') >= 1
        for word in sorted(words, key=len, reverse=True):
            text = text.replace(word, " ")
        found = [p for p in phrases
                 if p in text and re.search(rf"(?<![\wʻʼ‘’']){re.escape(p)}(?![\wʻʼ‘’'])", text)]
        if found:
            problems[path] = found[:5]
    assert problems == {}, (lang, problems)


def test_refusals_read_in_the_readers_language(make_client) -> None:  # type: ignore[no-untyped-def]
    client = make_client()
    sign_in(client, "olga@uni.uz")
    ref = new_draft(client)
    post(client, "/lang", {"lang": "ru", "next": "/"})
    r = client.get("/agreements/AGR-1999-0042")
    assert r.status_code == 404 and "Не найдено: соглашение «AGR-1999-0042»." in html.unescape(r.text)
    post(client, "/lang", {"lang": "uz", "next": "/"})
    r = post(client, f"/agreements/{ref}/events/send_for_signature")
    text = html.unescape(r.text)
    assert r.status_code == 409 and f"{ref}: “Imzoga yuborish” hozir mumkin emas (qoralama)" in text
    assert "cannot" not in text and "send_for_signature" not in _visible(r.text)
    viewer = make_client()
    sign_in(viewer, "vera@uni.uz")
    post(viewer, "/lang", {"lang": "ru", "next": "/"})
    r = post(viewer, f"/agreements/{ref}/events/submit")
    text = html.unescape(r.text)
    assert r.status_code == 403 and "Ваша роль (наблюдатель) этого не позволяет: нужна роль «сотрудник» или выше." in text


def test_unknown_pages_and_wrong_methods_read_in_the_readers_language(client: TestClient) -> None:
    sign_in(client, "olga@uni.uz")
    post(client, "/lang", {"lang": "uz", "next": "/"})
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "Bunday sahifa yoʻq" in html.unescape(r.text) and "Not Found" not in r.text
    r = client.get("/lang")  # a form's address opened by hand
    assert r.status_code == 405 and "Method Not Allowed" not in r.text and "sahifadagi tugma" in html.unescape(r.text)
