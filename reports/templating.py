"""Jinja environments for the report: trusted built-ins and sandboxed user templates.

Both get the same filters and the i18n extension with the language's catalog,
and render the same context of plain data. A user template (`--template`) runs
in `jinja2.sandbox.SandboxedEnvironment` (no `_` attributes, no unsafe
callables, capped `range`), can include nothing else, and its output is
capped; any error becomes one `TemplateFailed` naming the file and line.

A user template also runs in a child process with a time and a memory limit
(`run_bounded`), so no template - an endless loop, a string doubled until it
fills the memory - can hang or exhaust Hamkor; numbers beyond `MAX_INT_BITS`
are refused at the operator that would make them (`10**(10**8)`). The limits
are listed in README "Limits and safety".

In a Markdown template every `{{ value }}` is HTML-escaped (`md_text`): a
Markdown viewer shows the data, it does not run HTML found in it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from reports.i18n import Formatter
from workflow.errors import HamkorError, Namer, Problem, plain_name
from workflow.rules import problem

BUILTIN_DIR = Path(__file__).parent / "templates"
#: A user template may not write more than this (characters; for docx, of document XML).
MAX_OUTPUT = 64 * 1024 * 1024
#: A user template must finish within this many seconds ...
TEMPLATE_SECONDS = 60
#: ... and may use this much memory beyond what Hamkor had when it started it (MiB).
TEMPLATE_MEMORY_MB = 512
#: A number a user template computes may have at most this many bits (~4,300 digits:
#: Python's own limit for turning a number into text).
MAX_INT_BITS = 14_300


class TemplateFailed(HamkorError):
    """A template could not be rendered; the message names the file and line."""

    def __init__(self, template: str, line: int | None, reason: str) -> None:
        self.template, self.line, self.reason = template, line, reason
        # The technical detail (Jinja's message) stays as it is, inside a rule's sentence
        # a page words in its reader's language.
        self.problem = (problem("report.template_line", None, template=template, line=line, reason=reason)
                        if line else problem("report.template", None, template=template, reason=reason))
        self.code = self.problem.code
        super().__init__(self.problem.text())

    def describe(self, name: Namer = plain_name, translate: Callable[[Problem], str | None]
                 = lambda p: None) -> str:
        return self.problem.text(name, translate(self.problem))

    def __reduce__(self) -> tuple[Any, ...]:
        return TemplateFailed, (self.template, self.line, self.reason)


def md_text(value: Any) -> str:
    """A data value as Markdown text: HTML in it is shown, never run (`<` is `&lt;`)."""
    text = str(value)
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def md_cell(value: Any) -> Markup:
    """A value safe inside a Markdown table cell (and escaped once only: see `_md_finalize`)."""
    text = "" if value is None else md_text(value)
    return Markup(" ".join(text.replace("\\", "\\\\").replace("|", "\\|").split()))


def _md_finalize(value: Any) -> Any:
    """Every `{{ ... }}` of a Markdown template: data is escaped like `md_text`; what a
    filter already escaped (`md`) or marked safe passes as it is."""
    if isinstance(value, Markup) or value is None or type(value) in (int, bool):
        return value
    return md_text(value)


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


def builtin_environment(fmt: Formatter, *, autoescape: bool,
                        markdown: bool = False) -> jinja2.Environment:
    env = _DataEnvironment(
        loader=jinja2.FileSystemLoader(str(BUILTIN_DIR)),
        autoescape=autoescape,
        finalize=_md_finalize if markdown else None,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return _configure(env, fmt)


class _CappedTemplate(jinja2.Template):
    """`render` stops once the environment's output limit is passed (docxtpl calls
    `render` once per part of the document: the limit holds for all parts together)."""

    environment: _Sandbox

    def render(self, *args: Any, **kwargs: Any) -> str:
        env = self.environment
        if env.output_limit is None:
            return super().render(*args, **kwargs)
        out = []
        for chunk in self.generate(*args, **kwargs):
            env.output_used += len(chunk)
            if env.output_used > env.output_limit:
                raise TemplateFailed(env.shown_as, None, "output exceeds the limit of "
                                     f"{env.output_limit:,} characters")
            out.append(chunk)
        return "".join(out)


class _Sandbox(SandboxedEnvironment):
    """The sandbox, with numbers and repetitions of text kept within limits."""

    intercepted_binops = frozenset({"**", "*"})
    template_class = _CappedTemplate
    output_limit: int | None = None
    output_used = 0
    shown_as = "template"

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any,
                   right: Any) -> Any:
        if _is_int(left) and _is_int(right):
            if operator == "**" and right > 0 and abs(left) > 1:
                bits = left.bit_length() * right if right < MAX_INT_BITS else MAX_INT_BITS + 1
            elif operator == "*":
                bits = left.bit_length() + right.bit_length()
            else:
                bits = 0
            if bits > MAX_INT_BITS:
                raise jinja2.exceptions.SecurityError(
                    f"the number {operator} would have more than {MAX_INT_BITS:,} bits")
        elif operator == "*":
            seq, times = (left, right) if _is_int(right) else (right, left)
            limit = self.output_limit or MAX_OUTPUT
            if _is_int(times) and isinstance(seq, str | list | tuple) and len(seq) * times > limit:
                raise jinja2.exceptions.SecurityError(
                    f"a repetition longer than {limit:,} items")
        return super().call_binop(context, operator, left, right)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def sandboxed_environment(fmt: Formatter, *, autoescape: bool, template: Path | None = None,
                          markdown: bool = False, output_limit: int | None = None,
                          shown_as: str = "template") -> SandboxedEnvironment:
    """A sandbox that knows one template file (or none: docxtpl brings its own text).

    With `output_limit`, whatever its templates render together stops past that many
    characters."""
    loader = None
    if template is not None:
        source = template.read_text(encoding="utf-8")
        filename = str(template)

        def load(name: str) -> tuple[str, str, Callable[[], bool]] | None:
            return (source, filename, lambda: True) if name == template.name else None

        loader = jinja2.FunctionLoader(load)
    env = _Sandbox(
        loader=loader,
        autoescape=autoescape,
        finalize=_md_finalize if markdown else None,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        keep_trailing_newline=True,
    )
    env.output_limit, env.shown_as = output_limit, shown_as
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


# --- a user template runs in a child process with a time and a memory limit ---------------


def run_bounded(work: Callable[[], Any], *, shown_as: str, seconds: float | None = None,
                memory_mb: int | None = None) -> Any:
    """`work()` in a forked child that may run `seconds` and use `memory_mb` more than
    this process does now; its result (or its `TemplateFailed`) comes back by a pipe.

    Past either limit the child is stopped and `TemplateFailed` names the limit. Where
    there is no `fork` (not Linux or macOS), `work` runs here without these limits.
    """
    import os
    import pickle
    import select
    import signal
    import time

    seconds = TEMPLATE_SECONDS if seconds is None else seconds
    memory_mb = TEMPLATE_MEMORY_MB if memory_mb is None else memory_mb
    if not hasattr(os, "fork"):
        return work()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 0
        try:
            os.close(read_end)
            _limit_memory(memory_mb)
            payload = _child_result(work, shown_as, memory_mb)
            view = memoryview(payload)
            while view:
                view = view[os.write(write_end, view):]
        except BaseException:  # noqa: BLE001 - nothing may escape a forked child
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    chunks: list[bytes] = []
    deadline = time.monotonic() + seconds
    timed_out = False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read_end], [], [], left)[0]:
                timed_out = True
                break
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        if timed_out:
            os.kill(pid, signal.SIGKILL)
        _, status, usage = os.wait4(pid, 0)
        LAST_CHILD["peak_rss_kb"] = usage.ru_maxrss
        LAST_CHILD["seconds"] = usage.ru_utime + usage.ru_stime
    if timed_out:
        raise TemplateFailed(shown_as, None, f"still running after {seconds:g} s, the limit "
                             "for a template")
    if not chunks:
        why = (f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
               else f"exit code {os.waitstatus_to_exitcode(status)}")
        raise TemplateFailed(shown_as, None, f"rendering stopped ({why}); it may need more "
                             f"than {memory_mb} MB of memory, the limit for a template")
    kind, *rest = pickle.loads(b"".join(chunks))
    if kind == "ok":
        return rest[0]
    if kind == "failed":
        raise TemplateFailed(*rest)
    raise RuntimeError(f"rendering {shown_as} failed: {rest[0]}")


#: What the last `run_bounded` child used: peak resident memory (KiB) and CPU seconds.
LAST_CHILD: dict[str, float] = {}


def _limit_memory(memory_mb: int) -> None:
    """Cap this (child) process's address space at its present size + `memory_mb`."""
    import resource

    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            size_kb = next(int(line.split()[1]) for line in fh if line.startswith("VmSize:"))
    except (OSError, StopIteration, ValueError):
        return
    limit = (size_kb * 1024) + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _child_result(work: Callable[[], Any], shown_as: str, memory_mb: int) -> bytes:
    import gc
    import pickle

    gc.disable()  # nothing inherited may be finalised here (database connections)
    try:
        result: tuple[Any, ...] = ("ok", work())
    except TemplateFailed as exc:
        result = ("failed", exc.template, exc.line, exc.reason)
    except MemoryError:
        result = ("failed", shown_as, None, f"needs more than {memory_mb} MB of memory, "
                  "the limit for a template")
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
        result = ("error", f"{type(exc).__name__}: {exc}")
    return pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
