"""The case page: the data, a timeline of who did what, and the diagram with the current step."""
from flask import Blueprint, Response, render_template
from flask_login import current_user, login_required

from services import assets, audit, cases, forms
from web.session import db
from web.template_helpers import recorded_by_steps

bp = Blueprint("cases", __name__, template_folder="templates")


@bp.get("/cases/<int:instance_id>")
@login_required
def show(instance_id: int):
    session = db()
    instance = cases.visible_case(session, instance_id, current_user)
    tasks = cases.tasks_of_case(session, instance.id)
    snapshot = cases.snapshot(instance)
    return render_template(
        "cases/show.html", case=instance, snapshot=snapshot, tasks=tasks,
        earlier_steps=recorded_by_steps(instance, tasks, snapshot["data"]),
        start_form=forms.of_case(instance, "start"), form_of=forms.of_case,
        case_assets=assets.assets_of_case(session, instance.id),
        events=audit.events_of_case(session, instance.id),
    )


@bp.get("/cases/<int:instance_id>/diagram.bpmn")
@login_required
def diagram(instance_id: int):
    """The BPMN of the version this case runs on, for the viewer."""
    instance = cases.visible_case(db(), instance_id, current_user)
    return Response(instance.definition.bpmn_xml, mimetype="application/xml")
