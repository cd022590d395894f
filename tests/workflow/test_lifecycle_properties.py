"""Property: random event sequences never leave the table and never lose audit rows."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select

from models import Agreement, Event, Organization, User
from models.database import make_engine, session_factory
from tests.conftest import clock_on
from workflow.agreements import NewAgreement, Office, advance, create
from workflow.errors import HamkorError
from workflow.lifecycle import MANUAL_EVENTS, TRANSITIONS, State
from workflow.uow import UnitOfWork

ACTORS = ["olga@uni.uz", "anvar@uni.uz", "aziza@uni.uz", "vera@uni.uz"]
PARTIES = ["Home University", "Hiroshima University", "Nowhere"]
REACHABLE = {t.dest for t in TRANSITIONS if t.dest} | {t.interim for t in TRANSITIONS if t.interim} | {State.DRAFT}

step = st.tuples(
    st.sampled_from(MANUAL_EVENTS), st.sampled_from(ACTORS), st.sampled_from(PARTIES),
    st.sampled_from([None, "because"]), st.integers(min_value=0, max_value=40),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=25))
def test_random_sequences_stay_in_the_table_and_keep_every_audit_row(sqlite_url: str, steps) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(sqlite_url)
    sessions = session_factory(engine)
    with sessions.begin() as s:  # a clean slate per example
        for model in (Event,):
            s.execute(model.__table__.delete())
        s.execute(Agreement.__table__.delete().where(Agreement.renews_id.is_not(None)))
        s.execute(Agreement.__table__.delete())
    office = Office()
    start = date(2024, 1, 1)
    if not sessions().scalar(select(func.count()).select_from(User)):
        with sessions.begin() as s:
            for email, role in zip(ACTORS, ["officer", "approver", "approver", "viewer"], strict=True):
                s.add(User(email=email, name=email, role=role, active=True,
                           created_at=clock_on(start).utcnow))
            s.add(Organization(name="Hiroshima University", name_key="hiroshima university",
                               country="JP", kind="university", created_on=start,
                               created_at=clock_on(start).utcnow))
    ref = create(UnitOfWork(sessions), clock_on(start), office, NewAgreement(
        title="Prop", partners=["Hiroshima University"], type="exchange", owner="olga@uni.uz",
        starts=date(2024, 2, 1), months=12), by="olga@uni.uz")["ref"]
    successes, day = 1, start
    for event, who, party, note, gap in steps:
        day = day + timedelta(days=gap)
        try:
            advance(UnitOfWork(sessions), clock_on(day), office, ref, event, by=who, note=note,
                    party=party)
            successes += 1 + (event == "renew")  # renew also records the successor's `create`
        except HamkorError:
            pass
        with sessions() as s:
            agreement = s.scalar(select(Agreement).where(Agreement.ref == ref))
            assert agreement is not None and State(agreement.state) in REACHABLE
            assert s.scalar(select(func.count()).select_from(Event)) == successes
            last = s.scalar(select(Event).where(Event.agreement_id == agreement.id)
                            .order_by(Event.id.desc()).limit(1))
            assert last is not None and last.to_state == agreement.state
    engine.dispose()
