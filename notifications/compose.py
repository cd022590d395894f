"""Render a message kind's templates: `templates/<kind>/subject.txt, body.txt, body.html`.

A directory given by `HAMKOR_TEMPLATES_DIR` is searched first, file by file, so
an office can override one body and keep the rest. HTML is autoescaped, text
is not; an undefined variable is an error, not an empty string.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, select_autoescape

from config import ConfigError
from notifications.rules import Rule
from workflow.dates import format_date

DEFAULT_DIR = Path(__file__).parent / "templates"
KINDS: tuple[str, ...] = tuple(r.value for r in Rule) + ("quota",)  # quota: workflow.quota_warnings
PARTS = ("subject.txt", "body.txt", "body.html")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def long_date(value: date | None) -> str:
    """`2027-06-30` -> `30 June 2027` (unambiguous in every office)."""
    if value is None:
        return "(no date)"
    return format_date(value, "en", "d MMMM y")


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class Templates:
    """The Jinja2 environment for email; `render(kind, context)` gives all three parts."""

    def __init__(self, override_dir: Path | None = None) -> None:
        search = [str(DEFAULT_DIR)]
        if override_dir is not None:
            if not override_dir.is_dir():
                raise ConfigError(f"HAMKOR_TEMPLATES_DIR: {override_dir} is not a directory")
            search.insert(0, str(override_dir))
        self.env = Environment(
            loader=FileSystemLoader(search),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False,
                                         default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters["long_date"] = long_date
        self.env.filters["plural"] = plural

    def render(self, kind: str, context: Mapping[str, Any]) -> Rendered:
        if kind not in KINDS:
            raise ValueError(f"no email templates for {kind!r}; kinds: {', '.join(KINDS)}")
        subject, text, html = (self._render(f"{kind}/{part}", context) for part in PARTS)
        # A header is one line, whatever the template's layout.
        return Rendered(" ".join(subject.split()), text, html)

    def _render(self, name: str, context: Mapping[str, Any]) -> str:
        try:
            return self.env.get_template(name).render(context)
        except TemplateError as exc:
            # A broken override is a configuration problem: say which file and why.
            raise ConfigError(f"email template {name}: {exc}") from exc

    def __call__(self, kind: str, context: Mapping[str, Any]) -> tuple[str, str, str]:
        r = self.render(kind, context)
        return r.subject, r.text, r.html
