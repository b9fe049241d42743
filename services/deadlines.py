"""Task deadlines: remind when a task falls due, escalate when it stays overdue. Indexed scans of the
task table only; each task is reminded and escalated once."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from models import HumanTask, ProcessInstance
from services import forms, notifications

BATCH = 500


def _due(session: Session, column, marker, now: datetime) -> list[HumanTask]:
    return list(session.scalars(
        select(HumanTask).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(HumanTask.status == "open", column <= now, marker.is_(None), ProcessInstance.status == "running")
        .options(joinedload(HumanTask.instance)).order_by(column).limit(BATCH)))


def _task_title(task: HumanTask) -> str:
    return forms.of_case(task.instance, task.bpmn_id).title("zh_CN")


def remind_due_tasks(session: Session, now: datetime) -> int:
    """Tell the assignee (or the candidates of an unclaimed task) that a task is due."""
    count = 0
    for task in _due(session, HumanTask.due_at, HumanTask.reminded_at, now):
        count += notifications.notify(
            session, notifications.task_candidates(session, task), "notify_task_due", f"task_due:{task.id}",
            task.instance_id, task.id, task=_task_title(task), case=task.instance.business_key)
        task.reminded_at = now
    return count


def escalate_overdue_tasks(session: Session, now: datetime) -> int:
    """Tell the task's escalation role (the security office unless the BPMN says otherwise)."""
    count = 0
    for task in _due(session, HumanTask.escalate_at, HumanTask.escalated_at, now):
        role = task.escalation_role or "security_office"
        applicant = task.instance.applicant_id
        users = [u for u in notifications.holders_of(session, role, task.section_id) if u != applicant]
        count += notifications.notify(
            session, users, "notify_task_escalated", f"task_escalated:{task.id}", task.instance_id, task.id,
            task=_task_title(task), case=task.instance.business_key)
        task.escalated_at = now
    return count
