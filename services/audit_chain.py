"""The audit log's hash chain: how a row is hashed, how appends are sealed, and how the chain is checked.

Every row stores `prev_hash` (the `row_hash` of the row before it in id order; GENESIS for the first) and
`row_hash` = SHA-256 of its content together with `prev_hash`. Changing a row's content changes its hash;
inserting or deleting a row breaks the link of the row after it; `audit_chain_head` remembers the last row,
so deleting rows from the end shows too. Someone who can rewrite the whole table and the head can forge a
new chain: docs/SECURITY.md says how the head is anchored outside the database against that."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from datetime import timezone

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.audit import AuditChainHead, AuditEvent
from services import parameter_rows

GENESIS = "0" * 64
HEAD_ID = 1


def content_hash(prev_hash: str, at, actor_id, action, instance_id, task_id, details) -> str:
    """SHA-256 of one row's content and its predecessor's hash (the migration's backfill uses it too)."""
    stamp = at.astimezone(timezone.utc).isoformat(timespec="microseconds") if at is not None else None
    content = json.dumps([prev_hash, stamp, actor_id, action, instance_id, task_id, details],
                         ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def hash_of(event: AuditEvent, prev_hash: str) -> str:
    return content_hash(prev_hash, event.at, event.actor_id, event.action, event.instance_id, event.task_id,
                        event.details)


def append(session: Session, events: list[AuditEvent]) -> None:
    """Chain and insert `events` after the current head, in this transaction.

    The UPDATE of the head row comes first: it takes the head's row lock on PostgreSQL and the write lock
    on SQLite, so a second writer waits here until this transaction ends and then reads the new head;
    two appends can never both link to the same predecessor. Called at commit (services/audit.py), after
    every other change of the transaction is flushed, so this lock is the last one taken: a transaction
    holding it waits for no other lock, and no deadlock can form around it.

    Three statements for up to 200 events (lock and read the head, insert the rows, move the head; on
    PostgreSQL the last two are one), in Core: the rows are written once and never change, so the ORM's unit
    of work buys nothing."""
    if not events:
        return
    conn = session.connection()
    prev = _locked_head_hash(session, conn)
    rows = []
    for event in events:
        if event.at is None:
            raise ValueError("an audit event needs its time before it is chained")
        event.prev_hash = prev
        event.row_hash = prev = hash_of(event, event.prev_hash)
        rows.append({c: getattr(event, c) for c in _COLUMNS})
    postgres = conn.dialect.name == "postgresql"
    id_of_hash = {}
    for start in range(0, len(rows), _ROWS_PER_STATEMENT):
        chunk = rows[start:start + _ROWS_PER_STATEMENT]
        # RETURNING promises no order: each id is matched to its row by the row's hash (unique in the chain).
        result = conn.execute(_append_statement(len(chunk), postgres),
                              {"last_hash": chunk[-1]["row_hash"], **parameter_rows.parameters("event", chunk)})
        id_of_hash.update((row_hash, event_id) for event_id, row_hash in result)
    ids = [id_of_hash[row["row_hash"]] for row in rows]
    if any(later <= earlier for earlier, later in zip(ids, ids[1:])):
        # The chain runs in id order: ids out of the rows' order would break it, so refuse rather than store.
        raise RuntimeError(f"audit rows got ids out of order: {ids}")
    for event, event_id in zip(events, ids):
        event.id = event_id
    if not postgres:
        conn.execute(_MOVE_HEAD, {"last_event_id": ids[-1], "last_hash": prev})


# Built once: a step's statements are the same every time, only their parameters change.
_EVENTS = AuditEvent.__table__
_HEAD = AuditChainHead.__table__
_COLUMNS = ("at", "actor_id", "action", "instance_id", "task_id", "details", "prev_hash", "row_hash")
_LOCK_HEAD = _HEAD.update().where(_HEAD.c.id == HEAD_ID).values(appended=_HEAD.c.appended + 1) \
    .returning(_HEAD.c.last_hash)
_MOVE_HEAD = _HEAD.update().where(_HEAD.c.id == HEAD_ID)
_ROWS_PER_STATEMENT = 200  # 1,600 parameters: far under both databases' limits


@lru_cache(maxsize=32)
def _append_statement(count: int, postgres: bool):
    """INSERT of `count` events in one statement (an executemany with RETURNING goes a row at a time on
    SQLite), returning each one's id and hash. On PostgreSQL the same statement moves the head, in a
    data-modifying WITH: one round trip instead of two."""
    insert = parameter_rows.insert_from_rows(_EVENTS, _COLUMNS, count, "event") \
        .returning(_EVENTS.c.id, _EVENTS.c.row_hash)
    if not postgres:
        return insert
    appended = insert.cte("appended")
    move = _HEAD.update().where(_HEAD.c.id == HEAD_ID).values(
        last_event_id=select(func.max(appended.c.id)).scalar_subquery(), last_hash=bindparam("last_hash"))
    return select(appended.c.id, appended.c.row_hash).add_cte(move.cte("moved"))


def _locked_head_hash(session: Session, conn) -> str:
    """Lock the head row and read the hash the next row links to, in one statement (UPDATE … RETURNING)."""
    last_hash = conn.execute(_LOCK_HEAD).scalar()
    if last_hash is None:
        _create_head(session)
        last_hash = conn.execute(_LOCK_HEAD).scalar()
    return last_hash


def _create_head(session: Session) -> None:
    """The first append of an empty log; a concurrent first append may win, then we wait for its row."""
    last = session.execute(select(AuditEvent.id, AuditEvent.row_hash).order_by(AuditEvent.id.desc())
                           .limit(1)).first()
    head = AuditChainHead(id=HEAD_ID, last_event_id=last.id if last else None,
                          last_hash=(last.row_hash or GENESIS) if last else GENESIS, appended=0)
    try:
        with session.begin_nested():
            session.add(head)
        # Appends move the head with Core statements; an ORM copy left in the session would go stale.
        session.expunge(head)
    except IntegrityError:
        pass  # the caller's UPDATE now finds (and locks) the winner's row


@dataclass(frozen=True)
class Problem:
    """One break of the chain, naming the row (or rows) it is at."""

    event_id: int | None
    kind: str  # "changed", "inserted", "deleted", "tail_deleted"
    text: str


def verify(session: Session) -> tuple[int, list[Problem]]:
    """Walk the chain in id order; return how many rows were read and every break found."""
    walk = _Walk()
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000)).scalars()
    # One row of look-ahead tells a row slipped in from rows deleted before it.
    pending = None
    for row in rows:
        if pending is not None:
            walk.check(pending, row)
        pending = row
    if pending is not None:
        walk.check(pending, None)
    walk.check_head(session.get(AuditChainHead, HEAD_ID, populate_existing=True))
    return walk.count, walk.problems


class _Walk:
    """The end of the chain as accepted so far, and the end before it (to recognise a forged last link)."""

    def __init__(self):
        self.count = 0
        self.problems: list[Problem] = []
        self.end = (None, GENESIS)  # (id, row_hash) of the last accepted row
        self.before_end = None

    def check(self, row: AuditEvent, following: AuditEvent | None) -> None:
        self.count += 1
        last_id, expected = self.end
        recomputed = hash_of(row, row.prev_hash or "")
        if row.prev_hash != expected:
            if self.before_end is not None and row.prev_hash == self.before_end[1]:
                # This row links to the row before the last one: the last one was slipped in, hash and all.
                self.problems.append(Problem(last_id, "inserted", f"row {last_id} was inserted: the chain skips it"))
                self.end = self.before_end
            elif (following is not None and following.prev_hash == expected) or \
                    (following is None and row.row_hash != recomputed):
                self.problems.append(Problem(row.id, "inserted", f"row {row.id} was inserted: the chain skips it"))
                return
            else:
                self.problems.append(Problem(
                    row.id, "deleted", f"the chain breaks before row {row.id} (after row {last_id}): rows between "
                    f"them were deleted, or row {last_id} was changed and its hash recomputed"))
        if row.row_hash != recomputed:
            self.problems.append(Problem(row.id, "changed", f"row {row.id} was changed: its content does not match its hash"))
        self.before_end, self.end = self.end, (row.id, row.row_hash)

    def check_head(self, head: AuditChainHead | None) -> None:
        """The head remembers the last row appended: rows deleted from the end, or forged after it, show here."""
        last_id, last_hash = self.end
        if head is None:
            if last_id is not None:
                self.problems.append(Problem(last_id, "tail_deleted", "the chain head is missing"))
            return
        if head.last_hash == last_hash:
            return
        if self.before_end is not None and head.last_hash == self.before_end[1]:
            self.problems.append(Problem(last_id, "inserted", f"row {last_id} was inserted after the chain head"))
        elif head.last_event_id is not None and (last_id is None or head.last_event_id > last_id):
            self.problems.append(Problem(head.last_event_id, "tail_deleted",
                                         f"rows after row {last_id}, up to row {head.last_event_id}, were deleted"))
        else:
            self.problems.append(Problem(last_id, "changed",
                                         f"the chain head does not match row {last_id}: the end of the log was rewritten"))
