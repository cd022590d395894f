"""Every label in English, Uzbek (Latin) and Russian; dates and numbers by language."""

from __future__ import annotations

import fnmatch
import tomllib
from datetime import date
from pathlib import Path

import pytest
from babel.support import Translations

from reports import catalogs, i18n
from reports.i18n import Formatter, translations
from workflow.errors import Invalid

ROOT = Path(__file__).resolve().parents[2]


def test_every_label_is_translated_and_compiled() -> None:
    """Labels of the templates (html, md, docx) and of the code, in both catalogs."""
    assert catalogs.problems() == []
    extracted = {m for m, _f, _l in catalogs._messages()}
    assert {"Key figures", "Coverage gaps", "Memorandum of understanding",
            "Annex. Register of agreements in force on %(date)s", "Indicator"} <= extracted


@pytest.mark.parametrize("lang, expected", [
    ("uz", {"Annual report on international cooperation": "Xalqaro hamkorlik boʻyicha yillik hisobot",
            "Coverage gaps": "Amal qilishdagi uzilishlar", "In force": "Amalda",
            "Situation on %(date)s": "%(date)s holatiga"}),
    ("ru", {"Annual report on international cooperation":
            "Годовой отчёт о международном сотрудничестве",
            "Coverage gaps": "Перерывы в действии соглашений", "In force": "Действует",
            "Situation on %(date)s": "По состоянию на %(date)s"}),
])
def test_each_language_really_translates(lang: str, expected: dict[str, str]) -> None:
    t = translations(lang)
    assert isinstance(t, Translations)  # a real catalog, not the silent fallback
    for msgid, text in expected.items():
        assert t.gettext(msgid) == text
    untouched = [m for m, _f, _l in catalogs._messages() if t.gettext(m) == m]
    # Only words that are the same in both languages stay as they are.
    assert set(untouched) <= {"Format", "Grant"}, untouched


def test_every_code_the_data_can_hold_has_a_label() -> None:
    from reports.data import PROBLEMS
    from workflow.agreements import FORMS, TYPES
    from workflow.lifecycle import State
    from workflow.registry import KINDS

    assert set(i18n.TYPE_LABELS) == set(TYPES)
    assert set(i18n.FORM_LABELS) == set(FORMS)
    assert set(i18n.KIND_LABELS) == set(KINDS)
    assert set(i18n.STATE_LABELS) == {s.value for s in State}
    assert set(i18n.PROBLEM_LABELS) == set(PROBLEMS)


def test_english_is_the_source_and_needs_no_catalog() -> None:
    assert translations("en").gettext("Coverage gaps") == "Coverage gaps"


def test_a_language_without_a_compiled_catalog_is_refused_not_shown_in_english(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    with pytest.raises(Invalid, match="no compiled catalog for language 'ru'"):
        translations.__wrapped__("ru")
    with pytest.raises(Invalid, match="language 'fr' is not one of en, uz, ru"):
        translations.__wrapped__("fr")


def test_dates_numbers_and_countries_follow_the_language() -> None:
    day = date(2024, 3, 5)
    en, uz, ru = Formatter("en"), Formatter("uz"), Formatter("ru")
    assert (en.date(day), uz.date(day), ru.date(day)) == ("5 Mar 2024", "05.03.2024", "05.03.2024")
    assert en.long_date(day) == "March 5, 2024"
    assert uz.long_date(day) == "5-mart, 2024"
    assert ru.long_date(day).replace("\u202f", " ") == "5 марта 2024 г."
    assert en.number(12345) == "12,345"
    assert ru.number(12345).replace("\xa0", " ") == "12 345"
    assert uz.number(12345.5).replace("\xa0", " ") == "12 345,5"
    assert (en.country("JP"), uz.country("JP"), ru.country("JP")) == ("Japan", "Yaponiya", "Япония")
    assert ru.country(None) == "Страна не указана"
    assert ru.label("type", "mou") == "Меморандум о взаимопонимании"
    assert uz.label("state", "renewal_due") == "Amalda, uzaytirish vaqti keldi"
    assert ru.label("department", None) == "Без подразделения"
    assert en.label("type", "something_new") == "something_new"
    assert (ru.yes_no(True), uz.yes_no(False)) == ("да", "yoʻq")


def test_templates_and_catalogs_are_shipped_as_package_data() -> None:
    """Every file the renderers read matches the package-data globs of pyproject.toml."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["reports"]
    needed = [p.relative_to(ROOT / "reports").as_posix()
              for p in [*(ROOT / "reports" / "templates").iterdir(),
                        *(ROOT / "reports" / "locale").glob("*/LC_MESSAGES/messages.*")]]
    assert {"templates/annual.html", "templates/annual.md", "templates/annual.docx",
            "locale/uz/LC_MESSAGES/messages.mo", "locale/ru/LC_MESSAGES/messages.mo"} <= set(needed)
    for path in needed:
        assert any(fnmatch.fnmatch(path, g) for g in globs), path
