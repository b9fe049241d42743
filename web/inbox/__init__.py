"""The inbox: my tasks, my groups' tasks, claim, open and complete."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from services import assets, cases, forms, inbox
from services.errors import Conflict, DomainError, Forbidden, NotFound
from services.messages import message
from web.errors import domain_error_body
from web.extensions import select_locale
from web.session import db
from web.template_helpers import recorded_by_steps

bp = Blueprint("inbox", __name__, template_folder="templates")


@bp.get("/inbox")
@login_required
def index():
    session = db()
    return render_template("inbox/index.html", mine=inbox.my_tasks(session, current_user.id),
                           group=inbox.group_tasks(session, current_user.id),
                           inbox_counts=inbox.counts(session, current_user.id), now=cases.utcnow(),
                           form_of=forms.load)


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: int):
    session = db()
    row = cases.visible_task(session, task_id, current_user)
    form = forms.load(row.instance.process_id, row.bpmn_id)
    values, errors, error, status = {}, {}, None, 200
    if request.method == "POST":
        values = form.from_html(request.form)
        try:
            cases.complete_task(session, task_id, current_user, values, select_locale())
            session.commit()
        except DomainError as err:
            if isinstance(err, NotFound):
                raise
            session.rollback()
            body = domain_error_body(err)
            error, errors, status = body["error"], body.get("fields", {}), err.status
            row = cases.visible_task(session, task_id, current_user)
        else:
            flash(_("Task completed."), "success")
            return redirect(url_for("inbox.index"))
    may_act = row.status == "open" and cases.may_act(session, row, current_user)
    snapshot = cases.snapshot(row.instance)
    earlier = recorded_by_steps(row.instance, cases.tasks_of_case(session, row.instance_id), snapshot["data"])
    return render_template("inbox/task.html", task=row, form=form, values=values, errors=errors, error=error,
                           may_act=may_act, case=row.instance, snapshot=snapshot, earlier_steps=earlier,
                           start_form=forms.of_case(row.instance, "start"),
                           case_assets=assets.assets_of_case(session, row.instance_id)), status


@bp.post("/tasks/<int:task_id>/claim")
@login_required
def claim(task_id: int):
    return _task_action(task_id, cases.claim, _("Task claimed: it is now in your inbox."))


@bp.post("/tasks/<int:task_id>/unclaim")
@login_required
def unclaim(task_id: int):
    return _task_action(task_id, cases.unclaim, _("Task returned to the group."))


def _task_action(task_id, action, done_text):
    session = db()
    try:
        action(session, task_id, current_user)
        session.commit()
        flash(done_text, "success")
    except (Conflict, Forbidden) as err:
        session.rollback()
        flash(message(err.code, select_locale(), **err.params), "warning")
    return redirect(request.form.get("next") or url_for("inbox.index"))
