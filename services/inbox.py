"""Inbox and case lists: indexed queries on tasks and cases, never the workflow state."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from models import HumanTask, ProcessInstance
from services.assignment import delegators_of, inbox_group_filter

PAGE_SIZE = 50


@dataclass
class InboxCounts:
    mine: int
    group: int
    capped: bool = False  # a count stopped at COUNT_CAP: show it as "999+"

    @property
    def badge(self) -> str:
        """The number the navigation shows: "999+" once a count was stopped at the cap."""
        return f"{COUNT_CAP}+" if self.capped else str(self.mine + self.group)


def _page(session: Session, *conditions, limit: int, offset: int) -> list[HumanTask]:
    """One page of the tasks meeting `conditions` (on the task and its case), oldest first, each with its
    case, applicant and section. The page's ids are picked first: a section head's group has hundreds of
    candidates, and joining every one to its applicant and section before keeping fifty cost most of the
    query (bench/inbox_scale.py)."""
    ids = select(HumanTask.id).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id) \
        .where(*conditions).order_by(HumanTask.id).limit(limit).offset(offset)
    return list(session.scalars(
        select(HumanTask).where(HumanTask.id.in_(ids.scalar_subquery())).order_by(HumanTask.id).options(
            joinedload(HumanTask.instance).joinedload(ProcessInstance.applicant),
            joinedload(HumanTask.instance).joinedload(ProcessInstance.section))))


def _assigned_to(session: Session, user_id: int):
    """Assigned to the user, or to someone the user stands in for (services/delegation.py)."""
    return HumanTask.assignee_id.in_([user_id, *delegators_of(session, user_id)])


def my_tasks(session: Session, user_id: int, limit: int = PAGE_SIZE, offset: int = 0) -> list[HumanTask]:
    """Open tasks claimed by or assigned to the user, oldest first."""
    return _page(session, HumanTask.status == "open", _assigned_to(session, user_id),
                 ProcessInstance.status == "running", limit=limit, offset=offset)


def group_tasks(session: Session, user_id: int, limit: int = PAGE_SIZE, offset: int = 0) -> list[HumanTask]:
    """Unclaimed tasks of the user's roles and sections that the user may take."""
    return _page(session, inbox_group_filter(session, user_id), limit=limit, offset=offset)


def counts(session: Session, user_id: int) -> InboxCounts:
    """How many tasks wait in each inbox, each counted up to COUNT_CAP (`capped`: at least one has more)."""
    mine = _count_up_to_cap(session, HumanTask.status == "open", _assigned_to(session, user_id),
                            ProcessInstance.status == "running")
    group = _count_up_to_cap(session, inbox_group_filter(session, user_id))
    return InboxCounts(min(mine, COUNT_CAP), min(group, COUNT_CAP), capped=max(mine, group) > COUNT_CAP)


# The badge says "999+" past this: counting an office-wide group's tens of thousands of open tasks exactly
# cost 95 ms at the 95th percentile (bench/inbox_scale.py); stopping at the cap keeps every count small.
COUNT_CAP = 999


def _count_up_to_cap(session: Session, *conditions) -> int:
    """COUNT_CAP + 1 at most: the database stops reading once it has found that many."""
    found = select(HumanTask.id).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id) \
        .where(*conditions).limit(COUNT_CAP + 1).subquery()
    return session.scalar(select(func.count()).select_from(found)) or 0


def my_cases(session: Session, user_id: int, limit: int = PAGE_SIZE, offset: int = 0) -> list[ProcessInstance]:
    """Cases the user applied for, newest first."""
    return list(session.scalars(
        select(ProcessInstance).where(ProcessInstance.applicant_id == user_id)
        .order_by(ProcessInstance.id.desc()).limit(limit).offset(offset)))


def is_overdue(task: HumanTask, now: datetime) -> bool:
    return task.due_at is not None and task.due_at < now
