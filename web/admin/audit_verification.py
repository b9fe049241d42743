"""The security auditor's reading of the audit log beyond the list and the CSV (web/admin): the chain's
verification as a page and as JSON, and the log as JSON under /api/v1/audit. Reading it is itself audited
where it takes the log out (export) or checks it (verify), so the other administrators see the auditor too."""
from flask import jsonify, render_template
from flask_login import current_user

from models import utcnow
from services import admin_console, audit, audit_chain
from web.access_policy import required
from web.admin import _audit_filter, bp  # the page's filter parsing: one place for both
from web.session import db

PAGE = 100


def _verification() -> dict:
    """Walk the chain; the answer names every break and the head to write down outside the system."""
    session = db()
    count, problems = audit_chain.verify(session)
    head = session.get(audit_chain.AuditChainHead, audit_chain.HEAD_ID)
    audit.record(session, "audit_verified", current_user.id, rows=count, problems=len(problems))
    session.commit()
    return {"intact": not problems, "rows": count, "checked_at": utcnow().isoformat(),
            "problems": [{"event_id": p.event_id, "kind": p.kind, "text": p.text} for p in problems],
            "head": {"event_id": head.last_event_id if head else None,
                     "hash": head.last_hash if head else audit_chain.GENESIS}}


@bp.get("/admin/audit/verify")
@required
def audit_verify():
    return render_template("admin/audit_verify.html", result=_verification())


@bp.get("/api/v1/audit/verify")
@required
def api_audit_verify():
    return jsonify(_verification())


@bp.get("/api/v1/audit")
@required
def api_audit():
    """The log, newest first, with the same filters as the page (action, actor, case, since, until, page)."""
    flt, page = _audit_filter()
    rows = admin_console.audit_events(db(), flt, limit=PAGE, offset=(page - 1) * PAGE)
    return jsonify({"page": page, "events": [
        {"id": e.id, "at": e.at.isoformat(), "actor": username, "action": e.action, "case": key,
         "task_id": e.task_id, "details": e.details} for e, username, key in rows]})
