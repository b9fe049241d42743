"""Request ids of task completions: a client that did not hear the answer sends the same completion again
with the same id, and it is done once. The id is stored in the completion's own transaction, so it exists
exactly when the step was committed."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from models import HumanTask, User
from models.security import CompletionRequest
from services import messages
from services.errors import Conflict, DomainError

MAX_LENGTH = 100

messages.register({
    "request_id_reused": ("该请求编号已用于另一项任务。", "This request id was already used for another task."),
    "request_id_invalid": ("请求编号无效（最多 100 个可见字符）。", "The request id is not valid (at most 100 visible characters)."),
})


def checked(request_id: str | None) -> str | None:
    """The client's request id, or None when it sent none; refused when it is not a short visible string."""
    if request_id is None or request_id == "":
        return None
    if len(request_id) > MAX_LENGTH or not request_id.isprintable() or request_id.strip() != request_id:
        raise DomainError("request_id_invalid")
    return request_id


def already_done(session: Session, user: User, task_id: int, request_id: str) -> HumanTask | None:
    """The task this request id completed before, or None if it never did; Conflict if it named another task."""
    done = session.get(CompletionRequest, (user.id, request_id))
    if done is None:
        return None
    if done.task_id != task_id:
        raise Conflict("request_id_reused")
    return session.get(HumanTask, task_id)


def remember(session: Session, user: User, task: HumanTask, request_id: str, now: datetime) -> None:
    """Keep the id with the completion; the same transaction commits both or neither."""
    session.add(CompletionRequest(user_id=user.id, request_id=request_id, task_id=task.id, created_at=now))
