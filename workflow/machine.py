"""One class-level `transitions` machine shared by every agreement.

A machine per row costs ~60 KB and O(states) to build (transitions #379/#434);
this one is built once, on the first event fired (a command that only reads
never imports the library), never gets models added, and fires events with
`machine.events[name].trigger(obj)` as the library's FAQ recommends.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from workflow.lifecycle import State, machine_transitions

if TYPE_CHECKING:
    from transitions import Machine

    MACHINE: Machine


@cache
def machine() -> Machine:
    """The shared machine, built on first use."""
    from transitions import Machine

    return Machine(
        model=None,
        states=[s.value for s in State],
        transitions=machine_transitions(),
        initial=None,
        auto_transitions=False,
        send_event=False,
    )


def __getattr__(name: str) -> Any:
    if name == "MACHINE":
        return machine()
    raise AttributeError(f"module 'workflow.machine' has no attribute {name!r}")


class _Target:
    """Adapter the machine fires on: carries the state and the sign decision."""

    __slots__ = ("state", "_last")

    def __init__(self, state: str, last_signature: bool) -> None:
        self.state = state
        self._last = last_signature

    def is_last_signature(self) -> bool:
        return self._last


def fire(state: str, event: str, *, last_signature: bool = False) -> State:
    """Run `event` from `state` through the machine; return the new state.

    Guards with reasons run before this (in `workflow.guards`); here the table's
    shape decides the destination. Raises `transitions.MachineError` when the
    table has no such row.
    """
    target = _Target(State(state).value, last_signature)  # the machine knows plain names
    ok: Any = machine().events[event].trigger(target)
    if not ok:  # pragma: no cover - the guards ran already
        raise RuntimeError(f"machine refused {event} from {state}")
    return State(target.state)
