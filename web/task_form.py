"""Submitting a task's form from a page: complete the task, or keep what was typed with the refusal."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_login import current_user

from services import cases
from services.errors import DomainError, NotFound
from web.errors import domain_error_body
from web.extensions import select_locale


@dataclass
class Submission:
    values: dict
    done: bool = False
    error: str | None = None
    errors: dict = field(default_factory=dict)
    status: int = 200


def submit(session, task_id: int, form) -> Submission:
    """Complete the task with the posted form; a refusal rolls back and comes back with its message and the
    values as typed (an unknown or unseen task stays a 404)."""
    from flask import request

    values = form.from_html(request.form)
    try:
        cases.complete_task(session, task_id, current_user, values, select_locale())
        session.commit()
    except NotFound:
        raise
    except DomainError as err:
        session.rollback()
        body = domain_error_body(err)
        return Submission(values, error=body["error"], errors=body.get("fields", {}), status=err.status)
    return Submission(values, done=True)
