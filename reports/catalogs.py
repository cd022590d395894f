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
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from reports.i18n import DOMAIN, LANGUAGES, LOCALE_DIR, SOURCE_LANGUAGE

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true",
                 "silent": "false"}  # a template that does not parse must not lose its labels
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


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def update() -> None:
    template = template_catalog()
    with open(LOCALE_DIR / f"{DOMAIN}.pot", "wb") as f:
        write_po(f, template, omit_header=False, sort_output=True, include_lineno=False)
    for lang in TRANSLATED:
        path = po_path(lang)
        if path.exists():
            with open(path, "rb") as f:
                catalog = read_po(f, locale=lang)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=lang, domain=DOMAIN, project="Hamkor", version="0.1",
                              fuzzy=False)
        catalog.update(template, no_fuzzy_matching=True)
        with open(path, "wb") as f:
            write_po(f, catalog, sort_output=True, ignore_obsolete=True, include_lineno=False)


def compile_all() -> None:
    for lang in TRANSLATED:
        with open(po_path(lang), "rb") as f:
            catalog = read_po(f, locale=lang)
        with open(po_path(lang).with_suffix(".mo"), "wb") as f:
            write_mo(f, catalog, use_fuzzy=False)


def problems() -> list[str]:
    """Why the catalogs are not complete and compiled (empty when they are)."""
    out = []
    wanted = {m for m, _f, _l in _messages()}
    for lang in TRANSLATED:
        with open(po_path(lang), "rb") as f:
            po = read_po(f, locale=lang)
        mo_path = po_path(lang).with_suffix(".mo")
        if not mo_path.exists():
            out.append(f"{lang}: {mo_path.name} is missing")
            continue
        with open(mo_path, "rb") as f:
            mo = read_mo(f)
        for msgid in sorted(wanted):
            entry = po.get(msgid)
            if entry is None or not entry.string:
                out.append(f"{lang}: untranslated {msgid!r}")
            elif entry.fuzzy:
                out.append(f"{lang}: fuzzy {msgid!r}")
            else:
                compiled = mo.get(msgid)
                if compiled is None or compiled.string != entry.string:
                    out.append(f"{lang}: {mo_path.name} is older than the .po for {msgid!r}")
    return out


def main(argv: list[str]) -> int:
    action = argv[0] if argv else "all"
    if action in ("all", "update"):
        update()
    if action in ("all", "compile"):
        compile_all()
    if action in ("all", "check"):
        found = problems()
        for p in found:
            print(p, file=sys.stderr)
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
