"""HAMKOR_REQUIRE_SIGNED_COPY: no activation, manual or in the tick, until a signed copy is attached."""

from __future__ import annotations

from pathlib import Path

from tests.documents.samples import PDF, write
from tests.helpers import hamkor, ok, refused
from tests.tick.test_tick_kit import OWNER, World


def attach_on(w: World, ref: str, path: Path, day: str, tmp_path: Path) -> None:
    """A signed copy attached on a scenario date (the service with that day's clock)."""
    from documents.attachments import Upload, attach, store_from
    from tests.conftest import clock_on

    attach(w.uow(), clock_on(day), store_from(w.app.settings.model_copy(
        update={"files_dir": tmp_path / "store"})), ref, path, Upload(path.name, "signed-copy"),
        by=OWNER, limit_mb=25)


def _env(tmp_path: Path, required: bool = True) -> dict[str, str]:
    return {"HAMKOR_FILES_DIR": str(tmp_path / "store"),
            "HAMKOR_REQUIRE_SIGNED_COPY": "true" if required else "false",
            "HAMKOR_MAIL_BACKEND": "file", "HAMKOR_MAIL_DIR": str(tmp_path / "mail")}


def test_manual_activation_is_refused_until_a_signed_copy_is_attached(db_url: str, tmp_path: Path) -> None:
    w = World(db_url)
    try:
        ref = w.signed("Exchange", on="2026-01-05", starts="2026-01-01", expires="2030-12-31")
        env = _env(tmp_path)
        shown = ok(hamkor(db_url, "agreement", "show", ref, "--by", OWNER, "--json", env=env)).json()
        act = next(e for e in shown["next_events"] if e["event"] == "activate")
        assert not act["allowed"] and "no signed copy" in act["reason"]
        before = ok(hamkor(db_url, "agreement", "history", ref, "--json")).json()
        refused(hamkor(db_url, "agreement", "advance", ref, "activate", "--by", OWNER, env=env),
                "cannot activate", "no signed copy", "HAMKOR_REQUIRE_SIGNED_COPY")
        assert ok(hamkor(db_url, "agreement", "history", ref, "--json")).json() == before
        # A draft or a removed signed copy does not count.
        draft = ok(hamkor(db_url, "agreement", "attach", ref, str(write(tmp_path / "d.pdf", PDF)),
                          "--kind", "draft", "--by", OWNER, "--json", env=env)).json()
        copy = ok(hamkor(db_url, "agreement", "attach", ref, str(write(tmp_path / "s.pdf", PDF)),
                         "--kind", "signed-copy", "--by", OWNER, "--json", env=env)).json()
        assert draft["sha256"] == copy["sha256"]
        ok(hamkor(db_url, "agreement", "detach", ref, str(copy["id"]), "--reason", "wrong scan",
                  "--by", OWNER, env=env))
        refused(hamkor(db_url, "agreement", "advance", ref, "activate", "--by", OWNER, env=env),
                "no signed copy")
        ok(hamkor(db_url, "agreement", "attach", ref, str(write(tmp_path / "s2.pdf", PDF + b"%2\n")),
                  "--kind", "signed-copy", "--by", OWNER, env=env))
        out = ok(hamkor(db_url, "agreement", "advance", ref, "activate", "--by", OWNER, env=env)).out
        assert "-> active" in out
        # Without the setting nothing is required.
        other = w.signed("Other", on="2026-01-05", starts="2026-01-01", expires="2030-12-31")
        ok(hamkor(db_url, "agreement", "advance", other, "activate", "--by", OWNER,
                  env=_env(tmp_path, required=False)))
    finally:
        w.close()


def test_the_tick_does_not_activate_without_a_signed_copy_and_does_once_one_is_attached(
        db_url: str, tmp_path: Path) -> None:
    w = World(db_url)
    try:
        env = _env(tmp_path)
        ref = w.signed("Exchange", on="2026-01-05", starts="2026-02-01", expires="2030-12-31")
        report = w.tick("2026-02-01", env=env)
        assert report["transitions"]["activate"] == 0 and w.state(ref)["state"] == "signed"
        report = w.tick("2026-02-02", env=env)
        assert report["transitions"]["activate"] == 0 and w.state(ref)["state"] == "signed"
        attach_on(w, ref, write(tmp_path / "s.pdf", PDF), "2026-02-02", tmp_path)
        report = w.tick("2026-02-03", env=env)
        assert report["transitions"]["activate"] == 1
        history = ok(hamkor(db_url, "agreement", "history", ref, "--json")).json()
        # In force from the day its signed copy arrived (its start had passed by then).
        assert [(h["event"], h["occurred_on"]) for h in history if h["event"] == "activate"] == [
            ("activate", "2026-02-02")]
    finally:
        w.close()


def test_a_predecessor_does_not_wait_for_a_successor_blocked_by_the_guard(db_url: str, tmp_path: Path) -> None:
    """The successor cannot activate (no signed copy): the predecessor expires on time."""
    w = World(db_url)
    try:
        env = _env(tmp_path)
        old = w.signed("Old", on="2025-01-05", starts="2025-01-10", expires="2026-03-31")
        attach_on(w, old, write(tmp_path / "s.pdf", PDF), "2025-01-06", tmp_path)
        w.tick("2025-01-10", env=env)
        assert w.state(old)["state"] == "active"
        new = w.renew(old, on="2026-01-10")
        w.send_for_signature(new, on="2026-01-10")
        w.sign(new, on="2026-01-10")
        w.tick("2026-04-02", env=env)
        assert w.state(old)["state"] == "expired"
        assert w.state(new)["state"] == "signed"
    finally:
        w.close()


def test_the_annual_report_counts_agreements_in_force_without_a_signed_copy(
        db_url: str, tmp_path: Path) -> None:
    from sqlalchemy.orm import Session

    from models.database import make_engine
    from reports.data import annual_data
    from tests.conftest import clock_on

    w = World(db_url)
    try:
        env = _env(tmp_path, required=False)
        with_copy = w.signed("With copy", on="2025-01-05", starts="2025-01-10", expires="2029-12-31")
        without = w.signed("Without", on="2025-01-05", starts="2025-01-10", expires="2029-12-31")
        attach_on(w, with_copy, write(tmp_path / "s.pdf", PDF), "2025-01-06", tmp_path)
        w.tick("2025-01-10", env=env)
        engine = make_engine(db_url)
        try:
            with Session(engine) as s:
                d = annual_data(s, 2025, clock_on("2026-02-01").today, institution="Home University")
        finally:
            engine.dispose()
        assert d["summary"]["active"] == 2 and d["summary"]["without_signed_copy"] == 1
        assert d["without_signed_copy"] == [without]
        out = tmp_path / "r.md"
        ok(hamkor(db_url, "report", "annual", "2025", "--format", "md", "-o", str(out), env=env))
        assert f"In force without a signed copy on file: **1** ({without})" in out.read_text()
    finally:
        w.close()
