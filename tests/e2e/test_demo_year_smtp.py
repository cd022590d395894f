"""Issue 5's proof on the demo data: the demo's simulated days of ticks deliver every
expected reminder exactly once to a real SMTP server on loopback, on both databases."""

from __future__ import annotations

import email
from collections import Counter
from pathlib import Path

from cli.demo import MAIL_DIR, DemoRun, load_data
from root import App
from tests.tick.test_tick_kit import SmtpSink


def test_the_demo_year_delivers_each_expected_reminder_once_over_smtp(db_url: str,
                                                                      tmp_path: Path) -> None:
    data = load_data()
    sink = SmtpSink().start()
    inst = data["institution"]
    app = App(db_url, institution=inst["name"], institution_country=inst["country"],
              institution_hei_id=inst.get("hei_id"), mail_backend="smtp",
              smtp_host="127.0.0.1", smtp_port=sink.port, mail_dir=tmp_path / MAIL_DIR,
              workflow_mail=False, digest_day="off")  # the reminders alone
    try:
        DemoRun(app, data, tmp_path, db_url).all()
    finally:
        app.close()
        sink.stop()
    received = [email.message_from_bytes(raw) for raw, _rcpt, _peer in sink.received]
    ids = Counter(m["Message-ID"] for m in received)
    assert ids and all(n == 1 for n in ids.values()), ids.most_common(3)
    expected = Counter((a["key"], m["rule"]) for a in data["agreements"] for m in a.get("mails", []))
    # the approvers' own copies (keys ending ':cc:<user>') come beside the owner's messages
    owners = [m for m in received if ":cc:" not in m["X-Hamkor-Key"]]
    assert len(owners) == sum(expected.values())
    got_rules = Counter(m["X-Hamkor-Key"].split(":")[2] for m in owners)
    assert got_rules == Counter(rule for (_key, rule) in expected.elements())
    assert not list((tmp_path / MAIL_DIR).glob("*.eml"))  # nothing went to the file backend
