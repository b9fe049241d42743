"""Inbox and case lists: indexed queries on tasks and cases, never the workflow state."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from models import HumanTask, ProcessInstance
from services.assignment import group_task_filter

PAGE_SIZE = 50


@dataclass
class InboxCounts:
    mine: int
    group: int


def _with_case(stmt):
    return stmt.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id).options(
        joinedload(HumanTask.instance).joinedload(ProcessInstance.applicant),
        joinedload(HumanTask.instance).joinedload(ProcessInstance.section))


def my_tasks(session: Session, user_id: int, limit: int = PAGE_SIZE, offset: int = 0) -> list[HumanTask]:
    """Open tasks claimed by or assigned to the user, oldest first."""
    stmt = _with_case(select(HumanTask)).where(HumanTask.status == "open", HumanTask.assignee_id == user_id,
                                               ProcessInstance.status == "running")
    return list(session.scalars(stmt.order_by(HumanTask.id).limit(limit).offset(offset)))


def group_tasks(session: Session, user_id: int, limit: int = PAGE_SIZE, offset: int = 0) -> list[HumanTask]:
    """Unclaimed tasks of the user's roles and sections that the user may take."""
    stmt = _with_case(select(HumanTask)).where(group_task_filter(session, user_id))
    return list(session.scalars(stmt.order_by(HumanTask.id).limit(limit).offset(offset)))


def counts(session: Session, user_id: int) -> InboxCounts:
    mine = session.scalar(select(func.count()).select_from(HumanTask).join(
        ProcessInstance, ProcessInstance.id == HumanTask.instance_id).where(
        HumanTask.status == "open", HumanTask.assignee_id == user_id, ProcessInstance.status == "running"))
    group = session.scalar(select(func.count()).select_from(HumanTask).join(
        ProcessInstance, ProcessInstance.id == HumanTask.instance_id).where(group_task_filter(session, user_id)))
    return InboxCounts(mine or 0, group or 0)


def my_cases(session: Session, user_id: int, limit: int = PAGE_SIZE, offset: int = 0) -> list[ProcessInstance]:
    """Cases the user applied for, newest first."""
    return list(session.scalars(
        select(ProcessInstance).where(ProcessInstance.applicant_id == user_id)
        .order_by(ProcessInstance.id.desc()).limit(limit).offset(offset)))


def is_overdue(task: HumanTask, now: datetime) -> bool:
    return task.due_at is not None and task.due_at < now
