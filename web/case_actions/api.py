"""Case actions as JSON under /api/v1: send back, withdraw, transfer, urge, standing delegation."""
from flask import Blueprint, jsonify
from flask_login import current_user, login_required

from services import cases, delegation, send_back, transfer, urging, withdrawal
from web.api.schemas import InstanceOut, TaskOut
from web.case_actions import schemas
from web.extensions import select_locale
from web.payloads import json_body, load
from web.session import db

bp = Blueprint("case_actions_api", __name__, url_prefix="/api/v1")


@bp.get("/tasks/<int:task_id>/send-back-targets")
@login_required
def send_back_targets(task_id: int):
    session = db()
    task = cases.visible_task(session, task_id, current_user)
    locale = select_locale()
    return jsonify({"targets": [{"bpmn_id": t.bpmn_id, "title": t.title(locale), "applicant": t.is_applicant}
                                for t in send_back.send_back_targets(session, task)]})


@bp.post("/tasks/<int:task_id>/send-back")
@login_required
def send_back_task(task_id: int):
    session, locale = db(), select_locale()
    body = load(schemas.SendBackIn(), json_body(), locale)
    new_task = send_back.send_back(session, task_id, current_user, body["target"], body["reason"], locale)
    session.commit()
    return jsonify({"task": TaskOut().dump(new_task), "instance": InstanceOut().dump(new_task.instance)})


@bp.post("/tasks/<int:task_id>/transfer")
@login_required
def transfer_task(task_id: int):
    session = db()
    body = load(schemas.TransferIn(), json_body(), select_locale())
    task = transfer.transfer(session, task_id, current_user, body["to_user_id"], body["reason"])
    session.commit()
    return jsonify({"task": TaskOut().dump(task)})


@bp.post("/instances/<int:instance_id>/withdraw")
@login_required
def withdraw(instance_id: int):
    session = db()
    body = load(schemas.WithdrawIn(), json_body(), select_locale())
    cases.visible_case(session, instance_id, current_user)
    instance = withdrawal.withdraw(session, instance_id, current_user, body["reason"])
    session.commit()
    return jsonify({"instance": InstanceOut().dump(instance)})


@bp.post("/instances/<int:instance_id>/urge")
@login_required
def urge(instance_id: int):
    session = db()
    told = urging.urge(session, instance_id, current_user)
    session.commit()
    return jsonify({"notified": told})


@bp.get("/delegations")
@login_required
def list_delegations():
    session = db()
    return jsonify({
        "given": [schemas.delegation_out(d, delegation.is_in_force(d)) for d in delegation.mine(session, current_user)],
        "standing_in_for": [schemas.delegation_out(d, True) for d in delegation.standing_in_for(session, current_user)],
    })


@bp.post("/delegations")
@login_required
def create_delegation():
    session = db()
    body = load(schemas.DelegationIn(), json_body(), select_locale())
    entry = delegation.delegate(session, current_user, body["delegate_id"], body["starts_on"], body["ends_on"],
                                body["reason"])
    session.commit()
    return jsonify({"delegation": schemas.delegation_out(entry, delegation.is_in_force(entry))}), 201


@bp.delete("/delegations/<int:delegation_id>")
@login_required
def revoke_delegation(delegation_id: int):
    session = db()
    entry = delegation.revoke(session, current_user, delegation_id)
    session.commit()
    return jsonify({"delegation": schemas.delegation_out(entry, False)})
