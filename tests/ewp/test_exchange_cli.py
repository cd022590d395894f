"""`hamkor ewp export | import | approve | approvals | status | hash`, on both databases."""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from ewp.demo import partner_approvals, partner_copy
from ewp.iia_hash import conditions_text, hash_document
from ewp.model import Iia
from ewp.reader import read_get_response
from ewp.writer import get_response
from tests.dbstate import snapshot
from tests.ewp.support import (
    APPROVER,
    HOME,
    HOME_HEI,
    OFFICER,
    YEAR,
    add_condition,
    agreement,
    cli,
    history,
    seed,
)
from tests.helpers import ok, refused

EXAMPLE_HASH = "e950faa83a799cf45839e7915db88ed51575babe7845c1219dfde54ce30a61e4"
KIT_HASH = "87b33170d7a6c6d894215641f39e7b7de36501265479e5ab3922f32d5b225033"
#: the official example is uw.edu.pl's copy; hibo.no is its partner
AS_HIBO = {"HAMKOR_INSTITUTION_HEI_ID": "hibo.no"}


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def _body(text: str) -> str:
    """A text-to-hash without its two iia-ids: the conditions part."""
    assert text.startswith("_iia-id_1=")
    return text[text.index("_", text.index("_iia-id_2=") + len("_iia-id_2=")) + 1:]


def _active_with_conditions(db_url: str) -> str:
    ref = agreement(db_url, state="active")
    add_condition(db_url, ref, "--months", "5", "--isced", "0714:Mechatronics & robotics",
                  "--eqf", "7")
    add_condition(db_url, ref, "--days", "10", "--info", "Autumn <intensive> course",
                  kind="staff-teacher", sending="polito.it", receiving=HOME_HEI)
    return ref


# --- ewp hash ---------------------------------------------------------------------------


def test_hash_prints_each_iia_and_exits_0_when_all_match(data_dir: Path) -> None:
    r = ok(cli(None, "ewp", "hash", str(data_dir / "get-response-v7.xml"), "--json"))
    assert r.json() == [{"iia_id": "0f7a5682-faf7-49a7-9cc7-ec486c49a281", "declared": KIT_HASH,
                         "computed": KIT_HASH, "matches": True, "valid_for_approval": False}]
    table = ok(cli(None, "ewp", "hash", str(data_dir / "get-response-example.xml"))).out
    assert "0f7a5682-faf7-49a7-9cc7-ec486c49a281" in table and EXAMPLE_HASH in table
    assert table.splitlines()[1].split()[-2:] == ["yes", "yes"]


def test_hash_exits_1_naming_the_mismatching_iias_and_still_prints_them(tmp_path: Path,
                                                                        data_dir: Path) -> None:
    example = (data_dir / "get-response-example.xml").read_bytes()
    [item] = read_get_response(example)
    second = item.iia.mirrored("hibo-2")
    doc = get_response([item.iia, second]).replace(f"<iia-hash>{EXAMPLE_HASH}".encode(),
                                                   b"<iia-hash>" + b"0" * 64)
    (tmp_path / "two.xml").write_bytes(doc)

    r = refused(cli(None, "ewp", "hash", str(tmp_path / "two.xml"), "--json"),
                "declared iia-hash does not match for 0f7a5682-faf7-49a7-9cc7-ec486c49a281")
    rows = r.json()
    assert [(x["iia_id"], x["matches"]) for x in rows] == [
        ("0f7a5682-faf7-49a7-9cc7-ec486c49a281", False), ("hibo-2", True)]
    assert rows[0]["computed"] == EXAMPLE_HASH and "hibo-2" not in r.err
    assert "NO" in refused(cli(None, "ewp", "hash", str(tmp_path / "two.xml"))).out


def test_hash_of_unreadable_files_is_one_error_line(tmp_path: Path) -> None:
    (tmp_path / "bad.xml").write_text("<iias-get-response>")
    refused(cli(None, "ewp", "hash", str(tmp_path / "bad.xml")), "not well-formed XML")
    refused(cli(None, "ewp", "hash", str(tmp_path / "missing.xml")), "missing.xml")


# --- export -----------------------------------------------------------------------------


def test_export_writes_a_schema_valid_response_with_ids_codes_dates_and_hashes(
        db_url: str, no_network: None, xsd_dir: Path, tmp_path: Path) -> None:
    from ewp.schema import validate_get_response

    seed(db_url)
    ref = _active_with_conditions(db_url)
    draft = agreement(db_url)
    add_condition(db_url, draft, kind="staff-training")
    r = ok(cli(db_url, "ewp", "export", "--out", str(tmp_path / "iias.xml")))
    assert "wrote 2 IIAs" in r.out and r.err == ""
    xml = (tmp_path / "iias.xml").read_bytes()

    validate_get_response(xml, xsd_dir)  # raises when invalid
    results = hash_document(xml)
    assert all(x.matches and x.valid_for_approval for x in results)
    items = {i.iia.partners[0].iia_code: i for i in read_get_response(xml)}
    shown = ok(cli(db_url, "agreement", "show", ref, "--json")).json()
    active = items[ref].iia
    ours, theirs = active.partners
    assert (ours.hei_id, ours.iia_id, ours.iia_code) == (HOME_HEI, shown["iia_id"], ref)
    assert (theirs.hei_id, theirs.iia_id) == ("polito.it", None)
    assert ours.signing_date == theirs.signing_date == date.today()
    assert active.in_effect is True and items[draft].iia.in_effect is False
    assert [s.kind for s in active.specs] == ["student-studies", "staff-teacher"]
    assert active.specs[1].other_info == "Autumn <intensive> course"
    # the same ids on the next export (immutable), the same document
    ok(cli(db_url, "ewp", "export", ref, draft, "--out", str(tmp_path / "again.xml")))
    assert (tmp_path / "again.xml").read_bytes() == xml
    # standard output by default
    assert ok(cli(db_url, "ewp", "export", ref)).out.startswith('<?xml version="1.0"')


def test_export_skips_or_refuses_what_cannot_be_an_iia(db_url: str) -> None:
    seed(db_url)
    ok(cli(db_url, "partner", "add", "Shandong Jianzhu University", "--country", "CN",
           "--hei-id", "sdjzu.edu.cn"))
    good = agreement(db_url)
    consortium = agreement(db_url, "Politecnico di Torino", "Shandong Jianzhu University")
    no_hei = agreement(db_url, "Hiroshima University")
    withdrawn = agreement(db_url)
    ok(cli(db_url, "agreement", "advance", withdrawn, "withdraw", "--note", "x", "--by", OFFICER))

    r = ok(cli(db_url, "ewp", "export"))
    assert [i.iia.partners[0].iia_code for i in read_get_response(r.out.encode())] == [good]
    warnings = r.err.splitlines()
    assert warnings == [
        f"warning: {consortium} skipped: it has 3 parties; an IIA is bilateral (the home "
        "institution and one partner)",
        f"warning: {no_hei} skipped: partner Hiroshima University has no hei-id (set it with "
        '`hamkor partner edit "Hiroshima University" --hei-id CODE`)']
    before = snapshot(db_url)
    refused(cli(db_url, "ewp", "export", good, consortium), consortium, "3 parties")
    refused(cli(db_url, "ewp", "export", no_hei), no_hei, "Hiroshima University has no hei-id")
    refused(cli(db_url, "ewp", "export", "AGR-1999-0001"), "no agreement AGR-1999-0001")
    refused(cli(db_url, "ewp", "export", good, env={"HAMKOR_INSTITUTION_HEI_ID": ""}),
            "HAMKOR_INSTITUTION_HEI_ID is not set")
    assert snapshot(db_url) == before  # no IIA id was given out by the refused exports
    assert read_get_response(ok(cli(db_url, "ewp", "export", withdrawn)).out.encode())


def test_an_agreement_terminated_before_its_first_academic_year_is_terminated_as_a_whole(
        db_url: str) -> None:
    seed(db_url)
    later = agreement(db_url, state="active")
    ok(cli(db_url, "agreement", "conditions", "add", later, "--kind", "staff-training", "--from",
           HOME, "--to", "polito.it", "--years", f"{YEAR + 1}/{YEAR + 2}", "--mobilities", "1",
           "--by", OFFICER))
    started = agreement(db_url, state="active")
    add_condition(db_url, started, kind="staff-training")  # its first year has begun
    for ref in (later, started):
        ok(cli(db_url, "agreement", "advance", ref, "terminate", "--note", "ended", "--by", OFFICER))

    xml = ok(cli(db_url, "ewp", "export", later, started)).out.encode()
    root = ET.fromstring(xml)
    coop = [iia.find("{*}cooperation-conditions") for iia in root]
    assert coop[0] is not None and coop[0].get("terminated-as-a-whole") == "true"
    assert coop[1] is not None and coop[1].get("terminated-as-a-whole") is None
    assert conditions_text(root[0]).startswith("_@terminated-as-a-whole@__iia-id_1=")
    assert all(r.matches for r in hash_document(xml))


# --- import -----------------------------------------------------------------------------


def test_a_partners_file_is_imported_completely_and_our_copy_hashes_the_same_conditions(
        db_url: str, data_dir: Path) -> None:
    example = data_dir / "get-response-example.xml"
    out = ok(cli(db_url, "ewp", "import", str(example), "--json", env=AS_HIBO)).json()
    assert out["created"] == 1 and (out["updated"], out["unchanged"]) == (0, 0)
    [ref] = out["agreements"]
    assert out["partners_created"] == ["uw.edu.pl"] and out["warnings"] == []

    a = ok(cli(db_url, "agreement", "show", ref, "--json", env=AS_HIBO)).json()
    assert a["iia_id"] == "1954991"  # our id from the file: the mapping survives
    assert a["partner_iia_id"] == "0f7a5682-faf7-49a7-9cc7-ec486c49a281"
    assert (a["starts_on"], a["expires_on"], a["state"]) == ("2014-09-01", "2021-08-31", "expired")
    assert [(p["name"], p["country"]) for p in a["parties"]] == [(HOME, "UZ"), ("uw.edu.pl", "PL")]
    assert [c["kind"] for c in a["conditions"]] == [
        "student-studies", "student-traineeship", "staff-teacher", "staff-teacher", "staff-training"]
    assert a["conditions"][0]["languages"] == [{"language": "en", "level": "B1"},
                                               {"language": "no", "level": "B1"}]
    assert a["conditions"][3]["receiving_ounit_id"] == "140"
    assert a["forms"] == ["student exchange", "internship", "staff exchange"]
    [event] = history(db_url, ref)
    assert (event["event"], event["from_state"], event["to_state"]) == ("import", None, "expired")
    assert event["occurred_on"] == "2021-09-01"  # the day its state began

    ours = ok(cli(db_url, "ewp", "export", ref, env=AS_HIBO)).out.encode()
    assert _body(conditions_text(ET.fromstring(ours)[0])) == _body(
        conditions_text(ET.fromstring(example.read_bytes())[0]))
    [status] = ok(cli(db_url, "ewp", "status", ref, "--json", env=AS_HIBO)).json()
    assert status["partner_hash"] == EXAMPLE_HASH and status["partner_valid_for_approval"]

    before = snapshot(db_url)
    again = ok(cli(db_url, "ewp", "import", str(example), "--json", env=AS_HIBO)).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 1)
    assert again["agreements"] == [ref]
    assert snapshot(db_url) == before  # re-importing changes nothing


def test_a_dry_run_reports_and_writes_nothing(db_url: str, data_dir: Path) -> None:
    before = snapshot(db_url)
    r = ok(cli(db_url, "ewp", "import", str(data_dir / "get-response-example.xml"), "--dry-run",
               env=AS_HIBO))
    assert "1 would be created" in r.out
    assert snapshot(db_url) == before


def test_one_mismatching_hash_refuses_the_whole_file(db_url: str, tmp_path: Path,
                                                     data_dir: Path) -> None:
    [item] = read_get_response((data_dir / "get-response-example.xml").read_bytes())
    other = item.iia.mirrored("second-iia")  # hibo.no first: a valid IIA of ours too
    doc = get_response([other, item.iia]).replace(f"<iia-hash>{EXAMPLE_HASH}".encode(),
                                                  b"<iia-hash>" + b"1" * 64)
    (tmp_path / "file.xml").write_bytes(doc)
    before = snapshot(db_url)
    refused(cli(db_url, "ewp", "import", str(tmp_path / "file.xml"), env=AS_HIBO),
            "does not match the conditions for iia-id 0f7a5682-faf7-49a7-9cc7-ec486c49a281",
            "whole file is refused")
    assert snapshot(db_url) == before


def test_an_iia_that_is_not_ours_or_not_v7_is_refused(db_url: str, data_dir: Path,
                                                       tmp_path: Path) -> None:
    before = snapshot(db_url)
    refused(cli(db_url, "ewp", "import", str(data_dir / "get-response-example.xml")),
            "neither partner is ttpu.uz")
    (tmp_path / "approval.xml").write_bytes((data_dir / "approval-response-example.xml").read_bytes())
    refused(cli(db_url, "ewp", "import", str(tmp_path / "approval.xml")),
            "not an IIAs API v7 get response")
    assert snapshot(db_url) == before


def test_the_partners_copy_of_our_iia_maps_it_and_a_change_of_theirs_is_an_amendment(
        db_url: str, tmp_path: Path) -> None:
    seed(db_url)
    ref = _active_with_conditions(db_url)
    ours = ok(cli(db_url, "ewp", "export", ref)).out.encode()
    our_id = read_get_response(ours)[0].iia.partners[0].iia_id
    assert our_id is not None
    theirs = partner_copy(ours, {our_id: "polito-17"}, {our_id: "PoliTo/17"})
    (tmp_path / "theirs.xml").write_bytes(theirs)

    out = ok(cli(db_url, "ewp", "import", str(tmp_path / "theirs.xml"), "--json")).json()
    assert (out["created"], out["updated"], out["agreements"]) == (0, 1, [ref])
    shown = ok(cli(db_url, "agreement", "show", ref, "--json")).json()
    assert (shown["iia_id"], shown["partner_iia_id"]) == (our_id, "polito-17")
    assert shown["state"] == "active" and len(shown["conditions"]) == 2
    last = history(db_url, ref)[-1]
    assert last["event"] == "import" and "mapped to polito.it iia-id polito-17" in last["note"]

    # the partner raises the places of the first spec: their conditions become ours, amended
    changed = theirs.replace(b"<mobilities-per-year>2</mobilities-per-year>",
                             b"<mobilities-per-year>4</mobilities-per-year>", 1)
    [item] = read_get_response(changed.replace(read_get_response(theirs)[0].computed.encode(),
                                               b"0" * 64))
    fixed = get_response([item.iia])
    (tmp_path / "changed.xml").write_bytes(fixed)
    before_hash = ok(cli(db_url, "ewp", "status", ref, "--json")).json()[0]["hash"]
    out = ok(cli(db_url, "ewp", "import", str(tmp_path / "changed.xml"), "--json")).json()
    assert out["updated"] == 1
    after = ok(cli(db_url, "ewp", "status", ref, "--json")).json()[0]
    last = history(db_url, ref)[-1]
    assert last["event"] == "amend"
    assert f"iia-hash {before_hash} -> {after['hash']}" in last["note"]
    conditions = ok(cli(db_url, "agreement", "conditions", "list", ref, "--json")).json()
    assert conditions[0]["mobilities_per_year"] == 4


def test_a_partners_change_to_a_closed_agreement_is_refused(db_url: str, tmp_path: Path) -> None:
    seed(db_url)
    ref = _active_with_conditions(db_url)
    ours = ok(cli(db_url, "ewp", "export", ref)).out.encode()
    our_id = read_get_response(ours)[0].iia.partners[0].iia_id or ""
    theirs = partner_copy(ours, {our_id: "polito-17"})
    ok(cli(db_url, "agreement", "advance", ref, "terminate", "--note", "closed", "--by", OFFICER))
    [item] = read_get_response(theirs)
    changed = Iia(item.iia.partners, True, item.iia.specs[:1])
    (tmp_path / "changed.xml").write_bytes(get_response([changed]))
    before = snapshot(db_url)
    refused(cli(db_url, "ewp", "import", str(tmp_path / "changed.xml")),
            "iia polito-17", "in state terminated: the agreement is closed")
    assert snapshot(db_url) == before


# --- approvals --------------------------------------------------------------------------


def test_approval_round_trip_to_mutual_and_an_amendment_makes_the_partners_stale(
        db_url: str, tmp_path: Path, xsd_dir: Path, no_network: None) -> None:
    from ewp.schema import validate_approval_response

    seed(db_url)
    ref = _active_with_conditions(db_url)
    refused(cli(db_url, "ewp", "approve", ref, "--by", APPROVER), "no partner copy to approve")
    ours = ok(cli(db_url, "ewp", "export", ref)).out.encode()
    our_id = read_get_response(ours)[0].iia.partners[0].iia_id or ""
    theirs = partner_copy(ours, {our_id: "polito-17"})
    (tmp_path / "theirs.xml").write_bytes(theirs)
    ok(cli(db_url, "ewp", "import", str(tmp_path / "theirs.xml")))
    partner_hash = read_get_response(theirs)[0].computed

    before = snapshot(db_url)
    refused(cli(db_url, "ewp", "approve", ref, "--by", OFFICER), "may not approve EWP IIAs")
    assert snapshot(db_url) == before
    out = ok(cli(db_url, "ewp", "approve", ref, "--by", APPROVER, "--json")).json()
    assert out["recorded"] and out["iia_hash"] == partner_hash
    assert "already approved" in ok(cli(db_url, "ewp", "approve", ref, "--by", APPROVER)).out

    ok(cli(db_url, "ewp", "approvals", "export", "--out", str(tmp_path / "ours-approvals.xml")))
    approvals_xml = (tmp_path / "ours-approvals.xml").read_bytes()
    validate_approval_response(approvals_xml, xsd_dir)  # raises when invalid
    assert b"<iia-id>polito-17</iia-id>" in approvals_xml
    assert partner_hash.encode() in approvals_xml

    [row] = ok(cli(db_url, "ewp", "status", "--json")).json()
    assert (row["approved_by_us"], row["approved_by_partner"], row["mutual"]) == (True, False, False)

    # the partner approves our current copy
    current = ok(cli(db_url, "ewp", "export", ref)).out.encode()
    (tmp_path / "their-approvals.xml").write_bytes(partner_approvals(current))
    out = ok(cli(db_url, "ewp", "approvals", "import", str(tmp_path / "their-approvals.xml"),
                 "--json")).json()
    assert (out["recorded"], out["current"], out["stale"]) == (1, [ref], [])
    [row] = ok(cli(db_url, "ewp", "status", ref, "--json")).json()
    assert row == {**row, "ref": ref, "iia_id": our_id, "partner_iia_id": "polito-17",
                   "partner_hash": partner_hash, "approved_by_us": True,
                   "approved_by_partner": True, "mutual": True}
    assert row["hash"] == row["partner_approved"]
    assert "yes" in ok(cli(db_url, "ewp", "status")).out.splitlines()[1].split()[-1]

    # an amendment: new hash, the partner's approval is of the old one
    add_condition(db_url, ref, kind="staff-training")
    [row] = ok(cli(db_url, "ewp", "status", ref, "--json")).json()
    assert (row["approved_by_us"], row["approved_by_partner"], row["mutual"]) == (True, False, False)
    assert row["partner_approved"] != row["hash"]
    assert "stale" in ok(cli(db_url, "ewp", "status", ref)).out
    events = [e["event"] for e in history(db_url, ref)]
    assert events[-4:] == ["import", "ewp_approval", "ewp_partner_approval", "amend"]

    # importing the same approval again records nothing new
    before = snapshot(db_url)
    out = ok(cli(db_url, "ewp", "approvals", "import", str(tmp_path / "their-approvals.xml"),
                 "--json")).json()
    assert (out["recorded"], out["unchanged"], out["stale"]) == (0, 1, [ref])
    assert snapshot(db_url) == before


def test_approvals_of_unknown_iias_refuse_the_file(db_url: str, data_dir: Path) -> None:
    before = snapshot(db_url)
    refused(cli(db_url, "ewp", "approvals", "import", str(data_dir / "approval-response-example.xml")),
            "unknown iia-id 0f7a5682-faf7-49a7-9cc7-ec486c49a281, 82a94c1684ce-947c-7ac9-cd7f-287f065a",
            "nothing recorded")
    assert snapshot(db_url) == before


def test_a_copy_with_not_yet_defined_elements_cannot_be_approved(db_url: str, data_dir: Path) -> None:
    seed(db_url)
    r = ok(cli(db_url, "ewp", "import", str(data_dir / "get-response-v7.xml"), "--json",
               env=AS_HIBO))
    assert any("not valid for approval" in w for w in r.json()["warnings"])
    assert "warning: iia 0f7a5682" in r.err
    [ref] = r.json()["agreements"]
    before = snapshot(db_url)
    refused(cli(db_url, "ewp", "approve", ref, "--by", APPROVER, env=AS_HIBO),
            "not valid for approval")
    assert snapshot(db_url) == before
    [row] = ok(cli(db_url, "ewp", "status", ref, "--json", env=AS_HIBO)).json()
    assert row["partner_hash"] == KIT_HASH and row["partner_valid_for_approval"] is False
    json.dumps(row)  # plain JSON
