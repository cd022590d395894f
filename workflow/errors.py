"""One exception tree; each error carries the ids a user needs to act on it."""

from __future__ import annotations


class HamkorError(Exception):
    """Root of every refusal Hamkor reports as one `error: ...` line."""


class NotFound(HamkorError):
    def __init__(self, kind: str, key: object) -> None:
        self.kind, self.key = kind, key
        super().__init__(f"no {kind} {key!s}")


class Duplicate(HamkorError):
    def __init__(self, kind: str, key: object, detail: str = "") -> None:
        self.kind, self.key = kind, key
        super().__init__(f"{kind} {key!s} already exists{detail}")


class Invalid(HamkorError):
    """Bad input: the message names the field and what was wrong."""


class PermissionDenied(HamkorError):
    def __init__(self, actor: str, action: str, needed: str, role: str) -> None:
        self.actor, self.action, self.needed = actor, action, needed
        super().__init__(f"{actor} ({role}) may not {action}: needs role {needed} or above")


class TransitionRefused(HamkorError):
    def __init__(self, ref: str, event: str, state: str, reason: str) -> None:
        self.ref, self.event, self.state, self.reason = ref, event, state, reason
        super().__init__(f"{ref}: cannot {event} in state {state}: {reason}")


class ConcurrentUpdate(HamkorError):
    def __init__(self, ref: str) -> None:
        self.ref = ref
        super().__init__(f"{ref} was changed by someone else; retry")


class SchemaNotReady(HamkorError):
    def __init__(self, detail: str) -> None:
        super().__init__(f"{detail}; run `hamkor db upgrade`")
