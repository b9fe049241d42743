"""The audit trail: written in the same transaction as the change it records."""
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditEvent


def record(session: Session, action: str, actor_id: int | None, instance_id: int | None = None,
           task_id: int | None = None, **details) -> AuditEvent:
    """Append one audit event; the caller's commit makes it durable with the change."""
    event = AuditEvent(action=action, actor_id=actor_id, instance_id=instance_id, task_id=task_id,
                       details=json.dumps(details, ensure_ascii=False, default=str))
    session.add(event)
    return event


def events_of_case(session: Session, instance_id: int) -> list[AuditEvent]:
    """A case's events, oldest first."""
    return list(session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)))
