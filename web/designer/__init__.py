"""The process designer's pages (/designer) and their JSON (/api/v1/designer): open a process in the
modeler, keep a draft, validate, publish, roll back, diff versions, import and export .bpmn files.
Only holders of the designer role come in."""
from functools import wraps

from flask import Blueprint, Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from services import assignment, designer
from services.errors import DomainError, Forbidden, NotFound
from services.messages import message
from web.extensions import select_locale
from web.session import db

bp = Blueprint("designer", __name__, template_folder="templates")
API = "/api/v1/designer/processes/<process_id>"


@bp.app_context_processor
def _designer_flag():
    """Whether the nav shows the designer link."""
    if current_user and current_user.is_authenticated:
        return {"is_designer": "designer" in assignment.roles_of(db(), current_user.id)}
    return {"is_designer": False}


def designer_required(view):
    """Changing how the office's procedures run is the process designer's job alone."""
    @wraps(view)
    @login_required
    def guarded(*args, **kwargs):
        if "designer" not in assignment.roles_of(db(), current_user.id):
            raise Forbidden("forbidden")
        return view(*args, **kwargs)
    return guarded


@bp.errorhandler(designer.BpmnRefused)
def _refused(err: designer.BpmnRefused):
    """A refused file: the general message and every problem, each pinned to its element where it can be."""
    db().rollback()
    locale = select_locale()
    return jsonify({"error": message(err.code, locale), "code": err.code,
                    "problems": [p.to_json(locale) for p in err.problems]}), err.status


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_err):
    """Flask refuses a body over MAX_CONTENT_LENGTH (2 MB) before the view runs: say so plainly."""
    locale = select_locale()
    return jsonify({"error": message("bpmn_too_large", locale), "code": "bpmn_too_large",
                    "problems": [{"code": "bpmn_too_large", "element_id": None,
                                  "message": message("bpmn_too_large", locale)}]}), 413


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("bpmn_xml"), str):
        raise DomainError("bad_request")
    forms = body.get("forms") or {}
    if not isinstance(forms, dict):
        raise DomainError("bad_request")
    return {"bpmn_xml": body["bpmn_xml"], "forms": forms}


def _problems(problems) -> list[dict]:
    locale = select_locale()
    return [p.to_json(locale) for p in problems]


@bp.get("/designer")
@designer_required
def index():
    return render_template("designer/index.html", processes=designer.overview(db()))


@bp.get("/designer/<process_id>")
@designer_required
def edit(process_id: str):
    overview = next((p for p in designer.overview(db()) if p["process_id"] == process_id), None)
    if overview is None:
        raise NotFound("process_not_found", process_id=process_id)
    return render_template("designer/edit.html", process=overview, roles=designer.role_choices(select_locale()),
                           strings=interface_strings())


@bp.get(f"{API}/source")
@designer_required
def source(process_id: str):
    found = designer.source(db(), process_id)
    return jsonify({"bpmn_xml": found.bpmn_xml, "forms": found.forms, "is_draft": found.is_draft,
                    "version": found.version})


@bp.get(f"{API}/forms/<task_id>")
@designer_required
def form(process_id: str, task_id: str):
    return jsonify({"form": designer.form(db(), process_id, task_id)})


@bp.get(f"{API}/versions/<int:number>/bpmn")
@designer_required
def export(process_id: str, number: int):
    """A published version as a .bpmn file to download."""
    definition = designer.version(db(), process_id, number)
    return Response(definition.bpmn_xml, mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{process_id}_v{number}.bpmn"'})


@bp.get(f"{API}/diff")
@designer_required
def diff(process_id: str):
    try:
        old, new = int(request.args["from"]), int(request.args["to"])
    except (KeyError, ValueError):
        raise DomainError("bad_request") from None
    return jsonify(designer.diff(designer.version(db(), process_id, old).bpmn_xml,
                                 designer.version(db(), process_id, new).bpmn_xml))


@bp.post(f"{API}/validate")
@designer_required
def validate(process_id: str):
    body = _body()
    return jsonify({"problems": _problems(designer.validate(db(), process_id, body["bpmn_xml"], body["forms"]))})


@bp.post(f"{API}/draft")
@designer_required
def save_draft(process_id: str):
    body = _body()
    problems = designer.save_draft(db(), process_id, body["bpmn_xml"], body["forms"], current_user.id)
    db().commit()
    return jsonify({"saved": True, "problems": _problems(problems)})


@bp.post(f"{API}/publish")
@designer_required
def publish(process_id: str):
    body = _body()
    definition, created = designer.publish(db(), process_id, body["bpmn_xml"], body["forms"], current_user.id)
    db().commit()
    return jsonify({"version": definition.version, "created": created}), 201 if created else 200


@bp.post(f"{API}/versions/<int:number>/republish")
@designer_required
def republish(process_id: str, number: int):
    """Roll back to an old version by publishing it again as the newest."""
    definition, created = designer.republish(db(), process_id, number, current_user.id)
    db().commit()
    return jsonify({"version": definition.version, "created": created}), 201 if created else 200


@bp.post(f"{API}/import")
@designer_required
def import_file(process_id: str):
    """A .bpmn file (multipart field `file`, or the raw body) becomes the draft, Camunda extensions mapped."""
    upload = request.files.get("file")
    data = upload.read() if upload is not None else request.get_data()
    result = designer.import_bpmn(db(), process_id, data, current_user.id)
    db().commit()
    return jsonify({"bpmn_xml": result["bpmn_xml"], "notes": result["notes"], "forms": result["forms"],
                    "problems": _problems(result["problems"])})


def interface_strings() -> dict:
    """The texts designer.js shows, in the page's language (the script holds no language of its own)."""
    return {
        "saved": _("Draft saved."), "valid": _("No problems found: ready to publish."),
        "published": _("Published; new version:"), "problems": _("Problems found:"),
        "noSelection": _("Select a lane, user task or event to edit its properties."),
        "imported": _("Imported as a draft."), "failed": _("The request failed."), "draft": _("Draft"),
        "props": property_labels(),
    }


def property_labels() -> dict:
    """Label and short help of each field of the properties panel, by the property's own key."""
    timer_help = _("A Python expression: write a duration with its quotes, such as \"PT1H\", or the name of "
                   "a date in the case data.")
    return {
        "role": {"label": _("Role of the lane"), "help": _("The user tasks in this lane go to holders of this role.")},
        "id": {"label": _("Element id"),
               "help": _("Also names the task's form and its step: letters, digits and _ only.")},
        "name": {"label": _("Name"), "help": _("Shown on the diagram and in the inbox.")},
        "due": {"label": _("Due within"),
                "help": _("ISO 8601 duration from when the task opens, such as P2D (2 days) or PT4H (4 hours).")},
        "escalation_role": {"label": _("Escalate to role"),
                            "help": _("Who is told when the task is overdue.")},
        "escalate_after": {"label": _("Escalate after"),
                           "help": _("ISO 8601 duration after the due time, such as P1D.")},
        "articles": {"label": _("Articles"),
                     "help": _("The articles of the regulations this step enforces, separated by commas, "
                               "such as MED.3,MED.4.")},
        "timer timeDuration": {"label": _("Timer: duration"), "help": timer_help},
        "timer timeDate": {"label": _("Timer: date"), "help": timer_help},
        "timer timeCycle": {"label": _("Timer: cycle"), "help": timer_help},
    }
