"""Transfer (转办): whoever may act on an open task hands it to another named holder of its role."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import HumanTask, User, utcnow
from services import assignment, audit, cases, notifications
from services.errors import DomainError, Forbidden
from services.messages import register
from services.roles import APPLICANT_LANE, ROLES

register({
    "transfer_not_here": ("本人或指定人员的环节不能转办。", "A task for one named person cannot be transferred."),
    "transfer_to_self": ("不能转办给自己。", "You cannot transfer a task to yourself."),
    "transfer_target_lacks_role": ("{name} 不具备本科室“{role}”岗位，不能接办此任务。",
                                   "{name} does not hold the role {role} for this section and cannot take this task."),
    "transfer_target_separated": ("{name} 不能办理此任务（本人申请、本案所涉人员或已办理本案另一审批环节）。",
                                  "{name} may not act on this task (their own request, the person it is about, or they filled another approval of this case)."),
    "transfer_target_signs_already": ("{name} 已在本环节会签或有本环节的任务，不能再接办一份。",
                                      "{name} already signs this step or holds a task of it, and cannot take a second."),
    "notify_task_transferred": ("{by} 将任务“{task}”（{case}）转办给您。", "{by} transferred the task “{task}” ({case}) to you."),
})


def candidates(session: Session, task: HumanTask) -> list[User]:
    """Who the task may be transferred to: active holders of its role for its section, duties kept apart."""
    ids = notifications.role_candidates(session, task)
    users = session.scalars(select(User).where(User.id.in_(ids), User.active.is_(True)).order_by(User.username))
    case_tasks = cases.tasks_of_case(session, task.instance_id)
    return [u for u in users if _refusal(session, task, u, case_tasks) is None]


def transfer(session: Session, task_id: int, user: User, to_user_id: int, reason: str = "") -> HumanTask:
    """Give the open task to `to_user_id` (assigned to them at once); audited, and they are told."""
    task = cases._open_task(session, task_id, user)
    if task.role == APPLICANT_LANE or task.kind in assignment.PERSONAL_KINDS:
        raise Forbidden("transfer_not_here")
    for_user = assignment.check_can_act(session, task, user)
    target = session.get(User, to_user_id) if isinstance(to_user_id, int) else None
    if target is None or not target.active:
        raise DomainError("user_unknown", field="to_user_id")
    if target.id in (user.id, for_user):
        raise DomainError("transfer_to_self", field="to_user_id")
    refusal = _refusal(session, task, target, cases.tasks_of_case(session, task.instance_id))
    if refusal is not None:
        raise DomainError(refusal, field="to_user_id", name=target.display_name,
                          role=ROLES[task.role].name("zh_CN") if task.role in ROLES else task.role)
    before = task.assignee_id
    task.assignee_id, task.claimed_at = target.id, utcnow()
    audit.record(session, "task_transferred", user.id, task.instance_id, task.id, task=task.bpmn_id,
                 before=before, after=target.id, reason=(reason or "").strip()[:500],
                 **({"for_user": for_user} if for_user else {}))
    notifications.notify(session, [target.id], "notify_task_transferred", f"transfer:{task.id}:{target.id}",
                         task.instance_id, task.id, by=user.display_name, task=task.name,
                         case=task.instance.business_key)
    session.flush()
    return task


def _refusal(session: Session, task: HumanTask, target: User, case_tasks: list[HumanTask]) -> str | None:
    """Why `target` may not take the task, or None; `case_tasks`: every task row of its case, read once."""
    if not assignment.holds_role(session, target.id, task.role, task.section_id):
        return "transfer_target_lacks_role"
    others = [t for t in case_tasks if t.id != task.id]
    filled_other = task.kind == "approval" and any(
        t.completed_by_id == target.id and t.kind == "approval" and t.bpmn_id != task.bpmn_id for t in others)
    if target.id in (task.instance.applicant_id, task.excluded_user_id) or filled_other:
        return "transfer_target_separated"
    # A countersign step has one task per signer: a second task of the same step would be a second signature.
    if any(t.bpmn_id == task.bpmn_id and t.status in ("open", "completed")
           and target.id in (t.assignee_id, t.completed_by_id) for t in others):
        return "transfer_target_signs_already"
    return None
