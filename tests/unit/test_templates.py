"""Every email template renders (subject, text, HTML) from its context function."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from config import ConfigError
from notifications.compose import KINDS, PARTS, Templates
from notifications.context import AgreementView, Occasion, context_for
from notifications.rules import Rule

D = date.fromisoformat
VIEW = AgreementView(
    ref="AGR-2025-0007", title="Exchange <Erasmus+> & staff mobility", type="double_degree",
    term=2, parties=("Home University", "Hiroshima University", "Politecnico di Torino"),
    owner_name="Olga", owner_email="olga@uni.uz", department="Engineering",
    starts_on=D("2025-03-01"), expires_on=D("2028-02-29"), renewal_months=12, notice_days=60,
    unsigned_parties=("Politecnico di Torino",), state_since=D("2025-01-31"),
)
OCCASIONS = {
    Rule.RENEWAL: Occasion(Rule.RENEWAL, 30, D("2028-01-30"), D("2028-02-29")),
    Rule.NOTICE: Occasion(Rule.NOTICE, 7, D("2027-12-24"), D("2027-12-31"), final=True),
    Rule.SIGNATURE: Occasion(Rule.SIGNATURE, 28, D("2025-02-28")),
    Rule.EXPIRED: Occasion(Rule.EXPIRED, 0, D("2028-03-01")),
}


def render(kind: Rule, templates: Templates | None = None, view: AgreementView = VIEW) -> tuple[str, str, str]:
    ctx = context_for(view, OCCASIONS[kind], "Home University")
    return (templates or Templates())(kind.value, ctx)


@pytest.mark.parametrize("kind", list(Rule))
def test_every_template_renders_a_one_line_subject_a_text_and_an_html_body(kind: Rule) -> None:
    subject, text, html = render(kind)
    assert "\n" not in subject and "AGR-2025-0007" in subject
    assert text.startswith("Dear Olga,")
    assert "AGR-2025-0007" in text and "Hiroshima University" in text
    assert html.lstrip().startswith("<!DOCTYPE html>") and "</html>" in html
    assert "Politecnico di Torino" in html
    assert "Home University" not in text.split("\n\n")[1]  # partners, not ourselves


def test_the_kinds_are_the_reminder_rules() -> None:
    assert set(KINDS) == {r.value for r in Rule} | {"quota"}
    for kind in KINDS:
        for part in PARTS:
            assert (Path(__file__).parents[2] / "notifications" / "templates" / kind / part).is_file()


@pytest.mark.parametrize("kind", list(Rule))
def test_html_is_escaped_and_text_is_not(kind: Rule) -> None:
    _, text, html = render(kind)
    assert "Exchange <Erasmus+> & staff mobility" in text
    assert "Exchange &lt;Erasmus+&gt; &amp; staff mobility" in html
    assert "<Erasmus+>" not in html


def test_the_notice_reminder_says_when_it_renews_unless_notice_is_given() -> None:
    subject, text, html = render(Rule.NOTICE)
    phrase = "renews automatically on 1 March 2028 unless notice is given by 31 December 2027"
    assert phrase in subject
    assert phrase in " ".join(text.split())
    assert "7 days from today" in text
    assert "until 28 February 2029" in text  # the new term if nothing is done
    assert "last reminder" in text and "approvers are in copy" in html


def test_the_renewal_reminder_counts_the_days_left() -> None:
    subject, text, _ = render(Rule.RENEWAL)
    assert subject == ("AGR-2025-0007 ends on 29 February 2028 (30 days left) - "
                       "Exchange <Erasmus+> & staff mobility")
    assert "hamkor agreement renew AGR-2025-0007" in text
    assert "last reminder" not in text


def test_the_signature_nudge_lists_who_has_not_signed() -> None:
    subject, text, html = render(Rule.SIGNATURE)
    assert "waiting 28 days for signatures" in subject
    assert "  - Politecnico di Torino" in text
    assert "<li>Politecnico di Torino</li>" in html


def test_the_expiry_notice_mentions_a_successor_not_yet_in_force() -> None:
    _, alone, _ = render(Rule.EXPIRED)
    assert "No successor agreement exists" in alone
    assert "29 February 2028" in alone
    _, text, _ = render(Rule.EXPIRED, view=AgreementView(**{**VIEW.__dict__, "successor_ref": "AGR-2028-0001"}))
    assert "Its successor AGR-2028-0001 is not in force yet" in text


def test_an_override_directory_replaces_single_files(tmp_path: Path) -> None:
    (tmp_path / "renewal").mkdir()
    (tmp_path / "renewal" / "subject.txt").write_text("[Intl office] {{ agreement.ref }} ends {{ ends_on }}\n")
    subject, text, _ = render(Rule.RENEWAL, Templates(tmp_path))
    assert subject == "[Intl office] AGR-2025-0007 ends 2028-02-29"
    assert text.startswith("Dear Olga,")  # the packaged body is still used


def test_a_broken_override_names_the_template(tmp_path: Path) -> None:
    (tmp_path / "expired").mkdir()
    (tmp_path / "expired" / "body.txt").write_text("Hello {{ no_such_thing.name }}\n")
    with pytest.raises(ConfigError, match="expired/body.txt"):
        render(Rule.EXPIRED, Templates(tmp_path))


def test_a_missing_override_directory_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="HAMKOR_TEMPLATES_DIR"):
        Templates(tmp_path / "nope")
