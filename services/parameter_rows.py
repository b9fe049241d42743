"""Rows of bound parameters for one INSERT … SELECT of several rows (a step's new tasks, a transaction's
audit events).

A multi-row VALUES would say the same, but SQLAlchemy does not cache it ("multivalues are simply not
cacheable right now", sqlalchemy/sql/cache_key.py): it would be compiled anew at every execution, which cost
more than the round trip it saved (issue 8). A UNION ALL of SELECTs of parameters is cached like any other
statement."""
from __future__ import annotations

from sqlalchemy import Table, bindparam, select, union_all


def insert_from_rows(table: Table, columns: tuple[str, ...], count: int, prefix: str, only_if=None):
    """INSERT into `table` of `count` rows of parameters named `<prefix><i>_<column>` (typed as the table's
    columns); with `only_if`, each row is inserted only where that condition holds."""
    rows = [select(*[bindparam(f"{prefix}{i}_{column}", type_=table.c[column].type).label(column)
                     for column in columns]) for i in range(count)]
    if only_if is not None:
        rows = [row.where(only_if) for row in rows]
    return table.insert().from_select(columns, rows[0] if count == 1 else union_all(*rows))


def parameters(prefix: str, rows: list[dict]) -> dict:
    """The values of `rows` under the parameter names `insert_from_rows` gives them."""
    return {f"{prefix}{i}_{column}": value for i, row in enumerate(rows) for column, value in row.items()}
