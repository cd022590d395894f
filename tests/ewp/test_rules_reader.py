"""Pure rules (years, ISCED-F, CEFR, numbers), hei-id countries, and reading partner files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ewp.identity import country_of_hei_id
from ewp.isced import DETAILED_FIELDS, is_detailed_field
from ewp.model import LanguageSkill, SubjectArea
from ewp.reader import read_approval_response, read_get_response
from ewp.rules import (
    covers,
    parse_cefr,
    parse_decimal,
    parse_eqf,
    parse_isced,
    parse_language,
    parse_years,
    term_for_years,
)
from workflow.errors import Invalid

NS = "https://github.com/erasmus-without-paper/ewp-specs-api-iias/blob/stable-v7/endpoints/get-response.xsd"


def test_isced_list_holds_the_detailed_fields_only() -> None:
    assert all(len(code) == 4 and code.isdigit() for code in DETAILED_FIELDS)
    assert DETAILED_FIELDS["0314"] == "Sociology and cultural studies"
    assert DETAILED_FIELDS["0613"] == "Software and applications development and analysis"
    assert is_detailed_field("0421") and is_detailed_field("9999")
    assert not is_detailed_field("031") and not is_detailed_field("0420") and not is_detailed_field("0315")
    assert len(DETAILED_FIELDS) > 140


@pytest.mark.parametrize(("value", "expected"), [
    ("2025/2026:2029/2030", ("2025/2026", "2029/2030")),
    ("2025/2026", ("2025/2026", "2025/2026")),
    ("2025/2025:2026/2026", ("2025/2025", "2026/2026")),
    (" 2025/2026 : 2026/2027 ", ("2025/2026", "2026/2027")),
])
def test_years_parse_as_first_and_last_academic_year(value: str, expected: tuple[str, str]) -> None:
    assert parse_years(value) == expected


@pytest.mark.parametrize(("value", "needle"), [
    ("2025/2024", "'2025/2024' is not an academic year"),
    ("2025-2026", "not an academic year"),
    ("2025/2027", "not an academic year"),
    ("2026/2027:2025/2026", "last academic year 2025/2026 is before the first 2026/2027"),
])
def test_bad_years_are_refused(value: str, needle: str) -> None:
    with pytest.raises(Invalid, match=needle):
        parse_years(value)


def test_isced_codes_are_four_digit_detailed_fields_with_optional_clarification() -> None:
    assert parse_isced("0613") == SubjectArea("0613", None)
    assert parse_isced("0714:Mechatronics: robots") == SubjectArea("0714", "Mechatronics: robots")
    assert parse_isced("0714:") == SubjectArea("0714", "")  # an empty clarification is kept
    for bad in ("031", "03140", "abcd", "0315"):
        with pytest.raises(Invalid, match="ISCED-F 2013 detailed field"):
            parse_isced(bad)


def test_languages_take_an_optional_cefr_level() -> None:
    assert parse_language("en:B2") == LanguageSkill("en", "B2")
    assert parse_language("it:c1") == LanguageSkill("it", "C1")
    assert parse_language("uz") == LanguageSkill("uz", None)
    with pytest.raises(Invalid, match="CEFR level 'D1'"):
        parse_language("en:D1")
    with pytest.raises(Invalid, match="not a language code"):
        parse_language("english language:B2")
    assert parse_cefr("a1") == "A1"


def test_numbers_eqf_and_decimals() -> None:
    assert parse_decimal("5", "--months") == "5"
    assert parse_decimal("4.50", "--months") == "4.50"  # kept as written: it is hashed
    for bad in ("0", "-1", "1.234", "five", "1e3"):
        with pytest.raises(Invalid, match="total_days") as refused:
            parse_decimal(bad, "--days")
        # The field of the rule book: the CLI names its option, the API its JSON field.
        from cli.errors import option_name

        assert refused.value.field == "total_days"
        assert refused.value.describe(option_name).startswith("--days ")
    assert parse_eqf(8) == 8
    with pytest.raises(Invalid, match="EQF level"):
        parse_eqf(9)


def test_term_runs_from_the_first_academic_year_to_the_day_before_the_one_after_the_last() -> None:
    assert term_for_years("2025/2026", "2029/2030", (9, 1)) == (date(2025, 9, 1), date(2030, 8, 31))
    assert term_for_years("2025/2025", "2026/2026", (2, 15)) == (date(2025, 2, 15), date(2027, 2, 14))


def test_an_academic_year_is_covered_by_the_years_that_include_it() -> None:
    assert covers("2025/2026", "2029/2030", 2025) and covers("2025/2026", "2029/2030", 2029)
    assert not covers("2025/2026", "2029/2030", 2024) and not covers("2025/2026", "2029/2030", 2030)


@pytest.mark.parametrize(("hei", "country"), [
    ("polito.it", "IT"), ("uw.edu.pl", "PL"), ("ox.ac.uk", "GB"), ("hibo.no", "NO"),
    ("example.eu", None), ("mit.edu", None)])
def test_a_country_code_domain_gives_the_partners_country(hei: str, country: str | None) -> None:
    assert country_of_hei_id(hei) == country


def test_the_official_example_reads_completely(data_dir: Path) -> None:
    [item] = read_get_response((data_dir / "get-response-example.xml").read_bytes())

    iia = item.iia
    assert [p.hei_id for p in iia.partners] == ["uw.edu.pl", "hibo.no"]
    assert [p.iia_id for p in iia.partners] == ["0f7a5682-faf7-49a7-9cc7-ec486c49a281", "1954991"]
    assert iia.partners[0].iia_code == "983/E+/III14&15"
    assert iia.in_effect is True and iia.terminated is False
    assert [s.kind for s in iia.specs] == ["student-studies", "student-traineeship",
                                           "staff-teacher", "staff-teacher", "staff-training"]
    first = iia.specs[0]
    assert (first.sending_ounit_id, first.receiving_ounit_id) == ("140", None)
    assert first.languages == (LanguageSkill("en", "B1"), LanguageSkill("no", "B1"))
    assert first.eqf_levels == (7, 8) and first.total == "5" and first.blended is False
    assert iia.specs[3].receiving_ounit_id == "140" and iia.specs[3].total == "14"
    assert item.matches and item.valid_for_approval and item.warnings == ()


def test_not_yet_defined_and_v6_values_are_read_with_warnings(data_dir: Path) -> None:
    [item] = read_get_response((data_dir / "get-response-v7.xml").read_bytes())

    assert item.valid_for_approval is False
    assert item.iia.specs[0].subject_areas == (
        SubjectArea("0314", "Social and behavioural sciences", "031"),)
    assert any("mobilities-per-year is not-yet-defined" in w for w in item.warnings)
    assert any("not valid for approval" in w for w in item.warnings)


def _doc(body: str) -> bytes:
    return f'<iias-get-response xmlns="{NS}">{body}</iias-get-response>'.encode()


SPEC = ("<staff-training-mobility-spec><sending-hei-id>a.eu</sending-hei-id>"
        "<receiving-hei-id>b.eu</receiving-hei-id>"
        "<receiving-first-academic-year-id>{first}</receiving-first-academic-year-id>"
        "<receiving-last-academic-year-id>2026/2027</receiving-last-academic-year-id>"
        "<mobilities-per-year>{mobilities}</mobilities-per-year>{extra}"
        "</staff-training-mobility-spec>")


def _iia(spec: str = "", partner2: str = "<hei-id>b.eu</hei-id>") -> str:
    return (f"<iia><partner><hei-id>a.eu</hei-id><iia-id>A1</iia-id></partner>"
            f"<partner>{partner2}</partner><in-effect>true</in-effect>"
            f"<cooperation-conditions>{spec}</cooperation-conditions>"
            f"<iia-hash>{'0' * 64}</iia-hash></iia>")


@pytest.mark.parametrize(("xml", "needle"), [
    (b"<iias-get-response", "not well-formed XML"),
    (b"<iias-get-response/>", "not an IIAs API v7 get response"),
    (_doc(_iia(partner2="<hei-id>a.eu</hei-id>")), "both partners are a.eu"),
    (_doc(_iia(partner2="")), "iia A1: a partner has no hei-id"),
    (_doc(_iia(SPEC.format(first="2027/2028", mobilities=1, extra=""))),
     "last academic year 2026/2027 is before the first 2027/2028"),
    (_doc(_iia(SPEC.format(first="2025/2026", mobilities=0, extra=""))),
     "mobilities-per-year '0' is not a positive whole number"),
    (_doc(_iia(SPEC.format(first="2025/2026", mobilities=1,
                           extra="<recommended-language-skill><language>en</language>"
                                 "<cefr-level>D1</cefr-level></recommended-language-skill>"))),
     "cefr-level 'D1'"),
    (_doc(_iia(SPEC.format(first="2025/2026", mobilities=1,
                           extra="<subject-area><isced-f-code>031</isced-f-code></subject-area>"))),
     "isced-f-code '031' is not 4 digits"),
    (_doc(_iia(SPEC.format(first="2025/2026", mobilities=1, extra="<blended>true</blended>"))),
     "elements of the other mobility type"),
    (_doc(_iia(SPEC.replace("b.eu</receiving", "c.eu</receiving").format(
        first="2025/2026", mobilities=1, extra=""))), "not between the two partners"),
])
def test_unusable_partner_files_are_refused_naming_the_iia(xml: bytes, needle: str) -> None:
    with pytest.raises(Invalid, match=needle.replace("(", r"\(").replace("+", r"\+")):
        read_get_response(xml)


def test_each_iia_is_kept_as_a_standalone_rehashable_response(data_dir: Path) -> None:
    from ewp.iia_hash import hash_document

    [item] = read_get_response((data_dir / "get-response-v7.xml").read_bytes())
    [again] = hash_document(item.xml)

    assert again.computed == item.computed and again.matches
    assert "Sylwia Nowak" in item.xml  # contacts are kept in the snapshot, though not hashed


def test_approval_responses_are_read_and_checked(data_dir: Path) -> None:
    approvals = read_approval_response((data_dir / "approval-response-example.xml").read_bytes())

    assert [a.iia_id for a in approvals] == ["0f7a5682-faf7-49a7-9cc7-ec486c49a281",
                                             "82a94c1684ce-947c-7ac9-cd7f-287f065a"]
    bad = (b'<iias-approval-response xmlns="https://github.com/erasmus-without-paper/'
           b'ewp-specs-api-iias-approval/tree/stable-v2"><approval><iia-id>x</iia-id>'
           b"<iia-hash>ABC</iia-hash></approval></iias-approval-response>")
    with pytest.raises(Invalid, match="not 64 lower-case hex digits"):
        read_approval_response(bad)
