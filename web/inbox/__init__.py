"""The inbox: my tasks, my groups' tasks, claim, open and complete."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from services import added_approvers, assets, bulk_approval, cases, countersign, forms, inbox
from services.errors import Conflict, DomainError, Forbidden
from services.messages import message
from web.extensions import select_locale
from web.session import db
from web import task_form
from web.template_helpers import recorded_by_steps

bp = Blueprint("inbox", __name__, template_folder="templates")


@bp.get("/inbox")
@login_required
def index():
    session = db()
    try:
        pages = InboxPageQuery().load(request.args.to_dict())
    except ValidationError:
        raise DomainError("bad_page_number", max=MAX_PAGE) from None
    lists = inbox.overview(session, current_user.id, **pages)
    return render_template("inbox/index.html", mine=lists.mine, group=lists.group, pages=pages,
                           inbox_counts=lists.counts, now=cases.utcnow(),
                           form_of=forms.of_case, bulk_ok=bulk_approval.approvable)


# A page's number is how many candidates the database must find and sort to show fifty; 200 pages are 10,000
# tasks, more than anyone pages through, and the query for page 10,000 would have sorted 500,000.
MAX_PAGE = 200


class InboxPageQuery(Schema):
    """Which page of each list the inbox shows (numbered from 1); other arguments of a link are ignored."""
    class Meta:
        unknown = EXCLUDE

    mine_page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    group_page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))


@bp.post("/inbox/bulk-approve")
@login_required
def bulk_approve():
    """Approve the checked tasks, each in its own transaction; a refusal of one is shown and the rest go on."""
    locale = select_locale()
    try:
        ids = bulk_approval.check_request(request.form.getlist("task_ids"), locale)
    except ValueError:
        raise DomainError("bad_request") from None
    except DomainError as err:
        flash(message(err.code, locale, **err.params), "warning")
        return redirect(url_for("inbox.index"))
    comment = request.form.get("comment", "").strip()[:2000] or None
    outcomes = bulk_approval.approve_each(db(), ids, current_user, comment, locale)
    done = [o for o in outcomes if o.status != "refused"]
    if done:
        flash(_("Approved: %(keys)s", keys="、".join(o.business_key or str(o.task_id) for o in done)), "success")
    for o in outcomes:
        if o.status == "held":
            flash(_("%(key)s waits for the approver added after your step.", key=o.business_key), "info")
        elif o.status == "refused":
            flash(f"{o.business_key or o.task_id}: {o.error}", "warning")
    return redirect(url_for("inbox.index"))


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: int):
    session = db()
    row = cases.visible_task(session, task_id, current_user)
    if row.bpmn_id == "start":  # a case sent back to its applicant: its application form (web/case_actions)
        return redirect(url_for("case_actions.resubmit", task_id=task_id))
    form = added_approvers.DECISION_FORM if row.kind == added_approvers.KIND else forms.of_case(row.instance, row.bpmn_id)
    sent = task_form.submit(session, task_id, form) if request.method == "POST" else task_form.Submission({})
    if sent.done:
        flash(_("Task completed."), "success")
        return redirect(url_for("inbox.index"))
    values, errors, error, status = sent.values, sent.errors, sent.error, sent.status
    if request.method == "POST":
        row = cases.visible_task(session, task_id, current_user)
    may_act = row.status == "open" and cases.may_act(session, row, current_user)
    snapshot = cases.snapshot(row.instance)
    earlier = recorded_by_steps(row.instance, cases.tasks_of_case(session, row.instance_id), snapshot["data"])
    return render_template("inbox/task.html", task=row, form=form, values=values, errors=errors, error=error,
                           may_act=may_act, case=row.instance, snapshot=snapshot, earlier_steps=earlier,
                           start_form=forms.of_case(row.instance, "start"), form_of=forms.of_case,
                           case_assets=assets.assets_of_case(session, row.instance_id),
                           named_by_process=countersign.named_by_process(row)), status


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
