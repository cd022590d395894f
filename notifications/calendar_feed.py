"""The calendar feed: agreement dates as iCalendar events (RFC 5545, `icalendar`).

Each user may have one secret feed address (`/calendar/<token>.ics`); only the
token's SHA-256 is stored, as for API tokens, and creating a new one revokes the
old. The feed holds the user's agreements (owner), or the whole office's for
approvers and admins. Events, all-day, for the current term:

- `start`: the agreement's start (planned activation while not in force yet),
- `expiry`: its last day in force,
- `notice`: the notice deadline of an agreement that renews tacitly,
- `window`: the day the renewal window opens (the largest reminder offset
  before the last day in force) of one that does not.

UIDs are stable per agreement, term and kind (`hamkor-<id>-<term>-<kind>@<host>`),
so calendar programs update an event rather than add a second one. `SEQUENCE`
is the agreement's version, which rises with every change: a moved date always
comes with a higher sequence. An agreement ended early (terminated, superseded
before its expiry, withdrawn) keeps its future events as `STATUS:CANCELLED`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from typing_extensions import TypedDict  # pydantic: API responses on Python 3.11

from models import Agreement, CalendarToken, User
from notifications import i18n
from notifications.i18n import N_
from notifications.links import Links
from workflow import rules
from workflow.accounts import use_token
from workflow.clock import Clock
from workflow.errors import Invalid, NotFound
from workflow.uow import UnitOfWork

TOKEN_PREFIX = "hkc_"
#: Roles whose feed shows the whole office.
OFFICE_ROLES = ("approver", "admin")
_LIVE = ("approved", "awaiting_signatures", "signed", "active", "renewal_due")
_ENDED_EARLY = ("terminated", "superseded", "withdrawn")
SUMMARIES = {
    "start": N_("%(ref)s starts: %(title)s"),
    "planned": N_("%(ref)s planned start: %(title)s"),
    "expiry": N_("%(ref)s last day in force: %(title)s"),
    "notice": N_("%(ref)s notice deadline: %(title)s"),
    "window": N_("%(ref)s renewal window opens: %(title)s"),
}


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- tokens ----------------------------------------------------------------------------------


class FeedToken(TypedDict):
    """A feed token just made: `token` is the only copy there will ever be."""

    id: int
    user: str
    token: str


class FeedTokenStatus(TypedDict):
    id: int
    created_at: datetime
    last_used_at: datetime | None


def create_token(uow: UnitOfWork, clock: Clock, email: str) -> FeedToken:
    """A new secret feed token for `email` (the only time it is shown); older ones are revoked."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with uow:
        s = uow.session
        user = _user(s, email)
        if not user.active:
            raise Invalid(rules.problem("user.not_active", "email", email=user.email))
        for old in s.scalars(select(CalendarToken).where(CalendarToken.user_id == user.id,
                                                         CalendarToken.revoked.is_(False))):
            old.revoked = True
        row = CalendarToken(user_id=user.id, token_sha256=_sha256(token), created_at=clock.utcnow,
                            revoked=False)
        s.add(row)
        uow.commit()
        return {"id": row.id, "user": user.email, "token": token}


def revoke_tokens(uow: UnitOfWork, email: str) -> int:
    """Revoke `email`'s feed address; returns how many tokens were active."""
    with uow:
        s = uow.session
        user = _user(s, email)
        rows = list(s.scalars(select(CalendarToken).where(CalendarToken.user_id == user.id,
                                                          CalendarToken.revoked.is_(False))))
        for row in rows:
            row.revoked = True
        uow.commit()
        return len(rows)


def token_status(uow: UnitOfWork, email: str) -> FeedTokenStatus | None:
    """The user's active feed token (never its secret), or None."""
    with uow:
        s = uow.session
        user = _user(s, email)
        row = s.scalar(select(CalendarToken).where(CalendarToken.user_id == user.id,
                                                   CalendarToken.revoked.is_(False))
                       .order_by(CalendarToken.id.desc()).limit(1))
        if row is None:
            return None
        return {"id": row.id, "created_at": row.created_at,
                "last_used_at": row.last_used_at}


def user_for_token(uow: UnitOfWork, clock: Clock, token: str) -> str | None:
    """The email of the active user whose active feed token this is, else None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    # At most one write an hour: polling stays cheap.
    return use_token(uow, CalendarToken, _sha256(token), clock.utcnow, timedelta(hours=1),
                     lambda user: str(user.email))


def _user(s: Session, email: str) -> User:
    user = s.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound("user", email)
    return user


# --- the feed --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One calendar event before it is written."""

    uid: str
    kind: str
    on: date
    summary: str
    sequence: int
    cancelled: bool
    link: str | None
    ref: str


def _dates(a: Agreement, window_days: int) -> dict[str, date]:
    out: dict[str, date] = {}
    if a.starts_on is not None:
        out["start"] = a.starts_on
    end = a.ends_on or a.expires_on
    if end is not None and not a.indefinite:
        out["expiry"] = end
        tacit = a.auto_renew and a.notice_given_on is None and bool(a.renewal_months)
        if tacit and a.expires_on is not None:
            out["notice"] = a.expires_on - timedelta(days=a.notice_days or 0)
        elif not tacit:
            out["window"] = end - timedelta(days=window_days)
    return out


def entries(s: Session, *, user: User | None, window_days: int, links: Links,
            host: str = "hamkor") -> list[Entry]:
    """The events of `user`'s feed (the whole office when `user` is None or an approver)."""
    lang = i18n.language(user.lang if user is not None else None)
    t = i18n.translations(lang)
    stmt = select(Agreement).where(or_(Agreement.state.in_(_LIVE),
                                       Agreement.state.in_(_ENDED_EARLY),
                                       Agreement.state == "expired"))
    if user is not None and user.role not in OFFICE_ROLES:
        stmt = stmt.where(Agreement.owner_id == user.id)
    out: list[Entry] = []
    for a in s.scalars(stmt.order_by(Agreement.id)):
        ended_on = a.state_since if a.state in _ENDED_EARLY else None
        for kind, on in _dates(a, window_days).items():
            cancelled = ended_on is not None and on >= ended_on
            if a.state in _ENDED_EARLY and not cancelled:
                continue  # it happened before the end: nothing to plan any more
            if a.state == "withdrawn" and kind != "start":
                continue
            label = "planned" if kind == "start" and a.state in _LIVE[:3] else kind
            summary = t.gettext(SUMMARIES[label]) % {"ref": a.ref, "title": a.title}
            out.append(Entry(f"hamkor-{a.id}-{a.term}-{kind}@{host}", kind, on, summary,
                             a.version, cancelled, links.agreement(a.ref), a.ref))
    return out


def render(items: list[Entry], *, now: datetime, name: str) -> bytes:
    from icalendar import Calendar, Event as IcsEvent

    cal = Calendar()
    cal.add("prodid", "-//Hamkor//agreement dates//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    stamp = now.astimezone(UTC)
    for e in items:
        ev = IcsEvent()
        ev.add("uid", e.uid)
        ev.add("dtstamp", stamp)
        ev.add("dtstart", e.on)
        ev.add("dtend", e.on + timedelta(days=1))
        ev.add("summary", e.summary)
        ev.add("sequence", e.sequence)
        ev.add("status", "CANCELLED" if e.cancelled else "CONFIRMED")
        ev.add("transp", "TRANSPARENT")  # a deadline, not a meeting: the day stays free
        ev.add("categories", [e.kind])
        if e.link:
            ev.add("url", e.link)
            ev.add("description", e.link)
        cal.add_component(ev)
    return bytes(cal.to_ical())


def feed(uow: UnitOfWork, clock: Clock, *, email: str | None, window_days: int,
         base_url: str | None) -> bytes:
    """The .ics for `email` (None: the whole office)."""
    links = Links(base_url)
    host = (urlsplit(base_url).hostname if base_url else None) or "hamkor"
    with uow:
        s = uow.session
        user = _user(s, email) if email else None
        items = entries(s, user=user, window_days=window_days, links=links, host=host)
        name = f"Hamkor: {user.name}" if user is not None else "Hamkor"
    return render(items, now=clock.now, name=name)
