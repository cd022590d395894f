"""`hamkor agreement conditions` and `hamkor partner edit --hei-id`, on both databases."""

from __future__ import annotations

import re

import pytest

from tests.dbstate import snapshot
from tests.ewp.support import (
    APPROVER,
    FIRST,
    HOME,
    HOME_HEI,
    LAST,
    OFFICER,
    VIEWER,
    YEARS,
    add_condition,
    agreement,
    cli,
    history,
    seed,
)
from tests.helpers import ok, refused


def test_partner_hei_id_is_set_by_edit_validated_unique_and_listed(db_url: str) -> None:
    seed(db_url)
    out = ok(cli(db_url, "partner", "edit", "hiroshima university", "--hei-id", "hiroshima-u.ac.jp",
                 "--json")).json()
    assert (out["name"], out["hei_id"]) == ("Hiroshima University", "hiroshima-u.ac.jp")
    listed = {p["name"]: p["hei_id"] for p in ok(cli(db_url, "partner", "list", "--json")).json()}
    assert listed == {"Hiroshima University": "hiroshima-u.ac.jp", "Politecnico di Torino": "polito.it"}
    before = snapshot(db_url)
    refused(cli(db_url, "partner", "edit", "Hiroshima University", "--hei-id", "polito.it"),
            "hei-id polito.it already exists", "Politecnico di Torino")
    refused(cli(db_url, "partner", "edit", "Hiroshima University", "--hei-id", "Hiroshima.JP"),
            "not a lower-case SCHAC code")
    refused(cli(db_url, "partner", "edit", "Nowhere", "--hei-id", "nowhere.org"), "no partner Nowhere")
    assert snapshot(db_url) == before
    # found by its hei-id too; an empty code removes it
    ok(cli(db_url, "partner", "edit", "hiroshima-u.ac.jp", "--hei-id", ""))
    listed = {p["name"]: p["hei_id"] for p in ok(cli(db_url, "partner", "list", "--json")).json()}
    assert listed["Hiroshima University"] is None


def test_conditions_are_added_listed_in_schema_order_and_shown(db_url: str) -> None:
    seed(db_url)
    ref = agreement(db_url)
    before = ok(cli(db_url, "agreement", "show", ref, "--json")).json()
    assert before["iia_id"] is None and before["conditions"] == []
    staff = add_condition(db_url, ref, "--days", "7.5", kind="staff-teacher", sending="polito.it",
                          receiving=HOME)
    studies = add_condition(db_url, ref, "--months", "5", "--isced", "0613",
                            "--isced", "0714:Mechatronics & robotics", "--language", "it:a2",
                            "--language", "en:B2", "--eqf", "6", "--eqf", "7", "--blended",
                            "--info", "Fees waived")
    assert studies["amended"] is False and studies["n"] == 1  # studies come before staff
    assert staff["n"] == 1 and staff["condition"]["from"] == "Politecnico di Torino"

    listed = ok(cli(db_url, "agreement", "conditions", "list", ref, "--json")).json()
    assert [c["n"] for c in listed] == [1, 2]
    assert listed[0] == {
        "n": 1, "kind": "student-studies", "from": HOME, "to": "Politecnico di Torino",
        "from_hei_id": HOME_HEI, "to_hei_id": "polito.it", "sending_ounit_id": None,
        "receiving_ounit_id": None, "first_year": FIRST, "last_year": LAST,
        "mobilities_per_year": 2, "total_months": "5", "total_days": None,
        "subject_areas": [{"code": "0613", "clarification": None},
                          {"code": "0714", "clarification": "Mechatronics & robotics"}],
        "languages": [{"language": "it", "level": "A2"}, {"language": "en", "level": "B2"}],
        "eqf_levels": [6, 7], "blended": True, "other_info": "Fees waived",
    }
    assert listed[1]["kind"] == "staff-teacher" and listed[1]["total_days"] == "7.5"
    assert listed[1]["blended"] is None and listed[1]["eqf_levels"] == []

    shown = ok(cli(db_url, "agreement", "show", ref, "--json")).json()
    assert re.fullmatch(r"[0-9a-f-]{36}", shown["iia_id"])  # assigned when first needed
    assert shown["partner_iia_id"] is None and shown["conditions"] == listed
    # each change takes the agreement's version (optimistic locking: a concurrent one loses)
    assert shown["version"] == before["version"] + 2
    text = ok(cli(db_url, "agreement", "show", ref)).out
    assert "conditions:" in text
    assert f"1. student-studies {HOME} -> Politecnico di Torino" in text
    assert "2. staff-teacher Politecnico di Torino" in text
    # a draft's conditions are edited, not amended: no history entry
    assert [e["event"] for e in history(db_url, ref)] == ["create"]

    removed = ok(cli(db_url, "agreement", "conditions", "remove", ref, "2", "--by", OFFICER,
                     "--json")).json()
    assert removed["removed"]["kind"] == "staff-teacher"
    assert [c["kind"] for c in ok(cli(db_url, "agreement", "conditions", "list", ref,
                                      "--json")).json()] == ["student-studies"]
    assert ok(cli(db_url, "agreement", "show", ref, "--json")).json()["iia_id"] == shown["iia_id"]


BAD = [
    (["--kind", "exchange"], "kind 'exchange' is not one of"),
    (["--to", "Hiroshima University"], "--to 'Hiroshima University' is not a party of"),
    (["--from", "polito.it"], "--from and --to are the same party"),
    (["--years", "2025/2024"], "--years '2025/2024' is not an academic year"),
    (["--years", f"{LAST}:{FIRST}"], "is before the first"),
    (["--isced", "031"], "--isced '031' is not a 4-digit ISCED-F 2013 detailed field"),
    (["--language", "en:D1"], "CEFR level 'D1'"),
    (["--mobilities", "0"], "--mobilities 0 must be a positive number"),
    (["--days", "5"], "--days is for staff mobility"),
    (["--months", "0"], "--months '0' is not a positive number"),
    (["--eqf", "9"], "--eqf 9 is not an EQF level"),
    (["--info", "bell \x07"], "U+0007 cannot be written in XML"),
]


@pytest.mark.parametrize(("change", "needle"), BAD, ids=[n for _, n in BAD])
def test_bad_conditions_are_refused_with_one_error_line_and_nothing_changes(
        db_url: str, change: list[str], needle: str) -> None:
    seed(db_url)
    ref = agreement(db_url)
    add_condition(db_url, ref)
    args = {"--kind": "student-studies", "--from": HOME, "--to": "polito.it", "--years": YEARS,
            "--mobilities": "2", "--language": "en:B2"}
    extra: list[str] = []
    for option, value in zip(change[::2], change[1::2], strict=True):
        if option in args:
            args[option] = value
        else:
            extra += [option, value]
    before = snapshot(db_url)
    argv = [x for pair in args.items() for x in pair] + extra
    refused(cli(db_url, "agreement", "conditions", "add", ref, *argv, "--by", OFFICER), needle)
    assert snapshot(db_url) == before


def test_studies_and_teaching_need_a_language_and_staff_take_no_student_options(db_url: str) -> None:
    seed(db_url)
    ref = agreement(db_url)
    before = snapshot(db_url)
    base = ["agreement", "conditions", "add", ref, "--from", HOME, "--to", "polito.it",
            "--years", YEARS, "--mobilities", "1", "--by", OFFICER]
    refused(cli(db_url, *base, "--kind", "staff-teacher"), "staff-teacher needs at least one --language")
    refused(cli(db_url, *base, "--kind", "staff-training", "--blended"), "--eqf and --blended are for student")
    refused(cli(db_url, *base, "--kind", "staff-training", "--months", "2"), "--months is for student")
    refused(cli(db_url, "agreement", "conditions", "remove", ref, "1", "--by", OFFICER),
            "no condition", "#1 (it has 0)")
    assert snapshot(db_url) == before
    # staff training and traineeships need no language
    add_condition(db_url, ref, kind="staff-training")
    add_condition(db_url, ref, kind="student-traineeship")


def test_only_officers_change_conditions(db_url: str) -> None:
    seed(db_url)
    ref = agreement(db_url)
    before = snapshot(db_url)
    refused(cli(db_url, "agreement", "conditions", "add", ref, "--kind", "staff-training",
                "--from", HOME, "--to", "polito.it", "--years", YEARS, "--mobilities", "1",
                "--by", VIEWER), "may not change cooperation conditions")
    assert snapshot(db_url) == before


def test_a_signed_agreements_change_is_an_amendment_with_old_and_new_hash(db_url: str) -> None:
    seed(db_url)
    ref = agreement(db_url, state="active")
    first = add_condition(db_url, ref, "--months", "5")
    assert first["amended"] is True and first["old_hash"] != first["hash"]
    second = add_condition(db_url, ref, "--days", "5", kind="staff-teacher", sending="polito.it",
                           receiving=HOME_HEI)
    assert second["old_hash"] == first["hash"]
    removed = ok(cli(db_url, "agreement", "conditions", "remove", ref, "1", "--by", OFFICER,
                     "--json")).json()
    assert removed["amended"] and removed["old_hash"] == second["hash"]

    amends = [e for e in history(db_url, ref) if e["event"] == "amend"]
    assert len(amends) == 3
    assert all(e["from_state"] == e["to_state"] == "active" and e["actor"] == OFFICER
               for e in amends)
    assert f"iia-hash {first['old_hash']} -> {first['hash']}" in amends[0]["note"]
    assert "added 1. student-studies" in amends[0]["note"]
    assert f"iia-hash {second['hash']} -> {removed['hash']}" in amends[2]["note"]
    assert "removed 1. student-studies" in amends[2]["note"]
    # the text output says it too
    out = ok(cli(db_url, "agreement", "conditions", "add", ref, "--kind", "staff-training",
                 "--from", HOME, "--to", "polito.it", "--years", YEARS, "--mobilities", "1",
                 "--by", OFFICER)).out
    assert "amendment: iia-hash" in out


@pytest.mark.parametrize(("state", "needle"), [
    ("approved", "cannot change conditions in state approved"),
    ("terminated", "cannot change conditions in state terminated: the agreement is closed"),
])
def test_conditions_are_fixed_once_approved_and_after_the_end(db_url: str, state: str, needle: str) -> None:
    seed(db_url)
    ref = agreement(db_url, state=state)
    before = snapshot(db_url)
    refused(cli(db_url, "agreement", "conditions", "add", ref, "--kind", "staff-training",
                "--from", HOME, "--to", "polito.it", "--years", YEARS, "--mobilities", "1",
                "--by", APPROVER), needle)
    assert snapshot(db_url) == before
