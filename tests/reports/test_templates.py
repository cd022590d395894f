"""Renderers and templates on hand-written data: every format, every language, the sandbox."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reports import render as render_module
from reports.render import FORMATS, render
from reports.templating import TemplateFailed
from tests.reports.sample import sample_data

AT = datetime(2026, 2, 1, 9, 30, tzinfo=UTC)
#: A label of each language, as the built-in templates show it.
TITLES = {"en": "Annual report on international cooperation",
          "uz": "Xalqaro hamkorlik boʻyicha yillik hisobot",
          "ru": "Годовой отчёт о международном сотрудничестве"}


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return sample_data()


def text_of(fmt: str, content: bytes) -> str:
    if fmt in ("html", "md"):
        return content.decode("utf-8")
    if fmt == "csv":
        return content.decode("utf-8-sig")
    if fmt == "pdf":
        from pypdf import PdfReader

        return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    if fmt == "docx":
        import docx

        doc = docx.Document(io.BytesIO(content))
        cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
        return "\n".join([p.text for p in doc.paragraphs] + cells +
                         [p.text for p in doc.sections[0].footer.paragraphs])
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(content))
    return "\n".join(f"{ws.title}\t" + "\t".join(str(v) for v in row if v is not None)
                     for ws in wb for row in ws.iter_rows(values_only=True))


@pytest.mark.parametrize("lang", ["en", "uz", "ru"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_in_every_language(data: dict[str, Any], fmt: str,
                                                lang: str) -> None:
    content, ref = render(fmt, data, lang=lang, generated_at=AT)
    text = text_of(fmt, content)
    assert "AGR-2021-0001" in text and "Romashka" in text
    if fmt != "csv":  # the CSV is one row per agreement, no title
        assert TITLES[lang] in text
    other = [t for lang_, t in TITLES.items() if lang_ != lang]
    assert not any(t in text for t in other)
    if fmt in ("html", "md", "docx", "pdf"):
        assert data["data_hash"][:12] in text  # the footer
    assert len(ref.sha256) == 64 and ref.name.startswith("builtin:")


def test_html_escapes_the_data_and_markdown_keeps_its_tables(data: dict[str, Any]) -> None:
    html = render("html", data, lang="en", generated_at=AT)[0].decode()
    assert "Japan &lt;exchange&gt; &amp; friends" in html and "<exchange>" not in html
    assert "ООО «Ромашка» &amp; &lt;Co&gt;" in html
    md = render("md", data, lang="en", generated_at=AT)[0].decode()
    row = next(line for line in md.splitlines() if line.startswith("| AGR-2025-0002 |"))
    assert row.startswith("| AGR-2025-0002 | NUUz \\| joint lab | ")
    header = next(line for line in md.splitlines() if line.startswith("| Ref. | Title |"))
    cells = re.compile(r"(?<!\\)\|")  # a pipe that is not escaped
    assert len(cells.findall(row)) == len(cells.findall(header)) == 8


def test_word_output_is_valid_xml_whatever_the_data(data: dict[str, Any]) -> None:
    """docxtpl does not escape by default (<, & break the XML): ours is rendered escaped."""
    text = text_of("docx", render("docx", data, lang="ru", generated_at=AT)[0])
    assert "Japan <exchange> & friends" in text and "ООО «Ромашка» & <Co>" in text
    assert "{{" not in text and "{%" not in text


def test_csv_has_one_row_per_agreement_with_its_classification(data: dict[str, Any]) -> None:
    rows = list(csv.DictReader(io.StringIO(text_of("csv", render("csv", data, lang="en",
                                                                   generated_at=AT)[0]))))
    assert [r["Ref."] for r in rows] == [r["ref"] for r in data["agreements"]]
    torino = next(r for r in rows if r["Ref."] == "AGR-2020-0001")
    assert torino["Classification"] == "In force at the start of the year; Expired in the year"
    assert (torino["Last day in force"], torino["Successor"]) == ("2025-05-31", "AGR-2025-0001")
    assert next(r for r in rows if r["Ref."] == "AGR-2025-0001")["Coverage gap (days)"] == "214"


def test_the_chart_is_in_the_html_only(data: dict[str, Any]) -> None:
    html = render("html", data, lang="ru", generated_at=AT)[0].decode()
    assert html.count("<svg") == 1 and "Япония  1" in html
    assert "<svg" not in render("md", data, lang="ru", generated_at=AT)[0].decode()


def test_a_long_register_is_left_to_the_spreadsheets(data: dict[str, Any],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Up to `annex_limit` agreements in force the documents list them; beyond, they say where."""
    html = render("html", data, lang="en", generated_at=AT)[0].decode()
    assert html.count('<td class="ref">AGR-2021-0001</td>') == 2  # expiring, and the annex
    monkeypatch.setattr(render_module, "ANNEX_LIMIT", 1)
    for fmt in ("html", "md", "docx"):
        text = text_of(fmt, render(fmt, data, lang="ru", generated_at=AT)[0])
        assert "Реестр 2 действующих соглашений приведён в версиях отчёта xlsx и csv." in text
    html = render("html", data, lang="en", generated_at=AT)[0].decode()
    assert html.count('<td class="ref">AGR-2021-0001</td>') == 1


def test_rendering_twice_gives_the_same_document(data: dict[str, Any]) -> None:
    for fmt in ("html", "md", "csv"):
        assert render(fmt, data, lang="uz", generated_at=AT)[0] == \
            render(fmt, data, lang="uz", generated_at=AT)[0]


# --- user templates, in the sandbox ---------------------------------------------------------


def user_template(tmp_path: Path, text: str, name: str = "mine.html") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_user_template_gets_the_documented_context(data: dict[str, Any],
                                                     tmp_path: Path) -> None:
    path = user_template(tmp_path, (
        "{{ _('Key figures') }}: {{ summary.active }} / {{ year }} / {{ report.format }}"
        " / {{ report.lang }} / {{ report.template_sha256[:8] }} / {{ report.data_hash }}\n"
        "{% for r in active %}{{ r.ref }} {{ r.expires_on|date }} {{ r.partners|names }};{% endfor %}\n"
        "{{ period.end|longdate }} {{ by_country[0].country|country }} {{ 'mou'|label('type') }}\n"
        "{{ gaps[0].days }} {{ new_partners[0].name }} {{ chart_svg[:4] }}"))
    content, ref = render("html", data, lang="ru", generated_at=AT, template=path)
    out = content.decode()
    assert out.startswith(f"Основные показатели: 2 / 2025 / html / ru / {ref.sha256[:8]} / "
                          f"{data['data_hash']}\n")
    assert "AGR-2021-0001 31.03.2026 Hiroshima University, Kyoto University;" in out
    assert "31 декабря 2025" in out and "Япония" in out and "Меморандум" in out
    assert "214 Oʻzbekiston Milliy Universiteti <svg" in out
    assert ref.user and ref.name == str(path.resolve())


@pytest.mark.parametrize("body, reason", [
    ("{{ report.__class__.__mro__ }}", "not allowed in the sandbox"),
    ("{{ cycler.__init__.__globals__ }}", "not allowed in the sandbox"),
    ("{{ lipsum.__globals__['os'] }}", "not allowed in the sandbox"),
    ("{% include '/etc/passwd' %}", "/etc/passwd"),
    ("{{ summary.nothing_like_this }}", "undefined"),
])
def test_the_sandbox_refuses_and_names_the_file_and_line(data: dict[str, Any], tmp_path: Path,
                                                         body: str, reason: str) -> None:
    path = user_template(tmp_path, "line one\n{{ year }}\n" + body + "\n", "evil.html")
    with pytest.raises(TemplateFailed) as caught:
        render("html", data, lang="en", generated_at=AT, template=path)
    assert str(caught.value).startswith("template evil.html, line 3: ")
    assert reason in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_syntax_error_names_the_template_and_line(data: dict[str, Any], tmp_path: Path) -> None:
    path = user_template(tmp_path, "# Report\n\n{% for r in signed %}\n{{ r.ref }\n", "broken.md")
    with pytest.raises(TemplateFailed, match=r"^template broken.md, line 4: "):
        render("md", data, lang="en", generated_at=AT, template=path)


def test_a_user_template_cannot_write_without_limit(data: dict[str, Any], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_module, "MAX_OUTPUT", 1000)
    path = user_template(tmp_path, "{% for i in range(100) %}{{ agreements }}{% endfor %}")
    with pytest.raises(TemplateFailed, match="output exceeds the limit of 1,000 characters"):
        render("html", data, lang="en", generated_at=AT, template=path)


def word_template(tmp_path: Path, *paragraphs: str) -> Path:
    import docx

    doc = docx.Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    path = tmp_path / "mine.docx"
    doc.save(str(path))
    return path


def test_a_word_template_of_ones_own_is_filled_in_the_sandbox(data: dict[str, Any],
                                                              tmp_path: Path) -> None:
    path = word_template(tmp_path, "{{ _('Key figures') }}", "{{ summary.signed }} {{ institution }}",
                         "{%p for r in expired %}", "{{ r.ref }} {{ r.last_day|date }}",
                         "{%p endfor %}")
    content, ref = render("docx", data, lang="uz", generated_at=AT, template=path)
    text = text_of("docx", content)
    assert "Asosiy koʻrsatkichlar" in text and "2 Home University" in text
    assert "AGR-2020-0001 31.05.2025" in text
    assert ref.user and ref.sha256 != render("docx", data, lang="uz", generated_at=AT)[1].sha256


@pytest.mark.parametrize("body, reason", [
    ("{{ report.__class__ }}", "not allowed in the sandbox"),
    ("{{ summary.signed }", "line"),
])
def test_a_broken_word_template_is_one_error_naming_it(data: dict[str, Any], tmp_path: Path,
                                                       body: str, reason: str) -> None:
    path = word_template(tmp_path, "Title", body)
    with pytest.raises(TemplateFailed) as caught:
        render("docx", data, lang="en", generated_at=AT, template=path)
    assert str(caught.value).startswith("template mine.docx") and reason in str(caught.value)


def test_a_file_that_is_not_a_word_document_is_refused(data: dict[str, Any],
                                                       tmp_path: Path) -> None:
    path = tmp_path / "fake.docx"
    path.write_bytes(b"not a zip")
    with pytest.raises(TemplateFailed, match="fake.docx: not a usable Word file"):
        render("docx", data, lang="en", generated_at=AT, template=path)
