"""Search: one box, tokenised, insensitive to case and accents, over everything an
agreement says, answered from the index (PostgreSQL pg_trgm, SQLite FTS5) -- which
follows every change, including the import's bulk writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ewp.support import HOME, OFFICER, add_condition, agreement, cli, seed
from tests.helpers import ok


def edit(db_url: str, ref: str, **changes: object) -> None:
    from root import App
    from workflow.drafts import update_draft

    app = App(db_url)
    try:
        update_draft(app.uow(), app.clock(), app.office(), ref, changes, by=OFFICER)
    finally:
        app.close()


def found(db_url: str, q: str | None = None, **filters: object) -> list[str]:
    from root import App
    from web.queries import agreements_by_id
    from workflow.search import search

    app = App(db_url)
    try:
        _, ids = search(app.uow(), app.clock(), HOME, sort="ref", limit=None, q=q, **filters)
        return [a["ref"] for a in agreements_by_id(app.uow(), ids)]
    finally:
        app.close()


@pytest.fixture
def register(db_url: str) -> dict[str, str]:
    """Politecnico di Torino (IT, Turin, polito.it) with an ISCED 0613 condition and a
    note; Hiroshima University (JP) in Mechanical Engineering."""
    seed(db_url)
    torino = agreement(db_url)
    add_condition(db_url, torino, "--months", "5", "--isced", "0613")
    edit(db_url, torino, notes="Signed at the Bologna fair; café meeting")
    hiroshima = agreement(db_url, "Hiroshima University")
    edit(db_url, hiroshima, department="Mechanical Engineering")
    return {"torino": torino, "hiroshima": hiroshima}


@pytest.mark.parametrize("q", [
    "politecnico torino", "POLITECNICO  Torino", "torino politecnico", "Politécnico",
    "Italy", "italiya", "ИТАЛИЯ", "IT", "turin", "polito.it", "0613", "bologna", "cafe", "café",
])
def test_one_box_finds_the_politecnico_agreement(db_url: str, register: dict[str, str], q: str) -> None:
    """Names, countries in English, Uzbek and Russian, city, hei-id, ISCED code and notes;
    any case, any accents, words in any order."""
    refs = found(db_url, q)
    assert register["torino"] in refs
    if q not in ("IT",):  # "it" is in many words; the others are specific
        assert register["hiroshima"] not in refs


def test_every_word_must_match_and_the_home_institution_is_not_a_partner(
        db_url: str, register: dict[str, str]) -> None:
    assert found(db_url, "politecnico hiroshima") == []
    assert found(db_url, "mechanical") == [register["hiroshima"]]
    assert found(db_url, "Tashkent") == []  # every agreement's home party: not searched
    assert found(db_url, "") == sorted(register.values())
    assert found(db_url, "100%") == [] and found(db_url, "a_b") == []  # wildcards are literal


def test_filters_combine_with_the_box(db_url: str, register: dict[str, str]) -> None:
    assert found(db_url, country="it") == [register["torino"]]
    assert found(db_url, department="mechanical engineering") == [register["hiroshima"]]
    assert found(db_url, type="exchange", owner=OFFICER) == sorted(register.values())
    assert found(db_url, "exchange", partner="Hiroshima University") == [register["hiroshima"]]
    assert found(db_url, state="draft", q="torino") == [register["torino"]]


def test_the_index_follows_edits_partners_and_conditions(db_url: str, register: dict[str, str]) -> None:
    edit(db_url, register["hiroshima"], title="Robotics exchange")
    assert found(db_url, "robotics") == [register["hiroshima"]]
    ok(cli(db_url, "partner", "edit", "Hiroshima University", "--hei-id", "hiroshima-u.ac.jp"))
    assert found(db_url, "hiroshima-u.ac.jp") == [register["hiroshima"]]
    add_condition(db_url, register["hiroshima"], "--months", "3", "--isced", "0714",
                  receiving="hiroshima-u.ac.jp")
    assert found(db_url, "0714") == [register["hiroshima"]]
    ok(cli(db_url, "agreement", "conditions", "remove", register["hiroshima"], "1", "--by", OFFICER))
    assert found(db_url, "0714") == []


def test_imported_agreements_are_found(db_url: str, register: dict[str, str], tmp_path: Path) -> None:
    """The import writes in bulk, past the ORM: its agreements are indexed all the same."""
    export = tmp_path / "all.csv"
    ok(cli(db_url, "export", str(export)))
    lines = export.read_text().splitlines()
    header, row = lines[0], lines[1].replace(register["torino"], "AGR-1999-0001")
    row = row.replace("Erasmus+ exchange", "Imported Uppsala link")
    (tmp_path / "new.csv").write_text(header + "\n" + row + "\n")
    ok(cli(db_url, "import", str(tmp_path / "new.csv"), "--by", OFFICER))
    assert found(db_url, "uppsala") == ["AGR-1999-0001"]


def test_sorting_and_a_bad_sort_or_state_is_refused(db_url: str, register: dict[str, str]) -> None:
    from root import App
    from workflow.errors import Invalid
    from workflow.search import search

    app = App(db_url)
    try:
        for bad in ({"sort": "colour"}, {"state": "bogus"}, {"type": "bogus"}):
            with pytest.raises(Invalid):
                search(app.uow(), app.clock(), HOME, **bad)  # type: ignore[arg-type]
        _, up = search(app.uow(), app.clock(), HOME, sort="ref")
        _, down = search(app.uow(), app.clock(), HOME, sort="-ref")
        assert up == list(reversed(down)) and len(up) == 2
        _, by_department = search(app.uow(), app.clock(), HOME, sort="-department")
        assert by_department[-1] == up[0]  # no department: last either way
    finally:
        app.close()


def test_the_database_notes_what_the_index_lacks_and_a_search_clears_it(
        db_url: str, register: dict[str, str]) -> None:
    """The freshness check reads `search_pending`, which the database's triggers fill (a
    new agreement, a deleted document, even by plain SQL past every hook of the ORM),
    instead of counting both tables on every search."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)

    def pending() -> int:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM search_pending")).scalar_one())

    try:
        found(db_url, "torino")
        assert pending() == 0
        with engine.begin() as conn:  # a document lost outside the application
            conn.execute(text("DELETE FROM agreement_search WHERE agreement_id = "
                              "(SELECT id FROM agreements WHERE ref = :ref)"), {"ref": register["torino"]})
        assert pending() == 1
        assert found(db_url, "torino") == [register["torino"]]  # rebuilt before answering
        assert pending() == 0
        new = agreement(db_url, "Hiroshima University")
        assert pending() >= 1
        assert new in found(db_url, "hiroshima") and pending() == 0
    finally:
        engine.dispose()
