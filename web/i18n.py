"""The web interface's words in English, Uzbek and Russian, and dates and numbers by Babel.

The words live in gettext catalogs, `web/locale/<lang>/LC_MESSAGES/web.po`
(msgid: a stable key such as `nav.dashboard`; compiled to `web.mo`, which is
what is read). Codes the reports also show (agreement types, forms of
cooperation, partner kinds, countries) come from the reports' catalogs, so each
has one translation everywhere. Data (titles, partner names, notes) is shown as
entered. Dates are business dates in the reader's language; timestamps are
shown in the office's time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

LANGUAGES = {"en": "English", "uz": "Oʻzbekcha", "ru": "Русский"}
DEFAULT_LANG = "en"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "web"

# Labels written the old way, key: (English, Uzbek, Russian). Keep these empty: new
# words go into the catalogs, and `python -m web.catalog_tool import-labels` moves any
# entry found here (after a merge) into them. Until then they are still shown.
_LABELS: dict[str, tuple[str, str, str]] = {}
STATE_LABELS: dict[str, tuple[str, str, str]] = {}
EVENT_LABELS: dict[str, tuple[str, str, str]] = {}
FIELD_NAMES: dict[str, tuple[str, str, str]] = {}
RULE_MESSAGES: dict[str, tuple[str, str]] = {}  # rule code: (Uzbek, Russian)

_INDEX = {"en": 0, "uz": 1, "ru": 2}
#: Column names (as the history's `edit` lines name them) → label keys.
FIELD_KEYS = {"title": "f.title", "type": "f.type", "owner": "f.owner", "department": "f.department",
              "notes": "f.notes", "forms": "f.forms", "starts_on": "f.starts", "expires_on": "f.expires",
              "indefinite": "f.indefinite_short", "auto_renew": "f.auto_renew",
              "renewal_months": "f.renewal_months", "notice_days": "f.notice_days",
              "parties": "f.parties"}
#: Label dicts still written in Python (see `python -m web.catalog_tool import-labels`), by key prefix.
_LEGACY: tuple[tuple[str, dict[str, tuple[str, str, str]]], ...] = (
    ("state.", STATE_LABELS), ("event.", EVENT_LABELS), ("field.", FIELD_NAMES), ("", _LABELS))


def pick_language(requested: str | None, accept_language: str | None) -> str:
    """The session's choice, else the browser's first supported language, else English."""
    if requested in LANGUAGES:
        return requested
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANG


@lru_cache(maxsize=len(LANGUAGES))
def catalog(lang: str) -> Any:
    """The compiled catalog (`web/locale/<lang>/LC_MESSAGES/web.mo`) of a language.
    Babel's `Translations.load` quietly falls back to the keys when a catalog is missing;
    a page of keys is a defect, so refuse."""
    from babel.support import Translations

    found = Translations.load(str(LOCALE_DIR), [lang], DOMAIN)
    if not isinstance(found, Translations):
        raise RuntimeError(f"no compiled web catalog for {lang!r} in {LOCALE_DIR} "
                           "(python -m web.catalog_tool compile)")
    return found


class Translator:
    def __init__(self, lang: str, zone: ZoneInfo) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANG
        self.zone = zone
        self._i = _INDEX[self.lang]
        self._gettext = catalog(self.lang).gettext

    def text(self, key: str) -> str | None:
        """The catalog's text for `key` in this language; None when there is none."""
        found: str = self._gettext(key)
        if found != key:
            return found
        for prefix, legacy in _LEGACY:  # labels merged in but not yet moved to the catalogs
            if key.startswith(prefix) and (entry := legacy.get(key[len(prefix):])):
                return entry[self._i]
        if key.startswith("rule.") and self._i and (rule := RULE_MESSAGES.get(key[5:])):
            return rule[self._i - 1]
        return None

    def __call__(self, key: str, /, **values: Any) -> str:
        text = self.text(key)
        if text is None:
            # `t("<kind>." ~ code)` with no code: nothing to show; otherwise the key shows the gap.
            text = "" if key.endswith(".None") else key
        return text.format(**values) if values else text

    def field_name(self, name: str) -> str:
        """A field's name inside a sentence, in the reader's language."""
        return self.text(f"field.{name}") or self.text(f"f.{name}") or name.replace("_", " ")

    def rule(self, problem: Any) -> str | None:
        """The template of a refusal (a `Problem`) worded for the web in the reader's
        language; None: the rule book's English (workflow/rules.py)."""
        template = self.text(f"rule.{problem.code}")
        if template and "iia_label" in problem.params:
            # A refusal wrapped in one IIA's (ewp/exchange.py `in_iia`): its label in front,
            # in the reader's words too.
            outer = self.text("rule.ewp.in_iia") or "iia {label}: {why}"
            template = outer.replace("{label}", "{iia_label}").replace("{why}", template)
        if template:
            # A list of things by their keys (`missing_keys` for `{missing}`): each in the
            # reader's words (`need.<key>`), not the rule book's English joined up.
            for name, keys in problem.params.items():
                if name.endswith("_keys") and isinstance(keys, tuple | list):
                    words = ", ".join(self.text(f"need.{k}") or str(k) for k in keys)
                    template = template.replace("{" + name.removesuffix("_keys") + "}",
                                                words.replace("{", "{{").replace("}", "}}"))
        return template

    def worded(self, code: str | None, params: Mapping[str, Any] | None) -> str:
        """A rule (workflow/rules.py) by its code and values, in the reader's language ('' for
        no code); a `state` among the values by its name."""
        if not code:
            return ""
        from workflow.rules import problem

        values = dict(params or {})
        if "state" in values:
            values["state"] = self.state(values["state"])
        p = problem(code, None, **values)
        return p.text(self.field_name, self.rule(p))

    def state(self, value: str | None) -> str:
        return (self.text(f"state.{value}") or value or "") if value else ""

    def event(self, value: str) -> str:
        return self.text(f"event.{value}") or value.replace("_", " ")

    def role(self, value: str | None) -> str:
        """A user's role (viewer, officer, approver, admin) or `system` for the daily run."""
        return (self.text(f"role.{value}") or value or "") if value else ""

    def help(self, event: str) -> str:
        """What an event of the lifecycle does, in a sentence."""
        return self.text(f"help.{event}") or ""

    def number(self, value: float | None) -> str:
        """A number as the language writes it (1,234 / 1 234 / 1 234)."""
        if value is None:
            return ""
        from babel.numbers import format_decimal

        return str(format_decimal(value, locale=self.lang))

    def _labels(self) -> Any:
        """The reports' gettext catalogs (shared: one translation of a code everywhere)."""
        return _formatter(self.lang)

    def type(self, value: str | None) -> str:
        """An agreement type's name (`double_degree` → "Double degree" / "Qo‘sh diplom")."""
        return str(self._labels().label("type", value)) if value else ""

    def form(self, value: str | None) -> str:
        return str(self._labels().label("form", value)) if value else ""

    def kind(self, value: str | None) -> str:
        """A partner kind (university, company, ...)."""
        return str(self._labels().label("kind", value)) if value else ""

    def country(self, code: str | None) -> str:
        """A country's name in this language (Babel's CLDR data), from its ISO code."""
        return str(self._labels().country(code)) if code else ""

    def field(self, name: str) -> str:
        """An agreement field's label, by its column name (the history's `edit` lines)."""
        key = FIELD_KEYS.get(name)
        return (self.text(key) if key else None) or name.replace("_", " ")

    def date(self, value: date | str | None) -> str:
        """A business date, e.g. '19 Feb 2020' / '19-fev, 2020' / '19 февр. 2020 г.'."""
        if not value:
            return ""
        day = date.fromisoformat(value) if isinstance(value, str) else value
        return _format_date(day, self.lang)

    def datetime(self, value: datetime | str | None) -> str:
        """A UTC timestamp, shown in the office's time zone."""
        if not value:
            return ""
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return _format_datetime(moment, self.zone, self.lang)


@lru_cache(maxsize=3)
def _formatter(lang: str) -> Any:
    from reports.i18n import Formatter

    return Formatter(lang)


def _format_date(day: date, lang: str) -> str:
    from workflow.dates import format_date

    return format_date(day, lang, "medium")


def _format_datetime(moment: datetime, zone: ZoneInfo, lang: str) -> str:
    from babel.dates import format_datetime

    return format_datetime(moment, format="medium", tzinfo=zone, locale=lang)
