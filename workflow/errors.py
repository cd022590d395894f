"""One exception tree; each error carries the ids a user needs to act on it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field as dc_field
from typing import Any

#: How a door names a field in a sentence (CLI: `--expires`, API: `expires`, web: its label).
Namer = Callable[[str], str]


def plain_name(field: str) -> str:
    """A field as the JSON API and the services call it."""
    return field


@dataclass(frozen=True)
class Problem:
    """What is wrong with an input: the field it concerns, a code (workflow/rules.py), the
    sentence's template and its values. Field names in the sentence are left to the door
    that shows it: `{field}` is the concerned field, `{f_x}` field x."""

    code: str
    field: str | None
    template: str
    params: Mapping[str, Any] = dc_field(default_factory=dict)

    def text(self, name: Namer = plain_name, template: str | None = None) -> str:
        return (template or self.template).format_map(_Values(self, name))

    def __str__(self) -> str:
        return self.text()


class _Values(dict[str, Any]):
    def __init__(self, p: Problem, name: Namer) -> None:
        super().__init__(p.params)
        self._problem, self._name = p, name

    def __missing__(self, key: str) -> Any:
        if key == "field":
            return self._name(self._problem.field or "value")
        if key.startswith("f_"):
            return self._name(key[2:])
        raise KeyError(key)


def as_problem(reason: str | Problem) -> Problem:
    if isinstance(reason, Problem):
        return reason
    return Problem("invalid", None, reason.replace("{", "{{").replace("}", "}}"))


class HamkorError(Exception):
    """Root of every refusal Hamkor reports as one `error: ...` line."""

    #: The input the refusal concerns (None: the request as a whole) and its rule code.
    field: str | None = None
    code: str = "refused"

    def describe(self, name: Namer = plain_name, translate: Callable[[Problem], str | None]
                 = lambda p: None) -> str:
        """The sentence with field names as `name` gives them (`translate`: a template in
        the reader's language for a problem, or None for English)."""
        return str(self)


class NotFound(HamkorError):
    code = "not_found"

    def __init__(self, kind: str, key: object) -> None:
        self.kind, self.key = kind, key
        super().__init__(f"no {kind} {key!s}")


class Duplicate(HamkorError):
    code = "duplicate"

    def __init__(self, kind: str, key: object, detail: str = "") -> None:
        self.kind, self.key = kind, key
        super().__init__(f"{kind} {key!s} already exists{detail}")


class Invalid(HamkorError):
    """Bad input: a `Problem` (field, code, sentence), or a sentence alone."""

    def __init__(self, reason: str | Problem) -> None:
        self.problem = as_problem(reason)
        if self.problem.field is not None:  # a subclass may have named its field already
            self.field = self.problem.field
        self.code = self.problem.code
        super().__init__(self.problem.text())

    def describe(self, name: Namer = plain_name, translate: Callable[[Problem], str | None]
                 = lambda p: None) -> str:
        return self.problem.text(name, translate(self.problem))


class PermissionDenied(HamkorError):
    code = "role"

    def __init__(self, actor: str, action: str, needed: str, role: str) -> None:
        self.actor, self.action, self.needed, self.role = actor, action, needed, role
        super().__init__(f"{actor} ({role}) may not {action}: needs role {needed} or above")


class TransitionRefused(HamkorError):
    code = "transition.refused"

    def __init__(self, ref: str, event: str, state: str, reason: str | Problem) -> None:
        self.problem = as_problem(reason)
        self.ref, self.event, self.state = ref, event, state
        self.reason = self.problem.text()
        self.field, self.code = self.problem.field, self.problem.code
        super().__init__(f"{ref}: cannot {event} in state {state}: {self.reason}")

    def describe(self, name: Namer = plain_name, translate: Callable[[Problem], str | None]
                 = lambda p: None) -> str:
        why = self.problem.text(name, translate(self.problem))
        return f"{self.ref}: cannot {self.event} in state {self.state}: {why}"


class ConcurrentUpdate(HamkorError):
    code = "changed"

    def __init__(self, ref: str) -> None:
        self.ref = ref
        super().__init__(f"{ref} was changed by someone else; retry")


class SchemaNotReady(HamkorError):
    def __init__(self, detail: str) -> None:
        super().__init__(f"{detail}; run `hamkor db upgrade`")
