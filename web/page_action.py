"""A page's POST action on a case: do it, commit and say so; or roll back and show the refusal in the
user's language. Either way the browser goes back to where the action came from (post, redirect, get)."""
from __future__ import annotations

from typing import Any, Callable

from flask import flash, redirect

from services.errors import DomainError, NotFound
from web.errors import domain_error_body
from web.session import db


def attempt(action: Callable[[], Any], done: str | Callable[[Any], str], back: str, code: int = 302):
    """Run `action`; on success commit and flash `done` (a text, or made from the action's result); on a
    refusal roll back and flash its message. An unknown or unseen object stays a 404. Redirects to `back`
    (with `code`: 303 says "now GET it" plainly, 302 is what browsers do anyway)."""
    session = db()
    try:
        result = action()
        session.commit()
    except NotFound:
        raise
    except DomainError as err:
        session.rollback()
        flash(domain_error_body(err)["error"], "danger")
    else:
        flash(done(result) if callable(done) else done, "success")
    return redirect(back, code)
