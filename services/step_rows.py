"""A step's writes of its case row and task rows, as plain Core statements.

Every completion writes the same few rows: the case's state (guarded by its version), the task just done,
the tasks the engine made READY. Through the ORM's unit of work these cost about as much Python time as
the engine's own step (issue 8: dependency sort, change history, a flush that walks the session), for rows
whose changes are known exactly here. So they go out as prepared UPDATE and INSERT statements; the objects
in the session are brought in line with `set_committed_value` (they read the new values and hold no pending
change); new task rows are inserted as plain values. Whatever else a step changed (assets, links) still goes
through the ORM's flush. On PostgreSQL the three writes of a step are one statement (`write_step`): there a
round trip costs more than the statement's work.
"""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import bindparam, inspect, null, select, true
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from models import HumanTask, ProcessInstance
from services import parameter_rows

_CASE = ProcessInstance.__table__
_TASK = HumanTask.__table__
_CASE_KEYS = frozenset(c.key for c in _CASE.columns) - {"id", "version"}
_TASK_COLUMNS = tuple(c.key for c in _TASK.columns if c.key != "id")
_TASK_DEFAULTS = {c.key: c.default for c in _TASK.columns if c.default is not None and c.key != "id"}
# A step that opens more tasks than this (a countersign of many signers) takes the three statements: each new
# row is 22 parameters, and PostgreSQL takes at most 65,535 in one statement.
_NEW_ROWS_IN_ONE_STATEMENT = 50


def write_step(session: Session, instance: ProcessInstance, values: dict | None,
               done: tuple[HumanTask, dict] | None = None, new_rows: list[dict] = ()) -> list[int]:
    """A step's writes, case first: `values` to the case's row (StaleDataError if it moved on since it was
    read; None when the caller wrote it already), the task just `done` and the `new_rows`; the new rows' ids,
    in order.

    On PostgreSQL they are one statement, a data-modifying WITH of the same three statements: a round trip
    is most of what each of them costs there. Its task UPDATE and INSERT are gated on the rows the case's
    UPDATE returns, so they wait for the case's row lock (the order every writer takes its locks in) and
    write nothing when the version was stale. SQLite has no data-modifying WITH and no round trips: three
    statements, in that order."""
    if values is None or instance.id is None or len(new_rows) > _NEW_ROWS_IN_ONE_STATEMENT \
            or session.connection().dialect.name != "postgresql":
        if values is not None:
            update_case(session, instance, values)
        if done is not None:
            update_task(session, *done)
        return insert_tasks(session, list(new_rows))
    values = _with_pending(instance, values)
    version = instance.version
    params = _case_parameters(instance, values, version)
    if done is not None:
        params.update(_task_parameters(*done))
    rows = [_with_defaults(row) for row in new_rows]
    params.update(parameter_rows.parameters(_NEW, rows))
    statement = _step_statement(tuple(values), tuple(done[1]) if done is not None else None, len(rows))
    result = session.connection().execute(statement, params).all()
    if not result:
        raise StaleDataError(f"case {instance.id} changed since version {version} was read")
    _committed(instance, values, version + 1)
    if done is not None:
        _task_committed(*done)
    return _ids_in_order([(task_id, spiff_task_id) for _case, task_id, spiff_task_id in result
                          if task_id is not None], rows)


def update_case(session: Session, instance: ProcessInstance, values: dict) -> None:
    """Write `values` to the case's row if nobody moved it on since it was read; StaleDataError if someone did
    (the optimistic lock of the mapper's version column, kept: the version goes up by one here too)."""
    if instance.id is None:  # not yet inserted: its INSERT, at the next flush, carries the values
        for key, value in values.items():
            setattr(instance, key, value)
        return
    values = _with_pending(instance, values)
    version = instance.version
    result = session.connection().execute(_case_update(tuple(values)), _case_parameters(instance, values, version))
    if result.rowcount != 1:
        raise StaleDataError(f"case {instance.id} changed since version {version} was read")
    _committed(instance, values, version + 1)


def _with_pending(instance: ProcessInstance, values: dict) -> dict:
    """Whatever else the step changed on the case (its title, say) goes in the same statement, not a second one."""
    pending = {key: getattr(instance, key) for key in inspect(instance).committed_state if key in _CASE_KEYS}
    return {**pending, **values}


def _case_parameters(instance: ProcessInstance, values: dict, version: int) -> dict:
    return {"case_id": instance.id, "read_version": version, "new_version": version + 1,
            **{f"case_{key}": value for key, value in values.items()}}


def _committed(instance: ProcessInstance, values: dict, version: int) -> None:
    set_committed_value(instance, "version", version)
    for key, value in values.items():
        set_committed_value(instance, key, value)


def update_task(session: Session, task: HumanTask, values: dict) -> None:
    """Write `values` to one task row (its case's version guards it: `update_case` comes first)."""
    if task.id is None:
        for key, value in values.items():
            setattr(task, key, value)
        return
    session.connection().execute(_task_update_alone(tuple(values)), _task_parameters(task, values))
    _task_committed(task, values)


def _task_parameters(task: HumanTask, values: dict) -> dict:
    return {"task_id": task.id, **{f"task_{key}": value for key, value in values.items()}}


def _task_committed(task: HumanTask, values: dict) -> None:
    for key, value in values.items():
        set_committed_value(task, key, value)


def insert_tasks(session: Session, rows: list[dict]) -> list[int]:
    """Insert new task rows of one case (column values; a column left out gets its default), up to
    _NEW_ROWS_IN_ONE_STATEMENT in a statement; their ids, in the rows' order."""
    rows = [_with_defaults(row) for row in rows]
    returned = []
    for start in range(0, len(rows), _NEW_ROWS_IN_ONE_STATEMENT):
        chunk = rows[start:start + _NEW_ROWS_IN_ONE_STATEMENT]
        returned += session.connection().execute(_task_insert_alone(len(chunk)),
                                                 parameter_rows.parameters(_NEW, chunk)).all()
    return _ids_in_order(returned, rows)


def _ids_in_order(returned: list[tuple[int, str]], rows: list[dict]) -> list[int]:
    """The ids RETURNING gave (with each row's engine task id), in the rows' order: RETURNING promises none,
    and a case's engine task ids are unique."""
    id_of_spiff_task = {spiff_task_id: task_id for task_id, spiff_task_id in returned}
    return [id_of_spiff_task[row["spiff_task_id"]] for row in rows]


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


# Statements built once per set of columns and number of rows (building one costs more than running it); they
# hold nothing that changes. Their parameters are named by what they are of (case_, task_, new<i>_), so that
# the three can go in one statement.
_NEW = "new"


@lru_cache(maxsize=64)
def _case_update(keys: tuple[str, ...]):
    return _CASE.update().where(_CASE.c.id == bindparam("case_id"), _CASE.c.version == bindparam("read_version")) \
        .values(version=bindparam("new_version"), **{key: bindparam(f"case_{key}") for key in keys})


def _task_update(keys: tuple[str, ...], only_if=None):
    return _TASK.update().where(_TASK.c.id == bindparam("task_id"), *([only_if] if only_if is not None else [])) \
        .values(**{key: bindparam(f"task_{key}") for key in keys})


def _task_insert(count: int, only_if=None):
    return parameter_rows.insert_from_rows(_TASK, _TASK_COLUMNS, count, _NEW, only_if) \
        .returning(_TASK.c.id, _TASK.c.spiff_task_id)


# On their own (SQLite, and PostgreSQL's rarer paths); `_step_statement` builds its gated copies once.
_task_update_alone = lru_cache(maxsize=64)(_task_update)
_task_insert_alone = lru_cache(maxsize=64)(_task_insert)


@lru_cache(maxsize=64)
def _step_statement(case_keys: tuple[str, ...], done_keys: tuple[str, ...] | None, new_count: int):
    """PostgreSQL's one statement for `write_step`: WITH moved AS (the case's UPDATE … RETURNING id), done AS
    (the task's UPDATE … AND EXISTS moved), created AS (the new rows' INSERT … WHERE EXISTS moved) SELECT
    moved LEFT JOIN created: no row at all when the case's version was stale."""
    moved = _case_update(case_keys).returning(_CASE.c.id).cte("moved")
    case_moved = select(moved.c.id).exists()
    answer = [moved.c.id.label("case_id")]
    source = moved
    if new_count:
        created = _task_insert(new_count, case_moved).cte("created")
        answer += [created.c.id.label("task_id"), created.c.spiff_task_id]
        source = moved.outerjoin(created, true())
    else:
        answer += [null().label("task_id"), null().label("spiff_task_id")]
    statement = select(*answer).select_from(source)
    if done_keys is not None:
        statement = statement.add_cte(_task_update(done_keys, case_moved).cte("done"))
    return statement
