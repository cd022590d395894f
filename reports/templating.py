"""Jinja environments for the report: trusted built-ins and sandboxed user templates.

Both get the same filters and the i18n extension with the language's catalog,
and render the same context of plain data. A user template (`--template`) runs
in `jinja2.sandbox.SandboxedEnvironment` (no `_` attributes, no unsafe
callables, capped `range`), can include nothing else, and its output is
capped; any error becomes one `TemplateFailed` naming the file and line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from reports.i18n import Formatter
from workflow.errors import HamkorError

BUILTIN_DIR = Path(__file__).parent / "templates"
#: A user template may not write more than this (characters).
MAX_OUTPUT = 64 * 1024 * 1024


class TemplateFailed(HamkorError):
    """A template could not be rendered; the message names the file and line."""

    def __init__(self, template: str, line: int | None, reason: str) -> None:
        self.template, self.line, self.reason = template, line, reason
        where = f"{template}, line {line}" if line else template
        super().__init__(f"template {where}: {reason}")


def md_cell(value: Any) -> str:
    """A value safe inside a Markdown table cell."""
    text = "" if value is None else str(value)
    return " ".join(text.replace("\\", "\\\\").replace("|", "\\|").split())


def css_string(value: Any) -> str:
    """A value as the body of a CSS string literal."""
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def _filters(fmt: Formatter) -> dict[str, Callable[..., Any]]:
    def label(value: Any, kind: str) -> str:
        return fmt.label(kind, value)

    return {
        "date": fmt.date,
        "longdate": fmt.long_date,
        "datetime": fmt.datetime,
        "number": fmt.number,
        "country": fmt.country,
        "label": label,
        "names": fmt.names,
        "countries": fmt.countries,
        "yesno": fmt.yes_no,
        "md": md_cell,
        "css_string": css_string,
    }


def _configure(env: jinja2.Environment, fmt: Formatter) -> jinja2.Environment:
    env.filters.update(_filters(fmt))
    env.install_gettext_translations(fmt._t, newstyle=True)  # type: ignore[attr-defined]
    return env


class _DataEnvironment(jinja2.Environment):
    """For the trusted built-ins: `row.key` on the report's dicts looks the key up
    first (Jinja tries the attribute first and fails on every dict: a third of
    the time of a 100k-agreement report)."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def builtin_environment(fmt: Formatter, *, autoescape: bool) -> jinja2.Environment:
    env = _DataEnvironment(
        loader=jinja2.FileSystemLoader(str(BUILTIN_DIR)),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return _configure(env, fmt)


def sandboxed_environment(fmt: Formatter, *, autoescape: bool,
                          template: Path | None = None) -> SandboxedEnvironment:
    """A sandbox that knows one template file (or none: docxtpl brings its own text)."""
    loader = None
    if template is not None:
        source = template.read_text(encoding="utf-8")
        filename = str(template)

        def load(name: str) -> tuple[str, str, Callable[[], bool]] | None:
            return (source, filename, lambda: True) if name == template.name else None

        loader = jinja2.FunctionLoader(load)
    env = SandboxedEnvironment(
        loader=loader,
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        keep_trailing_newline=True,
    )
    return _configure(env, fmt)  # type: ignore[return-value]


def render_text(env: jinja2.Environment, name: str, context: dict[str, Any], *,
                shown_as: str, filename: str | None = None,
                limit: int | None = None) -> str:
    """Render `name`; any template error becomes a one-line `TemplateFailed`."""
    try:
        template = env.get_template(name)
        if limit is None:
            return template.render(context)
        return _capped(template.generate(context), limit, shown_as)
    except TemplateFailed:
        raise
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateFailed(shown_as, exc.lineno, exc.message or str(exc)) from None
    except (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError,
            AttributeError, RecursionError) as exc:
        raise TemplateFailed(shown_as, template_line(exc, filename), describe(exc)) from None


def _capped(chunks: Iterable[str], limit: int, shown_as: str) -> str:
    out, size = [], 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise TemplateFailed(shown_as, None, f"output exceeds the limit of {limit:,} characters")
        out.append(chunk)
    return "".join(out)


def template_line(exc: BaseException, filename: str | None) -> int | None:
    """The template line an error happened on, from Jinja's rewritten traceback."""
    lineno = getattr(exc, "lineno", None)
    if isinstance(lineno, int):
        return lineno
    line = None
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if (filename is not None and name == filename) or name.startswith("<template>"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, jinja2.exceptions.SecurityError):
        return f"not allowed in the sandbox: {text}"
    if isinstance(exc, jinja2.UndefinedError):
        return f"undefined: {text}"
    return text
