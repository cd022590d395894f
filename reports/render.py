"""Render the report data in one format and language.

html and md come from Jinja2 templates, pdf is printed from the html by
WeasyPrint, docx fills a Word template with docxtpl, xlsx and csv are written
from the table definitions in `reports.tables`. Every template (built-in or
`--template`) gets the same context:

- the data of `reports.data.annual_data` at the top level (`year`, `period`,
  `institution`, `department`, `summary`, `agreements`, `active`, `signed`,
  `renewed`, `expired`, `terminated`, `new_partners`, `expiring`, `gaps`,
  `quality`, `by_country`, `by_kind`, `by_type`, `by_form`, `by_department`,
  `academic_year`, `mobility_places`);
- `report`: `year`, `format`, `lang`, `department`, `template`,
  `template_sha256`, `data_hash`, `generated_at` (for the footer);
- `chart_svg`: the country chart as inline SVG (html and pdf; empty otherwise);
- `annex_limit`: the built-in documents print the register of agreements in force
  up to this many rows (2000) and refer to the xlsx/csv beyond;
- `_()` / `gettext()` / `ngettext()` and the filters `date`, `longdate`,
  `datetime`, `number`, `country`, `label(kind)`, `names`, `countries`,
  `yesno`, `md`, `css_string`.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from config.gcpause import no_gc
from reports.i18n import Formatter
from reports.templating import (
    BUILTIN_DIR,
    MAX_OUTPUT,
    TemplateFailed,
    builtin_environment,
    describe,
    render_text,
    run_bounded,
    sandboxed_environment,
)
from workflow import rules
from workflow.errors import Invalid

FORMATS = ("html", "md", "csv", "xlsx", "docx", "pdf")
#: The built-in template of each templated format.
BUILTIN = {"html": "annual.html", "pdf": "annual.html", "md": "annual.md", "docx": "annual.docx"}
#: The documents list the agreements in force in an annex up to this many; a longer register
#: (hundreds of pages) is left to the xlsx and csv versions, which hold every row.
ANNEX_LIMIT = 2000
#: The documents list this many visits, events, projects, publications or partners of
#: mobility; the xlsx holds them all.
LIST_LIMIT = 500
#: Formats without a template are written by code: their "template" is that code.
CODE = {"xlsx": ("xlsx.py", "tables.py", "i18n.py"), "csv": ("tables.py", "i18n.py")}


@dataclass(frozen=True)
class TemplateRef:
    name: str  # as recorded and shown in the footer
    path: Path | None
    sha256: str
    user: bool


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        rules.refuse("report.format", "format", value=fmt, choices=", ".join(FORMATS))
    return fmt


def resolve_template(fmt: str, template: Path | None = None) -> TemplateRef:
    """Which template renders `fmt`, with the sha256 of its bytes."""
    check_format(fmt)
    if template is None:
        if fmt in CODE:
            digest = hashlib.sha256()
            for name in CODE[fmt]:
                digest.update((Path(__file__).parent / name).read_bytes())
            return TemplateRef(f"builtin:{fmt}", None, digest.hexdigest(), False)
        path = BUILTIN_DIR / BUILTIN[fmt]
        return TemplateRef(f"builtin:{path.name}", path, _sha256(path), False)
    if fmt in CODE:
        raise Invalid(rules.problem("report.template_builtin", "template", format=fmt))
    path = template.expanduser().resolve()
    if not path.is_file():
        raise Invalid(rules.problem("template.missing", "template", path=str(template)))
    if (fmt == "docx") != (path.suffix.lower() == ".docx"):
        code = "template.needs_docx" if fmt == "docx" else "template.needs_text"
        raise Invalid(rules.problem(code, "template", name=path.name, format=fmt))
    return TemplateRef(str(path), path, _sha256(path), True)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def context(data: dict[str, Any], meta: dict[str, Any], chart_svg: str = "") -> dict[str, Any]:
    from markupsafe import Markup

    ctx = dict(data)
    ctx["report"] = meta
    ctx["chart_svg"] = Markup(chart_svg)
    ctx["annex_limit"] = ANNEX_LIMIT
    ctx["list_limit"] = LIST_LIMIT
    return ctx


def render(fmt: str, data: dict[str, Any], *, lang: str, generated_at: datetime,
           template: Path | None = None) -> tuple[bytes, TemplateRef]:
    """The report as bytes in `fmt` and `lang`, and the template it came from."""
    if fmt in ("pdf", "docx"):  # WeasyPrint and docxtpl: leave their garbage to the collector
        return _render(fmt, data, lang=lang, generated_at=generated_at, template=template)
    with no_gc():  # see `config.gcpause`: ~0.2 s of a 100k-agreement html report
        return _render(fmt, data, lang=lang, generated_at=generated_at, template=template)


def _render(fmt: str, data: dict[str, Any], *, lang: str, generated_at: datetime,
            template: Path | None = None) -> tuple[bytes, TemplateRef]:
    ref = resolve_template(fmt, template)
    formatter = Formatter(lang)
    meta = {
        "year": data["year"], "format": fmt, "lang": lang, "department": data["department"],
        "template": ref.name, "template_sha256": ref.sha256, "data_hash": data["data_hash"],
        "generated_at": generated_at,
    }
    if fmt == "csv":
        from reports.tables import render_csv

        return render_csv(data, formatter), ref
    if fmt == "xlsx":
        from reports.xlsx import render_xlsx

        return render_xlsx(data, meta, formatter), ref
    if fmt == "docx":
        return render_docx(ref, context(data, meta), formatter), ref
    chart = ""
    if fmt in ("html", "pdf") and data["by_country"]:
        from reports.chart import country_chart

        chart = country_chart(data["by_country"], formatter)
    text = render_template_text(ref, context(data, meta, chart), formatter,
                                autoescape=fmt != "md", markdown=fmt == "md")
    if fmt == "pdf":
        return html_to_pdf(text), ref
    return text.encode("utf-8"), ref


def render_template_text(ref: TemplateRef, ctx: dict[str, Any], formatter: Formatter, *,
                         autoescape: bool, markdown: bool = False) -> str:
    assert ref.path is not None
    if not ref.user:
        env = builtin_environment(formatter, autoescape=autoescape, markdown=markdown)
        return render_text(env, ref.path.name, ctx, shown_as=ref.path.name)
    path, limit = ref.path, MAX_OUTPUT
    try:
        sandbox = sandboxed_environment(formatter, autoescape=autoescape, template=path,
                                        markdown=markdown)
    except UnicodeDecodeError:
        raise TemplateFailed(path.name, None, "not UTF-8 text") from None

    def work() -> str:
        return render_text(sandbox, path.name, ctx, shown_as=path.name, filename=str(path),
                           limit=limit)

    text: str = run_bounded(work, shown_as=path.name)
    return text


def render_docx(ref: TemplateRef, ctx: dict[str, Any], formatter: Formatter) -> bytes:
    """Fill the Word template (docxtpl) in the sandbox, XML-escaping every value; a user
    template in a child process with the limits of `run_bounded` and `MAX_OUTPUT`."""
    if not ref.user:
        return _render_docx(ref, ctx, formatter, None)
    limit = MAX_OUTPUT
    out: bytes = run_bounded(lambda: _render_docx(ref, ctx, formatter, limit),
                             shown_as=ref.path.name if ref.path else ref.name)
    return out


def _render_docx(ref: TemplateRef, ctx: dict[str, Any], formatter: Formatter,
                 limit: int | None) -> bytes:
    import jinja2
    from docxtpl import DocxTemplate

    assert ref.path is not None
    shown = ref.path.name
    try:
        doc = DocxTemplate(str(ref.path))
        doc.render(ctx, jinja_env=sandboxed_environment(formatter, autoescape=True,
                                                        output_limit=limit, shown_as=shown),
                   autoescape=True)
    except TemplateFailed:
        raise
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateFailed(shown, exc.lineno, _near(exc, exc.message or str(exc))) from None
    except (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError,
            AttributeError, RecursionError) as exc:
        raise TemplateFailed(shown, getattr(exc, "lineno", None), _near(exc, describe(exc))) from None
    except Exception as exc:  # noqa: BLE001 - a broken .docx (zip, XML) is the template's fault
        if type(exc).__module__.split(".")[0] in ("zipfile", "lxml", "docx", "docxtpl"):
            raise TemplateFailed(shown, None, f"not a usable Word file ({describe(exc)})") from None
        raise
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _near(exc: BaseException, reason: str) -> str:
    """docxtpl attaches the paragraphs around a failing line: name the middle one."""
    around = [t.strip() for t in getattr(exc, "docx_context", []) or [] if t.strip()]
    if around:
        return f"{reason} (near {around[len(around) // 2][:60]!r})"
    return reason


def html_to_pdf(html: str) -> bytes:
    """Print the HTML with WeasyPrint (the `pdf` extra); nothing is fetched from outside
    (only `data:` URLs: a user template cannot read files or call the network)."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise Invalid(rules.problem("report.pdf_missing", "format", detail=describe(exc))) from None
    fetcher: Any
    if hasattr(weasyprint, "URLFetcher"):  # WeasyPrint >= 67
        fetcher = weasyprint.URLFetcher(allowed_protocols={"data"})
    else:
        def fetcher(url: str, *args: Any, **kwargs: Any) -> Any:
            if url.startswith("data:"):
                return weasyprint.default_url_fetcher(url, *args, **kwargs)
            raise ValueError(f"external resources are not loaded: {url[:80]}")

    out: bytes = weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()
    return out
