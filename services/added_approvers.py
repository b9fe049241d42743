"""Adding an approver to a step (加签) and removing one added by mistake (减签).

The BPMN stays as drawn: a step allows added approvers with the user-task property
`allow_added_approver` = "true", and only an approval step (a form with an approve/reject decision). The
added approver gets a task row of their own (kind "added_approval", no SpiffWorkflow task) with a plain
decision form.

- "before": the step's own task cannot be completed until every added approver before it has decided.
- "after": the step's approver submits as usual, but the submission is held (their task row reads
  "awaiting_added") and the engine step completes, with that very submission, only when every added
  approver after it has approved.
- The rule for a rejection, the same both ways: an added approver advises, the step's approver decides. A
  rejection by an added approver hands the step back to its own approver, with the reasons in the timeline
  ("before": the task stays open and may now be completed; "after": the held submission is dropped and the
  task is open again). Only the step's approver can take the case down the step's rejection path.
- Who may add or remove: the step's approver (the task claimed by or assigned to them) and the security
  office. Whom: the step's approver may add another holder of the step's role for the case's section; the
  security office may name anyone active. Never the applicant, the person the case is about, the step's
  approver, someone who filled another approval step of the case, nor someone already pending on the task.
- Removing (减签) only while the added approver has not acted; removing the last added approver after a
  held submission lets the submission complete the step at once.
Every change is in the audit log; the caller commits."""
from __future__ import annotations

import json
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AddedApprover, HumanTask, User, utcnow
from services import assignment, audit, cases, definitions, engine, forms, notifications
from services.errors import Conflict, DomainError, Forbidden, NotFound
from services.messages import register
from services.roles import ROLES

KIND = "added_approval"
AWAITING = "awaiting_added"
POSITIONS = ("before", "after")
# Who may add an approver to any step, and name someone outside the step's role.
NAMING_ROLE = "security_office"

DECISION_FORM = forms.FormDefinition(
    key="added_approval", title_zh="加签审批", title_en="Added approval", kind="approval",
    fields=(
        forms.Field(name="decision", type="decision", label_zh="审批意见", label_en="Decision", required=True,
                    choices=(("approve", *forms.DECISION_LABELS["approve"]),
                             ("reject", *forms.DECISION_LABELS["reject"]))),
        forms.Field(name="comment", type="text", label_zh="意见说明", label_en="Comment"),
    ))

register({
    "added_approver_not_allowed_here": (
        "本环节不允许加签（流程未设置 allow_added_approver，或本环节不是审批环节）。",
        "This step does not allow an added approver (the process does not set allow_added_approver, or the step "
        "is not an approval)."),
    "added_approver_not_yours": (
        "只有本环节的审批人（已认领或已指派）或保密办可以加签、减签。",
        "Only the step's approver (who claimed or was given the task) or the security office may add or "
        "remove an approver."),
    "added_approver_lacks_role": (
        "加签人须具备本环节的角色“{role}”；其他人员只能由保密办指定。",
        "The added approver must hold the step's role ({role}); anyone else is named by the security office."),
    "added_approver_excluded": (
        "不能加签此人：申请人、本案所涉人员、本环节审批人、本案其他审批环节的审批人不能担任加签人。",
        "This person cannot be added: not the applicant, the person the case is about, the step's approver, "
        "nor an approver of another step of the case."),
    "added_approver_twice": ("此人已是本环节待审批的加签人。", "This person is already an added approver of the step."),
    "added_approver_bad_position": ("加签位置只能是“前加签”或“后加签”。", "The position is either before or after."),
    "added_approver_pending": (
        "请等待前加签人（{names}）审批后再办理本环节。", "Wait for the approver added before you ({names}) to decide."),
    "added_approver_decided": (
        "加签人已审批，不能再减签。", "The added approver has already decided and cannot be removed."),
    "notify_added_approver": (
        "{by} 请您在案件 {case} 的“{step}”环节加签审批。", "{by} asks you to approve the step {step} of case {case}."),
})


def step_allows(task: HumanTask) -> bool:
    """Whether the step, as drawn in the case's version, allows added approvers, and is an approval."""
    if task.kind == KIND or task.kind != "approval":
        return False
    props = engine.task_properties(definitions.parsed(task.instance.definition), task.bpmn_id)
    decision = forms.of_case(task.instance, task.bpmn_id).field("decision")
    choices = {c[0] for c in decision.choices} if decision else set()
    return props.get("allow_added_approver") == "true" and {"approve", "reject"} <= choices


def may_manage(session: Session, task: HumanTask, user: User) -> bool:
    """The step's approver (the task claimed by or assigned to them, or to whom they stand in for) or the
    security office."""
    if assignment.holds_role(session, user.id, NAMING_ROLE, None):
        return True
    if task.assignee_id is None:
        return False
    try:
        owner = assignment.check_can_act(session, task, user) or user.id
    except DomainError:
        return False
    return task.assignee_id == owner


def pending_of(session: Session, task_id: int) -> list[AddedApprover]:
    return list(session.scalars(select(AddedApprover).where(
        AddedApprover.task_id == task_id, AddedApprover.status == "pending").order_by(AddedApprover.id)))


def of_case(session: Session, instance_id: int) -> list[AddedApprover]:
    """Every added approver of the case, in the order they were added."""
    return list(session.scalars(select(AddedApprover).where(AddedApprover.instance_id == instance_id)
                                .order_by(AddedApprover.id)))


def candidates(session: Session, task: HumanTask, user: User) -> list[User]:
    """Whom this user may add to the task: the step role's holders, or (security office) anyone active."""
    if assignment.holds_role(session, user.id, NAMING_ROLE, None):
        people = session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)).all()
    else:
        ids = notifications.holders_of(session, task.role, task.section_id)
        people = session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id)).all()
    excluded = _excluded_ids(session, task)
    return [p for p in people if p.id not in excluded]


def _excluded_ids(session: Session, task: HumanTask) -> set[int]:
    instance = task.instance
    out = {instance.applicant_id, task.excluded_user_id, task.assignee_id}
    out.update(session.scalars(select(HumanTask.completed_by_id).where(
        HumanTask.instance_id == instance.id, HumanTask.kind.in_(("approval", KIND)), HumanTask.bpmn_id != task.bpmn_id,
        HumanTask.completed_by_id.is_not(None))))
    out.update(a.user_id for a in pending_of(session, task.id))
    return {u for u in out if u is not None}


def add(session: Session, task_id: int, actor: User, user_id: int, position: str, reason: str = "") -> AddedApprover:
    """Add `user_id` before or after the step of `task_id`; they get a task row of their own."""
    task = cases.visible_task(session, task_id, actor)
    if task.status != "open" or task.kind == KIND:
        raise Conflict("task_closed")
    if task.instance.status != "running":
        raise Conflict("case_not_running")
    if position not in POSITIONS:
        raise DomainError("added_approver_bad_position", field="position")
    if not step_allows(task):
        raise Forbidden("added_approver_not_allowed_here")
    if not may_manage(session, task, actor):
        raise Forbidden("added_approver_not_yours")
    added = session.get(User, user_id)
    if added is None or not added.active:
        raise DomainError("user_unknown", field="user_id")
    if any(a.user_id == user_id for a in pending_of(session, task.id)):
        raise Conflict("added_approver_twice", field="user_id")
    if user_id in _excluded_ids(session, task) or user_id == actor.id:
        raise Forbidden("added_approver_excluded", field="user_id")
    names_anyone = assignment.holds_role(session, actor.id, NAMING_ROLE, None)
    if not names_anyone and not assignment.holds_role(session, user_id, task.role, task.section_id):
        raise Forbidden("added_approver_lacks_role", field="user_id",
                        role=ROLES[task.role].name_zh if task.role in ROLES else task.role)
    now = utcnow()
    row = HumanTask(instance_id=task.instance_id, spiff_task_id=str(uuid4()), bpmn_id=task.bpmn_id, name=task.name,
                    subject=None, role=task.role, kind=KIND, section_id=task.section_id,
                    assignee_id=user_id, status="open", created_at=now, due_at=task.due_at)
    session.add(row)
    session.flush()
    link = AddedApprover(instance_id=task.instance_id, task_id=task.id, added_task_id=row.id, position=position,
                         user_id=user_id, added_by_id=actor.id, reason=(reason or "")[:500], status="pending",
                         created_at=now)
    session.add(link)
    session.flush()
    audit.record(session, "added_approver_added", actor.id, task.instance_id, task.id, added_user=user_id,
                 position=position, reason=link.reason, added_task=row.id)
    notifications.notify(session, [user_id], "notify_added_approver", f"added_approver:{link.id}",
                         instance_id=task.instance_id, task_id=row.id, by=actor.display_name,
                         case=task.instance.business_key, step=task.name)
    return link


def link(session: Session, link_id: int) -> AddedApprover:
    found = session.get(AddedApprover, link_id)
    if found is None:
        raise NotFound("not_found")
    return found


def remove(session: Session, link_id: int, actor: User, reason: str = "", locale: str = "zh_CN") -> AddedApprover:
    """减签: take back an added approver who has not acted yet."""
    link = session.get(AddedApprover, link_id)
    if link is None:
        raise NotFound("not_found")
    task = cases.visible_task(session, link.task_id, actor)
    if link.status != "pending" or link.added_task.status != "open":
        raise Conflict("added_approver_decided")
    if actor.id != link.added_by_id and not may_manage(session, task, actor):
        raise Forbidden("added_approver_not_yours")
    link.status, link.decided_at = "removed", utcnow()
    link.added_task.status = "cancelled"
    audit.record(session, "added_approver_removed", actor.id, link.instance_id, task.id, added_user=link.user_id,
                 position=link.position, reason=(reason or "")[:500], added_task=link.added_task_id)
    if task.status == AWAITING and not [a for a in pending_of(session, task.id) if a.position == "after"]:
        _complete_held(session, task, link, locale)
    return link


def holds_completion(session: Session, task: HumanTask, user: User, payload: dict,
                     case_tasks: list[HumanTask] | None = None) -> bool:
    """Called before a step's task completes: refuse while an approver added before it is pending; hold the
    submission (True) while one added after it is pending; False lets the completion go on. With the case's
    task rows at hand, a step with no open added approver's row (the common case) costs no query: a pending
    added approver always has one."""
    if case_tasks is not None and not any(t.kind == KIND and t.status == "open" and t.bpmn_id == task.bpmn_id
                                          for t in case_tasks):
        return False
    pending = pending_of(session, task.id)
    if not pending:
        return False
    before = [a for a in pending if a.position == "before"]
    if before:
        raise Conflict("added_approver_pending", names="、".join(a.user.display_name for a in before))
    held = json.dumps(payload, ensure_ascii=False)
    for link in pending:
        link.held_payload, link.held_by_id = held, user.id
    task.status = AWAITING
    task.assignee_id = task.assignee_id or user.id
    audit.record(session, "task_held_for_added_approver", user.id, task.instance_id, task.id, task=task.bpmn_id,
                 decision=payload.get("decision"), waiting_for=[a.user_id for a in pending])
    return True


def decide(session: Session, row: HumanTask, user: User, payload: dict, locale: str) -> HumanTask:
    """The added approver's decision on their own task row (reached through services.cases.complete_task)."""
    link = session.scalar(select(AddedApprover).where(AddedApprover.added_task_id == row.id))
    if link is None or link.status != "pending":
        raise Conflict("task_closed")
    data = DECISION_FORM.validate({k: v for k, v in payload.items() if k in ("decision", "comment")}, locale)
    now = utcnow()
    row.status, row.completed_by_id, row.completed_at = "completed", user.id, now
    row.decision, row.comment = data["decision"], data.get("comment")
    link.status, link.decided_at = ("approved" if data["decision"] == "approve" else "rejected"), now
    audit.record(session, "added_approver_decided", user.id, row.instance_id, row.id, task=row.bpmn_id,
                 position=link.position, decision=row.decision, comment=row.comment, step_task=link.task_id)
    task = link.task
    if link.position == "after" and task.status == AWAITING:
        if link.status == "rejected":
            _hand_back(session, task, user)
        elif not [a for a in pending_of(session, task.id) if a.position == "after"]:
            _complete_held(session, task, link, locale)
    session.flush()
    return row


def _hand_back(session: Session, task: HumanTask, user: User) -> None:
    """An "after" rejection: drop the held submission, close the other added approvers after, reopen the step."""
    for other in pending_of(session, task.id):
        if other.position == "after":
            other.status, other.decided_at = "cancelled", utcnow()
            other.added_task.status = "cancelled"
    for link in session.scalars(select(AddedApprover).where(AddedApprover.task_id == task.id)):
        link.held_payload = None
    task.status = "open"
    audit.record(session, "task_handed_back_by_added_approver", user.id, task.instance_id, task.id, task=task.bpmn_id)


def _complete_held(session: Session, task: HumanTask, link: AddedApprover, locale: str) -> None:
    """Every approver added after has approved: the step completes with its approver's held submission."""
    payload = json.loads(link.held_payload or "{}")
    held_by = session.get(User, link.held_by_id)
    task.status = "open"
    cases.complete_task(session, task.id, held_by, payload, locale)


def follow_step(session: Session, case_tasks: list[HumanTask]) -> None:
    """Added approvers close with their step: when the step's task is cancelled (the case moved on, was sent
    back or closed), their open rows are cancelled too. Called by services.cases when it syncs task rows."""
    open_added = {t.id: t for t in case_tasks if t.kind == KIND and t.status == "open" and t.id is not None}
    if not open_added:
        return
    for link in session.scalars(select(AddedApprover).where(AddedApprover.added_task_id.in_(list(open_added)))):
        if link.task.status not in ("open", AWAITING):
            link.status, link.decided_at = "cancelled", utcnow()
            open_added[link.added_task_id].status = "cancelled"
