"""How each refusal reads on a page and which HTTP status it gets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workflow.errors import (
    ConcurrentUpdate,
    Duplicate,
    HamkorError,
    Invalid,
    NotFound,
    PermissionDenied,
    SchemaNotReady,
    TransitionRefused,
)

if TYPE_CHECKING:
    from web.i18n import Translator

_STATUS: tuple[tuple[type[HamkorError], int], ...] = (
    (NotFound, 404),
    (PermissionDenied, 403),
    (TransitionRefused, 409),
    (ConcurrentUpdate, 409),
    (Duplicate, 409),
    (Invalid, 422),
    (SchemaNotReady, 503),
)

def status_for(exc: HamkorError) -> int:
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return status
    return 400


def humanize(exc: HamkorError, t: Translator | None = None) -> str:
    """The refusal for a page, in the reader's language: field names as the form's labels,
    codes (events, states, roles) by their names, and no command-line wording."""
    if t is None:
        return exc.describe()
    # English keeps the services' sentences (no command-line words in these).
    if t.lang != "en":
        if isinstance(exc, NotFound):
            return t("err.not_found", what=_kind(t, exc.kind), key=exc.key)
        if isinstance(exc, Duplicate):
            return t("err.duplicate", what=_kind(t, exc.kind).capitalize(), key=exc.key)
        if isinstance(exc, PermissionDenied):
            return t("err.role", role=t.role(exc.role), needed=t.role(exc.needed))
    if isinstance(exc, ConcurrentUpdate):
        return t("err.concurrent", ref=exc.ref)
    if isinstance(exc, TransitionRefused):
        why = exc.problem.text(t.field_name, t.rule(exc.problem))
        return t("err.refused", ref=exc.ref, event=t.event(exc.event), state=t.state(exc.state), why=why)
    return exc.describe(t.field_name, t.rule)


def row_message(error: Any, t: Translator) -> str:
    """An import row's problem (a `RowError`) in the reader's language when the rule book
    words it there; its column is shown beside it, so it is not repeated in front."""
    problem = error.problem
    template = t.rule(problem) if problem is not None else None
    if not template:
        return str(error.message)
    text: str = problem.text(t.field_name, template)
    for name in (t.field_name(error.column), error.column):
        text = text.removeprefix(f"{name}: ")
    return text


def _kind(t: Translator, kind: str) -> str:
    return t.text(f"err.kind.{kind}") or kind


def api_error(exc: HamkorError) -> dict[str, Any]:
    """The refusal for the JSON API: the sentence with the JSON fields' names, the field
    concerned and the rule's code (workflow/rules.py)."""
    return {"detail": exc.describe(), "field": exc.field, "code": exc.code}
