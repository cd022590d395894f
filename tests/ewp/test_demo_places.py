"""The demo's EWP exchange and the report's mobility places, on both databases."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from ewp.conditions import mobility_places
from ewp.demo import apply_demo_conditions, run_exchange
from ewp.identity import Home
from ewp.schema import validate_approval_response, validate_get_response
from models.database import make_engine, session_factory
from root import App
from tests.ewp.support import (
    APPROVER,
    HOME,
    HOME_HEI,
    OFFICER,
    add_condition,
    advance_to,
    agreement,
    cli,
    seed,
)
from tests.helpers import ok
from workflow.agreements import Office


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_the_demo_partnership_gets_conditions_and_a_mutually_approved_exchange(
        db_url: str, tmp_path: Path, xsd_dir: Path, no_network: None) -> None:
    seed(db_url)
    ok(cli(db_url, "partner", "edit", "Politecnico di Torino", "--hei-id", ""))
    ref = agreement(db_url)
    app = App(db_url)
    home = Home(Office(institution=HOME), HOME_HEI)
    added = apply_demo_conditions(app.uow, app.clock(), home, ref, by=OFFICER)
    assert len(added) == 6 and not any(a["amended"] for a in added)
    advance_to(db_url, ref, "active")

    result = run_exchange(app.uow, app.clock(), home, ref, tmp_path / "demo", approver=APPROVER)
    app.close()

    assert result["status"]["mutual"] is True
    files = result["files"]
    assert sorted(files) == ["ewp-approvals.xml", "ewp-iias.xml", "ewp-partner-approvals.xml",
                             "ewp-partner-iias.xml"]
    for name in ("ewp-iias.xml", "ewp-partner-iias.xml"):
        validate_get_response(files[name].read_bytes(), xsd_dir)  # raises when invalid
    for name in ("ewp-approvals.xml", "ewp-partner-approvals.xml"):
        validate_approval_response(files[name].read_bytes(), xsd_dir)  # raises when invalid
    partners = {p["name"]: p["hei_id"] for p in ok(cli(db_url, "partner", "list", "--json")).json()}
    assert partners["Politecnico di Torino"] == "polito.it"
    [row] = ok(cli(db_url, "ewp", "status", ref, "--json")).json()
    assert row["mutual"] and row["partner_iia_id"] == "polito-iia-2025-017"


def _places(db_url: str, year: int | str, **kw: object) -> list[dict[str, object]]:
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as s:
            return mobility_places(s, year, **{"institution": HOME, **kw})  # type: ignore[arg-type]
    finally:
        engine.dispose()


def test_mobility_places_per_partner_and_direction_for_an_academic_year(db_url: str) -> None:
    seed(db_url)
    ref = agreement(db_url)
    app = App(db_url)
    apply_demo_conditions(app.uow, app.clock(), Home(Office(institution=HOME), HOME_HEI), ref,
                          by=OFFICER)
    app.close()
    draft = agreement(db_url)  # not agreed yet: its places do not count
    add_condition(db_url, draft, kind="staff-training")
    assert _places(db_url, 2027) == []  # the demo agreement is a draft too
    advance_to(db_url, ref, "active")

    rows = _places(db_url, 2027)
    assert [(r["partner"], r["direction"]) for r in rows] == [
        ("Politecnico di Torino", "outgoing"), ("Politecnico di Torino", "incoming")]
    out, inc = rows
    assert (out["student_studies"], out["student_traineeship"], out["staff_teacher"],
            out["staff_training"], out["students"], out["staff"], out["total"]) == (6, 2, 2, 2, 8, 4, 12)
    assert (inc["student_studies"], inc["staff_teacher"], inc["total"]) == (4, 3, 7)
    assert out["academic_year"] == "2027/2028" and out["agreements"] == [ref]
    assert out["hei_id"] == "polito.it" and out["country"] == "IT"
    # 2025/2026: the traineeships start a year later; 2030/2031: nothing agreed
    assert _places(db_url, "2025/2026")[0]["student_traineeship"] == 0
    assert _places(db_url, 2030) == []
    # narrowed to given agreements (e.g. those in force on the report day)
    assert _places(db_url, 2027, agreement_ids=[]) == []
    # the home institution is recognised by its hei-id as well as by its name
    assert _places(db_url, 2027, institution="Another name", institution_hei_id=HOME_HEI) == []
    ok(cli(db_url, "partner", "edit", HOME, "--hei-id", HOME_HEI))
    assert _places(db_url, 2027, institution="Another name", institution_hei_id=HOME_HEI) == rows
