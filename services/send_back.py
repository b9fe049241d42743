"""Send back (退回): whoever may act on an open task returns the case, with a reason, to an earlier step of
its path or to its applicant. The case resumes from there: SpiffWorkflow resets the branch
(services/engine.Case.send_back), the task rows follow (services/cases._save: open rows no longer READY are
cancelled, the step gets a new row with a fresh deadline), boundary timers are re-armed by the engine."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import HumanTask, User, utcnow
from services import assignment, audit, cases, definitions, engine, forms, notifications, steps
from services.errors import Conflict, DomainError, Forbidden
from services.messages import register
from services.roles import APPLICANT_LANE

APPLICANT_STEP = "start"  # the target name of "back to the applicant": the start form, filled in again

# Service tasks a send-back may undo: they only check or copy data, so running them again is harmless.
# Every other service task wrote to a register (assets handed out, items destroyed) and is never undone.
REPEATABLE_STEPS = {
    ("destruction", "record_signature"), ("destruction", "check_escort"),
    ("external_repair", "check_data_protection"), ("external_repair", "record_supervision"),
    ("network_device", "check_resubmission"),
    ("publication_review", "reset_self_check"), ("publication_review", "check_resubmission"),
}
# A destruction manifest reserves its items one by one; a revised manifest is a new case (the leader
# refuses this one instead), so its compiler is no step to send it back to.
NO_APPLICANT_STEP = {"destruction"}

register({
    "send_back_reason_required": ("请填写退回原因。", "Give the reason for sending the case back."),
    "send_back_not_here": ("申请人本人的环节不能退回。", "A step of the applicant cannot send the case back."),
    "send_back_target_unknown": ("不能退回到该环节：只能退回到本案已办理过的前序环节或申请人。",
                                 "The case cannot go back there: only to an earlier step it passed or to the applicant."),
    "send_back_undoes_record": ("不能越过已登记的环节（{steps}）退回：相关登记已生效。",
                                "The case cannot go back past a recorded step ({steps}): what it recorded stands."),
    "notify_case_sent_back": ("案件 {case} 被 {by} 退回到“{step}”，原因：{reason}",
                              "Case {case} was sent back by {by} to “{step}”: {reason}"),
})


@dataclass(frozen=True)
class Target:
    """An earlier step a task may send its case back to."""

    bpmn_id: str
    title_zh: str
    title_en: str
    is_applicant: bool

    def title(self, locale: str) -> str:
        return self.title_en if locale.startswith("en") else self.title_zh


def send_back_targets(session: Session, task: HumanTask) -> list[Target]:
    """The earlier user tasks (and the applicant's step) this open task may send its case back to."""
    if task.status != "open" or _applicants_own(task):
        return []
    instance = task.instance
    case = engine.Case.restore(definitions.parsed(instance.definition), instance.workflow_state, None)
    return [_target(instance, step) for step in case.earlier_steps(task.spiff_task_id)
            if _allowed(instance.process_id, step)]


def send_back(session: Session, task_id: int, user: User, target_bpmn_id: str, reason: str,
              locale: str) -> HumanTask:
    """Send the task's case back to `target_bpmn_id` ("start" for the applicant) with a reason; returns the
    target's new open task."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("send_back_reason_required", field="reason")
    with cases._conflict_on_concurrent_change():
        task, case_tasks, _for_user = cases._task_to_act_on(session, task_id, user)
        if _applicants_own(task):
            raise Forbidden("send_back_not_here")
        for_user = assignment.check_can_act(session, task, user, case_tasks)
        instance = task.instance
        now = utcnow()
        ctx = steps.StepContext(session, instance, user, now)
        case = engine.Case.restore(definitions.parsed(instance.definition), instance.workflow_state,
                                   steps.runner(instance.process_id, ctx))
        step = next((s for s in case.earlier_steps(task.spiff_task_id)
                     if (APPLICANT_STEP if s.is_start else s.bpmn_id) == target_bpmn_id), None)
        if step is None or (step.is_start and instance.process_id in NO_APPLICANT_STEP):
            raise DomainError("send_back_target_unknown", field="target")
        if not _allowed(instance.process_id, step):
            raise Conflict("send_back_undoes_record", steps=", ".join(_unrepeatable(instance.process_id, step)))
        case.send_back(step.id)
        task.status, task.completed_by_id, task.completed_at = "sent_back", user.id, now
        task.comment = reason[:2000]
        audit.record(session, "case_sent_back", user.id, instance.id, task.id, task=task.bpmn_id,
                     to=target_bpmn_id, reason=task.comment, **({"for_user": for_user} if for_user else {}))
        cases._save(session, instance, case, now, case_tasks)
        session.flush()
    new_task = next((t for t in cases.tasks_of_case(session, instance.id)
                     if t.status == "open" and t.bpmn_id == target_bpmn_id and t.created_at == now), None)
    if new_task is None:
        raise Conflict("case_changed")
    target = _target(instance, step)
    notifications.notify(session, notifications.task_candidates(session, new_task), "notify_case_sent_back",
                         f"sent_back:{new_task.id}", instance.id, new_task.id, case=instance.business_key,
                         by=user.display_name, step=target.title_zh, reason=task.comment)
    return new_task


def _applicants_own(task: HumanTask) -> bool:
    """The applicant's own steps (revising, resubmitting) answer a send-back; they do not send back."""
    return task.bpmn_id == APPLICANT_STEP or task.kind in ("applicant", "start") or (
        task.role == APPLICANT_LANE and task.assignee_id == task.instance.applicant_id)


def _unrepeatable(process_id: str, step: engine.EarlierStep) -> list[str]:
    return [s for s in step.undone if (process_id, s) not in REPEATABLE_STEPS]


def _allowed(process_id: str, step: engine.EarlierStep) -> bool:
    if step.is_start and process_id in NO_APPLICANT_STEP:
        return False
    return not _unrepeatable(process_id, step)


def _target(instance, step: engine.EarlierStep) -> Target:
    name = APPLICANT_STEP if step.is_start else step.bpmn_id
    form = forms.of_case(instance, name)
    if step.is_start:
        return Target(name, f"申请人（{instance.applicant.display_name}）重新提交",
                      f"The applicant ({instance.applicant.display_name}) resubmits", True)
    return Target(name, form.title("zh_CN"), form.title("en"), False)


def last_send_back(session: Session, instance_id: int) -> HumanTask | None:
    """The latest send-back of a case (who, when, why), for the page of the step it went back to."""
    return session.scalar(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                  HumanTask.status == "sent_back").order_by(HumanTask.id.desc()).limit(1))
