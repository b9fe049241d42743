"""Bulk approve from the inbox: tasks whose form asks for nothing but a decision (optionally a comment).

Each task is approved in a transaction of its own, through the one completion path (services.cases), so every
rule of a single approval holds (separation of duties, added approvers, a case changed meanwhile); a refusal
of one task is reported for that task and does not stop the others."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from models import HumanTask, User
from services import added_approvers, cases, forms
from services.errors import DomainError, NotFound
from services.messages import message, register

MAX_TASKS = 100

register({
    "not_bulk_approvable": (
        "此任务的表单不只需要审批意见，请逐项打开办理。",
        "This task's form asks for more than a decision; open it and complete it on its own."),
    "bulk_nothing_chosen": ("请至少选择一项任务。", "Choose at least one task."),
    "bulk_too_many": ("一次最多批量同意 {max} 项任务。", "At most {max} tasks can be approved at once."),
})


@dataclass
class Outcome:
    """What became of one task: approved, held (an approver added after it must still approve) or refused."""

    task_id: int
    status: str
    business_key: str | None = None
    code: str | None = None
    error: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def approvable(task: HumanTask) -> bool:
    """Whether the task's form needs nothing but a decision that can be "approve" (comment optional)."""
    form = added_approvers.DECISION_FORM if task.kind == added_approvers.KIND else forms.of_case(task.instance, task.bpmn_id)
    decision = form.field("decision")
    others_optional = all(not f.required for f in form.fields if f.name not in ("decision", "comment"))
    return (decision is not None and form.is_decision_only and others_optional
            and any(value == "approve" for value, _zh, _en in decision.choices))


def check_request(task_ids, locale: str) -> list[int]:
    """The distinct task ids asked for, in order; refuse none or too many."""
    ids = list(dict.fromkeys(int(t) for t in task_ids))
    if not ids:
        raise DomainError("bulk_nothing_chosen", field="task_ids")
    if len(ids) > MAX_TASKS:
        raise DomainError("bulk_too_many", field="task_ids", max=MAX_TASKS)
    return ids


def approve_each(session: Session, task_ids: list[int], user: User, comment: str | None, locale: str) -> list[Outcome]:
    """Approve each task in its own transaction (committed here, one per task, by design); the outcomes in
    the order asked."""
    payload = {"decision": "approve", **({"comment": comment} if comment else {})}
    outcomes = []
    for task_id in task_ids:
        try:
            task = cases.visible_task(session, task_id, user)
            key = task.instance.business_key
            if not approvable(task):
                raise DomainError("not_bulk_approvable")
            done = cases.complete_task(session, task_id, user, payload, locale)
            status = "held" if done.status == added_approvers.AWAITING else "approved"
            session.commit()
            outcomes.append(Outcome(task_id, status, key))
        except DomainError as err:
            session.rollback()
            key = None if isinstance(err, NotFound) else _key_of(session, task_id)
            outcomes.append(Outcome(task_id, "refused", key, err.code, message(err.code, locale, **err.params)))
    return outcomes


def _key_of(session: Session, task_id: int) -> str | None:
    task = session.get(HumanTask, task_id)
    return task.instance.business_key if task is not None else None
