"""How many agreements are in each state, from `agreement_state_counts` (migration 0017).

The database's triggers add a row (state, +1 / -1 / a count) for every agreement
inserted, deleted or moved to another state, in the same transaction as the change:
the sum per state is the exact count in any transaction's own view, whoever wrote
(the services, the import, plain SQL). Reading it sums a few rows per state instead
of passing over the register's state index. `fold` replaces the rows by one per
state when they have piled up (`FOLD_AT`); only inserts are made otherwise, so no
event waits on another's counter row.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from models import AgreementStateCount
from workflow.uow import UnitOfWork

#: Rows beyond which a reader folds them (a few days of events in a busy office; the
#: sum over them stays well under a millisecond).
FOLD_AT = 500


@cache
def _read_statement() -> Any:
    c = AgreementStateCount
    return select(c.state, func.sum(c.n), func.count()).group_by(c.state)


def state_counts(s: Session) -> tuple[dict[str, int], int]:
    """Each state's count of agreements (states with none may be missing), and how many
    rows they were summed from (`fold` them beyond `FOLD_AT`)."""
    counts: dict[str, int] = {}
    rows = 0
    for state, n, k in s.execute(_read_statement()):
        counts[state] = int(n or 0)
        rows += int(k)
    return counts, rows


def fold(uow: UnitOfWork) -> None:
    """Replace the rows by their sum per state, in one transaction. The rows summed are
    exactly those this transaction deleted (DELETE ... RETURNING), so two folds at once,
    or a change committed meanwhile, lose and double nothing."""
    c = AgreementStateCount
    with uow.writing():
        s = uow.session
        sums: dict[str, int] = {}
        for state, n in s.execute(delete(c).returning(c.state, c.n)):
            sums[state] = sums.get(state, 0) + int(n)
        rows = [{"state": state, "n": n} for state, n in sorted(sums.items()) if n]
        if rows:
            s.execute(insert(c), rows)
        uow.commit()
