"""Issue 16.8 and 16.9: a report template that computes a huge number, writes past the
output limit, fills the memory or never ends stops with one `error: template X: ...`
within bounded time and memory (html, md and docx alike); the Markdown report shows
HTML found in the data as text."""

from __future__ import annotations

import copy
import random
import resource
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reports import render as render_module, templating
from reports.render import render
from tests.dbstate import snapshot
from tests.helpers import hamkor, ok, refused, seed_people
from tests.reports.sample import sample_data

AT = datetime(2026, 2, 1, 9, 30, tzinfo=UTC)


def write_template(tmp_path: Path, fmt: str, body: str) -> Path:
    if fmt == "docx":
        import docx

        doc = docx.Document()
        doc.add_paragraph("Report {{ year }}")
        doc.add_paragraph(body)
        path = tmp_path / "bomb.docx"
        doc.save(str(path))
        return path
    path = tmp_path / f"bomb.{fmt}"
    path.write_text("Report {{ year }}\n" + body + "\n", encoding="utf-8")
    return path


def huge_numbers(seed: int) -> list[str]:
    rng = random.Random(seed)
    return [
        "{{ 10**(10**8) }}",
        f"{{{{ {rng.randrange(2, 99)} ** {rng.randrange(10**7, 10**9)} }}}}",
        "{% set n = 2**14000 %}{{ n * n }}",
        f"{{{{ 'ab' * {rng.randrange(10**9, 10**12)} }}}}",
        f"{{{{ [1, 2] * {rng.randrange(10**9, 10**12)} }}}}",
    ]


@pytest.mark.parametrize("fmt", ["html", "md", "docx"])
def test_a_huge_number_or_repetition_is_refused_at_once(tmp_path: Path, fmt: str) -> None:
    data = sample_data()
    for body in huge_numbers(8):
        path = write_template(tmp_path, fmt, body)
        started = time.monotonic()
        with pytest.raises(templating.TemplateFailed) as caught:
            render(fmt, data, lang="en", generated_at=AT, template=path)
        assert time.monotonic() - started < 10, body
        message = str(caught.value)
        assert message.startswith(f"template {path.name}") and "\n" not in message
        assert "bits" in message or "repetition" in message, (body, message)


GREEDY = {
    # Doubling a string until the memory is gone (each step is one cheap operation).
    "memory": "{% set ns = namespace(s='x') %}{% for i in range(40) %}"
              "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
    "memory, one filter": "{{ 'x'|center(3 * 10**9) }}",
    # Ten billion loop turns.
    "time": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    # Past the output limit, a little at a time.
    "output": "{% for i in range(100000) %}{{ agreements }}{% endfor %}",
}


@pytest.mark.parametrize("fmt", ["html", "md", "docx"])
@pytest.mark.parametrize("kind", sorted(GREEDY))
def test_a_greedy_template_is_stopped_within_its_limits(tmp_path: Path, fmt: str, kind: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(templating, "TEMPLATE_SECONDS", 4)
    monkeypatch.setattr(templating, "TEMPLATE_MEMORY_MB", 160)
    monkeypatch.setattr(render_module, "MAX_OUTPUT", 200_000)
    path = write_template(tmp_path, fmt, GREEDY[kind])
    started = time.monotonic()
    with pytest.raises(templating.TemplateFailed) as caught:
        render(fmt, sample_data(), lang="en", generated_at=AT, template=path)
    elapsed = time.monotonic() - started
    message = str(caught.value)
    assert message.startswith(f"template {path.name}") and "\n" not in message
    expected = {"memory": "MB of memory", "memory, one filter": "MB of memory",
                "time": "still running after 4 s", "output": "output exceeds the limit"}[kind]
    assert expected in message, message
    assert elapsed < 10
    # The child that rendered it stayed within the memory limit (its resident memory
    # counts what it shares with this process, so that is allowed for).
    ours_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert templating.LAST_CHILD["peak_rss_kb"] < ours_kb + (160 + 40) * 1024


def test_a_refused_template_changes_nothing_and_prints_one_error(db_url: str, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    """Through the CLI, on both databases: exit 1, one `error: template ...` line, no
    report recorded and no file written."""
    monkeypatch.setattr(templating, "TEMPLATE_SECONDS", 3)
    seed_people(db_url)
    ok(hamkor(db_url, "agreement", "create", "--title", "Exchange", "--type", "exchange",
              "--partner", "Hiroshima University", "--by", "olga@uni.uz", "--on", "2024-01-10"))
    before = snapshot(db_url)
    for fmt, body, needle in [("docx", "{{ 10**(10**8) }}", "bits"),
                              ("md", GREEDY["time"], "still running after 3 s"),
                              ("html", "{{ 'ab' * 10**10 }}", "repetition")]:
        path = write_template(tmp_path, fmt, body)
        out = tmp_path / f"out.{fmt}"
        started = time.monotonic()
        result = hamkor(db_url, "report", "annual", "2024", "--format", fmt, "--template",
                        str(path), "-o", str(out))
        assert time.monotonic() - started < 10
        refused(result, f"template {path.name}", needle)
        assert not out.exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
            p.name for p in tmp_path.iterdir() if not p.name.startswith("out."))
    assert snapshot(db_url) == before


def hostile_html(seed: int) -> list[str]:
    rng = random.Random(seed)
    tags = ["script", "img", "iframe", "a", "svg", "style"]
    out = []
    for _ in range(6):
        tag = rng.choice(tags)
        out.append(f"<{tag} src=x onerror=alert({rng.randrange(1000)})>x</{tag}> & co")
    return out


def test_the_markdown_report_shows_html_in_the_data_as_text(tmp_path: Path) -> None:
    values = hostile_html(9)
    data = copy.deepcopy(sample_data())
    data["institution"] = values[0]
    data["department"] = values[1]
    for i, row in enumerate(data["signed"]):
        row["title"] = values[2 + i % 4]
    for builtin in (True, False):
        template = None
        if not builtin:  # a template of one's own: the values are escaped the same way
            template = tmp_path / "mine.md"
            template.write_text("# {{ institution }}\n{{ department }}\n"
                                "{% for r in signed %}- {{ r.title }} {{ r.title|md }}\n"
                                "{% endfor %}", encoding="utf-8")
        md = render("md", data, lang="en", generated_at=AT, template=template)[0].decode()
        for tag in ("<script", "<img", "<iframe", "<a ", "<svg", "<style"):
            assert tag not in md
        assert "&lt;" in md and "&amp; co" in md
        assert values[0].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in md
        # Escaped once, not twice.
        assert "&amp;lt;" not in md


def test_docx_user_templates_have_an_output_cap(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Before, only html and md were capped: a Word template wrote as much as it liked."""
    monkeypatch.setattr(render_module, "MAX_OUTPUT", 50_000)
    path = write_template(tmp_path, "docx", "{% for i in range(2000) %}{{ 'y' * 100 }}{% endfor %}")
    with pytest.raises(templating.TemplateFailed, match="output exceeds the limit of 50,000"):
        render("docx", sample_data(), lang="en", generated_at=AT, template=path)


def any_data() -> dict[str, Any]:
    return sample_data()
