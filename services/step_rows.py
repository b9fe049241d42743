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

from sqlalchemy import bindparam, inspect, null, select, true, union_all
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from models import HumanTask, ProcessInstance

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

    On PostgreSQL they are one statement, a data-modifying WITH: a round trip is most of what each of them
    costs there. Its task UPDATE and INSERT are gated on the rows the case's UPDATE returns, so they wait
    for the case's row lock (the order every writer takes its locks in) and write nothing when the version
    was stale. SQLite has no data-modifying WITH and no round trips: three statements, in that order."""
    if values is None or instance.id is None or len(new_rows) > _NEW_ROWS_IN_ONE_STATEMENT \
            or session.connection().dialect.name != "postgresql":
        if values is not None:
            update_case(session, instance, values)
        if done is not None:
            update_task(session, *done)
        return insert_tasks(session, list(new_rows))
    values = _with_pending(instance, values)
    version = instance.version
    params = {"case_id": instance.id, "read_version": version, "new_version": version + 1,
              **{f"case_{key}": value for key, value in values.items()}}
    if done is not None:
        params["task_id"] = done[0].id
        params.update({f"done_{key}": value for key, value in done[1].items()})
    for i, row in enumerate(new_rows):
        params.update({f"new{i}_{key}": value for key, value in _with_defaults(row).items()})
    statement = _step_statement(tuple(values), tuple(done[1]) if done is not None else None, len(new_rows))
    result = session.connection().execute(statement, params).all()
    if not result:
        raise StaleDataError(f"case {instance.id} changed since version {version} was read")
    _committed(instance, values, version + 1)
    if done is not None:
        for key, value in done[1].items():
            set_committed_value(done[0], key, value)
    id_of_spiff_task = {spiff_task_id: task_id for _case, task_id, spiff_task_id in result if task_id is not None}
    return [id_of_spiff_task[row["spiff_task_id"]] for row in new_rows]


def update_case(session: Session, instance: ProcessInstance, values: dict) -> None:
    """Write `values` to the case's row if nobody moved it on since it was read; StaleDataError if someone did
    (the optimistic lock of the mapper's version column, kept: the version goes up by one here too)."""
    if instance.id is None:  # not yet inserted: its INSERT, at the next flush, carries the values
        for key, value in values.items():
            setattr(instance, key, value)
        return
    values = _with_pending(instance, values)
    version = instance.version
    result = session.connection().execute(
        _case_update(tuple(values)), {"case_id": instance.id, "read_version": version, "new_version": version + 1,
                                      **values})
    if result.rowcount != 1:
        raise StaleDataError(f"case {instance.id} changed since version {version} was read")
    _committed(instance, values, version + 1)


def _with_pending(instance: ProcessInstance, values: dict) -> dict:
    """Whatever else the step changed on the case (its title, say) goes in the same statement, not a second one."""
    pending = {key: getattr(instance, key) for key in inspect(instance).committed_state if key in _CASE_KEYS}
    return {**pending, **values}


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


@lru_cache(maxsize=64)
def _step_statement(case_keys: tuple[str, ...], done_keys: tuple[str, ...] | None, new_count: int):
    """PostgreSQL's one statement for `write_step`: WITH moved AS (UPDATE the case … RETURNING id), done AS
    (UPDATE the task … WHERE EXISTS moved), created AS (INSERT the new rows … WHERE EXISTS moved RETURNING
    id, spiff_task_id) SELECT moved LEFT JOIN created: no row at all when the case's version was stale."""
    moved = _CASE.update() \
        .where(_CASE.c.id == bindparam("case_id"), _CASE.c.version == bindparam("read_version")) \
        .values(version=bindparam("new_version"), **{key: bindparam(f"case_{key}", type_=_CASE.c[key].type)
                                                     for key in case_keys}) \
        .returning(_CASE.c.id).cte("moved")
    case_moved = select(moved.c.id).exists()
    answer = [moved.c.id.label("case_id")]
    source = moved
    if new_count:
        rows = [select(*[bindparam(f"new{i}_{key}", type_=_TASK.c[key].type).label(key) for key in _TASK_COLUMNS])
                .where(case_moved) for i in range(new_count)]
        created = _TASK.insert().from_select(_TASK_COLUMNS, rows[0] if new_count == 1 else union_all(*rows)) \
            .returning(_TASK.c.id, _TASK.c.spiff_task_id).cte("created")
        answer += [created.c.id.label("task_id"), created.c.spiff_task_id]
        source = moved.outerjoin(created, true())
    else:
        answer += [null().label("task_id"), null().label("spiff_task_id")]
    statement = select(*answer).select_from(source)
    if done_keys is not None:
        done = _TASK.update().where(_TASK.c.id == bindparam("task_id"), case_moved) \
            .values(**{key: bindparam(f"done_{key}", type_=_TASK.c[key].type) for key in done_keys}).cte("done")
        statement = statement.add_cte(done)
    return statement
