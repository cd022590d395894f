"""Optimistic locking with two real connections: exactly one writer wins."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from models import Event
from models.database import make_engine, session_factory
from tests.conftest import clock_on
from tests.helpers import hamkor, ok, seed_people
from workflow.agreements import Office, advance, get_agreement
from workflow.errors import ConcurrentUpdate
from workflow.uow import UnitOfWork


def submitted_agreement(db_url: str) -> str:
    """People, partners and one agreement in review; returns its reference."""
    seed_people(db_url)
    ref = ok(hamkor(db_url, "agreement", "create", "--title", "Race", "--partner",
                    "Hiroshima University", "--type", "mou", "--owner", "olga@uni.uz",
                    "--starts", "2025-01-01", "--months", "12", "--by", "olga@uni.uz")).out.strip()
    ok(hamkor(db_url, "agreement", "advance", ref, "submit", "--by", "olga@uni.uz"))
    return ref


def test_two_staff_advancing_at_once_one_gets_changed_by_someone_else(db_url: str) -> None:
    ref = submitted_agreement(db_url)

    engine_a, engine_b = make_engine(db_url), make_engine(db_url)
    clock, office = clock_on(date.today()), Office()
    try:
        uow_b = UnitOfWork(session_factory(engine_b))
        with pytest.raises(ConcurrentUpdate) as info, uow_b:
            uow_b.subject = ref
            # B reads the agreement (its version / snapshot) before A commits...
            stale = get_agreement(uow_b.session, ref)
            assert stale.version == 2
            # ...A approves and commits on its own connection...
            advance(UnitOfWork(session_factory(engine_a)), clock, office, ref, "approve",
                    by="anvar@uni.uz")
            # ...then B's write of the version it read is refused, never applied.
            stale.state = "draft"
            uow_b.session.flush()
            uow_b.commit()
        assert str(info.value) == f"{ref} was changed by someone else; retry"
    finally:
        engine_a.dispose()
        engine_b.dispose()

    shown = ok(hamkor(db_url, "agreement", "show", ref, "--json")).json()
    assert (shown["state"], shown["version"]) == ("approved", 3)
    history = ok(hamkor(db_url, "agreement", "history", ref, "--json")).json()
    assert [h["event"] for h in history] == ["create", "submit", "approve"]


def test_the_loser_of_a_race_through_the_service_writes_nothing(db_url: str) -> None:
    """Both sessions run `advance`; the one whose read is stale gets ConcurrentUpdate."""
    ref = submitted_agreement(db_url)
    engine_a, engine_b = make_engine(db_url), make_engine(db_url)
    clock, office = clock_on(date.today()), Office()
    sessions_b = session_factory(engine_b)
    real_factory = sessions_b.__call__

    def interleaved():  # type: ignore[no-untyped-def]
        """B's session: load the agreement, then let A win before B writes."""
        session = real_factory()
        session.info["held"] = get_agreement(session, ref)  # B's read happens first (kept alive)
        advance(UnitOfWork(session_factory(engine_a)), clock, office, ref, "approve",
                by="anvar@uni.uz")
        return session

    try:
        with pytest.raises(ConcurrentUpdate):
            advance(UnitOfWork(interleaved), clock, office, ref, "request_changes",  # type: ignore[arg-type]
                    by="aziza@uni.uz", note="needs quotas")
        with engine_a.connect() as conn:
            events = conn.scalar(select(func.count()).select_from(Event))
        assert events == 3  # create, submit, approve: nothing from the loser
    finally:
        engine_a.dispose()
        engine_b.dispose()
    assert ok(hamkor(db_url, "agreement", "show", ref, "--json")).json()["state"] == "approved"


def test_two_signatures_for_the_same_party_at_once_cannot_both_succeed(db_url: str) -> None:
    """A signature changes only the party row; the agreement's version must still move."""
    seed_people(db_url)
    ref = ok(hamkor(db_url, "agreement", "create", "--title", "Race", "--partner",
                    "Hiroshima University", "--type", "mou", "--owner", "olga@uni.uz",
                    "--starts", "2025-01-01", "--months", "12", "--by", "olga@uni.uz")).out.strip()
    for event, by in [("submit", "olga@uni.uz"), ("approve", "anvar@uni.uz"),
                      ("send_for_signature", "olga@uni.uz")]:
        ok(hamkor(db_url, "agreement", "advance", ref, event, "--by", by))
    before = ok(hamkor(db_url, "agreement", "show", ref, "--json")).json()["version"]
    engine_a, engine_b = make_engine(db_url), make_engine(db_url)
    clock, office = clock_on(date.today()), Office()
    sessions_b = session_factory(engine_b)

    def interleaved():  # type: ignore[no-untyped-def]
        session = sessions_b()
        session.info["held"] = get_agreement(session, ref)  # B reads first
        advance(UnitOfWork(session_factory(engine_a)), clock, office, ref, "sign",
                by="olga@uni.uz", party="Hiroshima University")
        return session

    try:
        with pytest.raises(ConcurrentUpdate):
            advance(UnitOfWork(interleaved), clock, office, ref, "sign",  # type: ignore[arg-type]
                    by="oleg@uni.uz", party="Hiroshima University")
    finally:
        engine_a.dispose()
        engine_b.dispose()
    after = ok(hamkor(db_url, "agreement", "show", ref, "--json")).json()
    assert after["version"] == before + 1
    signs = [e for e in ok(hamkor(db_url, "agreement", "history", ref, "--json")).json()
             if e["event"] == "sign"]
    assert len(signs) == 1 and signs[0]["actor"] == "olga@uni.uz"


def test_acting_on_a_stale_version_is_refused_and_changes_nothing(db_url: str) -> None:
    seed_people(db_url)
    ref = ok(hamkor(db_url, "agreement", "create", "--title", "Stale", "--partner",
                    "Hiroshima University", "--type", "mou", "--owner", "olga@uni.uz",
                    "--starts", "2025-01-01", "--months", "12", "--by", "olga@uni.uz")).out.strip()
    engine = make_engine(db_url)
    clock, office = clock_on(date.today()), Office()
    try:
        seen = 1
        advance(UnitOfWork(session_factory(engine)), clock, office, ref, "submit", by="olga@uni.uz",
                expected_version=seen)
        with pytest.raises(ConcurrentUpdate):
            advance(UnitOfWork(session_factory(engine)), clock, office, ref, "withdraw",
                    by="oleg@uni.uz", note="stale page", expected_version=seen)
    finally:
        engine.dispose()
    shown = ok(hamkor(db_url, "agreement", "show", ref, "--json")).json()
    assert (shown["state"], shown["version"]) == ("in_review", 2)
