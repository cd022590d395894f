"""The fast path (model -> text-to-hash, model -> XML) agrees with the XSLT port, and the
reader gives back what the writer wrote."""

from __future__ import annotations

import socket
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ewp.iia_hash import conditions_text, hash_document
from ewp.model import (
    KINDS,
    STUDENT_KINDS,
    Iia,
    LanguageSkill,
    Partner,
    Spec,
    SubjectArea,
    hash_of,
    text_to_hash,
)
from ewp.reader import read_approval_response, read_get_response
from ewp.writer import Approval, approval_response, get_response, iia_xml

# XML-writable text, including the characters that need care: & < > " ' \r \t \n, spaces
_text = st.text(st.characters(codec="utf-8", exclude_characters=(
    [chr(c) for c in range(0x20) if c not in (9, 10, 13)] + ["\ufffe", "\uffff"])), max_size=12)
_ident = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20)
_year = st.integers(2000, 2040).map(lambda y: f"{y}/{y + 1}")
_subject = st.builds(SubjectArea, st.sampled_from(["0314", "0613", "0714", "9999"]),
                     st.none() | _text, st.none() | st.sampled_from(["031", "07", "1"]))
_language = st.builds(LanguageSkill, st.sampled_from(["en", "it", "uz", "en-GB"]),
                      st.none() | st.sampled_from(["A1", "B2", "C2"]), st.none() | _subject)
_decimal = st.sampled_from(["5", "4.5", "0.25", "12"])


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    kind = draw(st.sampled_from(KINDS))
    sending, receiving = draw(st.permutations(["uw.edu.pl", "hibo.no"]))
    first, last = sorted([draw(_year), draw(_year)])
    student = kind in STUDENT_KINDS
    return Spec(
        kind=kind, sending_hei_id=sending, receiving_hei_id=receiving, first_year=first,
        last_year=last, mobilities_per_year=draw(st.integers(1, 99)),
        sending_ounit_id=draw(st.none() | _ident), receiving_ounit_id=draw(st.none() | _ident),
        languages=tuple(draw(st.lists(_language, min_size=1, max_size=3))),
        subject_areas=tuple(draw(st.lists(_subject, max_size=3))),
        other_info=draw(st.none() | _text), total=draw(st.none() | _decimal),
        blended=draw(st.booleans()) if student else False,
        eqf_levels=tuple(draw(st.lists(st.integers(1, 8), max_size=3))) if student else (),
    )


iias = st.builds(
    Iia,
    partners=st.tuples(
        st.builds(Partner, st.just("uw.edu.pl"), _ident, st.none() | _text,
                  st.none() | _ident, st.none() | st.dates(date(2000, 1, 1), date(2040, 1, 1))),
        st.builds(Partner, st.just("hibo.no"), st.none() | _ident)),
    in_effect=st.booleans(),
    specs=st.lists(specs(), max_size=5).map(tuple),
    terminated=st.booleans(),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(iias)
def test_written_iia_hashes_by_the_xslt_port_to_the_model_hash(iia: Iia) -> None:
    [result] = hash_document(get_response([iia]))

    assert result.computed == hash_of(iia)
    assert result.matches and result.declared == hash_of(iia)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(iias)
def test_the_reader_gives_back_what_the_writer_wrote(iia: Iia) -> None:
    [read] = read_get_response(get_response([iia]))

    assert read.iia == Iia(iia.partners, iia.in_effect, tuple(iia.ordered_specs()), iia.terminated)
    assert read.matches
    assert read.valid_for_approval == all(
        sa.v6_value is None for sp in iia.specs
        for sa in (*sp.subject_areas, *(lang.subject_area for lang in sp.languages if lang.subject_area)))


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(iias, min_size=1, max_size=3))
def test_written_responses_validate_against_the_official_v7_schema(no_network: None, xsd_dir: Path, many: list[Iia]) -> None:
    from ewp.schema import validate_get_response

    validate_get_response(get_response(many), xsd_dir)  # raises when invalid


def test_schema_order_groups_kinds_and_keeps_stored_order_within_a_kind() -> None:
    def spec(kind: str, n: int) -> Spec:
        return Spec(kind, "a.eu", "b.eu", "2025/2026", "2025/2026", n,
                    languages=(LanguageSkill("en"),))

    iia = Iia((Partner("a.eu", "1"), Partner("b.eu")), True,
              (spec("staff-training", 1), spec("student-studies", 2), spec("staff-teacher", 3),
               spec("student-studies", 4)))

    assert [(s.kind, s.mobilities_per_year) for s in iia.ordered_specs()] == [
        ("student-studies", 2), ("student-studies", 4), ("staff-teacher", 3), ("staff-training", 1)]
    text = text_to_hash(iia)
    assert text.index("mobilities-per-year=2_") < text.index("mobilities-per-year=4_") \
        < text.index("mobilities-per-year=3_") < text.index("mobilities-per-year=1_")


def test_ampersand_angle_brackets_and_carriage_returns_survive_and_hash_unescaped() -> None:
    iia = Iia((Partner("a.eu", "A&B"), Partner("b.eu")), False,
              (Spec("staff-training", "a.eu", "b.eu", "2025/2026", "2025/2026", 1,
                    other_info="Fees & <grants>\r\nline two"),))
    xml = get_response([iia])

    assert b"Fees &amp; &lt;grants&gt;&#13;\nline two" in xml
    [read] = read_get_response(xml)
    assert read.iia.specs[0].other_info == "Fees & <grants>\r\nline two"
    assert "_iia-id_1=A&B_" in text_to_hash(iia)
    assert "other-info-terms=Fees & <grants>\r\nline two_" in text_to_hash(iia)
    assert hash_document(xml)[0].computed == hash_of(iia)


def test_a_character_xml_cannot_carry_is_refused_when_writing() -> None:
    iia = Iia((Partner("a.eu", "1"), Partner("b.eu")), False,
              (Spec("staff-training", "a.eu", "b.eu", "2025/2026", "2025/2026", 1,
                    other_info="bell \x07"),))

    with pytest.raises(ValueError, match="U\\+0007"):
        iia_xml(iia)


def test_mirrored_iia_puts_the_other_partner_first_with_its_own_id() -> None:
    iia = Iia((Partner("a.eu", "ours", "AGR-1"), Partner("b.eu")), True)

    theirs = iia.mirrored("theirs-7", iia_code="B/7")

    assert theirs.partners == (Partner("b.eu", "theirs-7", "B/7"), Partner("a.eu", "ours", "AGR-1"))
    assert text_to_hash(theirs) == "_iia-id_1=theirs-7__iia-id_2=ours_"


def test_model_text_equals_the_xslt_text_of_the_official_example(data_dir: Path) -> None:
    import xml.etree.ElementTree as ET

    raw = (data_dir / "get-response-example.xml").read_bytes()
    [read] = read_get_response(raw)

    assert text_to_hash(read.iia) == conditions_text(ET.fromstring(raw)[0])
    assert hash_of(read.iia) == "e950faa83a799cf45839e7915db88ed51575babe7845c1219dfde54ce30a61e4"


def test_approval_responses_round_trip_and_validate(no_network: None, xsd_dir: Path) -> None:
    from ewp.schema import validate_approval_response

    approvals = [Approval("polito-17", "a" * 64), Approval("x&y", "0" * 64)]
    xml = approval_response(approvals)

    validate_approval_response(xml, xsd_dir)  # raises when invalid
    assert read_approval_response(xml) == approvals
