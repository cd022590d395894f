"""Agreement documents from the Word templates: every template in every language, DOCX and PDF."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from documents.generate import BLANK
from tests.helpers import hamkor, ok, refused, seed_people

OFFICER = "olga@uni.uz"
STARTS, EXPIRES = date(2026, 3, 5), date(2031, 3, 4)


@pytest.fixture
def ref(sqlite_url: str) -> str:
    seed_people(sqlite_url)
    return ok(hamkor(sqlite_url, "agreement", "create", "--title", "Student exchange",
                     "--partner", "Hiroshima University", "--type", "exchange", "--owner", OFFICER,
                     "--starts", STARTS.isoformat(), "--months", "60", "--auto-renew",
                     "--renewal-months", "12", "--notice-days", "90", "--form", "student exchange",
                     "--by", OFFICER)).out.strip()


def docx_text(path: Path) -> str:
    """All text of a Word file: paragraphs and every table cell (nested too)."""
    import docx

    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]

    def cells(tables):  # type: ignore[no-untyped-def]
        for t in tables:
            for row in t.rows:
                for c in row.cells:
                    parts.extend(p.text for p in c.paragraphs)
                    cells(c.tables)

    cells(d.tables)
    return "\n".join(parts)


def test_signatories_come_from_the_contacts_with_role_signatory_else_blank_lines(
        sqlite_url: str, ref: str, tmp_path: Path) -> None:
    out = tmp_path / "blank.docx"
    ok(hamkor(sqlite_url, "partner", "contact", "add", "Hiroshima University", "--name", "Kenji Sato",
              "--role", "coordinator", "--position", "Head of International Office"))
    ok(hamkor(sqlite_url, "agreement", "document", ref, "--lang", "en", "--out", str(out)))
    text = docx_text(out)
    assert "Kenji Sato" not in text  # a coordinator does not sign
    assert text.count("Name: " + BLANK) == 2 and text.count("Position: " + BLANK) == 2
    ok(hamkor(sqlite_url, "partner", "contact", "add", "Hiroshima University", "--name", "Mitsuo Ochi",
              "--role", "signatory"))  # no position: its line stays blank
    ok(hamkor(sqlite_url, "agreement", "document", ref, "--lang", "en",
              "--out", str(tmp_path / "signed.docx")))
    text = docx_text(tmp_path / "signed.docx")
    assert "Name: Mitsuo Ochi" in text and text.count("Name: " + BLANK) == 1
    assert text.count("Position: " + BLANK) == 2


def long_date(d: date, lang: str) -> str:
    from reports.i18n import Formatter

    return Formatter(lang).long_date(d)


VARIANTS = [(name, lang) for name in ("mou", "exchange") for lang in ("en", "uz", "ru", "en+uz", "en+ru")] \
    + [("erasmus-ka171", "en")]


def test_the_shipped_templates_are_every_documented_variant() -> None:
    from documents.generate import available

    assert available() == {"erasmus-ka171": ["en"], "exchange": ["en", "uz", "ru", "en+uz", "en+ru"],
                           "mou": ["en", "uz", "ru", "en+uz", "en+ru"]}


@pytest.mark.parametrize(("template", "lang"), VARIANTS)
def test_every_template_renders_the_partner_the_dates_in_the_language_and_no_tag(
        sqlite_url: str, ref: str, tmp_path: Path, template: str, lang: str) -> None:
    ok(hamkor(sqlite_url, "partner", "contact", "add", "Hiroshima University", "--name", "Mitsuo Ochi",
              "--role", "signatory", "--position", "President"))
    out = tmp_path / f"{template}.{lang}.docx"
    ok(hamkor(sqlite_url, "agreement", "document", ref, "--template", template, "--lang", lang,
              "--out", str(out)))
    text = docx_text(out)
    assert "Hiroshima University" in text and "Home University" in text and ref in text
    # the partner's signatory by name and position; ours (no contact) a line to fill in
    assert "Mitsuo Ochi" in text and "President" in text and BLANK in text
    for code in lang.split("+"):
        assert long_date(STARTS, code) in text, (code, text[:500])
        assert long_date(EXPIRES, code) in text
    assert "{{" not in text and "{%" not in text and "}}" not in text
    if lang == "uz":
        assert "Bitim" in text or "Memorandum" in text
        assert "90 kun" in text and "12 oyga" in text  # notice period and tacit renewal
    if lang == "ru":
        assert "90 дн." in text and "по 12 мес." in text
    if lang == "en":
        assert "at least 90 days before its expiry" in text or template == "erasmus-ka171"


def test_the_bilingual_layout_is_two_columns_english_on_the_left(sqlite_url: str, ref: str,
                                                                 tmp_path: Path) -> None:
    import docx

    out = tmp_path / "mou.docx"
    ok(hamkor(sqlite_url, "agreement", "document", ref, "--template", "mou", "--lang", "en+uz",
              "--out", str(out)))
    table = docx.Document(str(out)).tables[0]
    rows = [(r.cells[0].text, r.cells[1].text) for r in table.rows]
    assert rows[0] == ("English", "Oʻzbekcha")
    assert rows[1] == ("MEMORANDUM OF UNDERSTANDING", "OʻZARO ANGLASHUV MEMORANDUMI")
    term = next(r for r in rows if r[0].startswith("This Memorandum enters into force"))
    assert "Ushbu Memorandum" in term[1] and long_date(STARTS, "uz") in term[1]


def test_the_erasmus_agreement_has_the_conditions_table(sqlite_url: str, ref: str, tmp_path: Path) -> None:
    import docx

    ok(hamkor(sqlite_url, "agreement", "conditions", "add", ref, "--kind", "student-studies",
              "--from", "Home University", "--to", "Hiroshima University", "--years", "2026/2027:2027/2028",
              "--mobilities", "3", "--months", "15", "--isced", "0714", "--language", "en:B2",
              "--eqf", "6", "--by", OFFICER))
    out = tmp_path / "iia.docx"
    ok(hamkor(sqlite_url, "agreement", "document", ref, "--template", "erasmus-ka171", "--out", str(out)))
    grid = docx.Document(str(out)).tables[1]
    rows = [[c.text for c in r.cells] for r in grid.rows]
    assert rows[0][0] == "From" and len(rows) == 2
    assert rows[1] == ["Home University", "Hiroshima University", "0714", "Student mobility for studies",
                       "2026/2027 – 2027/2028", "3", "15 months", "6", "en B2"]


def test_refusals_name_the_template_language_or_format(sqlite_url: str, ref: str, tmp_path: Path) -> None:
    refused(hamkor(sqlite_url, "agreement", "document", ref, "--template", "erasmus-ka171",
                   "--lang", "uz"), "has no uz version", "en")
    refused(hamkor(sqlite_url, "agreement", "document", ref, "--template", "nda"), "no template 'nda'")
    refused(hamkor(sqlite_url, "agreement", "document", ref, "--lang", "fr"), "--lang 'fr'")
    refused(hamkor(sqlite_url, "agreement", "document", ref, "--format", "odt"), "--format 'odt'")
    existing = tmp_path / "x.docx"
    existing.write_bytes(b"mine")
    refused(hamkor(sqlite_url, "agreement", "document", ref, "--out", str(existing)), "already exists")
    assert existing.read_bytes() == b"mine"


def test_without_libreoffice_pdf_fails_naming_the_package_and_docx_still_works(
        sqlite_url: str, ref: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from documents import generate

    monkeypatch.setattr(generate, "soffice", lambda: None)
    out = tmp_path / "x.pdf"
    refused(hamkor(sqlite_url, "agreement", "document", ref, "--format", "pdf", "--out", str(out)),
            "libreoffice-writer-nogui")
    assert not out.exists()
    ok(hamkor(sqlite_url, "agreement", "document", ref, "--out", str(tmp_path / "x.docx")))


def test_attach_keeps_the_generated_draft_with_its_template_hash(sqlite_url: str, ref: str,
                                                                 tmp_path: Path) -> None:
    import hashlib

    out = tmp_path / "draft.docx"
    j = ok(hamkor(sqlite_url, "agreement", "document", ref, "--lang", "en+uz", "--out", str(out),
                  "--attach", "--by", OFFICER, "--json")).json()
    shipped = Path(__file__).parents[2] / "documents" / "templates" / "exchange.en+uz.docx"
    assert j["template"] == "builtin:exchange.en+uz.docx"
    assert j["template_sha256"] == hashlib.sha256(shipped.read_bytes()).hexdigest()
    assert j["attachment"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    files = ok(hamkor(sqlite_url, "agreement", "files", ref, "--json")).json()
    assert [(f["kind"], f["name"], f["template_sha256"]) for f in files] == [
        ("draft", f"{ref}-exchange-en+uz.docx", j["template_sha256"])]


def _user_template(path: Path, text: str) -> None:
    import docx

    d = docx.Document()
    d.add_paragraph(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(path))


def test_a_user_template_overrides_the_shipped_one_and_runs_in_the_sandbox(
        sqlite_url: str, ref: str, tmp_path: Path) -> None:
    tdir = tmp_path / "tpl"
    _user_template(tdir / "documents" / "mou.ru.docx", "Наш текст: {{ partner.name }}, {{ ru.starts_on }}")
    _user_template(tdir / "documents" / "evil.en.docx", "{{ partner.__class__.__mro__ }}")
    env = {"HAMKOR_TEMPLATES_DIR": str(tdir)}
    out = tmp_path / "mine.docx"
    j = ok(hamkor(sqlite_url, "agreement", "document", ref, "--template", "mou", "--lang", "ru",
                  "--out", str(out), "--json", env=env)).json()
    assert j["template"] == str(tdir / "documents" / "mou.ru.docx")
    assert docx_text(out).strip() == f"Наш текст: Hiroshima University, {long_date(STARTS, 'ru')}"
    refused(hamkor(sqlite_url, "agreement", "document", ref, "--template", "evil",
                   "--out", str(tmp_path / "evil.docx"), env=env), "evil.en.docx")
    assert not (tmp_path / "evil.docx").exists()


def _pdf_pages(path: Path, *, layout: bool = True) -> list[str]:
    args = ["pdftotext"] + (["-layout"] if layout else []) + [str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout.split("\f")


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed (.ci/run installs it)")
@pytest.mark.parametrize("lang", ["en+uz", "en+ru"])
def test_the_bilingual_pdf_has_both_texts_page_by_page(sqlite_url: str, ref: str, tmp_path: Path,
                                                       lang: str) -> None:
    out = tmp_path / "doc.pdf"
    ok(hamkor(sqlite_url, "agreement", "document", ref, "--lang", lang, "--format", "pdf",
              "--out", str(out)))
    assert out.read_bytes().startswith(b"%PDF")
    pages = [p for p in _pdf_pages(out) if p.strip()]
    assert len(pages) == 2
    second = lang[3:]
    title = {"uz": "TALABALAR VA XODIMLAR", "ru": "СОГЛАШЕНИЕ ОБ ОБМЕНЕ"}[second]
    assert "STUDENT AND STAFF EXCHANGE" in pages[0] and title in pages[0]
    assert "English" in pages[0] and {"uz": "Oʻzbekcha", "ru": "Русский"}[second] in pages[0]
    # Side by side: the English title and its translation on the same line.
    assert any("STUDENT AND STAFF EXCHANGE" in line and title.split()[0] in line
               for line in pages[0].splitlines())
    # In reading order (each column's text runs on): the dates in each language's format.
    joined = " ".join(" ".join(p.split()) for p in _pdf_pages(out, layout=False))
    assert long_date(STARTS, "en") in joined and " ".join(long_date(STARTS, second).split()) in joined
    assert "For Hiroshima University" in pages[-1]
    assert {"uz": "Hiroshima University nomidan", "ru": "От имени Hiroshima University"}[second] in pages[-1]


def test_the_same_data_and_template_give_the_same_bytes(sqlite_url: str, ref: str, tmp_path: Path) -> None:
    """A regenerated draft has the hash of the first one (no write time inside the file)."""
    import hashlib
    import time

    a, b = tmp_path / "a.docx", tmp_path / "b.docx"
    ok(hamkor(sqlite_url, "agreement", "document", ref, "--lang", "en+ru", "--out", str(a)))
    time.sleep(2.1)  # ZIP timestamps have a resolution of two seconds
    ok(hamkor(sqlite_url, "agreement", "document", ref, "--lang", "en+ru", "--out", str(b)))
    assert hashlib.sha256(a.read_bytes()).hexdigest() == hashlib.sha256(b.read_bytes()).hexdigest()
