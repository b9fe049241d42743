"""Countersign (会签) and any-one (或签) approval: who signs a multi-instance approval step.

The BPMN draws the rule: a parallel multi-instance user task over `loopDataInputRef` (a list of signers),
one task per signer (`assignee_from` = "<inputDataItem>.id"). Countersign ends early on the first rejection
(`completionCondition` decision == "reject"), so every signer must approve; any-one ends on the first
decision (`completionCondition` True), which closes the other signers' tasks. The service task
`list_signers` before the step writes the signers into the case data, when the step starts, so that the
timeline names each signer and a later change of roles does not move a task already given out."""
from __future__ import annotations

from sqlalchemy import select

from models import HumanTask, RoleAssignment, User
from services import definitions, engine
from services.assignment import PERSONAL_KINDS
from services.errors import DomainError
from services.messages import register
from services.roles import ROLES
from services.steps import StepContext

register({
    "no_signers": (
        "没有可以会签或或签“{role_zh}”环节的人员（申请人、本案其他审批环节的审批人除外），请联系管理员分配角色。",
        "Nobody may sign the {role_en} step of this case (the applicant and the approvers of its other steps "
        "excepted); ask the administrator to assign the role."),
    "named_task_not_returnable": (
        "此任务由流程指定给您本人（会签、或签或本人确认），不能退回组内。",
        "This task was given to you by name (a countersign, any-one or personal confirmation); it cannot go back "
        "to the group."),
})


def named_by_process(task: HumanTask) -> bool:
    """Whether the process named this task's person (a signer of a countersign, an escort, a personal task):
    such a task never goes back to the group, where someone who already signed could take a second one."""
    if task.kind in PERSONAL_KINDS:
        return True
    props = engine.task_properties(definitions.parsed(task.instance.definition), task.bpmn_id)
    return bool(props.get("assignee_from"))


def eligible_signers(ctx: StepContext, role: str, step: str) -> list[User]:
    """Active holders of `role` (office-wide or for the case's section) who may sign `step`: never the
    applicant, nor someone who filled another approval step of the case (separation of duties)."""
    session, instance = ctx.session, ctx.instance
    holders = session.scalars(
        select(User).join(RoleAssignment, RoleAssignment.user_id == User.id).where(
            RoleAssignment.role == role, User.active.is_(True),
            (RoleAssignment.section_id.is_(None)) | (RoleAssignment.section_id == instance.section_id))
        .order_by(User.id)).unique().all()
    other_approvers = set(session.scalars(select(HumanTask.completed_by_id).where(
        HumanTask.instance_id == instance.id, HumanTask.kind.in_(("approval", "added_approval")),
        HumanTask.bpmn_id != step,
        HumanTask.completed_by_id.is_not(None))))
    # The signer acting in this very step (the engine runs on inside their completion) is no candidate either.
    if ctx.actor is not None:
        other_approvers.add(ctx.actor.id)
    return [u for u in holders if u.id != instance.applicant_id and u.id not in other_approvers]


def list_signers(ctx: StepContext, data: dict, role: str, step: str, into: str) -> dict:
    """Service task: write the signers of the approval step `step` (holders of `role`) to `data[into]`, as
    [{"id", "label"}]; refuse when nobody may sign, as an empty list would let the step pass unsigned."""
    signers = eligible_signers(ctx, role, step)
    if not signers:
        named = ROLES.get(role)
        raise DomainError("no_signers", role_zh=named.name("zh_CN") if named else role,
                          role_en=named.name("en") if named else role)
    data[into] = [{"id": u.id, "label": u.display_name} for u in signers]
    return {"signers": len(signers)}
