"""Migrations: up from empty, down to base, up again; the schema equals the models."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from migrations.schema import (
    alembic_config,
    current_revision,
    downgrade,
    head_revision,
    schema_state,
    upgrade,
)
from models import metadata
from models.database import make_engine
from tests.helpers import hamkor, ok, refused


def test_upgrade_downgrade_upgrade_and_check(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert schema_state(engine) == "current"
        downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
        command.check(alembic_config(engine))  # raises when autogenerate sees a difference
    finally:
        engine.dispose()


def test_there_is_one_head_and_the_schema_check_knows_it() -> None:
    from alembic.script import ScriptDirectory

    from migrations import HEAD

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert heads == [HEAD]  # migrations.HEAD lets commands check the schema without Alembic


def test_every_migration_steps_down_and_up_one_at_a_time(sqlite_url: str) -> None:
    from alembic.script import ScriptDirectory

    engine = make_engine(sqlite_url)
    try:
        revisions = list(reversed(list(ScriptDirectory.from_config(alembic_config()).walk_revisions())))
        for rev in reversed(revisions):
            downgrade(engine, rev.down_revision or "base")
        for rev in revisions:
            upgrade(engine, rev.revision)
            assert current_revision(engine) == rev.revision
    finally:
        engine.dispose()


def test_db_commands_report_and_move_the_revision(db_url: str) -> None:
    out = ok(hamkor(db_url, "db", "current")).out
    assert head_revision() in out and "latest" in out
    ok(hamkor(db_url, "db", "downgrade", "base"))
    assert "base" in ok(hamkor(db_url, "db", "current")).out
    if db_url.startswith("sqlite"):
        # An empty SQLite database is migrated on first use (documented).
        ok(hamkor(db_url, "user", "list"))
        assert "latest" in ok(hamkor(db_url, "db", "current")).out
    else:
        refused(hamkor(db_url, "user", "list"), "run `hamkor db upgrade`")
        ok(hamkor(db_url, "db", "upgrade"))
    ok(hamkor(db_url, "user", "list"))


def test_a_new_sqlite_file_is_created_and_migrated_on_first_use(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'new.db'}"
    ok(hamkor(url, "user", "add", "a@uni.uz", "--name", "A", "--role", "admin"))
    assert ok(hamkor(url, "user", "list", "--json")).json()[0]["email"] == "a@uni.uz"


def test_a_foreign_sqlite_database_is_refused_not_touched(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    refused(hamkor(f"sqlite:///{path}", "user", "list"), "no Hamkor schema version", "hamkor db upgrade")
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"invoices"}


def test_partner_keys_fold_apostrophes_and_composition_and_never_merge_stored_rows(
        db_url: str) -> None:
    """Migration 0006 recomputes organisation keys so Oʻzbekiston and O'zbekiston are
    one partner from now on; two stored organisations that would now share a key keep
    distinct keys (nothing merged behind anyone's back)."""
    from sqlalchemy import text

    from migrations.schema import downgrade, upgrade
    from models import normalize_name
    from models.database import make_engine

    engine = make_engine(db_url)
    downgrade(engine, "0005")
    names = ["O\u02bbzbekiston Milliy Universiteti", "O'zbekiston Milliy Universiteti",
             "Universite\u0301 de Gene\u0300ve", "Kyoto University"]
    with engine.begin() as conn:
        for i, name in enumerate(names, start=1):
            conn.execute(text("INSERT INTO organizations (id, name, name_key, kind, created_on, "
                              "created_at) VALUES (:i, :n, :k, 'university', '2020-01-01', "
                              "'2020-01-01 00:00:00')"),
                         {"i": i, "n": name, "k": " ".join(name.split()).casefold()})
    upgrade(engine)
    with engine.connect() as conn:
        keys = dict(conn.execute(text("SELECT id, name_key FROM organizations")).all())
    assert keys[2] == normalize_name(names[0]) == normalize_name(names[1])  # unchanged: kept
    assert keys[1] == names[0].casefold()  # would collide: keeps its old key
    assert keys[3] == normalize_name("Université de Genève")  # NFKC
    assert keys[4] == "kyoto university"
    downgrade(engine, "0005")
    with engine.connect() as conn:
        assert dict(conn.execute(text("SELECT id, name_key FROM organizations")).all()) == {
            i: " ".join(n.split()).casefold() for i, n in enumerate(names, start=1)}
    upgrade(engine)
    engine.dispose()
