"""The weekly digest: one mail per person with what they have to act on.

Queued by the tick from `HAMKOR_DIGEST_DAY` (default Monday) to the end of that
ISO week, for the current week only: a week the worker was down for is not
sent late, and the week's digest still goes out after downtime within it. The
idempotency key `digest:<user id>:<ISO year>-W<week>` is unique in the outbox,
so several workers (or ticks) queue it once; each person gets it in their
language. Someone with nothing to act on gets no digest.

What a person has to act on: their agreements whose last day in force falls
within the renewal window (the largest reminder offset) with no signed
successor, notice deadlines of their tacitly renewing agreements within it,
their drafts returned with changes requested, their agreements awaiting
signatures; for approvers, every agreement in the office waiting for approval.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, selectinload

from models import Agreement, AgreementParty, Event as EventRow, Notification, User
from notifications import i18n, outbox
from notifications.context import Recipient, digest_context
from notifications.i18n import N_
from notifications.links import Links
from notifications.messages import Compose, recipient_of

SECTIONS = {
    "expiring": N_("Ending soon"),
    "notice": N_("Notice deadlines"),
    "returned": N_("Returned to you with changes requested"),
    "signatures": N_("Waiting for signatures"),
    "approval": N_("Waiting for approval"),
}
DETAILS = {
    "expiring": N_("last day in force %(date)s"),
    "notice": N_("give notice by %(date)s, or it renews automatically"),
    "returned": N_("returned on %(date)s"),
    "signatures": N_("not signed yet by %(parties)s"),
    "approval": N_("submitted on %(date)s"),
}
_LIVE = ("signed", "active", "renewal_due")
_SUCCESSOR_SIGNED = ("signed", "active", "renewal_due")


def week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def digest_key(user_id: int, day: date) -> str:
    return f"digest:{user_id}:{week_key(day)}"


def digest_day(today: date, weekday: int) -> date:
    """This ISO week's digest day."""
    return today - timedelta(days=today.weekday()) + timedelta(days=weekday)


@dataclass(slots=True)
class _Item:
    section: str
    on: date | None
    ref: str
    title: str
    parties: tuple[str, ...] = ()


def _partners(a: Agreement) -> tuple[str, ...]:
    return tuple(p.organization.name for p in a.parties if p.signed_on is None)


def gather(s: Session, today: date, window_days: int) -> dict[int, list[_Item]]:
    """What each user (by id) has to act on as of `today`.

    Columns, not mapped agreements, are read where they suffice: after a long outage
    every agreement of the office may be in a digest, and the tick's memory must not
    grow with them by more than these small items.
    """
    horizon = today + timedelta(days=window_days)
    todo: dict[int, list[_Item]] = defaultdict(list)
    load = selectinload(Agreement.parties).selectinload(AgreementParty.organization)
    signed_successor = select(Agreement.renews_id).where(
        Agreement.renews_id.is_not(None), Agreement.state.in_(_SUCCESSOR_SIGNED))
    tacit = and_(Agreement.auto_renew.is_(True), Agreement.notice_given_on.is_(None),
                 Agreement.renewal_months.is_not(None))
    # Ending within the window, not renewing tacitly, no signed successor.
    end = func.coalesce(Agreement.ends_on, Agreement.expires_on)
    for owner, ends_on, expires_on, ref, title in s.execute(select(
            Agreement.owner_id, Agreement.ends_on, Agreement.expires_on, Agreement.ref,
            Agreement.title).where(
            Agreement.owner_id.is_not(None), Agreement.state.in_(_LIVE), ~tacit,
            end >= today, end <= horizon, Agreement.id.not_in(signed_successor))):
        todo[owner].append(_Item("expiring", ends_on or expires_on, ref, title))
    # Tacitly renewing: the notice deadline within the window.
    for owner, expires_on, notice_days, ref, title in s.execute(select(
            Agreement.owner_id, Agreement.expires_on, Agreement.notice_days, Agreement.ref,
            Agreement.title).where(
            Agreement.owner_id.is_not(None), Agreement.state.in_(_LIVE), tacit,
            Agreement.expires_on >= today)):
        notice_by = expires_on - timedelta(days=notice_days or 0)
        if today <= notice_by <= horizon:
            todo[owner].append(_Item("notice", notice_by, ref, title))
    # Drafts whose last event is a request for changes.
    last = (select(EventRow.agreement_id, func.max(EventRow.id).label("id"))
            .group_by(EventRow.agreement_id).subquery())
    for owner, ref, title, on in s.execute(
            select(Agreement.owner_id, Agreement.ref, Agreement.title, EventRow.occurred_on)
            .join(last, last.c.agreement_id == Agreement.id)
            .join(EventRow, EventRow.id == last.c.id)
            .where(Agreement.state == "draft", Agreement.owner_id.is_not(None),
                   EventRow.event == "request_changes")):
        todo[owner].append(_Item("returned", on, ref, title))
    for a in s.scalars(select(Agreement).options(load).where(
            Agreement.owner_id.is_not(None), Agreement.state == "awaiting_signatures")):
        assert a.owner_id is not None
        todo[a.owner_id].append(_Item("signatures", a.state_since, a.ref, a.title, _partners(a)))
    waiting = [_Item("approval", since, ref, title) for since, ref, title in s.execute(
        select(Agreement.state_since, Agreement.ref, Agreement.title)
        .where(Agreement.state == "in_review").order_by(Agreement.state_since, Agreement.ref))]
    if waiting:
        for uid in s.scalars(select(User.id).where(User.role == "approver", User.active.is_(True))):
            todo[uid] += waiting
    return todo


def _sections(items: list[_Item], lang: str, links: Links) -> list[dict[str, Any]]:
    t = i18n.translations(lang)
    out = []
    for name, title in SECTIONS.items():
        mine = sorted((i for i in items if i.section == name), key=lambda i: (i.on or date.min, i.ref))
        if not mine:
            continue
        rows = []
        for i in mine:
            values = {"date": i18n.long_date(i.on, lang), "parties": ", ".join(i.parties)}
            rows.append({"ref": i.ref, "title": i.title, "link": links.agreement(i.ref),
                         "detail": t.gettext(DETAILS[name]) % values})
        out.append({"name": name, "title": t.gettext(title), "items": rows})
    return out


def render(items: list[_Item], week_of: date, recipient: Recipient, *, compose: Compose,
           links: Links, institution: str) -> tuple[str, str, str]:
    lang = i18n.language(recipient.lang)
    sections = _sections(items, lang, links)
    count = len({i.ref for i in items})
    return compose("digest", digest_context(sections, week_of, count, institution, links,
                                            recipient), lang)


def due_week(today: date, weekday: int | None) -> date | None:
    """This week's digest day if its digest may be queued today, else None."""
    if weekday is None or today.weekday() < weekday:
        return None
    return digest_day(today, weekday)


def queue_digests(s: Session, today: date, now: Any, *, weekday: int | None, window_days: int,
                  compose: Compose, links: Links, institution: str) -> int:
    """Queue this week's digests not queued yet; return how many were queued now."""
    day = due_week(today, weekday)
    if day is None:
        return 0
    pattern = f"digest:%:{week_key(today)}"
    done = set(s.scalars(select(Notification.key).where(Notification.key.like(pattern))))
    todo = gather(s, today, window_days)
    users = {u.id: u for u in s.scalars(select(User).where(
        User.id.in_(list(todo)), User.active.is_(True)))} if todo else {}
    queued = 0
    for uid in sorted(todo):
        # One digest at a time, its items let go once queued: after a long outage the
        # whole office may be in the digests, which must not all be held at once.
        items = todo.pop(uid)
        u = users.get(uid)
        key = digest_key(uid, today)
        if u is None or key in done or not items:
            continue
        subject, text, html = render(items, day, recipient_of(u), compose=compose, links=links,
                                     institution=institution)
        queued += len(outbox.enqueue(s, [outbox.Outgoing(
            key=key, agreement_id=None, term=0, rule="digest", offset_days=0, due_on=day,
            to_addr=u.email, subject=subject, body_text=text, body_html=html, kind="digest")], now))
    return queued

