"""Added approvers (加签, 减签) on the case page and through the API; the rules are in services/added_approvers."""
from flask import Blueprint, g, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import Schema, fields, validate

from services import added_approvers, cases
from web import page_action
from web.extensions import select_locale
from web.payloads import json_body, load
from web.session import db

bp = Blueprint("added_approvers", __name__, template_folder="templates")


class AddIn(Schema):
    user_id = fields.Integer(required=True, strict=False, error_messages={"required": "required", "invalid": "invalid_value"})
    position = fields.String(required=True, validate=validate.OneOf(added_approvers.POSITIONS, error="added_approver_bad_position"),
                             error_messages={"required": "required"})
    reason = fields.String(load_default="", validate=validate.Length(max=500, error="too_long|500"))


class RemoveIn(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=500, error="too_long|500"))


def _out(link) -> dict:
    return {"id": link.id, "task_id": link.task_id, "added_task_id": link.added_task_id, "position": link.position,
            "user_id": link.user_id, "user": link.user.display_name, "added_by_id": link.added_by_id,
            "reason": link.reason, "status": link.status, "created_at": link.created_at.isoformat(),
            "decided_at": link.decided_at.isoformat() if link.decided_at else None}


@bp.app_template_global()
def added_approver_panel(case, tasks) -> dict:
    """For added_approvers/_panel.html: the open steps this user may add an approver to (with whom), and the
    pending added approvers this user may remove."""
    session = db()
    links = _links_of(case.id)
    steps = []
    if case.status == "running":
        for t in tasks:
            if t.status == "open" and t.kind == "approval" and added_approvers.may_manage(session, t, current_user) \
                    and added_approvers.step_allows(t):
                steps.append({"task": t, "candidates": [u for u in added_approvers.candidates(session, t, current_user)
                                                        if u.id != current_user.id]})
    pending = [link for link in links.values() if link.status == "pending"]
    removable = {link.id for link in pending
                 if link.added_by_id == current_user.id or added_approvers.may_manage(session, link.task, current_user)}
    return {"steps": steps, "pending": pending, "removable": removable}


@bp.app_template_global()
def added_approval_of(task):
    """The AddedApprover behind an added approver's task row (or None), read once per page."""
    return _links_of(task.instance_id).get(task.id)


def _links_of(instance_id: int) -> dict:
    cache = g.setdefault("added_approver_links", {})
    if instance_id not in cache:
        cache[instance_id] = {link.added_task_id: link for link in added_approvers.of_case(db(), instance_id)}
    return cache[instance_id]


# --- pages -----------------------------------------------------------------------------------------------

@bp.post("/tasks/<int:task_id>/added-approvers")
@login_required
def add(task_id: int):
    session = db()
    task = cases.visible_task(session, task_id, current_user)
    instance_id = task.instance_id
    try:
        user_id = int(request.form.get("user_id", ""))
    except ValueError:
        user_id = 0
    return page_action.attempt(
        lambda: added_approvers.add(session, task_id, current_user, user_id, request.form.get("position", ""),
                                    request.form.get("reason", "").strip()),
        _("Approver added."), url_for("cases.show", instance_id=instance_id))


@bp.post("/added-approvers/<int:link_id>/remove")
@login_required
def remove(link_id: int):
    session = db()
    instance_id = added_approvers.link(session, link_id).instance_id
    return page_action.attempt(
        lambda: added_approvers.remove(session, link_id, current_user, request.form.get("reason", ""), select_locale()),
        _("Added approver removed."), url_for("cases.show", instance_id=instance_id))


# --- API -------------------------------------------------------------------------------------------------

@bp.get("/api/v1/tasks/<int:task_id>/added-approvers")
@login_required
def api_list(task_id: int):
    session = db()
    task = cases.visible_task(session, task_id, current_user)
    links = [link for link in added_approvers.of_case(session, task.instance_id) if link.task_id == task.id]
    return jsonify({"added_approvers": [_out(link) for link in links],
                    "allowed": added_approvers.step_allows(task),
                    "may_manage": added_approvers.may_manage(session, task, current_user)})


@bp.post("/api/v1/tasks/<int:task_id>/added-approvers")
@login_required
def api_add(task_id: int):
    session = db()
    body = load(AddIn(), json_body(), select_locale())
    link = added_approvers.add(session, task_id, current_user, body["user_id"], body["position"], body["reason"])
    session.commit()
    return jsonify({"added_approver": _out(link)}), 201


@bp.delete("/api/v1/added-approvers/<int:link_id>")
@login_required
def api_remove(link_id: int):
    session = db()
    body = load(RemoveIn(), request.get_json(silent=True) or {}, select_locale())
    link = added_approvers.remove(session, link_id, current_user, body["reason"], select_locale())
    session.commit()
    return jsonify({"added_approver": _out(link)})
