"""Many rows into one table, fast: the import and the benchmark seeder share this.

`conn.execute(insert(t), rows)` spends most of its time building parameters
value by value (~20 µs a row: most of a 50k-row import). Here the statement is
compiled once for the dialect, each column is converted at once by its own
bind processor (as SQLAlchemy itself would, memoised: dates repeat), and the
rows go to the driver as one executemany.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert


def insert_many(conn: Connection, table: Table, names: Sequence[str],
                rows: Sequence[tuple[Any, ...]]) -> None:
    """INSERT `rows` (tuples of the columns `names`, in that order) into `table`."""
    if not rows:
        return
    dialect = conn.dialect
    compiled = insert(table).values({n: bindparam(n) for n in names}).compile(dialect=dialect)
    columns = list(zip(*rows, strict=True))
    for i, n in enumerate(names):
        proc = table.c[n].type.dialect_impl(dialect).bind_processor(dialect)
        if proc is not None:
            columns[i] = _converted(proc, columns[i])
    if compiled.positional:
        order = [list(names).index(k) for k in compiled.positiontup or ()]
        params: Any = list(zip(*(columns[i] for i in order), strict=True))
    else:
        params = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    conn.exec_driver_sql(compiled.string, params)


def insert_dicts(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """`insert_many` for rows given as dicts (every row with the same keys)."""
    if not rows:
        return
    names = tuple(rows[0])
    insert_many(conn, table, names, [tuple(r[k] for k in names) for r in rows])


def _converted(proc: Callable[[Any], Any], values: tuple[Any, ...]) -> tuple[Any, ...]:
    """`proc` applied to each value, once per distinct value (dates repeat a lot)."""
    try:
        table = {v: proc(v) for v in set(values) if v is not None}
    except TypeError:  # unhashable values (JSON lists)
        return tuple(None if v is None else proc(v) for v in values)
    table[None] = None
    return tuple(map(table.__getitem__, values))
