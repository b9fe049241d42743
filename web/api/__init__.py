"""The JSON API under /api/v1: the same actions as the pages, errors as {"error", "code", "fields"}."""
from flask import Blueprint, jsonify, request
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from marshmallow import ValidationError

from services import assets, auth, bulk_approval, cases, completion_requests, forms, inbox
from services.errors import DomainError, NotFound, ValidationFailed
from services.procedures import PROCEDURES
from web.api.schemas import (INSTANCE_OUT, INSTANCES_OUT, TASK_OUT, TASKS_OUT, AssetOut, BulkApproveIn, SignInSchema,
                             TaskListQuery, UserOut)
from web.extensions import select_locale
from web.session import db

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise DomainError("bad_request")
    return body


def _load(schema, data) -> dict:
    try:
        return schema.load(data)
    except ValidationError as err:
        raise ValidationFailed({k: v if isinstance(v, list) else [str(v)] for k, v in err.messages.items()})


@bp.post("/session")
def sign_in():
    """Sign in; the answer carries the CSRF token that every later write must send as X-CSRFToken."""
    creds = _load(SignInSchema(), _json_body())
    try:
        user = auth.authenticate(db(), creds["username"], creds["password"], address=request.remote_addr)
    except DomainError as err:
        err.status = 401
        raise
    login_user(user)
    return jsonify({"user": UserOut().dump(user), "csrf_token": generate_csrf()})


@bp.delete("/session")
@login_required
def sign_out():
    logout_user()
    return "", 204


@bp.get("/me")
@login_required
def me():
    return jsonify({"user": UserOut().dump(current_user), "inbox": vars(inbox.counts(db(), current_user.id))})


@bp.get("/processes")
@login_required
def processes():
    locale = select_locale()
    return jsonify({"processes": [{"process_id": p.process_id, "name": p.name(locale), "articles": p.articles}
                                  for p in PROCEDURES.values()]})


@bp.post("/processes/<process_id>/instances")
@login_required
def start_instance(process_id: str):
    instance = cases.start_case(db(), process_id, current_user, _json_body(), select_locale())
    tasks = _tasks_out(instance.id)  # before the commit: what it commits, without a second connection checkout
    db().commit()
    return jsonify({"instance": INSTANCE_OUT.dump(instance), "tasks": tasks}), 201


@bp.get("/instances")
@login_required
def my_instances():
    return jsonify({"instances": INSTANCES_OUT.dump(inbox.my_cases(db(), current_user.id))})


@bp.get("/instances/<int:instance_id>")
@login_required
def get_instance(instance_id: int):
    session = db()
    instance = cases.visible_case(session, instance_id, current_user)
    snap = cases.snapshot(instance)
    return jsonify({"instance": INSTANCE_OUT.dump(instance), "data": snap["data"], "active": snap["active"],
                    "tasks": _tasks_out(instance.id),
                    "assets": AssetOut(many=True).dump(assets.assets_of_case(session, instance.id))})


@bp.get("/tasks")
@login_required
def list_tasks():
    query = _load(TaskListQuery(), request.args.to_dict())
    lister = inbox.my_tasks if query["scope"] == "mine" else inbox.group_tasks
    tasks = lister(db(), current_user.id, limit=query["limit"], offset=query["offset"])
    return jsonify({"scope": query["scope"], "tasks": TASKS_OUT.dump(tasks)})


@bp.get("/tasks/<int:task_id>")
@login_required
def get_task(task_id: int):
    task = cases.visible_task(db(), task_id, current_user)
    return jsonify({"task": TASK_OUT.dump(task), "may_act": cases.may_act(db(), task, current_user)})


@bp.post("/tasks/<int:task_id>/claim")
@login_required
def claim(task_id: int):
    task = cases.claim(db(), task_id, current_user)
    db().commit()
    return jsonify({"task": TASK_OUT.dump(task)})


@bp.post("/tasks/<int:task_id>/unclaim")
@login_required
def unclaim(task_id: int):
    task = cases.unclaim(db(), task_id, current_user)
    db().commit()
    return jsonify({"task": TASK_OUT.dump(task)})


@bp.post("/tasks/<int:task_id>/complete")
@login_required
def complete(task_id: int):
    session = db()
    # A client's request id (Idempotency-Key): sent again after a lost answer, the step is not done twice.
    request_id = completion_requests.checked(request.headers.get("Idempotency-Key"))
    task = cases.complete_task(session, task_id, current_user, _json_body(), select_locale(), request_id)
    # Read in the step's own transaction, so exactly what it commits: after the commit the read would check
    # a connection out again (ping, BEGIN, SELECT, ROLLBACK: four round trips instead of one).
    next_tasks = _tasks_out(task.instance_id, open_only=True)
    session.commit()
    return jsonify({"task": TASK_OUT.dump(task), "instance": INSTANCE_OUT.dump(task.instance),
                    "next_tasks": next_tasks})


@bp.post("/tasks/bulk-approve")
@login_required
def bulk_approve():
    """Approve several decision-only tasks, each in its own transaction; the outcome of each, in order."""
    body = _load(BulkApproveIn(), _json_body())
    outcomes = bulk_approval.approve_each(db(), bulk_approval.check_request(body["task_ids"], select_locale()),
                                          current_user, body.get("comment"), select_locale())
    return jsonify({"results": [o.as_dict() for o in outcomes],
                    "approved": sum(o.status == "approved" for o in outcomes),
                    "refused": sum(o.status == "refused" for o in outcomes)})


@bp.get("/processes/<process_id>/eligible-assets")
@login_required
def eligible_assets(process_id: str):
    """The assets this user may put into a request of this procedure."""
    start_form = forms.start_form(db(), process_id) if process_id in PROCEDURES else None
    if start_form is None:
        raise NotFound("process_not_found", process_id=process_id)
    field = next((f for f in start_form.fields if f.type == "asset_list"), None)
    found = assets.candidates(db(), current_user, field.eligible, field.asset_kinds) if field else []
    return jsonify({"assets": AssetOut(many=True).dump(found)})


def _tasks_out(instance_id: int, open_only: bool = False) -> list[dict]:
    tasks = cases.tasks_of_case(db(), instance_id)
    return TASKS_OUT.dump([t for t in tasks if t.status == "open" or not open_only])


from web.api import openapi  # noqa: E402,F401  (GET /api/v1/openapi.json)
