"""The dashboard serves each role: the head of office sees the whole office's needs,
an officer their own with a switch to the team's; returned drafts carry the approver's
note; a signed agreement says when it activates."""

from __future__ import annotations

import html
from datetime import timedelta

from fastapi.testclient import TestClient

from root import App
from tests.web.conftest import new_draft, post, sign_in
from tests.web.test_outbox_reports import active_agreement


def section(page: str, anchor: str) -> str:
    return html.unescape(page.split(f'id="{anchor}"')[1].split("</section>")[0])


def test_the_head_of_office_sees_a_colleagues_agreement_expiring_in_150_days(
        make_client, hamkor_app: App) -> None:
    ref = active_agreement(hamkor_app, expires_in_days=150)  # owned by Olga
    head, colleague, owner = make_client(), make_client(), make_client()
    sign_in(head, "anvar@uni.uz")
    sign_in(colleague, "oleg@uni.uz")
    sign_in(owner, "olga@uni.uz")
    assert ref in section(head.get("/").text, "todo-expiring")
    assert ref in section(owner.get("/").text, "todo-expiring")
    page = colleague.get("/").text
    assert ref not in section(page, "todo-expiring")  # an officer's own, by default
    assert 'href="/?scope=office"' in page
    assert ref in section(colleague.get("/?scope=office").text, "todo-expiring")
    assert ref not in section(head.get("/?scope=mine").text, "todo-expiring")


def test_a_returned_draft_is_flagged_with_the_approvers_note(make_client, hamkor_app: App) -> None:
    officer, approver = make_client(), make_client()
    sign_in(officer, "olga@uni.uz")
    sign_in(approver, "anvar@uni.uz")
    ref = new_draft(officer)
    other = new_draft(officer, title="Untouched draft")
    assert post(officer, f"/agreements/{ref}/events/submit").status_code == 303
    assert post(approver, f"/agreements/{ref}/events/request_changes",
                {"note": "Add the Erasmus code of the partner"}).status_code == 303
    returned = section(officer.get("/").text, "todo-returned")
    assert ref in returned and other not in returned
    assert "Anvar" in returned or "anvar@uni.uz" in returned
    assert "“Add the Erasmus code of the partner”" in returned
    assert other in section(officer.get("/").text, "todo-drafts")


def test_a_signed_agreement_says_when_it_activates(client: TestClient, hamkor_app: App) -> None:
    from workflow.agreements import NewAgreement, advance, create

    app = hamkor_app
    today = app.clock().today
    starts = today + timedelta(days=20)
    ref = create(app.uow(), app.clock(), app.office(),
                 NewAgreement(title="Staff exchange", partners=["Hiroshima University"], type="exchange",
                              owner="olga@uni.uz", starts=starts, months=12), by="olga@uni.uz")["ref"]
    for event, by, party in [("submit", "olga@uni.uz", None), ("approve", "anvar@uni.uz", None),
                             ("send_for_signature", "olga@uni.uz", None),
                             ("sign", "olga@uni.uz", "Home University"),
                             ("sign", "olga@uni.uz", "Hiroshima University")]:
        advance(app.uow(), app.clock(), app.office(), ref, event, by=by, party=party)
    sign_in(client, "olga@uni.uz")
    from web.i18n import Translator

    when = Translator("en", app.settings.zone).date(starts)
    assert f"activates automatically on {when}" in html.unescape(client.get(f"/agreements/{ref}").text)
    signed = section(client.get("/").text, "todo-signed")
    assert ref in signed and f"activates automatically on {when}" in signed


def test_a_long_section_lists_the_first_agreements_and_counts_the_rest(
        make_client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from web import dashboard

    officer = make_client()
    sign_in(officer, "olga@uni.uz")
    refs = [new_draft(officer, title=f"Draft {i}") for i in range(3)]
    monkeypatch.setattr(dashboard, "SECTION_LIMIT", 2)
    page = officer.get("/").text
    drafts = section(page, "todo-drafts")
    assert '<span class="pill">3</span>' in drafts  # all of them counted
    assert refs[0] in drafts and refs[1] in drafts and refs[2] not in drafts  # oldest first
    assert "…and 1 more in the register" in drafts
    assert 'href="/agreements?state=draft&owner=olga%40uni.uz"' in drafts  # an officer's own
    monkeypatch.setattr(dashboard, "SECTION_LIMIT", 50)
    assert "more in the register" not in section(officer.get("/").text, "todo-drafts")


def test_notice_deadlines_come_by_deadline_from_the_database(make_client, hamkor_app: App) -> None:
    """The notice section is counted and ordered by the database (expiry minus notice
    days, on SQLite and PostgreSQL alike): inside the window, by deadline; a deadline
    passed, beyond the window, or notice already given is not listed."""
    from sqlalchemy import update

    from models import Agreement

    app = hamkor_app
    today = app.clock().today
    window = app.office().policy.window_days
    # (expires in days, notice days, notice given): the deadline is their difference.
    cases = {"late": (window + 100, 120, False), "soon": (100, 90, False),
             "passed": (30, 60, False), "beyond": (window + 200, 10, False),
             "given": (100, 60, True)}
    refs = {}
    for name, (days, notice, given) in cases.items():
        refs[name] = active_agreement(app)
        with app.uow() as uow:
            uow.session.execute(update(Agreement).where(Agreement.ref == refs[name]).values(
                expires_on=today + timedelta(days=days), auto_renew=True, notice_days=notice,
                notice_given_on=today if given else None))
            uow.commit()
    head = make_client()
    sign_in(head, "anvar@uni.uz")
    page = head.get("/").text
    notice = section(page, "todo-notice")
    assert refs["soon"] in notice and refs["late"] in notice
    assert notice.index(refs["soon"]) < notice.index(refs["late"])  # deadline in 10 days first
    assert all(refs[n] not in notice for n in ("passed", "beyond", "given"))
    assert '<span class="pill">2</span>' in notice
    from web.i18n import Translator

    assert Translator("en", app.settings.zone).date(today + timedelta(days=10)) in notice


def test_expiring_lists_the_first_by_last_day_across_the_states_in_force(hamkor_app: App) -> None:
    """Signed, active and renewal-due agreements are merged by last day (each state is
    asked on its own; the section must still be one list, most urgent first)."""
    from sqlalchemy import update

    from models import Agreement
    from web.dashboard import needs_action

    app = hamkor_app
    refs = {days: active_agreement(app, expires_in_days=days) for days in (100, 40, 70, 55)}
    with app.uow() as uow:
        for days, state in ((40, "renewal_due"), (55, "signed"), (70, "active"), (100, "renewal_due")):
            uow.session.execute(update(Agreement).where(Agreement.ref == refs[days]).values(state=state))
        uow.commit()
    admin = {"email": "root@uni.uz", "role": "admin"}
    todo = needs_action(app.uow(), app.clock(), app.office(), admin, "office", limit=3)
    assert [a["ref"] for a in todo.expiring] == [refs[40], refs[55], refs[70]]
    assert todo.totals["expiring"] == 4


def test_the_listed_agreements_read_as_columns_are_what_agreement_dict_says(hamkor_app: App) -> None:
    """The sections read what they show of their agreements as columns (`_listed`):
    field for field the services' `agreement_dict`, and the parties' names in order."""
    from sqlalchemy import select, update

    from models import Agreement
    from web.dashboard import _listed
    from workflow.agreements import agreement_dict

    app = hamkor_app
    first, second = active_agreement(app, expires_in_days=30), active_agreement(app, expires_in_days=90)
    with app.uow() as uow:
        s = uow.session
        ids = {ref: s.scalar(select(Agreement.id).where(Agreement.ref == ref)) for ref in (first, second)}
        s.execute(update(Agreement).where(Agreement.ref == second)
                  .values(renews_id=ids[first], owner_id=None, notice_days=60, forms=["staff exchange"]))
        uow.commit()
    with app.uow() as uow:
        s = uow.session
        listed = _listed(s, list(ids.values()))
        for aid in ids.values():
            expected = agreement_dict(s.get_one(Agreement, aid))
            shown = {k: v for k, v in listed[aid].items() if k != "partner_names"}
            assert shown == {k: expected[k] for k in shown}  # type: ignore[literal-required]
            assert set(shown) == {"ref", "title", "state", "starts_on", "expires_on"}
            assert listed[aid]["partner_names"] == ", ".join(p["name"] for p in expected["parties"])
    assert listed[ids[first]]["partner_names"] == "Home University, Hiroshima University"


def test_the_queue_guards_on_plain_rows_agree_with_event_allowed(hamkor_app: App) -> None:
    """`allowed_in_queue` (the review queue's guards, on rows read as columns) answers as
    `event_allowed` (on the mapped agreement) for every manual event, every role and
    agreements in many states: submitted by the approver or someone else, incomplete,
    signed by one party, in force, expiring."""
    from sqlalchemy import select

    from models import Agreement, User
    from workflow.agreements import NewAgreement, advance, create, event_allowed
    from workflow.lifecycle import MANUAL_EVENTS, Event, Role
    from workflow.queue_read import allowed_in_queue

    app = hamkor_app
    today = app.clock().today

    def draft(by: str = "olga@uni.uz") -> str:
        spec = NewAgreement(title="Staff exchange", partners=["Hiroshima University"], type="exchange",
                            owner=by, starts=today - timedelta(days=5), expires=today + timedelta(days=300))
        return str(create(app.uow(), app.clock(), app.office(), spec, by=by)["ref"])

    def go(ref: str, *steps: tuple[str, str, str | None]) -> None:
        for event, by, party in steps:
            advance(app.uow(), app.clock(), app.office(), ref, event, by=by, party=party)

    draft()
    go(draft(), ("submit", "olga@uni.uz", None))
    go(draft(by="anvar@uni.uz"), ("submit", "anvar@uni.uz", None))
    go(draft(), ("submit", "olga@uni.uz", None), ("approve", "anvar@uni.uz", None))
    go(draft(), ("submit", "olga@uni.uz", None), ("approve", "aziza@uni.uz", None),
       ("send_for_signature", "olga@uni.uz", None), ("sign", "olga@uni.uz", "Home University"))
    active_agreement(app, expires_in_days=30)
    active_agreement(app, expires_in_days=200)
    with app.uow() as uow:
        s = uow.session
        ordered = list(s.scalars(select(Agreement.id).order_by(Agreement.state_since, Agreement.id)))
        for email in ("olga@uni.uz", "anvar@uni.uz", "aziza@uni.uz", "vera@uni.uz", "root@uni.uz"):
            who = s.scalars(select(User).where(User.email == email)).one()
            for name in MANUAL_EVENTS:
                event = Event(name)
                expected = [i for i in ordered
                            if event_allowed(s, s.get_one(Agreement, i), who, event, today, app.office())]
                got = allowed_in_queue(s, who.email, Role.parse(who.role), event, today, app.office())
                assert got == expected, (email, name)
        assert allowed_in_queue(s, "anvar@uni.uz", Role.APPROVER, Event.APPROVE, today, app.office())


def test_the_state_counts_the_triggers_keep_are_the_registers_and_fold(hamkor_app: App) -> None:
    """`agreement_state_counts` (migration 0017's triggers) sums to the register's own
    count per state after new agreements, events, a bulk update of states by plain SQL
    and deletions; folding leaves one row per state and the same sums."""
    from sqlalchemy import delete, func, select, text, update

    from models import Agreement, metadata
    from workflow.state_counts import fold, state_counts

    app = hamkor_app

    def both() -> tuple[dict[str, int], dict[str, int], int]:
        with app.uow() as uow:
            s = uow.session
            kept, rows = state_counts(s)
            counted = {st: int(n) for st, n in s.execute(
                select(Agreement.state, func.count()).group_by(Agreement.state))}
        return {k: v for k, v in kept.items() if v}, counted, rows

    refs = [active_agreement(app, expires_in_days=d) for d in (30, 60, 90)]
    kept, counted, _ = both()
    assert kept == counted and counted["active"] == 3
    with app.uow() as uow:
        uow.session.execute(update(Agreement).where(Agreement.ref.in_(refs[:2])).values(state="expired"))
        uow.session.execute(text("UPDATE agreements SET title = 'Renamed'"))  # not a state change
        uow.commit()
    kept, counted, rows = both()
    assert kept == counted == {"active": 1, "expired": 2}
    with app.uow() as uow:  # deleted with what refers to it (no service deletes an agreement)
        s = uow.session
        aid = s.scalar(select(Agreement.id).where(Agreement.ref == refs[0]))
        for table in reversed(metadata.sorted_tables):
            for fk in table.foreign_keys:
                if fk.column.table.name == "agreements" and table.name != "agreements":
                    s.execute(delete(table).where(fk.parent == aid))
        s.execute(delete(Agreement).where(Agreement.id == aid))
        uow.commit()
    kept, counted, rows = both()
    assert kept == counted == {"active": 1, "expired": 1} and rows > 2
    fold(app.uow())
    kept, counted, rows = both()
    assert kept == counted and rows == 2


def test_mail_health_counts_the_backlog_the_oldest_and_the_dead_in_one_pass(hamkor_app: App) -> None:
    """`outbox.health` (the admins' dashboard warning): open mail (pending, failed,
    sending), the backlog older than an hour, the oldest open, the dead; sent mail
    counts nowhere."""
    from datetime import datetime

    from models import Notification
    from notifications.outbox import health

    app = hamkor_app
    now = app.clock().utcnow
    ages = {"pending": [3, 0], "failed": [2], "sending": [0], "dead": [5], "sent": [9]}
    with app.uow() as uow:
        for status, hours in ages.items():
            for i, h in enumerate(hours):
                uow.session.add(Notification(
                    key=f"k-{status}-{i}", kind="workflow", term=1, rule="submitted", offset_days=0,
                    due_on=now.date(), to_addr="a@uni.uz", subject="s", body_text="b", status=status,
                    message_id=f"<{status}{i}@x>", created_at=now - timedelta(hours=h, minutes=1),
                    last_error="refused" if status == "dead" else None))
        uow.commit()
    got = health(app.uow(), now)
    assert (got.waiting, got.backlog, got.dead) == (4, 2, 1)
    assert isinstance(got.oldest, datetime)
    assert abs(got.oldest - (now - timedelta(hours=3, minutes=1))) < timedelta(seconds=1)
    assert got.last_error == "refused"
    assert [p.code for p in got.rules()] == ["health.backlog_since", "health.dead"]


def test_the_dashboard_folds_the_state_counts_when_they_pile_up(  # type: ignore[no-untyped-def]
        make_client, hamkor_app: App, monkeypatch) -> None:
    from web import dashboard
    from workflow.state_counts import state_counts

    ref = active_agreement(hamkor_app)  # a draft's rows: +1 draft, -1 draft +1 in_review, ...
    with hamkor_app.uow() as uow:
        before, rows = state_counts(uow.session)
    assert rows > 2
    monkeypatch.setattr(dashboard, "FOLD_AT", 2)
    head = make_client()
    sign_in(head, "anvar@uni.uz")
    page = head.get("/").text
    assert ref in section(page, "todo-expiring")
    assert 'href="/agreements?state=active"><span class="n">1</span>' in page
    with hamkor_app.uow() as uow:
        after, rows = state_counts(uow.session)
    assert rows == 1 and {k: v for k, v in after.items() if v} == {k: v for k, v in before.items() if v}


def test_the_dashboards_statements_do_not_grow_with_what_it_lists(  # type: ignore[no-untyped-def]
        make_client, hamkor_app: App) -> None:
    """The admin's dashboard reads in a fixed number of statements, however many
    agreements its sections count and list (counts in one statement, each section's
    first by one, the listed agreements and the review queue in two each)."""
    from typing import Any

    from sqlalchemy import event

    from workflow.agreements import advance

    app = hamkor_app
    head = make_client()
    sign_in(head, "root@uni.uz")
    officer = make_client()
    sign_in(officer, "olga@uni.uz")

    def statements() -> int:
        seen: list[Any] = []

        def on_execute(*args: Any) -> None:
            seen.append(args)

        event.listen(app.engine, "before_cursor_execute", on_execute)
        try:
            assert head.get("/").status_code == 200
        finally:
            event.remove(app.engine, "before_cursor_execute", on_execute)
        return len(seen)

    def more() -> None:
        active_agreement(app, expires_in_days=40)
        ref = new_draft(officer)
        advance(app.uow(), app.clock(), app.office(), ref, "submit", by="olga@uni.uz")
        returned = new_draft(officer)
        advance(app.uow(), app.clock(), app.office(), returned, "submit", by="olga@uni.uz")
        advance(app.uow(), app.clock(), app.office(), returned, "request_changes", by="anvar@uni.uz",
                note="More detail")
        new_draft(officer)

    more()
    few = statements()
    for _ in range(3):
        more()
    assert statements() == few <= 20
