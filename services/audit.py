"""The audit trail: written in the same transaction as the change it records.

`record()` keeps the event with the session until commit; the commit chains and inserts the transaction's
events in one go (services/audit_chain.py), so the chain's lock is held for the last moment only."""
import json

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from models import AuditEvent, utcnow
from services import audit_chain

_PENDING = "audit_pending"


def record(session: Session, action: str, actor_id: int | None, instance_id: int | None = None,
           task_id=None, **details) -> AuditEvent:
    """Append one audit event; the caller's commit makes it durable with the change (and a rollback drops it).
    `task_id` may be a task row not yet flushed: its id is read when the event is chained, after the flush,
    so a step needs no flush of its own just to name its new tasks."""
    entry = AuditEvent(at=utcnow(), action=action, actor_id=actor_id, instance_id=instance_id,
                       details=json.dumps(details, ensure_ascii=False, default=str))
    row = task_id if hasattr(task_id, "__table__") else None  # a mapped row: its id comes at commit
    if row is None:
        entry.task_id = task_id
    if not session.in_transaction():
        session.begin()  # so that a rollback, even one before any SQL, is seen and drops the event
    session.info.setdefault(_PENDING, []).append((entry, row))
    return entry


def events_of_case(session: Session, instance_id: int) -> list[AuditEvent]:
    """A case's events, oldest first."""
    return list(session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)))


@event.listens_for(Session, "before_commit")
def _append_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.flush()  # the transaction's other changes (and their row locks, and new rows' ids) first
        for entry, row in pending:
            if row is not None:
                entry.task_id = row.id
        audit_chain.append(session, [entry for entry, _row in pending])


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(_PENDING, None)
