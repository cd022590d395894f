"""Maintain the report's message catalogs (Babel).

    python -m reports.catalogs          # extract, update the .po files, compile the .mo files
    python -m reports.catalogs check    # exit 1 if a label is untranslated or a .mo is stale

Labels are extracted from the templates (`annual.html`, `annual.md`, the text
of `annual.docx`) and from the Python modules (`N_`, `_`, `gettext`). After
`update`, translate the empty `msgstr`s in `locale/<lang>/LC_MESSAGES/messages.po`
and run it again to compile.
"""

from __future__ import annotations

import io
import re
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract

from config import catalogs
from reports.i18n import DOMAIN, LANGUAGES, LOCALE_DIR, SOURCE_LANGUAGE

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
KEYWORDS = catalogs.KEYWORDS
JINJA_OPTIONS = catalogs.JINJA_OPTIONS
PYTHON_SOURCES = ("i18n.py", "tables.py", "xlsx.py", "chart.py")
TRANSLATED = tuple(lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE)


def _docx_text(path: Path) -> str:
    """The Jinja text of a Word template: one line per paragraph, XML tags removed."""
    parts = []
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml|docProps/core\.xml", name):
                xml = z.read(name).decode("utf-8")
                xml = re.sub(r"</w:p>|</dc:title>", "\n", xml)
                parts.append(re.sub(r"<[^>]+>", "", xml))
    text = "\n".join(parts)
    for a, b in (("&quot;", '"'), ("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"), ("“", '"'),
                 ("”", '"'), ("‘", "'"), ("’", "'")):
        text = text.replace(a, b)
    return re.sub(r"\{%(tr|p|tc|r) ", "{% ", text)


def _messages() -> Iterator[tuple[str, str, int]]:
    """(message, file, line) for every label."""
    for path in sorted(TEMPLATES.iterdir()):
        if path.suffix in (".html", ".md"):
            source = path.read_bytes()
        elif path.suffix == ".docx":
            source = _docx_text(path).encode("utf-8")
        else:
            continue
        for lineno, message, _c, _ctx in extract("jinja2.ext:babel_extract", io.BytesIO(source),
                                                 KEYWORDS, options=JINJA_OPTIONS):
            yield from ((m, f"templates/{path.name}", lineno) for m in _flat(message))
    for name in PYTHON_SOURCES:
        with open(HERE / name, "rb") as f:
            for lineno, message, _c, _ctx in extract("python", f, KEYWORDS):
                yield from ((m, name, lineno) for m in _flat(message))


def _flat(message: Any) -> list[str]:
    if isinstance(message, tuple):
        return [m for m in message if m]
    return [message] if message else []


def template_catalog() -> Catalog:
    catalog = Catalog(domain=DOMAIN, project="Hamkor", version="0.1",
                      msgid_bugs_address="", copyright_holder="Hamkor", fuzzy=False)
    for message, filename, lineno in _messages():
        catalog.add(message, locations=[(filename, lineno)])
    return catalog


TOOL = catalogs.Tool(
    "reports.catalogs", LOCALE_DIR, DOMAIN, TRANSLATED, template_catalog,
    lambda: (m for m, _f, _l in _messages()),
    pot_header="Labels of the Hamkor annual report", po_header="labels of the Hamkor annual report")
update, compile_all, problems, main = TOOL.update, TOOL.compile_all, TOOL.problems, TOOL.main


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
