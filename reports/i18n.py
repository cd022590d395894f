"""Languages of the report: gettext catalogs for labels, Babel for dates and numbers.

English is the source language (the msgids); `uz` (Uzbek, Latin script) and
`ru` have catalogs in `reports/locale/<lang>/LC_MESSAGES/messages.mo`, compiled
from the `.po` files by `python -m reports.catalogs`. `Translations.load`
silently falls back to the msgids when a catalog is missing, so `translations`
refuses a language without one instead of producing an English report.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from config.languages import LANGUAGES, N_, SOURCE_LANGUAGE
from workflow import rules
from workflow.errors import Invalid

__all__ = ["LANGUAGES", "SOURCE_LANGUAGE", "N_"]

if TYPE_CHECKING:
    from babel.support import NullTranslations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


TYPE_LABELS = {
    "mou": N_("Memorandum of understanding"),
    "exchange": N_("Academic exchange"),
    "cooperation": N_("Cooperation agreement"),
    "double_degree": N_("Double degree"),
    "internship": N_("Internship"),
    "research": N_("Research"),
    "consortium": N_("Consortium"),
    "grant": N_("Grant"),
    "other": N_("Other"),
}
STATE_LABELS = {
    "draft": N_("Draft"),
    "in_review": N_("In review"),
    "approved": N_("Approved"),
    "awaiting_signatures": N_("Awaiting signatures"),
    "signed": N_("Signed"),
    "active": N_("In force"),
    "renewal_due": N_("In force, renewal due"),
    "expired": N_("Expired"),
    "superseded": N_("Superseded"),
    "terminated": N_("Terminated"),
    "withdrawn": N_("Withdrawn"),
}
KIND_LABELS = {
    "university": N_("University"),
    "company": N_("Company"),
    "government": N_("Government body"),
    "ngo": N_("Non-governmental organisation"),
    "other": N_("Other organisation"),
}
FORM_LABELS = {
    "student exchange": N_("Student exchange"),
    "staff exchange": N_("Staff exchange"),
    "joint programme": N_("Joint programme"),
    "joint research": N_("Joint research"),
    "internship": N_("Internships"),
    "training": N_("Training"),
    "lab": N_("Joint laboratory"),
    "other": N_("Other forms"),
}
PROBLEM_LABELS = {
    "no_start_date": N_("No start date"),
    "no_expiry_date": N_("No expiry date"),
    "no_signature_date": N_("No signature date"),
    "no_owner": N_("No owner"),
    "partner_without_country": N_("Partner without country"),
    "mixed_script": N_("Letters of two scripts in one word"),
}
RENEWAL_LABELS = {
    "successor": N_("New agreement"),
    "tacit": N_("Tacit renewal"),
}
DIRECTION_LABELS = {
    "outgoing": N_("Outgoing"),
    "incoming": N_("Incoming"),
}
CATEGORY_LABELS = {  # mobility categories (activities) and kinds of cooperation conditions
    "student-studies": N_("Students: studies"),
    "student-traineeship": N_("Students: traineeships"),
    "staff-teaching": N_("Staff: teaching"),
    "staff-teacher": N_("Staff: teaching"),
    "staff-training": N_("Staff: training"),
    "other": N_("Other mobility"),
}
ROLE_LABELS = {
    "coordinator": N_("Coordinator"),
    "partner": N_("Partner"),
    "associate": N_("Associated partner"),
}
LABELS: dict[str, dict[str, str]] = {
    "type": TYPE_LABELS, "state": STATE_LABELS, "kind": KIND_LABELS, "form": FORM_LABELS,
    "problem": PROBLEM_LABELS, "renewal": RENEWAL_LABELS, "direction": DIRECTION_LABELS,
    "category": CATEGORY_LABELS, "role": ROLE_LABELS,
}
#: What a missing value is called, per kind of label.
MISSING = {
    "country": N_("Country not given"),
    "form": N_("Form not given"),
    "department": N_("No department"),
    "kind": N_("Other organisation"),
}
NOT_GIVEN = N_("Not given")

#: Table dates: compact and unambiguous in each language.
SHORT_DATE = {"en": "d MMM y", "uz": "dd.MM.y", "ru": "dd.MM.y"}
EXCEL_DATE = {"en": "d mmm yyyy", "uz": "dd.mm.yyyy", "ru": "dd.mm.yyyy"}


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        rules.refuse("language.choice", "lang", value=lang, choices=", ".join(LANGUAGES))
    return lang


@cache
def translations(lang: str) -> NullTranslations:
    """The catalog for `lang`; refuses a missing one rather than falling back."""
    from babel.support import NullTranslations, Translations

    check_language(lang)
    if lang == SOURCE_LANGUAGE:
        return NullTranslations()
    found = Translations.load(str(LOCALE_DIR), [lang], DOMAIN)
    if not isinstance(found, Translations):
        raise Invalid(rules.problem("report.no_catalog", "lang", lang=lang, folder=str(LOCALE_DIR)))
    return found


class Formatter:
    """Labels, dates and numbers in one language, memoised (reports repeat values)."""

    def __init__(self, lang: str) -> None:
        from babel import Locale

        self.lang = check_language(lang)
        self.locale = Locale.parse(lang)
        self._t = translations(lang)
        self._labels: dict[tuple[str, Any], str] = {}

    def gettext(self, message: str) -> str:
        return self._t.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ngettext(singular, plural, n)

    def date(self, value: dt.date | None) -> str:
        if value is None:
            return ""
        from workflow.dates import format_date

        return format_date(value, self.lang, SHORT_DATE[self.lang])

    def long_date(self, value: dt.date | None) -> str:
        if value is None:
            return ""
        from workflow.dates import format_date

        return format_date(value, self.lang, "long")

    def datetime(self, value: dt.datetime | None) -> str:
        if value is None:
            return ""
        from babel.dates import format_datetime

        at = value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return format_datetime(at, "medium", tzinfo=dt.UTC, locale=self.locale) + " UTC"

    def number(self, value: int | float | None) -> str:
        if value is None:
            return ""
        key = ("number", value)
        out = self._labels.get(key)
        if out is None:
            from babel.numbers import format_decimal

            out = self._labels[key] = format_decimal(value, locale=self.locale)
        return out

    def country(self, code: str | None) -> str:
        key = ("country", code)
        out = self._labels.get(key)
        if out is None:
            if code is None:
                missing = MISSING["country"]
                out = self.gettext(missing)
            else:
                out = self.locale.territories.get(code, code)
            self._labels[key] = out
        return out

    def label(self, kind: str, code: str | None) -> str:
        """The translated label of a code (`type`, `state`, `kind`, `form`, `problem`,
        `renewal`, `direction`, `department`); unknown codes are shown as they are."""
        key = (kind, code)
        out = self._labels.get(key)
        if out is None:
            if code is None or code == "":
                missing = MISSING.get(kind, NOT_GIVEN)
                out = self.gettext(missing)
            else:
                msg = LABELS.get(kind, {}).get(code)
                out = self.gettext(msg) if msg else str(code)
            self._labels[key] = out
        return out

    def yes_no(self, value: bool | None) -> str:
        return self.gettext(N_("yes")) if value else self.gettext(N_("no"))

    def names(self, partners: list[dict[str, Any]]) -> str:
        if len(partners) == 1:
            return str(partners[0]["name"])
        return ", ".join([p["name"] for p in partners])

    def countries(self, partners: list[dict[str, Any]]) -> str:
        if len(partners) == 1:
            return self.country(partners[0]["country"])
        return ", ".join(dict.fromkeys([self.country(p["country"]) for p in partners]))
