"""Maintain the mail's message catalogs (Babel).

    python -m notifications.catalogs          # extract, update the .po files, compile the .mo files
    python -m notifications.catalogs check    # exit 1 if a string is untranslated or a .mo is stale

Strings are extracted from every template under `notifications/templates` and
from the Python modules that mark them (`N_`, `gettext`, `ngettext`). After
`update`, translate the empty `msgstr`s in `locale/<lang>/LC_MESSAGES/messages.po`
and run it again to compile.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract

from config import catalogs
from notifications.i18n import DOMAIN, LANGUAGES, LOCALE_DIR, SOURCE_LANGUAGE

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
KEYWORDS = catalogs.KEYWORDS
JINJA_OPTIONS = {**catalogs.JINJA_OPTIONS, "newstyle_gettext": "true"}
PYTHON_SOURCES = ("i18n.py", "compose.py", "context.py", "digest.py", "calendar_feed.py",
                  "account_mail.py")
TRANSLATED = tuple(lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE)


def _messages() -> Iterator[tuple[str | tuple[str, ...], str, int]]:
    """(message, file, line) for every string; plural forms as (singular, plural)."""
    for path in sorted(TEMPLATES.rglob("*")):
        if not path.is_file():
            continue
        with open(path, "rb") as f:
            for lineno, message, _c, _ctx in extract("jinja2.ext:babel_extract", f, KEYWORDS,
                                                     options=JINJA_OPTIONS):
                yield message, str(path.relative_to(HERE)), lineno
    for name in PYTHON_SOURCES:
        with open(HERE / name, "rb") as f:
            for lineno, message, _c, _ctx in extract("python", f, KEYWORDS):
                yield message, name, lineno


def _msgid(message: Any) -> Any:
    return tuple(message) if isinstance(message, (tuple, list)) else message


def template_catalog() -> Catalog:
    catalog = Catalog(domain=DOMAIN, project="Hamkor", version="0.1",
                      msgid_bugs_address="", copyright_holder="Hamkor", fuzzy=False)
    for message, filename, lineno in _messages():
        catalog.add(_msgid(message), locations=[(filename, lineno)])
    return catalog


TOOL = catalogs.Tool(
    "notifications.catalogs", LOCALE_DIR, DOMAIN, TRANSLATED, template_catalog,
    lambda: (_msgid(m) for m, _f, _l in _messages()),
    pot_header="The words of Hamkor's e-mail", po_header="words of Hamkor's e-mail")
update, compile_all, problems, main = TOOL.update, TOOL.compile_all, TOOL.problems, TOOL.main


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
