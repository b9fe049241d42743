"""The admin console: cases (stuck, overdue, in error) with actions, statistics and reports for the system
administrator; the audit log for the security auditor; security settings for the security administrator
(三员分立: who may open what is declared in web/access_policy.py)."""
from datetime import datetime, timedelta, timezone

from flask import (Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from sqlalchemy import select

from models import GeneratedReport, HumanTask, ProcessInstance, Section, User, utcnow
from services import admin_console, audit, cases, definitions, notifications
from services.errors import DomainError, ValidationFailed
from services.messages import message
from services.procedures import PROCEDURES
from web.access_policy import may_visit, required
from web.errors import domain_error_body
from web.extensions import select_locale
from web.session import db, session_factory

bp = Blueprint("admin", __name__, template_folder="templates")
CASE_ACTIONS = {"suspend": admin_console.suspend, "resume": admin_console.resume,
                "retry": admin_console.retry, "terminate": admin_console.terminate}
STATUSES = ("running", "suspended", "error", "completed", "rejected", "withdrawn", "terminated")


@bp.app_context_processor
def _admin_flag():
    """Whether the nav shows the console link, and where it leads: each of the three administrators
    (三员分立) has a first page of their own."""
    if not (current_user and current_user.is_authenticated):
        return {"is_admin": False, "admin_home": None}
    home = next((e for e in ("admin.index", "admin.audit_log", "admin.security") if may_visit(e)), None)
    return {"is_admin": home == "admin.index", "admin_home": home}


# Who may call each view is the policy's line for it (web/access_policy.py); checked again on the view.
admin_required = required


class CaseQuery(Schema):
    class Meta:
        unknown = RAISE

    process_id = fields.String(load_default=None, validate=validate.OneOf(list(PROCEDURES)))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    section_id = fields.Integer(load_default=None)
    older_than_days = fields.Integer(load_default=None, validate=validate.Range(min=0, max=3650))
    overdue = fields.Boolean(load_default=False)
    stuck = fields.Boolean(load_default=False)
    error = fields.Boolean(load_default=False)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))


class ActionBody(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.String(required=True, validate=validate.Length(max=500))
    user_id = fields.Integer(load_default=None)


def _load(schema, data):
    try:
        return schema.load(data)
    except ValidationError as err:
        raise ValidationFailed({k: v if isinstance(v, list) else [str(v)] for k, v in err.messages.items()})


def _query_from_args() -> dict:
    args = {k: v for k, v in request.args.items() if v not in ("", None)}
    return _load(CaseQuery(), args)


PAGE = 50


@bp.get("/admin")
@required
def index():
    query = _query_from_args()
    page = query.pop("page")
    now = utcnow()
    stuck_days = _stuck_days()
    rows, total = admin_console.list_cases(db(), admin_console.CaseFilter(**query), now, stuck_days,
                                           limit=PAGE, offset=(page - 1) * PAGE)
    return render_template("admin/cases.html", rows=rows, total=total, page=page, pages=max(1, -(-total // PAGE)),
                           query=query, procedures=PROCEDURES, statuses=STATUSES,
                           sections=list(db().scalars(select(Section).order_by(Section.id))), now=now, stuck_days=stuck_days,
                           is_stuck=admin_console.is_stuck)


@bp.get("/admin/cases/<int:instance_id>")
@required
def case(instance_id: int):
    instance = db().get(ProcessInstance, instance_id) or abort(404)
    tasks = cases.tasks_of_case(db(), instance.id)
    candidates = {t.id: _candidates(t) for t in tasks if t.status == "open"}
    return render_template("admin/case.html", case=instance, tasks=tasks, candidates=candidates,
                           events=audit.events_of_case(db(), instance.id), now=utcnow(), stuck_days=_stuck_days(),
                           is_stuck=admin_console.is_stuck)


@bp.post("/admin/cases/<int:instance_id>/<action>")
@required
def case_action(instance_id: int, action: str):
    if action not in CASE_ACTIONS:
        abort(404)
    try:
        CASE_ACTIONS[action](db(), instance_id, current_user, request.form.get("reason", ""), utcnow())
        db().commit()
        flash(_("Done: the action and its reason are in the audit log."), "success")
    except DomainError as err:
        db().rollback()
        flash(domain_error_body(err)["error"], "danger")
    return redirect(url_for("admin.case", instance_id=instance_id))


@bp.post("/admin/tasks/<int:task_id>/reassign")
@required
def reassign(task_id: int):
    task = db().get(HumanTask, task_id) or abort(404)
    try:
        admin_console.reassign(db(), task_id, int(request.form.get("user_id") or 0), current_user,
                               request.form.get("reason", ""), utcnow())
        db().commit()
        flash(_("Task reassigned."), "success")
    except DomainError as err:
        db().rollback()
        flash(domain_error_body(err)["error"], "danger")
    return redirect(url_for("admin.case", instance_id=task.instance_id))


@bp.get("/admin/audit")
@required
def audit_log():
    flt, page = _audit_filter()
    events = admin_console.audit_events(db(), flt, limit=100, offset=(page - 1) * 100)
    return render_template("admin/audit.html", events=events, flt=flt, page=page, args=request.args)


@bp.get("/admin/audit.csv")
@required
def audit_export():
    flt, _page = _audit_filter()
    audit.record(db(), "audit_exported", current_user.id, filters={k: v for k, v in request.args.items()})
    db().commit()
    # The body streams after the request's session is closed at teardown, so it reads with a session of its own.
    stream_session = session_factory()()
    return Response(_closing(stream_session, admin_console.audit_csv(stream_session, flt)), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=baomi-audit.csv"})


def _closing(session, rows):
    """Yield the rows, then end the session's transaction even if the client stops reading."""
    try:
        yield from rows
    finally:
        session.close()


@bp.get("/admin/statistics")
@required
def statistics():
    return render_template("admin/statistics.html", stats=admin_console.statistics(db(), utcnow()),
                           procedures=PROCEDURES)


@bp.get("/admin/statistics/<process_id>/diagram.bpmn")
@required
def statistics_diagram(process_id: str):
    definition = definitions.latest_definition(db(), process_id)
    return Response(definition.bpmn_xml, mimetype="application/xml")


@bp.get("/admin/reports")
@required
def reports():
    items = list(db().scalars(select(GeneratedReport).order_by(GeneratedReport.id.desc()).limit(100)))
    return render_template("admin/reports.html", reports=items)


@bp.get("/admin/reports/<int:report_id>")
@required
def report(report_id: int):
    item = db().get(GeneratedReport, report_id) or abort(404)
    return Response(item.content, mimetype=item.content_type,
                    headers={"Content-Disposition": f"attachment; filename=baomi-{item.kind}-{item.period}.csv"})


# The JSON twin of the console.
@bp.get("/api/v1/admin/cases")
@required
def api_cases():
    query = _query_from_args()
    page = query.pop("page")
    rows, total = admin_console.list_cases(db(), admin_console.CaseFilter(**query), utcnow(), _stuck_days(),
                                           limit=PAGE, offset=(page - 1) * PAGE)
    now = utcnow()
    return jsonify({"total": total, "page": page, "cases": [
        {"id": r.id, "business_key": r.business_key, "process_id": r.process_id, "status": r.status,
         "section_id": r.section_id, "updated_at": r.updated_at.isoformat(), "error_details": r.error_details,
         "stuck": admin_console.is_stuck(r, now, _stuck_days())} for r in rows]})


@bp.post("/api/v1/admin/cases/<int:instance_id>/<action>")
@required
def api_case_action(instance_id: int, action: str):
    if action not in CASE_ACTIONS:
        abort(404)
    body = _load(ActionBody(), request.get_json(silent=True) or {})
    instance = CASE_ACTIONS[action](db(), instance_id, current_user, body["reason"], utcnow())
    db().commit()
    return jsonify({"id": instance.id, "status": instance.status})


@bp.post("/api/v1/admin/tasks/<int:task_id>/reassign")
@required
def api_reassign(task_id: int):
    body = _load(ActionBody(), request.get_json(silent=True) or {})
    task = admin_console.reassign(db(), task_id, body["user_id"] or 0, current_user, body["reason"], utcnow())
    db().commit()
    return jsonify({"id": task.id, "assignee_id": task.assignee_id})


def _stuck_days() -> int:
    return int(current_app.config["BAOMI_STUCK_DAYS"])


def _candidates(task: HumanTask) -> list[User]:
    ids = notifications.role_candidates(db(), task)
    return list(db().scalars(select(User).where(User.id.in_(ids)).order_by(User.username))) if ids else []


def _audit_filter():
    args = request.args

    def day(name):
        value = args.get(name)
        if not value:
            return None
        try:
            return datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
        except ValueError:
            raise ValidationFailed({name: [message("invalid_date", select_locale())]})

    until = day("until")
    flt = admin_console.AuditFilter(action=args.get("action") or None, actor=args.get("actor") or None,
                                    business_key=args.get("case") or None, since=day("since"),
                                    until=until + timedelta(days=1) if until else None)
    try:
        page = max(1, int(args.get("page", 1)))
    except ValueError:
        page = 1
    return flt, page


from web.admin import audit_verification, security  # noqa: E402,F401  (the auditor's and the security admin's routes)
