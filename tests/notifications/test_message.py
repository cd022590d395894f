"""An outbox row as an email: what a mail client decodes is exactly what was queued."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser

from notifications.message import build_message, recipients
from notifications.outbox import Claimed

TEXT = "Hurmatli Olga,\n\nAGR-2024-0001 «Talaba almashinuvi» 31.12.2026 da tugaydi — Oʻzbekiston.\n"


def claimed(**over: object) -> Claimed:
    values: dict[str, object] = dict(
        id=7, key="12:1:renewal:30", attempts=1, to_addr="olga@uni.uz", cc=("anvar@uni.uz",),
        subject="AGR-2024-0001 muddati 30 kundan keyin tugaydi — Oʻzbekiston",
        body_text=TEXT, body_html="<p>" + TEXT.replace("\n", "<br>") + "</p>",
        message_id="<12.1.renewal.30@hamkor>", created_at=datetime(2026, 12, 1, 8, tzinfo=UTC))
    values.update(over)
    return Claimed(**values)  # type: ignore[arg-type]


def parsed(c: Claimed, mail_from: str = "Xalqaro boʻlim <intl@uni.uz>"):  # type: ignore[no-untyped-def]
    return BytesParser(policy=policy.default).parsebytes(build_message(c, mail_from).as_bytes())


def test_non_ascii_subject_and_sender_name_decode_to_what_was_queued() -> None:
    msg = parsed(claimed())
    assert msg["Subject"] == claimed().subject
    (sender,) = msg["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Xalqaro boʻlim", "intl@uni.uz")
    assert (msg["To"], msg["Cc"]) == ("olga@uni.uz", "anvar@uni.uz")
    assert msg["Message-ID"] == "<12.1.renewal.30@hamkor>"
    assert msg["Date"].datetime == datetime(2026, 12, 1, 8, tzinfo=UTC)
    assert (msg["Auto-Submitted"], msg["X-Hamkor-Key"]) == ("auto-generated", "12:1:renewal:30")


def test_text_and_html_alternatives_are_quoted_printable_utf8_and_decode_exactly() -> None:
    msg = parsed(claimed())
    assert msg.get_content_type() == "multipart/alternative"
    plain, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content() == TEXT
    assert html.get_content() == claimed().body_html
    for part in (plain, html):
        assert part["Content-Transfer-Encoding"] == "quoted-printable"
        assert part.get_content_charset() == "utf-8"
    # Readable as text (console backend, .eml files): ASCII words stay as they are.
    assert b"AGR-2024-0001" in build_message(claimed(), "intl@uni.uz").as_bytes()


def test_a_row_without_html_is_a_single_text_part() -> None:
    msg = parsed(claimed(body_html=None))
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content() == TEXT


def test_recipients_are_to_then_cc_without_case_insensitive_duplicates() -> None:
    assert recipients(claimed(cc=("OLGA@uni.uz", "anvar@uni.uz", "", "Anvar@Uni.uz"))) == [
        "olga@uni.uz", "anvar@uni.uz"]
