"""The gettext catalog chores shared by the mail (`python -m notifications.catalogs`), the
report (`python -m reports.catalogs`) and the web (`python -m web.catalog_tool`): merge a
template into each language's .po, compile each .po to its .mo, and list what is not
translated or not compiled. Each tool keeps its own sources of messages and its own words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

#: The marks the extraction looks for, in templates and in Python.
KEYWORDS: dict[str, Any] = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
#: How templates are read for extraction (a template that does not parse must not lose its words).
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true",
                 "silent": "false"}
TEAMS = {"en": "English", "uz": "Uzbek (Latin)", "ru": "Russian"}
TRANSLATOR = "Hamkor international office"


def po_path(locale_dir: Path, domain: str, lang: str) -> Path:
    return locale_dir / lang / "LC_MESSAGES" / f"{domain}.po"


def new_catalog(lang: str, domain: str) -> Catalog:
    return Catalog(locale=lang, domain=domain, project="Hamkor", version="0.1", fuzzy=False)


def read_catalog(path: Path, lang: str, domain: str) -> Catalog:
    """The .po at `path`, or an empty catalog for `lang` where there is none yet."""
    if not path.exists():
        return new_catalog(lang, domain)
    with open(path, "rb") as f:
        return read_po(f, locale=lang)


def write_catalog(path: Path, catalog: Catalog, lang: str, header: str, **options: Any) -> None:
    """Write one language's .po, sorted, obsolete entries dropped, with its header comment."""
    catalog.header_comment = header
    catalog.last_translator = TRANSLATOR
    catalog.language_team = TEAMS.get(lang, lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        write_po(f, catalog, sort_output=True, ignore_obsolete=True, **options)


def update_catalogs(template: Catalog, locale_dir: Path, domain: str, langs: Iterable[str], *,
                    pot_header: str, po_header: Callable[[str], str]) -> None:
    """Write the .pot and merge it into each language's .po (new messages empty, none fuzzy)."""
    template.header_comment = pot_header
    locale_dir.mkdir(exist_ok=True)
    with open(locale_dir / f"{domain}.pot", "wb") as f:
        write_po(f, template, omit_header=False, sort_output=True, include_lineno=False)
    for lang in langs:
        path = po_path(locale_dir, domain, lang)
        catalog = read_catalog(path, lang, domain)
        catalog.update(template, no_fuzzy_matching=True)
        write_catalog(path, catalog, lang, po_header(lang), include_lineno=False)


def compile_catalogs(locale_dir: Path, domain: str, langs: Iterable[str]) -> None:
    """Each language's .po compiled to the .mo beside it (fuzzy entries left out)."""
    for lang in langs:
        path = po_path(locale_dir, domain, lang)
        with open(path, "rb") as f:
            catalog = read_po(f, locale=lang)
        with open(path.with_suffix(".mo"), "wb") as f:
            write_mo(f, catalog, use_fuzzy=False)


def _msgid(message: Any) -> Any:
    """A message id or text as a hashable value (plural forms as a tuple)."""
    return tuple(message) if isinstance(message, (tuple, list)) else message


def _translated(string: Any) -> bool:
    if isinstance(string, (tuple, list)):
        return all(s for s in string)
    return bool(string)


def catalog_problems(locale_dir: Path, domain: str, langs: Iterable[str], keys: Iterable[Any], *,
                     compile_command: str, skip: Callable[[str, Any], bool] | None = None) -> list[str]:
    """Why the catalogs are not complete and compiled (empty when they are): every one of
    `keys` has a text, not fuzzy, in each language's .po, and each .mo matches its .po."""
    out: list[str] = []
    wanted = sorted({_msgid(k) for k in keys}, key=str)
    for lang in langs:
        path = po_path(locale_dir, domain, lang)
        po = read_catalog(path, lang, domain)
        mo_path = path.with_suffix(".mo")
        if not mo_path.exists():
            out.append(f"{lang}: {mo_path.name} is missing ({compile_command})")
            continue
        with open(mo_path, "rb") as f:
            mo = read_mo(f)
        for msgid in wanted:
            if skip is not None and skip(lang, msgid):
                continue
            entry = po.get(msgid)
            if entry is None or not _translated(entry.string):
                out.append(f"{lang}: untranslated {msgid!r}")
            elif entry.fuzzy:
                out.append(f"{lang}: fuzzy {msgid!r}")
            else:
                compiled = mo.get(msgid)
                if compiled is None or _msgid(compiled.string) != _msgid(entry.string):
                    out.append(f"{lang}: {mo_path.name} is older than the .po for {msgid!r}")
    return out


def run(argv: list[str], update: Callable[[], None], compile_all: Callable[[], None],
        problems: Callable[[], list[str]]) -> int:
    """The mail's and the report's command: `update`, `compile`, `check`, or all three."""
    import sys

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


@dataclass(frozen=True)
class Tool:
    """One package's catalogs maintained from its own sources: the mail's and the report's
    `python -m <module>` with `update`, `compile`, `check` (or all three)."""

    module: str  # the command's module, e.g. "reports.catalogs"
    locale_dir: Path
    domain: str
    langs: tuple[str, ...]
    template: Callable[[], Catalog]
    keys: Callable[[], Iterable[Any]]
    pot_header: str  # what the .pot holds, e.g. "Labels of the Hamkor annual report"
    po_header: str  # what one language's .po holds, after its code

    def update(self) -> None:
        update_catalogs(
            self.template(), self.locale_dir, self.domain, self.langs,
            pot_header=f"# {self.pot_header} (English msgids).\n"
                       f"# Regenerated by `python -m {self.module} update`.",
            po_header=lambda lang: f"# {lang} {self.po_header}.\n"
                                   f"# Edit the msgstr lines, then run `python -m {self.module}`.")

    def compile_all(self) -> None:
        compile_catalogs(self.locale_dir, self.domain, self.langs)

    def problems(self) -> list[str]:
        """Why the catalogs are not complete and compiled (empty when they are)."""
        return catalog_problems(self.locale_dir, self.domain, self.langs, self.keys(),
                                compile_command=f"python -m {self.module} compile")

    def main(self, argv: list[str]) -> int:
        return run(argv, self.update, self.compile_all, self.problems)
