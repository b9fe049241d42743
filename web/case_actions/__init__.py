"""Case actions on the pages: send back, resubmit, withdraw, transfer, urge (on the case page, through one
included partial), and the user's standing delegation (/account/delegation)."""
from datetime import date

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from services import assets, cases, delegation, forms, resubmission, send_back, transfer, urging, withdrawal
from services.errors import DomainError
from web.errors import domain_error_body
from web.extensions import select_locale
from web import page_action, task_form
from web.session import db

bp = Blueprint("case_actions", __name__, template_folder="templates")


@bp.app_template_global()
def case_actions(case, tasks) -> dict:
    """What the signed-in user may do on this case page, for case_actions/_buttons.html."""
    session = db()
    acting = [t for t in tasks if t.status == "open" and cases.may_act(session, t, current_user)]
    return {
        "may_withdraw": withdrawal.may_withdraw(session, case, current_user),
        "may_urge": case.status == "running" and urging.may_urge(session, case, current_user)
        and bool(urging.waiting_tasks(session, case)),
        "tasks": [{"task": t, "targets": send_back.send_back_targets(session, t),
                   "candidates": [] if t.role == "employee" or t.kind == "personal"
                   else [u for u in transfer.candidates(session, t) if u.id != current_user.id]} for t in acting],
    }


@bp.app_template_global()
def acted_for(events) -> dict:
    """{task id: the name of the person a delegate acted for} on this case, for the timeline (read once
    per page)."""
    if getattr(g, "acted_for", None) is None:
        g.acted_for = delegation.for_user_names(db(), events)
    return g.acted_for


def _case_page(instance_id: int) -> str:
    return url_for("cases.show", instance_id=instance_id)


@bp.post("/tasks/<int:task_id>/send-back")
@login_required
def send_back_task(task_id: int):
    session = db()
    task = cases.visible_task(session, task_id, current_user)
    instance_id = task.instance_id
    return page_action.attempt(
        lambda: send_back.send_back(session, task_id, current_user, request.form.get("target", ""),
                                    request.form.get("reason", ""), select_locale()),
        _("The case was sent back."), _case_page(instance_id))


@bp.post("/tasks/<int:task_id>/transfer")
@login_required
def transfer_task(task_id: int):
    session = db()
    task = cases.visible_task(session, task_id, current_user)
    instance_id = task.instance_id
    try:
        to_user = int(request.form.get("to_user_id", ""))
    except ValueError:
        to_user = None
    return page_action.attempt(
        lambda: transfer.transfer(session, task_id, current_user, to_user, request.form.get("reason", "")),
        _("The task was transferred."), _case_page(instance_id))


@bp.post("/cases/<int:instance_id>/withdraw")
@login_required
def withdraw(instance_id: int):
    cases.visible_case(db(), instance_id, current_user)
    return page_action.attempt(
        lambda: withdrawal.withdraw(db(), instance_id, current_user, request.form.get("reason", "")),
        _("The request was withdrawn."), _case_page(instance_id))


@bp.post("/cases/<int:instance_id>/urge")
@login_required
def urge(instance_id: int):
    return page_action.attempt(lambda: urging.urge(db(), instance_id, current_user),
                               _("The waiting approvers were reminded."), _case_page(instance_id))


@bp.route("/tasks/<int:task_id>/resubmit", methods=["GET", "POST"])
@login_required
def resubmit(task_id: int):
    """A case sent back to its applicant: the application form again, filled in as the case holds it."""
    session = db()
    task = cases.visible_task(session, task_id, current_user)
    if task.bpmn_id != send_back.APPLICANT_STEP:
        return redirect(url_for("inbox.task", task_id=task_id))
    instance = task.instance
    form = forms.of_case(instance, "start")
    if request.method == "POST":
        sent = task_form.submit(session, task_id, form)
        if sent.done:
            flash(_("The application was resubmitted."), "success")
            return redirect(url_for("cases.show", instance_id=instance.id))
        values, errors, error, status = sent.values, sent.errors, sent.error, sent.status
        task = cases.visible_task(session, task_id, current_user)
        instance = task.instance
    else:
        values = resubmission.current_application(cases.snapshot(instance)["data"], form)
        errors, error, status = {}, None, 200
    asset_field = next((f for f in form.fields if f.type == "asset_list"), None)
    choices = []
    if asset_field is not None:
        choices = assets.assets_of_case(session, instance.id) + assets.candidates(
            session, instance.applicant, asset_field.eligible, asset_field.asset_kinds)
    may_act = task.status == "open" and cases.may_act(session, task, current_user)
    return render_template("case_actions/resubmit.html", task=task, case=instance, form=form, values=values,
                           errors=errors, error=error, asset_choices=choices, may_act=may_act,
                           sent_back=send_back.last_send_back(session, instance.id)), status


@bp.route("/account/delegation", methods=["GET", "POST"])
@login_required
def delegation_page():
    session = db()
    error, errors, status, values = None, {}, 200, {}
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            delegate_id = int(values.get("delegate_id") or 0)
            starts_on = date.fromisoformat(values.get("starts_on", ""))
            ends_on = date.fromisoformat(values.get("ends_on", ""))
        except ValueError:
            err = DomainError("invalid_date", field="ends_on")
            error, errors, status = domain_error_body(err)["error"], domain_error_body(err)["fields"], 422
        else:
            try:
                delegation.delegate(session, current_user, delegate_id, starts_on, ends_on, values.get("reason", ""))
                session.commit()
            except DomainError as err:
                session.rollback()
                body = domain_error_body(err)
                error, errors, status = body["error"], body.get("fields", {}), err.status
            else:
                flash(_("Your delegate will see and act on your tasks in that period."), "success")
                return redirect(url_for("case_actions.delegation_page"))
    return render_template("case_actions/delegation.html", given=delegation.mine(session, current_user),
                           standing_in_for=delegation.standing_in_for(session, current_user),
                           choices=delegation.delegate_choices(session, current_user), values=values,
                           error=error, errors=errors, in_force=delegation.is_in_force), status


@bp.post("/account/delegation/<int:delegation_id>/revoke")
@login_required
def revoke_delegation(delegation_id: int):
    delegation.revoke(db(), current_user, delegation_id)
    db().commit()
    flash(_("The delegation was revoked."), "success")
    return redirect(url_for("case_actions.delegation_page"))
