"""Agreement use cases: create, advance, renew, show, list, history.

Each runs in one unit of work and commits once. A refused event raises before
anything is flushed, so state, version and audit stay as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any, NoReturn

from sqlalchemy import Table, and_, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from models import Agreement, AgreementParty, Event, Notification, Organization, User
from workflow import dates, register_query, rules
from workflow.agreement_read import (  # re-exported: callers import them from here
    SUCCESSOR_SIGNED as SUCCESSOR_SIGNED,
    ActorRow as ActorRow,
    AgreementDetail as AgreementDetail,
    AgreementRow as AgreementRow,
    EventRow as EventRow,
    NextEvent as NextEvent,
    PartyRow as PartyRow,
    Shown as Shown,
    Surroundings as Surroundings,
    _acting_statement,
    _fixed,
    agreement_dict as agreement_dict,
    agreement_dict_renewing,
    event_dict as event_dict,
    facts as facts,
    get_agreement as get_agreement,
    history_of as history_of,
    read_shown as read_shown,
    reschedule as reschedule,
    surroundings as surroundings,
    surroundings_of_many as surroundings_of_many,
)
from workflow.clock import Clock
from workflow.errors import (
    ConcurrentUpdate,
    Invalid,
    NotFound,
    PermissionDenied,
    Problem,
    TransitionRefused,
)
from workflow.event_write import commit_event
from workflow.guards import GuardInput, refusal
from workflow.lifecycle import (
    IN_FORCE,
    MANUAL_EVENTS,
    TERMINAL,
    Event as Ev,
    RecordEvent,
    Role,
    State,
    transition_for,
)
from workflow.machine import fire
from workflow.mail_policy import MailPolicy
from workflow.registry import (
    SYSTEM_ACTOR,
    active_user,
    actor,
    check_role,
    get_partner,
    get_user,
    new_organization,
    require_role,
)
from workflow.schedule import Policy
from workflow.uow import UnitOfWork

TYPES, FORMS = rules.TYPES, rules.FORMS

#: (session, agreement, event row, version before the event, actor, clock, office)
EventHook = Callable[[Session, Agreement, Event, int, User, Clock, "Office"], None]


@dataclass(frozen=True)
class Office:
    """What the services need from configuration."""

    institution: str = "Home University"
    institution_country: str = "UZ"
    policy: Policy = field(default_factory=Policy)
    #: HAMKOR_ACADEMIC_YEAR_START and HAMKOR_INSTITUTION_HEI_ID (activities and quotas).
    year_start: tuple[int, int] = (9, 1)
    hei_id: str | None = None
    #: HAMKOR_REQUIRE_SIGNED_COPY: activation (manual and automatic) needs a signed copy.
    require_signed_copy: bool = False
    mail: MailPolicy = field(default_factory=MailPolicy)
    #: Called in the event's own transaction after a manual event is recorded; the
    #: composition root plugs in the workflow mail (notifications/workflow_mail.py), so the
    #: domain imports no mail package (README "Development").
    on_event: EventHook | None = None


# --- writing helpers ------------------------------------------------------------------


def agreement_to_change(uow: UnitOfWork, ref: str, by: str | None, needed: Role,
                        action: str) -> tuple[Agreement, User]:
    """Inside `with uow`: the agreement `ref` (the unit of work's subject) and the user
    acting (`by`) once they may `action` (role `needed` or above)."""
    a = get_agreement(uow.session, ref)
    uow.subject = a.ref
    who = actor(uow.session, by)
    require_role(who, needed, action)
    return a, who


def record(
    s: Session,
    a: Agreement,
    event: str,
    *,
    actor: str,
    on: date,
    clock: Clock,
    from_state: str | None,
    to_state: str | None,
    note: str | None = None,
    party: str | None = None,
    bump: bool = True,
) -> Event:
    # Every event changes the agreement: bump its version even when no column of its
    # own row changed (a party's signature), so a concurrent writer of the same
    # version loses instead of both succeeding. Only a creation (`bump=False`) does not.
    if bump:
        flag_modified(a, "state")
    ev = Event(
        agreement_id=a.id,
        event=event,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        occurred_on=on,
        recorded_at=clock.utcnow,
        note=note,
        party=party,
        term=a.term,
    )
    s.add(ev)
    return ev


def cancel_pending(s: Session, agreement_id: int, *, keep_rules: tuple[str, ...] = (),
                   term: int | None = None) -> None:
    """Pending reminders stop when their term is over (renewed, ended, superseded) --
    claimed ones too: a sender checks right before sending that its row is still
    `sending` (notifications.deliveries.Fence), so a cancelled one is not sent. Workflow
    mail reports what happened and still goes out."""
    # On the session's connection, not through the ORM: no autoflush (the agreement's
    # pending change goes out once, at commit; a flush here would bump its version a
    # second time), and no notification is loaded in the session to keep in step.
    params: dict[str, Any] = {"c_agreement_id": agreement_id}
    if term is not None:
        params["c_term"] = term
    s.connection().execute(_cancelling(keep_rules, term is not None), params)


@cache
def _cancelling(keep_rules: tuple[str, ...], by_term: bool) -> Any:
    """`cancel_pending`'s statement, built once per shape."""
    t: Table = Notification.__table__  # type: ignore[assignment]
    cond = [t.c.agreement_id == bindparam("c_agreement_id"),
            t.c.status.in_(_fixed(("pending", "failed", "sending"))), t.c.kind == "reminder"]
    if keep_rules:
        cond.append(t.c.rule.not_in(_fixed(keep_rules)))
    if by_term:
        cond.append(t.c.term == bindparam("c_term"))
    return update(t).where(and_(*cond)).values(status="cancelled")


def _next_ref(s: Session, year: int) -> tuple[int, str]:
    seq = (s.scalar(select(func.max(Agreement.ref_seq)).where(Agreement.ref_year == year)) or 0) + 1
    return seq, f"AGR-{year}-{seq:04d}"


def _validate_terms(
    starts: date | None, expires: date | None, months: int | None, indefinite: bool,
    auto_renew: bool, renewal_months: int | None, notice_days: int | None,
) -> date | None:
    return rules.terms(starts, expires, months, indefinite, auto_renew, renewal_months, notice_days)


def _validate_forms(forms: list[str]) -> list[str]:
    return rules.forms(forms)


def _check_on(on: date | None, today: date, field: str = "on") -> date:
    return rules.not_future(rules.in_range(on, field), today, field) if on else today


def _refuse_transition(ref: str, event: str, state: str, reason: Problem) -> NoReturn:
    """A guard's refusal: forbidden for the actor's role, else refused in this state."""
    if reason.code == "guard.role":
        p = reason.params
        raise PermissionDenied(p["actor"], str(p["event"]), p["needed"], p["role"])
    raise TransitionRefused(ref, event, state, reason)


# --- use cases ------------------------------------------------------------------------


@dataclass
class NewAgreement:
    title: str
    partners: list[str]
    type: str
    owner: str | None
    department: str | None = None
    starts: date | None = None
    expires: date | None = None
    months: int | None = None
    indefinite: bool = False
    auto_renew: bool = False
    renewal_months: int | None = None
    notice_days: int | None = None
    forms: list[str] = field(default_factory=list)
    no_institution: bool = False
    notes: str | None = None


CREATE_ACTION = "create agreements"


def check_may_create(uow: UnitOfWork, by: str | None) -> None:
    """Refuse (PermissionDenied) a named actor who may not create agreements (the new
    agreement form asks before it is shown; `create` checks again)."""
    check_role(uow, by, Role.OFFICER, CREATE_ACTION)


def create(uow: UnitOfWork, clock: Clock, office: Office, spec: NewAgreement, *,
           by: str | None, on: date | None = None) -> AgreementRow:
    rules.choice(spec.type, "type", TYPES)
    title = rules.name(spec.title, "title")
    department = rules.text(spec.department, "department")
    notes = rules.text(spec.notes, "notes", multiline=True)
    partners = [rules.name(p, "partners") for p in spec.partners]
    if not partners:
        rules.refuse("partners.required", "partners")
    expires = _validate_terms(spec.starts, spec.expires, spec.months, spec.indefinite,
                              spec.auto_renew, spec.renewal_months, spec.notice_days)
    forms = _validate_forms(spec.forms)
    day = _check_on(on, clock.today)
    with uow.writing():
        s = uow.session
        who = actor(s, by)
        require_role(who, Role.OFFICER, CREATE_ACTION)
        owner_email = rules.email(spec.owner, "owner", required=False)
        owner = get_user(s, owner_email) if owner_email else None
        if owner is not None:
            from workflow.corrections import check_owner

            check_owner(owner)
        orgs: list[Organization] = []
        if not spec.no_institution:
            home = get_partner_or_none(s, office.institution) or new_organization(
                s, clock, office.institution, country=office.institution_country, created_on=day
            )
            orgs.append(home)
        for name in partners:
            org = get_partner(s, name)
            if org in orgs:
                rules.refuse("partners.twice", "partners", name=org.name)
            orgs.append(org)
        if len(orgs) < 2:
            rules.refuse("partners.two_parties", "partners")
        a = _insert_agreement(
            s, clock, day,
            title=title, type=spec.type, owner=owner, department=department,
            starts_on=spec.starts, expires_on=expires, indefinite=spec.indefinite,
            auto_renew=spec.auto_renew, renewal_months=spec.renewal_months,
            notice_days=spec.notice_days, forms=forms, notes=notes,
        )
        for i, org in enumerate(orgs):
            s.add(AgreementParty(agreement=a, organization=org, position=i))
        s.flush()
        record(s, a, RecordEvent.CREATE, actor=who.email, on=day, clock=clock, from_state=None,
               to_state=a.state, bump=False)
        uow.subject = a.ref
        uow.commit()
        return agreement_dict(a)


@dataclass(frozen=True, slots=True)
class Acting:
    """An action about to happen: on which agreement, by whom, dated when."""

    agreement: Agreement
    who: User
    role: Role
    on: date
    around: Surroundings


def _acting_on(uow: UnitOfWork, ref: str, by: str | None, on: date | None, clock: Clock,
               expected_version: int | None) -> Acting:
    """The agreement a user acts on (at the version they saw), who they are and when,
    read in one statement. Refusals in the order a user fixes them: unknown agreement,
    stale page, then the actor."""
    row = uow.session.execute(_acting_statement(), {
        "ref": ref.strip().upper(), "email": (by or "").strip().lower()}).unique().one_or_none()
    if row is None:
        raise NotFound("agreement", ref)
    a, who, last_on, submitter, signed, approved = row
    uow.subject = a.ref
    if expected_version is not None and a.version != expected_version:
        raise ConcurrentUpdate(a.ref)
    if not by:
        rules.refuse("actor.missing", "by")
    who = active_user(who, by)
    return Acting(a, who, Role.parse(who.role), on or clock.today,
                  Surroundings(last_on, submitter, signed is not None, approved))


def get_partner_or_none(s: Session, name: str) -> Organization | None:
    from workflow.registry import find_partner

    return find_partner(s, name)


def _insert_agreement(s: Session, clock: Clock, day: date, **values: Any) -> Agreement:
    """Insert with the next free reference of `day`'s year (retried if a racer took it)."""
    for _ in range(5):
        seq, ref = _next_ref(s, day.year)
        a = Agreement(ref=ref, ref_year=day.year, ref_seq=seq, state=State.DRAFT, term=1,
                      created_on=day, created_at=clock.utcnow, state_since=day, **values)
        try:
            with s.begin_nested():
                s.add(a)
                s.flush()
            return a
        except IntegrityError:
            continue
    raise Invalid(rules.problem("agreement.ref_busy"))


def available_events(s: Session, a: Agreement, who: User | None, today: date,
                     office: Office, around: Surroundings | None = None,
                     successors: Sequence[tuple[str, State]] | None = None) -> list[NextEvent]:
    """Manual events the actor could do now, with what each needs (`around`: the
    agreement's surroundings when the caller read them already, for many at once;
    `successors`: its successors' (reference, state), when read already)."""
    out: list[NextEvent] = []
    role = Role.parse(who.role) if who else Role.ADMIN
    base = _guard_input(a, who.email if who else "", role, today, today, office,
                        around if around is not None else surroundings(s, a),
                        signed_copy_missing=_signed_copy_missing(s, a, office))
    state = State(a.state)
    for name in MANUAL_EVENTS:
        t = transition_for(Ev(name))
        if state not in t.sources:
            continue
        g = GuardInput(**{**base.__dict__, "note": "x", "party": (base.unsigned_parties or (None,))[0]})
        reason = refusal(t, g)
        if reason is None and t.event is Ev.RENEW and (live := _live_successor(s, a, successors)):
            reason = rules.problem("renew.has_successor", successor=live)
        needs = []
        if t.note_required:
            needs.append("note")
        if t.event is Ev.SIGN:
            needs.append("party")
        # `reason` is a Problem: each door words it (the CLI with its options).
        out.append({"event": name, "allowed": reason is None, "reason": reason, "needs": needs,
                    "help": t.help, "unsigned_parties": list(base.unsigned_parties)})
    return out


def event_allowed(s: Session, a: Agreement, who: User, event: Ev, today: date, office: Office,
                  around: Surroundings | None = None) -> bool:
    """Whether `who` could do the manual `event` on `a` now: `available_events`'s
    "allowed" for one event, without asking the guards of the others."""
    t = transition_for(event)
    if event.value not in MANUAL_EVENTS or State(a.state) not in t.sources:
        return False
    base = _guard_input(a, who.email, Role.parse(who.role), today, today, office,
                        around if around is not None else surroundings(s, a),
                        signed_copy_missing=_signed_copy_missing(s, a, office))
    g = GuardInput(**{**base.__dict__, "note": "x", "party": (base.unsigned_parties or (None,))[0]})
    if refusal(t, g) is not None:
        return False
    return not (t.event is Ev.RENEW and _live_successor(s, a))


def _signed_copy_missing(s: Session, a: Agreement, office: Office) -> bool:
    """HAMKOR_REQUIRE_SIGNED_COPY is on and `a`, signed, has no signed copy attached."""
    if not office.require_signed_copy or a.state != State.SIGNED.value:
        return False
    from workflow.signed_copy import has_signed_copy

    return not has_signed_copy(s, a.id)


def _live_successor(s: Session, a: Agreement,
                    successors: Sequence[tuple[str, State]] | None = None) -> str | None:
    """The reference of `a`'s successor that has not ended, if any (renew is refused then);
    `successors`: all of them with their states, when read already."""
    if successors is not None:
        return next((ref for ref, state in successors if state not in TERMINAL), None)
    return s.scalar(select(Agreement.ref).where(
        Agreement.renews_id == a.id, Agreement.state.not_in([x.value for x in TERMINAL])).limit(1))


def _guard_input(a: Agreement, who: str, role: Role, on: date, today: date, office: Office,
                 around: Surroundings, **extra: Any) -> GuardInput:
    """Plain inputs for the guards."""
    return GuardInput(
        state=State(a.state), on=on, today=today, actor=who, role=role, title=a.title,
        owner=a.owner.email if a.owner else None, party_count=len(a.parties),
        starts_on=a.starts_on, expires_on=a.expires_on, indefinite=a.indefinite,
        auto_renew=a.auto_renew, renewal_months=a.renewal_months, notice_days=a.notice_days,
        notice_given_on=a.notice_given_on,
        last_submitter=around.last_submitter,
        unsigned_parties=tuple(p.organization.name for p in a.parties if p.signed_on is None),
        parties=tuple(p.organization.name for p in a.parties),
        last_event_on=around.last_event_on, approved_on=around.approved_on,
        renewal_window_days=office.policy.window_days, **extra,
    )


def advance(uow: UnitOfWork, clock: Clock, office: Office, ref: str, event: str, *,
            by: str | None, note: str | None = None, on: date | None = None,
            party: str | None = None, effective: date | None = None,
            expected_version: int | None = None) -> AgreementRow:
    """Fire a manual event. `expected_version`: the version the user saw; if the
    agreement has changed since, refuse with ConcurrentUpdate (a stale page)."""
    rules.choice(event, "event", MANUAL_EVENTS)
    if event == Ev.RENEW.value:
        return renew(uow, clock, office, ref, by=by, on=on, expected_version=expected_version)
    if effective is not None:
        rules.in_range(effective, "effective")
    if on is not None:
        rules.in_range(on, "on")
    note = rules.text(note, "note", multiline=True)
    party = rules.text(party, "party")
    with uow.writing():
        s = uow.session
        acting = _acting_on(uow, ref, by, on, clock, expected_version)
        a, day = acting.agreement, acting.on
        party_name = None
        if party:
            match = [p.organization.name for p in a.parties
                     if p.organization.name.casefold() == " ".join(party.split()).casefold()
                     or str(p.organization.id) == party.strip()]
            party_name = match[0] if match else party
        t = transition_for(Ev(event))
        g = _guard_input(a, acting.who.email, acting.role, day, clock.today, office,
                         acting.around, note=note, party=party_name, effective=effective,
                         signed_copy_missing=event == Ev.ACTIVATE.value
                         and _signed_copy_missing(s, a, office))
        reason = refusal(t, g)
        if reason:
            _refuse_transition(a.ref, event, a.state, reason)
        version = a.version
        ev = apply(s, a, Ev(event), actor=acting.who.email, on=day, clock=clock, office=office,
                   note=note, party=party_name, effective=effective)
        if office.mail.workflow_mail and office.on_event is not None:
            # No autoflush: what the hook reads (approvers, a successor) does not depend on
            # this event, and the event is written once, with the agreement's new version.
            with s.no_autoflush:
                office.on_event(s, a, ev, version, acting.who, clock, office)
        # This event is now the last (a back-dated signature may be dated before an
        # earlier row); its successors are as they were read.
        prior = acting.around.last_event_on
        reschedule(s, a, office.policy, clock.today - timedelta(days=1),
                   last_on=max(day, prior) if prior else day,
                   successor_is_signed=acting.around.successor_signed)
        commit_event(uow, a)
        return agreement_dict(a)


def apply(s: Session, a: Agreement, event: Ev, *, actor: str, on: date, clock: Clock,
          office: Office, note: str | None = None, party: str | None = None,
          effective: date | None = None) -> Event:
    """Change `a` by `event` (guards already passed) and record it, with its effects."""
    before = a.state
    last_signature = False
    if event is Ev.SIGN:
        unsigned = [p for p in a.parties if p.signed_on is None]
        signer = next(p for p in unsigned if p.organization.name == party)
        signer.signed_on = on
        last_signature = len(unsigned) == 1
    after = fire(before, event.value, last_signature=last_signature)
    if after != before:
        a.state = after
        a.state_since = on
    if event is Ev.GIVE_NOTICE:
        a.notice_given_on = on
        a.ends_on = effective or a.expires_on
        # "Renews automatically unless notice is given" is no longer true: drop any
        # notice reminder still waiting (e.g. while the mail server was down).
        cancel_pending(s, a.id, term=a.term, keep_rules=("renewal", "signature", "expired"))
    elif event is Ev.AUTO_RENEW:
        assert a.expires_on is not None and a.renewal_months
        cancel_pending(s, a.id, term=a.term)
        a.term += 1
        a.expires_on = dates.extend_term(a.expires_on, a.renewal_months)
    elif State(after) in TERMINAL:
        cancel_pending(s, a.id, keep_rules=("expired",) if after == State.EXPIRED else ())
    ev = record(s, a, event.value, actor=actor, on=on, clock=clock, from_state=before,
                to_state=after, note=note, party=party)
    if event is Ev.SIGN and after == State.SIGNED.value:
        # Fully signed: a "please sign" nudge still waiting (mail was down) must not go out.
        cancel_pending(s, a.id, keep_rules=("renewal", "notice", "expired"))
    if event is Ev.SIGN and after == State.SIGNED.value and a.renews_id is not None:
        # A signed successor ends the predecessor's renewal reminders.
        cancel_pending(s, a.renews_id, keep_rules=("expired", "signature"))
        pred = s.get(Agreement, a.renews_id)
        if pred is not None and pred.state not in TERMINAL:
            reschedule(s, pred, office.policy, clock.today, successor_is_signed=True)  # `a`
    elif (State(after) in TERMINAL and State(before) in SUCCESSOR_SIGNED
          and a.renews_id is not None):
        # A signed successor that ends before taking over (terminated): the predecessor's
        # renewal reminders are due again, from today on.
        pred = s.get(Agreement, a.renews_id)
        if pred is not None and pred.state not in TERMINAL:
            reschedule(s, pred, office.policy, clock.today - timedelta(days=1),
                       successor_is_signed=False)
    if event is Ev.ACTIVATE and a.renews_id is not None:
        _succeed(s, a, on=on, clock=clock, office=office)
    return ev


def _succeed(s: Session, a: Agreement, *, on: date, clock: Clock, office: Office) -> None:
    """The successor `a` activated on `on`: supersede its predecessor, or record the gap."""
    pred = s.get(Agreement, a.renews_id)
    assert pred is not None
    state = State(pred.state)
    end = pred.ends_on or pred.expires_on
    tacit = pred.auto_renew and pred.notice_given_on is None
    if state in IN_FORCE and end is not None and not tacit and end + dates.ONE_DAY < on:
        # It lapsed before the successor started: end it when it really ended.
        ev = Ev.TERMINATE if pred.ends_on and pred.expires_on and pred.ends_on < pred.expires_on else Ev.EXPIRE
        apply(s, pred, ev, actor=SYSTEM_ACTOR, on=end + dates.ONE_DAY, clock=clock, office=office,
              note=f"lapsed before successor {a.ref} started")
        state = State(pred.state)
    if state in IN_FORCE:
        apply(s, pred, Ev.SUPERSEDE, actor=SYSTEM_ACTOR, on=on, clock=clock, office=office,
              note=f"superseded by {a.ref}")
        pred.next_due_on = None
    elif state is State.EXPIRED and end is not None and end + dates.ONE_DAY < on:
        gap_from, gap_to = end + dates.ONE_DAY, on - dates.ONE_DAY
        days = (gap_to - gap_from).days + 1
        record(s, a, RecordEvent.COVERAGE_GAP, actor=SYSTEM_ACTOR, on=on, clock=clock,
               from_state=a.state, to_state=a.state, party=None,
               note=f"{pred.ref} expired on {gap_from.isoformat()}; no agreement in force from "
                    f"{gap_from.isoformat()} to {gap_to.isoformat()} ({days} days)")


def renew(uow: UnitOfWork, clock: Clock, office: Office, ref: str, *, by: str | None,
          starts: date | None = None, expires: date | None = None, months: int | None = None,
          on: date | None = None, expected_version: int | None = None) -> AgreementRow:
    """Create a successor draft copying parties and terms, linked by `renews`."""
    for which, d in (("starts", starts), ("expires", expires), ("on", on)):
        if d is not None:
            rules.in_range(d, which)
    with uow.writing():
        s = uow.session
        acting = _acting_on(uow, ref, by, on, clock, expected_version)
        pred, who, day = acting.agreement, acting.who, acting.on
        t = transition_for(Ev.RENEW)
        reason = refusal(t, _guard_input(pred, who.email, acting.role, day, clock.today, office,
                                         acting.around))
        if reason:
            _refuse_transition(pred.ref, "renew", pred.state, reason)
        if live := _live_successor(s, pred):
            raise TransitionRefused(pred.ref, "renew", pred.state,
                                    rules.problem("renew.has_successor", successor=live))
        # The day after the predecessor's last day in force: never two agreements in
        # force on the same day.
        start = starts or (pred.expires_on + dates.ONE_DAY if pred.expires_on else day)
        if months is None and expires is None and pred.starts_on and pred.expires_on:
            # Same length as the predecessor's term, in whole months when it was.
            span = (pred.expires_on.year - pred.starts_on.year) * 12 + pred.expires_on.month - pred.starts_on.month
            months = next((m for m in (span + 1, span) if m > 0
                           and dates.term_end(pred.starts_on, m) == pred.expires_on), None)
            if months is None:
                expires = start + (pred.expires_on - pred.starts_on)
        expires = _validate_terms(start, expires, months, pred.indefinite and not (expires or months),
                                  pred.auto_renew, pred.renewal_months, pred.notice_days)
        succ = _insert_agreement(
            s, clock, day,
            title=pred.title, type=pred.type, owner=pred.owner, department=pred.department,
            starts_on=start, expires_on=expires, indefinite=pred.indefinite and expires is None,
            auto_renew=pred.auto_renew, renewal_months=pred.renewal_months,
            notice_days=pred.notice_days, forms=list(pred.forms or []), quotas=pred.quotas,
            notes=pred.notes, renews_id=pred.id,
        )
        for p in pred.parties:
            s.add(AgreementParty(agreement=succ, organization_id=p.organization_id, position=p.position))
        s.flush()
        record(s, succ, RecordEvent.CREATE, actor=who.email, on=day, clock=clock, from_state=None,
               to_state=succ.state, note=f"renews {pred.ref}", bump=False)
        record(s, pred, Ev.RENEW.value, actor=who.email, on=day, clock=clock,
               from_state=pred.state, to_state=pred.state, note=f"successor {succ.ref}")
        try:
            uow.commit()
        except IntegrityError:
            raise TransitionRefused(pred.ref, "renew", pred.state,
                                    rules.problem("renew.successor_exists")) from None
        s.refresh(succ)
        return agreement_dict(succ)


def show(uow: UnitOfWork, clock: Clock, office: Office, ref: str, *, by: str | None = None) -> AgreementDetail:
    with uow:
        s = uow.session
        return detail(s, read_shown(s, ref, by), clock.today, office)


def detail(s: Session, shown: Shown, today: date, office: Office) -> AgreementDetail:
    """`show`'s answer for an agreement read by `read_shown` (a page that reads it once
    for all its parts); no statement unless a signed copy must be looked for."""
    a, who = shown.agreement, shown.who
    return {
        **agreement_dict_renewing(a, shown.renews),
        "actor": {"email": who.email, "role": who.role} if who else None,
        "next_events": available_events(s, a, who, today, office, shown.around,
                                        successors=shown.successors),
        "successors": [ref for ref, _ in shown.successors],
        "next_due_on": dates.iso(a.next_due_on),
        "notes": a.notes,
    }


def list_agreements(uow: UnitOfWork, clock: Clock, *, state: str | None = None,
                    partner: str | None = None, expiring_within: int | None = None,
                    limit: int | None = None) -> list[AgreementRow]:
    """The register, filtered (`workflow.register_query`: two Core statements, no mapped
    objects, so `hamkor agreement list` starts quickly)."""
    return register_query.list_agreements(uow, clock, state=state, partner=partner,
                                          expiring_within=expiring_within, limit=limit)


def history(uow: UnitOfWork, ref: str) -> list[EventRow]:
    with uow:
        s = uow.session
        aid = s.scalar(select(Agreement.id).where(Agreement.ref == ref.strip().upper()))
        if aid is None:
            raise NotFound("agreement", ref)
        return history_of(s, aid)
