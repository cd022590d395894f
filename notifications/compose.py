"""Render a message kind in a language: `templates/<kind>/subject.txt, body.txt, body.html`.

A directory given by `HAMKOR_TEMPLATES_DIR` is searched first, file by file, so
an office can override one body and keep the rest. HTML is autoescaped, text
is not; an undefined variable is an error, not an empty string. The words come
from the gettext catalogs (`notifications/locale`, Jinja's i18n extension), dates
from Babel: one Jinja environment per language, each with its own catalog.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache, partial
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, select_autoescape

from config import ConfigError
from notifications import i18n

DEFAULT_DIR = Path(__file__).parent / "templates"
#: Reminder kinds (notifications.rules.Rule), workflow kinds, the digest.
REMINDER_KINDS: tuple[str, ...] = ("renewal", "notice", "signature", "expired")
WORKFLOW_KINDS: tuple[str, ...] = ("submitted", "changes_requested", "approved", "signed",
                                   "terminated", "withdrawn")
#: quota: the utilisation warning of workflow.quota_warnings (issue 21).
#: password_link: a one-time set-password link (notifications/account_mail.py).
KINDS: tuple[str, ...] = (*REMINDER_KINDS, "quota", *WORKFLOW_KINDS, "digest", "password_link")
PARTS = ("subject.txt", "body.txt", "body.html")


def kind_of(template: str) -> str:
    """The outbox's kind of a message template: reminder, workflow, digest or account."""
    if template in WORKFLOW_KINDS:
        return "workflow"
    if template == "password_link":
        return "account"
    return "digest" if template == "digest" else "reminder"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _days(t: Any, n: int) -> str:
    return str(t.ngettext("%(num)d day", "%(num)d days", n) % {"num": n})


def _months(t: Any, n: int) -> str:
    return str(t.ngettext("%(num)d month", "%(num)d months", n) % {"num": n})


def _attention(t: Any, n: int) -> str:
    return str(t.ngettext("Hamkor this week: %(num)d agreement needs your attention",
                          "Hamkor this week: %(num)d agreements need your attention", n)
               % {"num": n})


class Templates:
    """The Jinja2 environments for email; `render(kind, context, lang)` gives all three parts."""

    def __init__(self, override_dir: Path | None = None) -> None:
        search = [str(DEFAULT_DIR)]
        if override_dir is not None:
            if not override_dir.is_dir():
                raise ConfigError(f"HAMKOR_TEMPLATES_DIR: {override_dir} is not a directory")
            search.insert(0, str(override_dir))
        self._search = search
        self._envs: dict[str, Environment] = {}

    def env(self, lang: str) -> Environment:
        env = self._envs.get(lang)
        if env is None:
            t = i18n.translations(lang)
            env = Environment(
                loader=FileSystemLoader(self._search),
                autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False,
                                             default=False),
                undefined=StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
                keep_trailing_newline=True,
                extensions=["jinja2.ext.i18n"],
            )
            env.install_gettext_translations(t, newstyle=True)  # type: ignore[attr-defined]
            env.filters["long_date"] = partial(_long_date, lang)
            env.filters["days"] = partial(_days, t)
            env.filters["months"] = partial(_months, t)
            env.filters["attention"] = partial(_attention, t)
            self._envs[lang] = env
        return env

    def render(self, kind: str, context: Mapping[str, Any], lang: str = i18n.SOURCE_LANGUAGE) -> Rendered:
        if kind not in KINDS:
            raise ValueError(f"no email templates for {kind!r}; kinds: {', '.join(KINDS)}")
        lang = i18n.language(lang)
        env = self.env(lang)
        ctx = {**context, "lang": lang}
        # A header is one line, whatever the template's layout.
        subject = " ".join(self._render(env, f"{kind}/subject.txt", ctx).split())
        ctx["subject"] = subject
        text = self._render(env, f"{kind}/body.txt", ctx)
        html = self._render(env, f"{kind}/body.html", ctx)
        return Rendered(subject, text, html)

    @staticmethod
    def _render(env: Environment, name: str, context: Mapping[str, Any]) -> str:
        try:
            return env.get_template(name).render(context)
        except TemplateError as exc:
            # A broken override is a configuration problem: say which file and why.
            raise ConfigError(f"email template {name}: {exc}") from exc

    def __call__(self, kind: str, context: Mapping[str, Any],
                 lang: str = i18n.SOURCE_LANGUAGE) -> tuple[str, str, str]:
        r = self.render(kind, context, lang)
        return r.subject, r.text, r.html


def _long_date(lang: str, value: date | None) -> str:
    return i18n.long_date(value, lang)


@cache
def templates(directory: Path | None = None) -> Templates:
    """One set of environments per template directory (compiled templates are cached and
    edits noticed), shared by every tick of a long-running worker and every web request."""
    return Templates(directory)
