"""organizations.name_key: fold Unicode composition and apostrophe variants

Partners typed as Oʻzbekiston, O‘zbekiston and O'zbekiston (or an accented
name in decomposed form) now share one key, so they are found as one partner.
Existing keys are recomputed; where two stored organisations would now share a
key, the later one keeps its old key (nothing is merged behind anyone's back)
and a warning names both.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 00:40:00
"""
from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")
_SPACES = re.compile(r"\s+")
_APOSTROPHES = str.maketrans(dict.fromkeys("\u02bb\u02bc\u2018\u2019\u0060\u00b4\u02b9\u2032", "'"))


def _folded(name: str) -> str:  # models.normalize_name as of this revision
    folded = unicodedata.normalize("NFKC", name).translate(_APOSTROPHES)
    return _SPACES.sub(" ", folded).strip().casefold()


def _plain(name: str) -> str:  # models.normalize_name before it
    return _SPACES.sub(" ", name).strip().casefold()


def _rekey(key_of: Callable[[str], str]) -> None:
    orgs = sa.table("organizations", sa.column("id", sa.Integer), sa.column("name", sa.String),
                    sa.column("name_key", sa.String))
    conn = op.get_bind()
    rows = conn.execute(sa.select(orgs.c.id, orgs.c.name, orgs.c.name_key).order_by(orgs.c.id)).all()
    taken: dict[str, int] = {}
    final: dict[int, str] = {}
    # A key that does not change stays with its organisation; then the earliest
    # organisation gets a new key.
    for oid, name, old in sorted(rows, key=lambda r: (key_of(r[1]) != r[2], r[0])):
        new = key_of(name)
        if new in taken:
            continue
        taken[new] = oid
        final[oid] = new
    for oid, name, old in rows:
        if oid not in final:
            if old in taken and taken[old] != oid:  # its old key is someone's new one
                raise RuntimeError(f"organisation {oid} ({name!r}): key {old!r} is taken")
            final[oid] = old
            log.warning("organisation %s (%r) keeps its key: %r already names organisation %s",
                        oid, name, key_of(name), taken[key_of(name)])
    changed = [(oid, final[oid]) for oid, _name, old in rows if final[oid] != old]
    for oid, _key in changed:  # two steps: a new key may be another row's old one
        conn.execute(orgs.update().where(orgs.c.id == oid).values(name_key=f"~rekey~{oid}"))
    for oid, key in changed:
        conn.execute(orgs.update().where(orgs.c.id == oid).values(name_key=key))


def upgrade() -> None:
    _rekey(_folded)


def downgrade() -> None:
    _rekey(_plain)
