"""Every mail kind renders (subject, text, HTML) in every language, with links, and
nothing in a mail is left untranslated."""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from config import ConfigError
from notifications import catalogs
from notifications.compose import KINDS, PARTS, REMINDER_KINDS, WORKFLOW_KINDS, Templates
from notifications.context import (
    AgreementView,
    Happening,
    Occasion,
    Recipient,
    context_for,
    digest_context,
    quota_context,
    workflow_context,
)
from notifications.digest import _Item, _sections
from notifications.i18n import LANGUAGES
from notifications.links import Links
from workflow.reminders import Rule

D = date.fromisoformat
BASE = "https://hamkor.example.uz"
VIEW = AgreementView(
    ref="AGR-2025-0007", title="Exchange <Erasmus+> & staff mobility", type="double_degree",
    term=2, parties=("Home University", "Hiroshima University", "Politecnico di Torino"),
    owner_name="Olga", owner_email="olga@uni.uz", department="Engineering",
    starts_on=D("2025-03-01"), expires_on=D("2028-02-29"), renewal_months=12, notice_days=60,
    unsigned_parties=("Politecnico di Torino",), state_since=D("2025-01-31"),
    ends_on=None,
)
OCCASIONS = {
    Rule.RENEWAL: Occasion(Rule.RENEWAL, 30, D("2028-01-30"), D("2028-02-29")),
    Rule.NOTICE: Occasion(Rule.NOTICE, 7, D("2027-12-24"), D("2027-12-31"), final=True,
                          escalated=True),
    Rule.SIGNATURE: Occasion(Rule.SIGNATURE, 28, D("2025-02-28")),
    Rule.EXPIRED: Occasion(Rule.EXPIRED, 0, D("2028-03-01")),
}
NOTE = "Please attach the <annex> & fix the dates"
ITEMS = [_Item("approval", D("2025-01-30"), "AGR-2025-0009", "Joint lab"),
         _Item("signatures", D("2025-01-10"), "AGR-2025-0007", "Exchange", ("Politecnico di Torino",)),
         _Item("expiring", D("2025-03-31"), "AGR-2020-0001", "Old MoU"),
         _Item("notice", D("2025-02-28"), "AGR-2021-0002", "Tacit"),
         _Item("returned", D("2025-02-01"), "AGR-2025-0011", "Draft")]
#: Words a mail may carry untranslated: data, codes and the product's name.
DATA = {"Olga", "Exchange", "Erasmus", "staff", "mobility", "Hiroshima", "University", "Politecnico",
        "di", "Torino", "Home", "Engineering", "Please", "attach", "the", "annex", "fix", "dates",
        "Hamkor", "AGR", "hamkor", "example",
        "uz", "https", "agreements", "act", "renew", "give_notice", "sign", "approve", "edit",
        "send_for_signature", "Ali", "Vali", "html", "DOCTYPE", "charset", "utf", "meta", "lang",
        "en", "ru", "colleague", "student", "studies"}


def render(kind: str, lang: str = "en", *, templates: Templates | None = None,
           view: AgreementView = VIEW, links: Links | None = None,
           recipient: Recipient | None = None) -> tuple[str, str, str]:
    links = Links(BASE) if links is None else links
    r = recipient or Recipient("olga@uni.uz", "Olga", lang, 1)
    ctx: dict[str, Any]
    if kind in REMINDER_KINDS:
        ctx = context_for(view, OCCASIONS[Rule(kind)], "Home University", links, r)
    elif kind in WORKFLOW_KINDS:
        h = Happening(kind, "Vali Aliyev", D("2025-02-01"), NOTE)
        ctx = workflow_context(view, h, "Home University", links, r)
    elif kind == "password_link":
        from datetime import UTC, datetime

        from notifications.account_mail import link_context

        # The institution's name holds markup: the HTML must escape it.
        ctx = link_context(r, f"{BASE}/password/TOKEN", "invite", datetime(2025, 2, 4, 12, tzinfo=UTC),
                           VIEW.title, UTC)
    elif kind == "quota":
        rows = [{"direction": "out", "kind": "student-studies", "agreed": {"mobilities": 4},
                 "used": {"mobilities": 1}, "gap": 3}]
        ctx = quota_context(view, D("2026-03-01"), "Home University", links, r,
                            academic_year="2025/2026", year_ends_on=D("2026-08-31"), rows=rows)
    else:
        sections = _sections(ITEMS, lang, links)
        ctx = digest_context(sections, D("2025-02-03"), len(ITEMS), "Home University", links, r)
    return (templates or Templates())(kind, ctx, lang)


@cache
def _catalog() -> list[Any]:
    return list(catalogs.template_catalog())


ALL = [(k, lang) for k in KINDS for lang in LANGUAGES]


@pytest.mark.parametrize(("kind", "lang"), ALL)
def test_every_kind_renders_in_every_language_with_a_link_and_no_commands(kind: str, lang: str) -> None:
    subject, text, html = render(kind, lang)
    assert subject and "\n" not in subject
    assert html.lstrip().startswith("<!DOCTYPE html>") and f'<html lang="{lang}">' in html
    page = {"digest": "/", "password_link": "/password/TOKEN"}.get(kind, "/agreements/AGR-2025-0007")
    assert f"{BASE}{page}" in text and f'href="{BASE}{page}' in html
    assert "hamkor agreement" not in text + html  # no command line for staff
    assert "Olga" in text.splitlines()[0]


@pytest.mark.parametrize(("kind", "lang"), [(k, lang) for k, lang in ALL if lang != "en"])
def test_a_translated_mail_contains_no_english_sentence(kind: str, lang: str) -> None:
    """Every msgid's wording (outside its placeholders) is absent from a uz/ru mail: a
    string that the catalog lacks, or that the templates do not mark, would show in English."""
    subject, text, html = render(kind, lang)
    english, _, _ = render(kind, "en")
    assert subject != english
    out = subject + text + html
    for message in _catalog():
        for msgid in (message.id if isinstance(message.id, (tuple, list)) else (message.id,)):
            for fragment in re.split(r"%\(\w+\)[sd]", msgid):
                if len(fragment.strip()) >= 8:
                    assert fragment.strip() not in out, (lang, msgid)


def test_the_catalogs_translate_every_string_and_are_compiled() -> None:
    assert catalogs.problems() == []


def _bare_words(path: Path) -> set[str]:
    source = path.read_text()
    source = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", source, flags=re.S)
    source = re.sub(r"<[^>]+>|&\w+;", " ", source)
    return set(re.findall(r"[^\W\d_]{2,}", source)) - DATA


@pytest.mark.parametrize("path", sorted(p for p in (Path(catalogs.TEMPLATES)).rglob("*") if p.is_file()),
                         ids=lambda p: str(p.relative_to(catalogs.TEMPLATES)))
def test_no_template_has_words_outside_the_catalog(path: Path) -> None:
    """A word written in a template but not marked for translation fails here."""
    assert _bare_words(path) == set()


def test_every_kind_has_its_three_parts() -> None:
    assert set(REMINDER_KINDS) == {r.value for r in Rule}
    assert "quota" in KINDS
    for kind in KINDS:
        for part in PARTS:
            assert (Path(catalogs.TEMPLATES) / kind / part).is_file()


def test_without_a_base_url_a_mail_says_where_to_find_the_agreement() -> None:
    _, text, html = render("renewal", links=Links(None))
    assert "http" not in text and "href" not in html
    assert "Find it in Hamkor under Agreements by its reference AGR-2025-0007." in text
    assert "hamkor agreement" not in text


def test_action_links_open_the_action_on_the_agreement_page() -> None:
    for kind, action in (("renewal", "renew"), ("notice", "give_notice"), ("signature", "sign"),
                         ("submitted", "approve"), ("approved", "send_for_signature")):
        _, text, _ = render(kind)
        assert f"{BASE}/agreements/AGR-2025-0007?act={action}#act-{action}" in text, kind
    _, text, _ = render("changes_requested")
    assert f"{BASE}/agreements/AGR-2025-0007/edit" in text


@pytest.mark.parametrize("kind", KINDS)
def test_html_is_escaped_and_text_is_not(kind: str) -> None:
    _, text, html = render(kind)
    if kind != "digest":
        assert "Exchange <Erasmus+> & staff mobility" in text
        assert "Exchange &lt;Erasmus+&gt; &amp; staff mobility" in html
    assert "<Erasmus+>" not in html and "<annex>" not in html


def test_dates_are_formatted_for_the_readers_locale() -> None:
    assert "29 February 2028" in render("renewal", "en")[0]
    assert "29 февраля 2028" in render("renewal", "ru")[0]
    assert "29-fevral, 2028" in render("renewal", "uz")[0]


def test_plurals_follow_the_language() -> None:
    assert "(30 days left)" in render("renewal", "en")[0]
    assert "осталось 30 дней" in render("renewal", "ru")[0]
    late = Occasion(Rule.RENEWAL, 2, D("2028-02-27"), D("2028-02-29"))
    ctx = context_for(VIEW, late, "Home University", Links(BASE), Recipient("o@uni.uz", "Olga", "ru"))
    assert "осталось 2 дня" in Templates()("renewal", ctx, "ru")[0]


def test_the_notice_reminder_says_when_it_renews_unless_notice_is_given() -> None:
    subject, text, html = render("notice")
    phrase = "renews automatically on 1 March 2028 unless notice is given by 31 December 2027"
    assert phrase in subject and phrase in text
    assert "7 days from today" in text
    assert "until 28 February 2029" in text  # the new term if nothing is done
    assert subject.startswith("Last reminder:")
    assert "the approvers receive a copy" in html


def test_an_approvers_copy_says_why_it_was_sent() -> None:
    copy = Recipient("boss@uni.uz", "Bobur", "en", 2, copy=True)
    _, text, _ = render("renewal", recipient=copy)
    assert text.startswith("Dear Bobur,")
    assert "You receive a copy as an approver" in text


def test_the_renewal_reminder_counts_the_days_left() -> None:
    subject, text, _ = render("renewal")
    assert subject == ("AGR-2025-0007 ends on 29 February 2028 (30 days left) - "
                       "Exchange <Erasmus+> & staff mobility")
    assert "Start the renewal: " in text
    assert "last reminder" not in text


def test_the_signature_nudge_lists_who_has_not_signed() -> None:
    subject, text, html = render("signature")
    assert "waiting 28 days for signatures" in subject
    assert "  - Politecnico di Torino" in text
    assert "<li>Politecnico di Torino</li>" in html


def test_the_expiry_notice_mentions_a_successor_not_yet_in_force() -> None:
    _, alone, _ = render("expired")
    assert "No successor agreement exists" in alone
    assert "29 February 2028" in alone
    _, text, _ = render("expired", view=AgreementView(**{**VIEW.__dict__, "successor_ref": "AGR-2028-0001"}))
    assert "Its successor AGR-2028-0001 is not in force yet" in text


def test_workflow_mail_carries_the_actor_and_the_note() -> None:
    subject, text, html = render("changes_requested", "ru")
    assert subject == "По AGR-2025-0007 запрошены изменения: Exchange <Erasmus+> & staff mobility"
    assert "Vali Aliyev" in text and NOTE in text
    assert "Please attach the &lt;annex&gt; &amp; fix the dates" in html
    subject, _, _ = render("signed")
    assert subject == "AGR-2025-0007 is signed; it activates on 1 March 2025"


def test_an_override_directory_replaces_single_files(tmp_path: Path) -> None:
    (tmp_path / "renewal").mkdir()
    (tmp_path / "renewal" / "subject.txt").write_text("[Intl office] {{ agreement.ref }} ends {{ ends_on }}\n")
    subject, text, _ = render("renewal", templates=Templates(tmp_path))
    assert subject == "[Intl office] AGR-2025-0007 ends 2028-02-29"
    assert text.startswith("Dear Olga,")  # the packaged body is still used


def test_a_broken_override_names_the_template(tmp_path: Path) -> None:
    (tmp_path / "expired").mkdir()
    (tmp_path / "expired" / "body.txt").write_text("Hello {{ no_such_thing.name }}\n")
    with pytest.raises(ConfigError, match="expired/body.txt"):
        render("expired", templates=Templates(tmp_path))


def test_a_missing_override_directory_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="HAMKOR_TEMPLATES_DIR"):
        Templates(tmp_path / "nope")
