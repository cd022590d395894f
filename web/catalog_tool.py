"""Maintain the web's message catalogs (Babel): `web/locale/<lang>/LC_MESSAGES/web.po`.

    python -m web.catalog_tool import-labels [FILE ...]   # move label dicts from Python into the .po files
    python -m web.catalog_tool compile                    # .po -> .mo (the web reads the .mo)
    python -m web.catalog_tool check                      # exit 1 if a message lacks uz or ru, or a .mo is stale

`import-labels` reads each FILE (default: web/i18n.py and web/*_labels.py)
without importing it, finds the label dicts written the old way
(`_LABELS = {"key": ("English", "Oʻzbekcha", "Русский"), ...}`, also `LABELS`,
`STATE_LABELS`, `EVENT_LABELS`, `FIELD_NAMES` or `FIELDS`, and `RULE_MESSAGES` or
`RULES` with Uzbek and Russian), adds every entry
to the three catalogs, empties the dicts in the file and compiles the catalogs. It is
idempotent: an entry already in a catalog keeps the catalog's wording (it may have
been corrected since), and the differences are listed; `--overwrite` makes the file's
wording win. Running it again on an emptied file changes nothing. All or nothing:
every FILE is read and checked before any is emptied, so a missing or malformed
one is refused (`error: ...`, exit 1) with every file and catalog as it was. Uzbek apostrophes
are normalised on the way in (oʻ, gʻ with U+02BB; the tutuq belgisi with U+02BC).
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog

from config import catalogs
from config.catalogs import TEAMS
from web.i18n import DOMAIN, LOCALE_DIR

HERE = Path(__file__).parent
LANGS = ("en", "uz", "ru")
def default_files() -> list[Path]:
    """web/i18n.py and every web/*_labels.py (label tables kept beside their pages)."""
    return [HERE / "i18n.py", *sorted(HERE.glob("*_labels.py"))]
#: Dict name -> (key prefix, the languages its tuples hold, in order).
DICTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "_LABELS": ("", LANGS), "LABELS": ("", LANGS),
    "STATE_LABELS": ("state.", LANGS), "EVENT_LABELS": ("event.", LANGS),
    "FIELD_NAMES": ("field.", LANGS), "RULE_MESSAGES": ("rule.", ("uz", "ru")),
    # the same tables kept in a module beside their pages (web/<feature>_labels.py)
    "FIELDS": ("field.", LANGS), "RULES": ("rule.", ("uz", "ru")),
}


def uzbek_latin(text: str) -> str:
    """Uzbek's letters oʻ and gʻ with U+02BB and its tutuq belgisi (maʼlumot) with U+02BC,
    whatever apostrophe was typed (‘ ’ ' `): one spelling, searchable, as the reports write it."""
    text = re.sub(r"(?<=[oOgG])[‘’'`]", "ʻ", text)
    return re.sub(r"(?<=[A-Za-zʻ])[’'](?=[a-z])", "ʼ", text)


def po_path(lang: str) -> Path:
    return catalogs.po_path(LOCALE_DIR, DOMAIN, lang)


def load(lang: str) -> Catalog:
    return catalogs.read_catalog(po_path(lang), lang, DOMAIN)


def save(lang: str, catalog: Catalog) -> None:
    catalog.fuzzy = False
    catalogs.write_catalog(
        po_path(lang), catalog, lang, width=0,
        header=(f"# {TEAMS[lang]} words of Hamkor's web interface (msgid: a stable key).\n"
                "# Edit the msgstr lines, then run `python -m web.catalog_tool compile`."))


def compile_all() -> None:
    catalogs.compile_catalogs(LOCALE_DIR, DOMAIN, LANGS)


# ---------------------------------------------------------------- import-labels


def label_dicts(source: str) -> Iterator[tuple[str, ast.Dict]]:
    """(name, dict literal) of every module-level label dict in `source`."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name, value = node.target.id, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, value = node.targets[0].id, node.value
        else:
            continue
        if name in DICTS and isinstance(value, ast.Dict) and value.keys:
            yield name, value


def entries(name: str, node: ast.Dict) -> Iterator[tuple[str, dict[str, str]]]:
    """(catalog key, {lang: text}) of each entry of one dict literal."""
    prefix, langs = DICTS[name]
    for k, v in zip(node.keys, node.values, strict=True):
        if k is None:
            raise SystemExit(f"{name}: `**` inside a label dict cannot be imported")
        key, texts = ast.literal_eval(k), ast.literal_eval(v)
        if not (isinstance(key, str) and isinstance(texts, tuple) and len(texts) == len(langs)
                and all(isinstance(s, str) for s in texts)):
            raise SystemExit(f"{name}[{key!r}]: expected {len(langs)} strings ({', '.join(langs)})")
        yield prefix + key, dict(zip(langs, texts, strict=True))


def _emptied(source: str, nodes: list[ast.Dict]) -> str:
    """`source` with each dict literal replaced by `{}` (the names stay, so code still imports)."""
    lines = source.splitlines(keepends=True)
    for node in sorted(nodes, key=lambda n: (n.lineno, n.col_offset), reverse=True):
        assert node.end_lineno is not None and node.end_col_offset is not None
        first, last = node.lineno - 1, node.end_lineno - 1
        head = lines[first][:node.col_offset]
        tail = lines[last][node.end_col_offset:]
        lines[first:last + 1] = [head + "{}" + tail]
    return "".join(lines)


def _read_label_files(files: list[Path]) -> list[tuple[Path, str, list[tuple[str, ast.Dict]],
                                                         list[tuple[str, dict[str, str]]]]]:
    """Each file's (path, source, label dicts, their entries), every file read, parsed and its
    entries checked before anything is written: a missing, unreadable or malformed file is
    refused (one `error: ...` line) while every file and catalog is still as it was."""
    read = []
    seen: set[Path] = set()
    for path in files:
        if path.resolve() in seen:
            continue
        seen.add(path.resolve())
        if not path.is_file():
            raise SystemExit(f"error: {path}: no such file; nothing was changed")
        try:
            source = path.read_text(encoding="utf-8")
            found = list(label_dicts(source))
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError) as exc:
            raise SystemExit(f"error: {path}: cannot be read as Python ({exc}); nothing was changed") from None
        try:
            items = [entry for name, node in found for entry in entries(name, node)]
        except (ValueError, SyntaxError) as exc:  # a value that is not a literal
            raise SystemExit(f"error: {path}: a label dict holds something other than strings ({exc}); "
                             "nothing was changed") from None
        except SystemExit as exc:
            raise SystemExit(f"error: {path}: {exc.code}; nothing was changed") from None
        read.append((path, source, found, items))
    return read


def import_labels(files: list[Path], *, overwrite: bool = False, out: list[str] | None = None) -> int:
    """Move the label dicts of `files` into the catalogs; returns how many entries were added
    or changed. Differences kept in favour of the catalog are appended to `out`.

    All or nothing: every file is read and checked first (a missing or malformed one is
    refused before any file is emptied), the catalogs are written and compiled next, and
    only then are the dicts emptied in the files."""
    read = _read_label_files(files)
    catalogs = {lang: load(lang) for lang in LANGS}
    changed = 0
    notes = out if out is not None else []
    for path, _source, _found, items in read:
        for key, texts in items:
            if "uz" in texts:
                texts["uz"] = uzbek_latin(texts["uz"])
            if not any(texts.values()):
                continue  # an empty label (a missing code) is shown as nothing without a catalog entry
            english = texts.get("en") or _existing(catalogs["en"], key)
            for lang, text in texts.items():
                msg = catalogs[lang].get(key)
                if msg is None or not msg.string:
                    catalogs[lang].add(key, text, auto_comments=[english] if lang != "en" and english else ())
                    changed += 1
                elif msg.string != text:
                    if overwrite:
                        msg.string = text
                        changed += 1
                    else:
                        notes.append(f"{path.name}: {key} [{lang}] kept the catalog's {msg.string!r}, "
                                     f"not {text!r}")
                if lang != "en" and english:
                    catalogs[lang][key].auto_comments = [english]
    for lang, catalog in catalogs.items():
        save(lang, catalog)
    compile_all()
    for path, source, found, _items in read:  # the catalogs hold every entry now
        if found:
            path.write_text(_emptied(source, [node for _n, node in found]), encoding="utf-8")
    return changed


def _existing(catalog: Catalog, key: str) -> str:
    msg = catalog.get(key)
    return str(msg.string) if msg is not None and msg.string else ""


# ---------------------------------------------------------------- check


def problems() -> list[str]:
    """Why the catalogs are not complete and compiled (empty when they are): every key of
    any catalog has a non-empty text in every language, and each .mo matches its .po.
    English refusals (`rule.` keys) may come from workflow/rules.py instead."""
    keys = set().union(*({str(m.id) for m in load(lang) if m.id} for lang in LANGS))
    return catalogs.catalog_problems(LOCALE_DIR, DOMAIN, LANGS, keys,
                                     compile_command="python -m web.catalog_tool compile",
                                     skip=lambda lang, key: lang == "en" and key.startswith("rule."))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m web.catalog_tool", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="action", required=True)
    imp = sub.add_parser("import-labels", help="move label dicts from Python files into the catalogs")
    imp.add_argument("files", nargs="*", type=Path)
    imp.add_argument("--overwrite", action="store_true", help="the file's wording wins over the catalog's")
    sub.add_parser("compile", help="compile the .po files to .mo")
    sub.add_parser("check", help="exit 1 if a message is untranslated or a .mo is stale")
    args = parser.parse_args(argv)
    if args.action == "import-labels":
        notes: list[str] = []
        files = args.files or default_files()
        n = import_labels(files, overwrite=args.overwrite, out=notes)
        for note in notes:
            print(note)
        print(f"{n} catalog entries added or changed; {len(notes)} kept as the catalogs had them")
        return 0
    if args.action == "compile":
        compile_all()
        return 0
    found = problems()
    for p in found:
        print(p, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
