"""Withdraw (撤回): the applicant takes back a case no approver has acted on yet; it leaves every inbox."""
from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from models import HumanTask, ProcessInstance, User, utcnow
from services import assets, audit, destruction_register, notifications
from services.errors import Conflict, Forbidden, NotFound
from services.messages import register

register({
    "withdraw_not_applicant": ("只有申请人本人可以撤回申请。", "Only the applicant can withdraw the request."),
    "withdraw_not_running": ("案件当前状态为“{status}”，不能撤回。", "The case is {status}; it cannot be withdrawn."),
    "withdraw_after_action": ("已有审批人办理过本案，不能撤回；请联系审批人退回或不予批准。",
                              "An approver has already acted on this case; it cannot be withdrawn. Ask them to send it back or refuse it."),
    "notify_case_withdrawn": ("案件 {case} 已由申请人撤回，相关待办已取消。", "Case {case} was withdrawn by its applicant; its tasks are cancelled."),
})


def may_withdraw(session: Session, instance: ProcessInstance, user: User) -> bool:
    try:
        _check(session, instance, user)
    except (Conflict, Forbidden):
        return False
    return True


def withdraw(session: Session, instance_id: int, user: User, reason: str = "") -> ProcessInstance:
    """Withdraw the case: status withdrawn, every open task cancelled, its assets free."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound("not_found")
    _check(session, instance, user)
    now = utcnow()
    told = []
    for task in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                        HumanTask.status == "open")):
        task.status = "cancelled"
        if task.role != "employee":
            told += notifications.task_candidates(session, task)
    assets.release_from_case(session, instance.id)
    destruction_register.release_manifest(session, instance.id, f"销毁清单 {instance.business_key} 已撤回")
    instance.status, instance.completed_at, instance.next_due_at, instance.updated_at = "withdrawn", now, None, now
    audit.record(session, "case_withdrawn", user.id, instance.id, reason=(reason or "").strip()[:500])
    notifications.notify(session, [u for u in told if u != user.id], "notify_case_withdrawn",
                         f"withdrawn:{instance.id}", instance.id, case=instance.business_key)
    session.flush()
    return instance


def _check(session: Session, instance: ProcessInstance, user: User) -> None:
    if user.id != instance.applicant_id:
        raise Forbidden("withdraw_not_applicant")
    if instance.status != "running":
        raise Conflict("withdraw_not_running", status=instance.status)
    acted = session.scalar(select(exists().where(
        HumanTask.instance_id == instance.id, HumanTask.completed_by_id.is_not(None),
        HumanTask.completed_by_id != instance.applicant_id)))
    if acted:
        raise Conflict("withdraw_after_action")
