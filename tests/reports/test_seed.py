"""`benchmarks.seed`: bulk data that the lifecycle could have produced (both databases)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from benchmarks.seed import seed
from models import Agreement, AgreementParty, Event, Organization
from models.database import make_engine
from reports.data import annual_data
from tests.helpers import hamkor, ok
from workflow.lifecycle import BY_EVENT, Event as Ev, RecordEvent

TODAY = date(2025, 6, 30)
#: Events a transition of the table records with the state it moved to.
STATE_EVENTS = {e.value for e in Ev}


def test_seeded_histories_follow_the_lifecycle_and_the_report_adds_up(db_url: str) -> None:
    engine = make_engine(db_url)
    first = seed(engine, 400, seed=7, today=TODAY, first_year=2016)
    second = seed(engine, 100, seed=8, today=TODAY, first_year=2016)  # into a non-empty database
    assert (first.agreements, second.agreements) == (400, 100)
    with Session(engine) as s:
        agreements = {a.id: a for a in s.scalars(select(Agreement))}
        events = defaultdict(list)
        for e in s.scalars(select(Event).order_by(Event.agreement_id, Event.id)):
            events[e.agreement_id].append(e)
        parties = defaultdict(list)
        for p in s.scalars(select(AgreementParty)):
            parties[p.agreement_id].append(p)
        assert len(agreements) == 500 and sum(map(len, events.values())) == \
            first.events + second.events
        assert len({a.ref for a in agreements.values()}) == 500
        states = set()
        for aid, a in agreements.items():
            history = events[aid]
            assert history[0].event in ("create", "import"), a.ref
            days = [e.occurred_on for e in history]
            assert days == sorted(days) and days[-1] <= TODAY, a.ref
            for before, e in zip(history, history[1:], strict=False):
                if e.event in STATE_EVENTS and e.event != "sign":
                    t = BY_EVENT[Ev(e.event)]
                    assert e.from_state in {x.value for x in t.sources}, (a.ref, e.event)
                    if t.dest is not None:
                        assert e.to_state == t.dest.value, (a.ref, e.event)
                else:
                    assert e.event in set(RecordEvent) or e.event == "sign", e.event
                assert e.from_state in (before.to_state, None) or e.event == "coverage_gap", a.ref
            assert a.state == history[-1].to_state, a.ref
            assert len(parties[aid]) >= 2
            states.add(a.state)
        assert {"active", "renewal_due", "expired", "superseded", "terminated"} <= states
        successors = [a for a in agreements.values() if a.renews_id]
        assert successors and all(agreements[a.renews_id].id < a.id for a in successors)
        assert s.scalar(select(Organization.id).where(Organization.country.is_(None))) is not None

        d = annual_data(s, 2024, TODAY, institution="Home University")
    summary = d["summary"]
    for key, listed in (("active", "active"), ("signed", "signed"), ("renewed", "renewed"),
                        ("expired", "expired"), ("terminated", "terminated"),
                        ("expiring", "expiring"), ("coverage_gaps", "gaps"),
                        ("data_quality", "quality"), ("new_partners", "new_partners")):
        assert summary[key] == len(d[listed]), key
    assert sum(c["agreements"] for c in d["by_type"]) == summary["active"]
    assert sum(c["agreements"] for c in d["by_department"]) == summary["active"]
    assert summary["active"] > 0 and summary["signed"] > 0 and summary["expired"] > 0
    engine.dispose()
    # The ids were given explicitly: the database still hands out new ones after them.
    ok(hamkor(db_url, "partner", "add", "After The Seed", "--country", "FR"))
    ok(hamkor(db_url, "user", "add", "after@uni.uz", "--name", "After", "--role", "officer"))
