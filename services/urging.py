"""Urge (催办): the applicant or the security office reminds a case's waiting approvers, once a day per case."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import CaseUrge, HumanTask, ProcessInstance, User, utcnow
from models.org import OFFICE_TZ
from services import assignment, audit, notifications
from services.errors import Conflict, Forbidden, NotFound
from services.messages import register
from services.roles import APPLICANT_LANE

URGERS = ("security_office",)  # office-wide: MED.1 inspection; the applicant may always urge their own case

register({
    "urge_not_allowed": ("只有申请人或保密办可以催办本案。", "Only the applicant or the security office can urge this case."),
    "urge_nothing_waiting": ("本案当前没有等待审批人办理的环节。", "No approver is waiting on this case."),
    "urge_once_a_day": ("本案今天已催办过，请于 {next} 后再催办。", "This case was urged today already; you may urge again after {next}."),
    "notify_case_urged": ("{by} 催办案件 {case}：“{task}”正等待您办理。", "{by} urges case {case}: “{task}” is waiting for you."),
})


def waiting_tasks(session: Session, instance: ProcessInstance) -> list[HumanTask]:
    """Open tasks waiting for someone other than the applicant."""
    return [t for t in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                             HumanTask.status == "open").order_by(HumanTask.id))
            if t.role != APPLICANT_LANE]


def may_urge(session: Session, instance: ProcessInstance, user: User) -> bool:
    return user.id == instance.applicant_id or any(
        assignment.holds_role(session, user.id, role, None) for role in URGERS)


def urge(session: Session, instance_id: int, user: User) -> list[int]:
    """Notify the assignee or role holders of each waiting task; refused a second time the same office day.
    Returns the users told."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None or not assignment.can_view_case(session, user, instance):
        raise NotFound("not_found")
    if not may_urge(session, instance, user):
        raise Forbidden("urge_not_allowed")
    waiting = waiting_tasks(session, instance) if instance.status == "running" else []
    if not waiting:
        raise Conflict("urge_nothing_waiting")
    now = utcnow()
    today = now.astimezone(OFFICE_TZ).date()
    if session.scalar(select(CaseUrge.id).where(CaseUrge.instance_id == instance.id, CaseUrge.urged_on == today)):
        raise _once_a_day(today)
    try:
        with session.begin_nested():  # the unique key settles two urges racing on one day
            session.add(CaseUrge(instance_id=instance.id, urged_on=today, urged_by_id=user.id, at=now))
    except IntegrityError:
        raise _once_a_day(today) from None
    told = []
    for task in waiting:
        people = [u for u in notifications.task_candidates(session, task) if u != user.id]
        notifications.notify(session, people, "notify_case_urged", f"urge:{instance.id}:{today}:{task.id}",
                             instance.id, task.id, by=user.display_name, case=instance.business_key, task=task.name)
        told += people
    audit.record(session, "case_urged", user.id, instance.id, tasks=[t.id for t in waiting], told=sorted(set(told)))
    return sorted(set(told))


def _once_a_day(today) -> Conflict:
    again = datetime.combine(today + timedelta(days=1), time(0, 0), OFFICE_TZ)
    return Conflict("urge_once_a_day", next=again.strftime("%Y-%m-%d %H:%M"))
