"""Giving notice withdraws a 'renews automatically unless notice is given' mail still waiting."""

from __future__ import annotations

from benchmarks.smtp import free_port
from tests.helpers import hamkor, ok, seed_people


def test_notice_given_cancels_the_waiting_notice_reminder(db_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HAMKOR_WORKFLOW_MAIL", "false")  # reminders alone
    monkeypatch.setenv("HAMKOR_DIGEST_DAY", "off")
    seed_people(db_url)
    env = {"HAMKOR_MAIL_BACKEND": "smtp", "HAMKOR_SMTP_HOST": "127.0.0.1",
           "HAMKOR_SMTP_PORT": str(free_port())}  # nothing listens: the mail server is down
    ref = ok(hamkor(db_url, "agreement", "create", "--title", "Tacit", "--partner",
                    "Hiroshima University", "--type", "exchange", "--owner", "olga@uni.uz",
                    "--starts", "2024-01-01", "--months", "24", "--auto-renew", "--renewal-months",
                    "12", "--notice-days", "60", "--by", "olga@uni.uz", "--on", "2023-11-01")).out.strip()
    for event, by, extra in [("submit", "olga@uni.uz", []), ("approve", "anvar@uni.uz", []),
                             ("send_for_signature", "olga@uni.uz", []),
                             ("sign", "olga@uni.uz", ["--party", "Hiroshima University"]),
                             ("sign", "olga@uni.uz", ["--party", "Home University"]),
                             ("activate", "olga@uni.uz", ["--on", "2024-01-01"])]:
        on = [] if "--on" in extra else ["--on", "2023-11-02"]
        ok(hamkor(db_url, "agreement", "advance", ref, event, "--by", by, *on, *extra))
    # 30 days before the notice deadline (2025-11-01): the notice reminder is queued, mail is down.
    tick = ok(hamkor(db_url, "tick", "--now", "2025-10-02T08:00", "--json", env=env)).json()
    assert tick["enqueued"]["notice"] == 1 and tick["sent"] == 0
    waiting = [r for r in ok(hamkor(db_url, "outbox", "list", "--kind", "reminder", "--json")).json() if r["status"] != "skipped"]
    assert [(r["rule"], r["status"]) for r in waiting] == [("notice", "failed")]
    ok(hamkor(db_url, "agreement", "advance", ref, "give_notice", "--by", "olga@uni.uz",
              "--note", "we end the exchange", "--on", "2025-10-03"))
    after = [r for r in ok(hamkor(db_url, "outbox", "list", "--kind", "reminder", "--json")).json() if r["status"] != "skipped"]
    assert [(r["rule"], r["status"], r["id"]) for r in after] == [("notice", "cancelled", waiting[0]["id"])]
