"""The languages of e-mail: gettext catalogs for the words, Babel for dates.

English is the source language (the msgids); `uz` (Uzbek, Latin script) and
`ru` have catalogs in `notifications/locale/<lang>/LC_MESSAGES/messages.mo`,
compiled from the `.po` files by `python -m notifications.catalogs`. Each mail
is rendered in its recipient's language (`users.lang`).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from config.languages import LANGUAGES, N_, SOURCE_LANGUAGE

__all__ = ["LANGUAGES", "SOURCE_LANGUAGE", "N_"]

if TYPE_CHECKING:
    from babel.support import NullTranslations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
#: Dates in mail: unambiguous everywhere ("30 June 2027", "30-iyun, 2027", "30 июня 2027 г.").
LONG_DATE = {"en": "d MMMM y", "uz": "long", "ru": "long"}


TYPE_LABELS = {
    "mou": N_("memorandum of understanding"),
    "exchange": N_("academic exchange"),
    "cooperation": N_("cooperation agreement"),
    "double_degree": N_("double degree"),
    "internship": N_("internship"),
    "research": N_("research"),
    "consortium": N_("consortium"),
    "grant": N_("grant"),
    "other": N_("other"),
}


def language(value: str | None) -> str:
    """A user's stored language, or English for anything unknown."""
    return value if value in LANGUAGES else SOURCE_LANGUAGE


def check_language(value: str) -> str:
    """`value` as a language code, or ValueError naming the choices."""
    lang = value.strip().lower()
    if lang not in LANGUAGES:
        raise ValueError(f"language {value!r} is not one of {', '.join(LANGUAGES)}")
    return lang


@cache
def translations(lang: str) -> NullTranslations:
    """The catalog for `lang`. `Translations.load` falls back to the msgids silently when
    a catalog is missing; an English mail to a Russian reader is a defect, so refuse."""
    from babel.support import NullTranslations, Translations

    if lang == SOURCE_LANGUAGE:
        return NullTranslations()
    found = Translations.load(str(LOCALE_DIR), [lang], DOMAIN)
    if not isinstance(found, Translations):
        raise RuntimeError(f"no compiled mail catalog for language {lang!r} in {LOCALE_DIR}")
    return found


def long_date(value: date | None, lang: str) -> str:
    if value is None:
        return translations(lang).gettext(N_("(no date)"))
    from workflow.dates import format_date  # memoised: a message formats the same few dates

    return format_date(value, lang, LONG_DATE[lang])
