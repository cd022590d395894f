"""The agreement lifecycle: states, events and the one table they live in.

Everything else is derived from `TRANSITIONS`: the `transitions` machine, the
guard checks, the list of events the CLI accepts, and the diagram. Adding a
state or an event is one edit here. The named groups of states (ended, in
force, live, signed or later, ...) and the history's own events
(`RecordEvent`) are defined here too and imported wherever they are needed:
no other module spells a state's name (README "The lifecycle").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any


class State(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    AWAITING_SIGNATURES = "awaiting_signatures"
    SIGNED = "signed"
    ACTIVE = "active"
    RENEWAL_DUE = "renewal_due"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"
    TERMINATED = "terminated"
    WITHDRAWN = "withdrawn"


#: Ended: nothing happens to the agreement any more (it no longer blocks a successor).
TERMINAL = frozenset({State.EXPIRED, State.SUPERSEDED, State.TERMINATED, State.WITHDRAWN})
#: Not ended: the tick still has work for it, now or later.
LIVE = frozenset(State) - TERMINAL
#: In force now.
IN_FORCE = frozenset({State.ACTIVE, State.RENEWAL_DUE})
#: Signed by every party and not ended: reminded, and a signed successor of its predecessor.
BINDING = frozenset({State.SIGNED}) | IN_FORCE
#: Not approved yet: the text may still change freely.
UNAPPROVED = frozenset({State.DRAFT, State.IN_REVIEW})
#: Approved and not yet signed by every party: the text is fixed until signed.
FROZEN = frozenset({State.APPROVED, State.AWAITING_SIGNATURES})
#: Before any signature.
UNSIGNED = UNAPPROVED | {State.APPROVED}
#: Not yet signed by every party (and not abandoned): can still be withdrawn.
BEFORE_SIGNED = UNSIGNED | {State.AWAITING_SIGNATURES}
#: Signed by every party, now or in the past ("in effect" for EWP).
SIGNED_OR_LATER = frozenset(State) - BEFORE_SIGNED - {State.WITHDRAWN}
#: Has been in force.
STARTED = IN_FORCE | {State.EXPIRED, State.SUPERSEDED}
#: May carry a notice given while in force (in force, or ended after it).
NOTICE_POSSIBLE = STARTED | {State.TERMINATED}
#: Needed a complete draft to get there (the `submit` guard).
COMPLETE = frozenset(State) - {State.DRAFT, State.WITHDRAWN}
#: On its way to being in force (a successor in these states keeps its predecessor's gap open).
ON_ITS_WAY = BEFORE_SIGNED | {State.SIGNED}


class Event(StrEnum):
    SUBMIT = "submit"
    REQUEST_CHANGES = "request_changes"
    APPROVE = "approve"
    SEND_FOR_SIGNATURE = "send_for_signature"
    SIGN = "sign"
    ACTIVATE = "activate"
    OPEN_RENEWAL = "open_renewal"
    RENEW = "renew"
    GIVE_NOTICE = "give_notice"
    AUTO_RENEW = "auto_renew"
    EXPIRE = "expire"
    TERMINATE = "terminate"
    WITHDRAW = "withdraw"
    SUPERSEDE = "supersede"


class RecordEvent(StrEnum):
    """History entries that are not transitions of the table."""

    CREATE = "create"
    IMPORT = "import"
    COVERAGE_GAP = "coverage_gap"
    AMEND = "amend"
    EDIT = "edit"
    EWP_APPROVAL = "ewp_approval"
    EWP_PARTNER_APPROVAL = "ewp_partner_approval"
    ATTACH = "attach"
    DETACH = "detach"


class Role(IntEnum):
    VIEWER = 1
    OFFICER = 2
    APPROVER = 3
    ADMIN = 4

    @classmethod
    def parse(cls, value: str) -> Role:
        return cls[value.upper()]

    @property
    def label(self) -> str:
        return self.name.lower()


class Guard(StrEnum):
    """Named guard checks; their logic is in `workflow.guards`."""

    COMPLETE = "complete"
    FOUR_EYES = "four_eyes"
    UNSIGNED_PARTY = "unsigned_party"
    STARTED = "started"
    RENEWAL_WINDOW = "renewal_window"
    AT_EXPIRY_AUTO = "at_expiry_auto"
    PAST_EXPIRY = "past_expiry"
    NOTICE_DATE = "notice_date"
    SIGNED_COPY = "signed_copy"  # only with HAMKOR_REQUIRE_SIGNED_COPY


@dataclass(frozen=True)
class Transition:
    event: Event
    sources: tuple[State, ...]
    dest: State | None  # None: the state is unchanged
    manual: bool = True
    automatic: bool = False
    role: Role = Role.OFFICER
    note_required: bool = False
    guards: tuple[Guard, ...] = ()
    #: For `sign`: the state kept until the last party has signed.
    interim: State | None = None
    help: str = ""


_S = State
_E = Event
_ACTIVE = (_S.ACTIVE, _S.RENEWAL_DUE)

TRANSITIONS: tuple[Transition, ...] = (
    Transition(_E.SUBMIT, (_S.DRAFT,), _S.IN_REVIEW, guards=(Guard.COMPLETE,),
               help="send a complete draft for review"),
    Transition(_E.REQUEST_CHANGES, (_S.IN_REVIEW,), _S.DRAFT, role=Role.APPROVER,
               note_required=True, help="return to draft with the changes needed"),
    Transition(_E.APPROVE, (_S.IN_REVIEW,), _S.APPROVED, role=Role.APPROVER,
               guards=(Guard.FOUR_EYES,), help="approve (not by whoever submitted it)"),
    Transition(_E.SEND_FOR_SIGNATURE, (_S.APPROVED,), _S.AWAITING_SIGNATURES,
               help="send to the parties for signature"),
    Transition(_E.SIGN, (_S.AWAITING_SIGNATURES,), _S.SIGNED,
               interim=_S.AWAITING_SIGNATURES, guards=(Guard.UNSIGNED_PARTY,),
               help="record one party's signature; the last one makes it signed"),
    Transition(_E.ACTIVATE, (_S.SIGNED,), _S.ACTIVE, automatic=True,
               guards=(Guard.STARTED, Guard.SIGNED_COPY), help="put in force from its start date"),
    Transition(_E.OPEN_RENEWAL, _ACTIVE[:1], _S.RENEWAL_DUE, manual=False, automatic=True,
               guards=(Guard.RENEWAL_WINDOW,), help="open the renewal window"),
    Transition(_E.RENEW, _ACTIVE, None, help="create a successor draft"),
    Transition(_E.GIVE_NOTICE, _ACTIVE, None, note_required=True,
               guards=(Guard.NOTICE_DATE,), help="give notice: no tacit renewal, ends on a date"),
    Transition(_E.AUTO_RENEW, _ACTIVE, _S.ACTIVE, manual=False, automatic=True,
               guards=(Guard.AT_EXPIRY_AUTO,), help="tacit renewal for another period"),
    Transition(_E.EXPIRE, _ACTIVE, _S.EXPIRED, manual=False, automatic=True,
               guards=(Guard.PAST_EXPIRY,), help="past its last day in force"),
    Transition(_E.TERMINATE, (_S.ACTIVE, _S.RENEWAL_DUE, _S.SIGNED), _S.TERMINATED,
               note_required=True, help="end now, with a reason"),
    Transition(_E.WITHDRAW, tuple(s for s in State if s in BEFORE_SIGNED), _S.WITHDRAWN,
               note_required=True, help="abandon before signature"),
    Transition(_E.SUPERSEDE, _ACTIVE, _S.SUPERSEDED, manual=False, automatic=True,
               help="replaced by its successor on the successor's activation"),
)

BY_EVENT: dict[Event, Transition] = {t.event: t for t in TRANSITIONS}
MANUAL_EVENTS: tuple[str, ...] = tuple(t.event.value for t in TRANSITIONS if t.manual)


def transition_for(event: Event) -> Transition:
    return BY_EVENT[event]


def machine_transitions() -> list[dict[str, Any]]:
    """The table in the shape `transitions.Machine(transitions=...)` expects."""
    rows: list[dict[str, Any]] = []
    for t in TRANSITIONS:
        sources = [s.value for s in t.sources]
        if t.interim is not None:
            # Ordered: the first row whose condition holds fires.
            rows.append({"trigger": t.event.value, "source": sources, "dest": t.dest.value if t.dest else "=",
                         "conditions": "is_last_signature"})
            rows.append({"trigger": t.event.value, "source": sources, "dest": t.interim.value})
        else:
            rows.append({"trigger": t.event.value, "source": sources,
                         "dest": t.dest.value if t.dest else "="})
    return rows
