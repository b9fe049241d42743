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


@dataclass
class TaskPage:
    """One page of an inbox list, and how many tasks the whole list holds (counted up to COUNT_CAP + 1)."""
    tasks: list[HumanTask]
    found: int
    offset: int
    limit: int

    @property
    def capped(self) -> bool:
        return self.found > COUNT_CAP

    @property
    def total(self) -> str:
        """The list's size as shown: "999+" once the count was stopped at the cap."""
        return f"{COUNT_CAP}+" if self.capped else str(self.found)

    @property
    def number(self) -> int:
        return self.offset // self.limit + 1

    @property
    def next_number(self) -> int | None:
        """The next page's number, None on the last page."""
        return self.number + 1 if self.offset + self.limit < self.found else None

    @property
    def previous_number(self) -> int | None:
        """The page before this one (the last page, from a page past the end); None on the first page."""
        if not self.offset:
            return None
        if self.offset < self.found:
            return self.number - 1
        return max(1, -(-self.found // self.limit))  # past the end: its last page

    @property
    def first_shown(self) -> int:
        return self.offset + 1 if self.tasks else 0

    @property
    def last_shown(self) -> int:
        return self.offset + len(self.tasks)


@dataclass
class Overview:
    """What the inbox page shows: a page of each list and the counts of both."""
    mine: TaskPage
    group: TaskPage

    @property
    def counts(self) -> InboxCounts:
        return InboxCounts(min(self.mine.found, COUNT_CAP), min(self.group.found, COUNT_CAP),
                           capped=self.mine.capped or self.group.capped)


def overview(session: Session, user_id: int, mine_page: int = 1, group_page: int = 1) -> Overview:
    """Both lists of the inbox page, each a page and its count from one query (pages numbered from 1)."""
    return Overview(
        mine=_counted_page(session, *_mine(session, user_id), limit=PAGE_SIZE, offset=(mine_page - 1) * PAGE_SIZE),
        group=_counted_page(session, inbox_group_filter(session, user_id), limit=PAGE_SIZE,
                            offset=(group_page - 1) * PAGE_SIZE))


def _counted_page(session: Session, *conditions, limit: int, offset: int) -> TaskPage:
    """A page of the tasks meeting `conditions` and how many there are, up to the cap, in one query: the
    candidates are found once, where a page and a count apart found them twice (a section head's group
    has hundreds, bench/inbox_scale.py). The window's count is taken before the page's LIMIT."""
    candidates = _candidates(*conditions).order_by(HumanTask.id).limit(max(COUNT_CAP + 1, offset + limit)).subquery()
    page = select(candidates.c.id, func.count().over().label("found")).order_by(candidates.c.id) \
        .limit(limit).offset(offset).subquery()
    rows = session.execute(
        select(HumanTask, page.c.found).join(page, page.c.id == HumanTask.id).order_by(HumanTask.id)
        .options(*_PAGE_LOADS)).all()
    if rows:
        found = rows[0].found
    else:  # an empty page: the list is empty, or the page lies past its end
        found = _count_up_to_cap(session, *conditions) if offset else 0
    return TaskPage([task for task, _found in rows], found, offset, limit)


def _page(session: Session, *conditions, limit: int, offset: int) -> list[HumanTask]:
    """One page of the tasks meeting `conditions` (on the task and its case), oldest first, each with its
    case, applicant and section. The page's ids are picked first: a section head's group has hundreds of
    candidates, and joining every one to its applicant and section before keeping fifty cost most of the
    query (bench/inbox_scale.py)."""
    ids = _candidates(*conditions).order_by(HumanTask.id).limit(limit).offset(offset)
    return list(session.scalars(
        select(HumanTask).where(HumanTask.id.in_(ids.scalar_subquery())).order_by(HumanTask.id).options(
            *_PAGE_LOADS)))


def _candidates(*conditions):
    """The ids of the tasks meeting `conditions`, on the task and its case: what a page and a count pick from."""
    return select(HumanTask.id).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id).where(*conditions)


# A page's tasks come with their case, the case's applicant and section: what every row of the list shows.
_PAGE_LOADS = (joinedload(HumanTask.instance).joinedload(ProcessInstance.applicant),
               joinedload(HumanTask.instance).joinedload(ProcessInstance.section))


def _assigned_to(session: Session, user_id: int):
    """Assigned to the user, or to someone the user stands in for (services/delegation.py)."""
    return HumanTask.assignee_id.in_([user_id, *delegators_of(session, user_id)])


def _mine(session: Session, user_id: int) -> tuple:
    """The conditions of "my tasks": open, claimed by or assigned to the user, of a running case."""
    return HumanTask.status == "open", _assigned_to(session, user_id), ProcessInstance.status == "running"


def my_tasks(session: Session, user_id: int, limit: int = PAGE_SIZE, offset: int = 0) -> list[HumanTask]:
    """Open tasks claimed by or assigned to the user, oldest first."""
    return _page(session, *_mine(session, user_id), limit=limit, offset=offset)


def group_tasks(session: Session, user_id: int, limit: int = PAGE_SIZE, offset: int = 0) -> list[HumanTask]:
    """Unclaimed tasks of the user's roles and sections that the user may take."""
    return _page(session, inbox_group_filter(session, user_id), limit=limit, offset=offset)


def counts(session: Session, user_id: int) -> InboxCounts:
    """How many tasks wait in each inbox, each counted up to COUNT_CAP (`capped`: at least one has more)."""
    mine = _count_up_to_cap(session, *_mine(session, user_id))
    group = _count_up_to_cap(session, inbox_group_filter(session, user_id))
    return InboxCounts(min(mine, COUNT_CAP), min(group, COUNT_CAP), capped=max(mine, group) > COUNT_CAP)


# The badge says "999+" past this: counting an office-wide group's tens of thousands of open tasks exactly
# cost 95 ms at the 95th percentile (bench/inbox_scale.py); stopping at the cap keeps every count small.
COUNT_CAP = 999


def _count_up_to_cap(session: Session, *conditions) -> int:
    """COUNT_CAP + 1 at most: the database stops reading once it has found that many."""
    found = _candidates(*conditions).limit(COUNT_CAP + 1).subquery()
    return session.scalar(select(func.count()).select_from(found)) or 0


def my_cases(session: Session, user_id: int, limit: int = PAGE_SIZE, offset: int = 0) -> list[ProcessInstance]:
    """Cases the user applied for, newest first."""
    return list(session.scalars(
        select(ProcessInstance).where(ProcessInstance.applicant_id == user_id)
        .order_by(ProcessInstance.id.desc()).limit(limit).offset(offset)))


def is_overdue(task: HumanTask, now: datetime) -> bool:
    return task.due_at is not None and task.due_at < now
