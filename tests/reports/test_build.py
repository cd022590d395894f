"""The report's classification rules on hand-written facts (no database)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from reports.data import (
    AgreementFacts,
    Facts,
    OrgFacts,
    build,
    canonical_json,
    data_hash,
    report_period,
)
from tests.reports.sample import HOME, facts, sample_data
from workflow.errors import Invalid


def by_ref(rows: list[dict]) -> dict[str, dict]:
    return {r["ref"]: r for r in rows}


def test_a_past_year_ends_on_31_december_and_the_current_year_today() -> None:
    past = report_period(2024, date(2026, 3, 5))
    assert (past.start, past.end, past.partial) == (date(2024, 1, 1), date(2024, 12, 31), False)
    assert past.expiring_until == date(2025, 12, 31)
    now = report_period(2026, date(2026, 3, 5))
    assert (now.end, now.partial) == (date(2026, 3, 5), True)
    assert date(2026, 3, 6) not in now and date(2026, 3, 5) in now


@pytest.mark.parametrize("year, message", [(2027, "year 2027 is in the future"),
                                           (1899, "year 1899 is before 1900")])
def test_a_year_that_cannot_be_reported_is_refused(year: int, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        report_period(year, date(2026, 3, 5))


def test_the_sample_year_is_classified_as_worked_out_by_hand() -> None:
    d = sample_data()
    assert d["summary"] == {
        "agreements": 6, "active_at_start": 3, "active": 2, "signed": 2, "renewed": 1,
        "renewed_by_successor": 0, "renewed_tacitly": 1, "expired": 1, "terminated": 1,
        "new_partners": 1, "partners": 3, "countries": 2, "expiring": 2, "coverage_gaps": 1,
        "data_quality": 1, "students_out": 0, "students_in": 0, "staff_out": 0, "staff_in": 0,
        "without_signed_copy": 2,
    }
    assert [r["ref"] for r in d["agreements"]] == [
        "AGR-2020-0001", "AGR-2021-0001", "AGR-2022-0001", "AGR-2024-0001", "AGR-2025-0001",
        "AGR-2025-0002"]  # AGR-2015-0001 closed in 2019: not part of 2025
    assert [r["ref"] for r in d["signed"]] == ["AGR-2025-0002", "AGR-2025-0001"]
    assert [(r["ref"], r["last_day"]) for r in d["expired"]] == [("AGR-2020-0001", date(2025, 5, 31))]
    assert [(r["ref"], r["last_day"], r["termination_note"]) for r in d["terminated"]] == [
        ("AGR-2025-0002", date(2025, 9, 30), "the lab closed")]


def test_the_home_institution_is_never_a_partner() -> None:
    d = sample_data()
    names = {p["name"] for r in d["agreements"] for p in r["partners"]}
    assert HOME not in names
    assert [(c["country"], c["agreements"], c["partners"]) for c in d["by_country"]] == [
        ("JP", 1, 2), ("RU", 1, 1)]  # Hiroshima and Kyoto: one agreement, two partners
    # Without the institution's name it is a partner like any other.
    anonymous = build(report_period(2025, date(2026, 2, 1)), facts(), institution=None)
    assert ("UZ", 2) in [(c["country"], c["agreements"]) for c in anonymous["by_country"]]


def test_a_tacit_renewal_after_the_year_is_undone_for_that_years_expiry() -> None:
    d = sample_data()
    romashka = by_ref(d["agreements"])["AGR-2022-0001"]
    assert romashka["expires_on"] == date(2025, 12, 31)  # stored today: 2026-12-31
    assert romashka["renews_automatically"] and romashka["renewed_in_year"]
    assert d["renewed"] == [{
        "ref": "AGR-2022-0001", "title": "Romashka internships", "partners": romashka["partners"],
        "how": "tacit", "on": date(2025, 1, 1), "successor": None,
        "expires_on": date(2025, 12, 31)}]
    assert [(r["ref"], r["expires_on"]) for r in d["expiring"]] == [
        ("AGR-2022-0001", date(2025, 12, 31)), ("AGR-2021-0001", date(2026, 3, 31))]


def test_a_gap_stays_open_while_the_successor_is_on_its_way() -> None:
    d = sample_data()
    assert d["gaps"] == [{
        "predecessor": "AGR-2020-0001", "successor": "AGR-2025-0001",
        "title": "Torino partnership", "partners": by_ref(d["agreements"])["AGR-2025-0001"]["partners"],
        "from": date(2025, 6, 1), "to": None, "days": 214, "open": True,
        "successor_state": "signed"}]
    assert by_ref(d["agreements"])["AGR-2020-0001"]["successor"] == "AGR-2025-0001"


def test_a_gap_closes_when_the_successor_starts_and_is_left_out_once_it_is_over() -> None:
    f = facts()
    f.agreements[3] = replace(f.agreements[3], state_end="active", activated_on=date(2025, 8, 1))
    d = build(report_period(2025, date(2026, 2, 1)), f, institution=HOME)
    [gap] = d["gaps"]
    assert (gap["from"], gap["to"], gap["days"], gap["open"]) == (
        date(2025, 6, 1), date(2025, 7, 31), 61, False)
    assert [(r["ref"], r["how"], r["successor"]) for r in d["renewed"]][-1] == (
        "AGR-2020-0001", "successor", "AGR-2025-0001")
    # The next year it is history: no longer shown.
    later = build(report_period(2026, date(2027, 2, 1)), f, institution=HOME)
    assert later["gaps"] == []


def test_new_partners_are_those_whose_first_signature_falls_in_the_year() -> None:
    d = sample_data()
    assert d["new_partners"] == [{"name": "Oʻzbekiston Milliy Universiteti", "country": "UZ",
                                  "kind": "university", "city": None, "since": date(2025, 2, 8),
                                  "ref": "AGR-2025-0002"}]
    f = facts()
    f.first_signatures[1] = date(2025, 1, 5)  # the home institution's own signature
    assert [p["name"] for p in build(report_period(2025, date(2026, 2, 1)), f,
                                     institution=HOME)["new_partners"]] == [
        "Oʻzbekiston Milliy Universiteti"]


def test_incomplete_records_are_listed_with_what_they_lack() -> None:
    d = sample_data()
    assert [(r["ref"], r["problems"]) for r in d["quality"]] == [(
        "AGR-2024-0001", [{"code": "no_start_date", "detail": None},
                          {"code": "no_expiry_date", "detail": None},
                          {"code": "no_owner", "detail": None},
                          {"code": "partner_without_country", "detail": "Nowhere | Institute"}])]


def test_an_imported_expired_agreement_is_dated_by_its_expiry() -> None:
    imported = AgreementFacts(1, "AGR-2025-0009", "Legacy", "mou", "expired", date(2025, 2, 1),
                              "import", 2025, 9, None, None, date(2021, 1, 1), date(2025, 1, 31))
    f = Facts([imported], {1: [(1, date(2020, 12, 1)), (2, date(2020, 12, 2))]},
              {1: OrgFacts(1, HOME, "home university", "UZ", "university"),
               2: OrgFacts(2, "Legacy Partner", "legacy partner", "DE", "university")}, {})
    d = build(report_period(2025, date(2026, 1, 10)), f, institution=HOME)
    [row] = d["expired"]
    assert (row["expired_on"], row["last_day"]) == (date(2025, 2, 1), date(2025, 1, 31))
    assert row["signed_on"] == date(2020, 12, 2)  # the last party's signature


def test_the_same_data_gives_the_same_hash_and_any_change_another() -> None:
    d = sample_data()
    assert len(d["data_hash"]) == 64
    assert sample_data()["data_hash"] == d["data_hash"]
    assert data_hash(d) == d["data_hash"]
    f = facts()
    f.agreements[0] = replace(f.agreements[0], title="Japan exchange")
    assert build(report_period(2025, date(2026, 2, 1)), f, institution=HOME)["data_hash"] != \
        d["data_hash"]
    assert sample_data(department="Physics")["data_hash"] != d["data_hash"]


def test_the_canonical_json_is_plain_json_with_iso_dates_and_refs_for_selections() -> None:
    d = sample_data()
    body = json.loads(canonical_json(d))
    assert "data_hash" not in body
    assert body["active"] == ["AGR-2021-0001", "AGR-2022-0001"]
    assert body["period"]["end"] == "2025-12-31"
    columns, rows = body["agreements"]["columns"], body["agreements"]["rows"]
    assert columns == sorted(columns) and len(rows) == 6
    assert rows[1][columns.index("expires_on")] == "2026-03-31"
    assert canonical_json(d) == canonical_json(sample_data())
