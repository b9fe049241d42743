"""A step's writes of its case row and task rows, as plain Core statements.

Every completion writes the same few rows: the case's state (guarded by its version), the task just done,
the tasks the engine made READY. Through the ORM's unit of work these cost about as much Python time as
the engine's own step (issue 8: dependency sort, change history, a flush that walks the session), for rows
whose changes are known exactly here. So they go out as prepared UPDATE and INSERT statements; the objects
in the session are brought in line with `set_committed_value` (they read the new values and hold no pending
change); new task rows are inserted as plain values. Whatever else a step changed (assets, links) still goes
through the ORM's flush.
"""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import bindparam, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from models import HumanTask, ProcessInstance

_CASE = ProcessInstance.__table__
_TASK = HumanTask.__table__
_CASE_KEYS = frozenset(c.key for c in _CASE.columns) - {"id", "version"}
_TASK_COLUMNS = tuple(c.key for c in _TASK.columns if c.key != "id")
_TASK_DEFAULTS = {c.key: c.default for c in _TASK.columns if c.default is not None and c.key != "id"}


def update_case(session: Session, instance: ProcessInstance, values: dict) -> None:
    """Write `values` to the case's row if nobody moved it on since it was read; StaleDataError if someone did
    (the optimistic lock of the mapper's version column, kept: the version goes up by one here too)."""
    if instance.id is None:  # not yet inserted: its INSERT, at the next flush, carries the values
        for key, value in values.items():
            setattr(instance, key, value)
        return
    # Whatever else the step changed on the case (its title, say) goes in the same statement, not a second one.
    pending = {key: getattr(instance, key) for key in inspect(instance).committed_state if key in _CASE_KEYS}
    values = {**pending, **values}
    version = instance.version
    result = session.connection().execute(
        _case_update(tuple(values)), {"case_id": instance.id, "read_version": version, "new_version": version + 1,
                                      **values})
    if result.rowcount != 1:
        raise StaleDataError(f"case {instance.id} changed since version {version} was read")
    set_committed_value(instance, "version", version + 1)
    for key, value in values.items():
        set_committed_value(instance, key, value)


def update_task(session: Session, task: HumanTask, values: dict) -> None:
    """Write `values` to one task row (its case's version guards it: `update_case` comes first)."""
    if task.id is None:
        for key, value in values.items():
            setattr(task, key, value)
        return
    session.connection().execute(_task_update(tuple(values)), {"task_id": task.id, **values})
    for key, value in values.items():
        set_committed_value(task, key, value)


def insert_tasks(session: Session, rows: list[dict]) -> list[int]:
    """Insert new task rows (column values; a column left out gets its default) in one statement; their ids,
    in the rows' order."""
    if not rows:
        return []
    return session.connection().execute(_INSERT_TASKS, [_with_defaults(row) for row in rows]).scalars().all()


def _with_defaults(row: dict) -> dict:
    """Every column's value, its default where the row leaves it out (one statement needs the same keys in
    every row)."""
    values = {}
    for key in _TASK_COLUMNS:
        value = row.get(key)
        if value is None and key in _TASK_DEFAULTS:
            default = _TASK_DEFAULTS[key]
            # SQLAlchemy wraps a zero-argument default in one taking the execution context, unused here.
            value = default.arg if default.is_scalar else default.arg(None)
        values[key] = value
    return values


# Statements built once per set of columns (building one costs more than running it); they hold nothing
# that changes.
@lru_cache(maxsize=64)
def _case_update(keys: tuple[str, ...]):
    return _CASE.update().where(_CASE.c.id == bindparam("case_id"), _CASE.c.version == bindparam("read_version")) \
        .values(version=bindparam("new_version"), **{key: bindparam(key) for key in keys})


@lru_cache(maxsize=64)
def _task_update(keys: tuple[str, ...]):
    return _TASK.update().where(_TASK.c.id == bindparam("task_id")).values(**{key: bindparam(key) for key in keys})


_INSERT_TASKS = _TASK.insert().returning(_TASK.c.id, sort_by_parameter_order=True)
