"""Moving a running case to a newer version of its process (issue 5), for the system administrator: a preview
page on the admin console's case view with a POST to migrate, and the same as JSON under
/api/v1/admin/cases/<id>/migration. Who may open it: web/access_policy.py (SYSTEM_ADMIN)."""
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import RAISE, Schema, fields, validate

from models import ProcessInstance
from services import case_migration, definitions
from services.errors import DomainError, NotFound
from services.messages import message
from web.access_policy import required
from web.errors import domain_error_body
from web.extensions import select_locale
from web.payloads import json_body, load
from web.session import db

bp = Blueprint("case_migration", __name__, template_folder="templates")


@bp.app_template_filter("spec_attribute")
def spec_attribute(name: str) -> str:
    """What a changed attribute of a step's spec means to an administrator (SpiffWorkflow's name otherwise)."""
    words = {
        "inputs": _("steps before it"), "outputs": _("steps after it"), "cond_task_specs": _("branch conditions"),
        "default_task_spec": _("default branch"), "lane": _("role (lane)"), "bpmn_name": _("name"),
        "extensions": _("properties (form, deadline, articles)"), "script": _("script"),
        "documentation": _("description"), "event_definition": _("timer or event"),
        "condition": _("completion condition"), "data_input": _("multi-instance input"),
        "data_output": _("multi-instance output"), "input_item": _("multi-instance item"),
    }
    return words.get(name, name)


class MigrationQuery(Schema):
    class Meta:
        unknown = RAISE

    definition_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))


class MigrationBody(MigrationQuery):
    # The preview the administrator read: a step taken since makes the migration a Conflict (409).
    preview_digest = fields.String(load_default=None, validate=validate.Length(max=64))


def _case(instance_id: int) -> ProcessInstance:
    return db().get(ProcessInstance, instance_id) or abort(404)


def _target_id(instance: ProcessInstance, raw) -> int | None:
    """The version asked for, or by default the latest one newer than the case's (None: there is none)."""
    if raw:
        try:
            return int(raw)
        except ValueError:
            abort(400)
    newer = case_migration.newer_versions(db(), instance)
    return newer[0].id if newer else None


@bp.get("/admin/cases/<int:instance_id>/migration")
@required
def preview(instance_id: int):
    instance = _case(instance_id)
    target_id = _target_id(instance, request.args.get("definition_id"))
    found = case_migration.preview(db(), instance.id, target_id) if target_id else None
    refusal = message(found.refusal, select_locale(), **found.refusal_params) if found and found.refusal else ""
    return render_template("case_migration/preview.html", case=instance, preview=found, refusal_text=refusal,
                           versions=case_migration.newer_versions(db(), instance))


@bp.post("/admin/cases/<int:instance_id>/migration")
@required
def migrate(instance_id: int):
    instance = _case(instance_id)
    target_id = _target_id(instance, request.form.get("definition_id"))
    if target_id is None:
        abort(400)
    try:
        done = case_migration.migrate(db(), instance.id, target_id, current_user,
                                      request.form.get("preview_digest") or None)
        db().commit()
    except NotFound:
        raise
    except DomainError as err:
        db().rollback()
        flash(domain_error_body(err)["error"], "danger")
        return redirect(url_for("case_migration.preview", instance_id=instance_id, definition_id=target_id))
    flash(_("The case now runs on version %(version)s.", version=done.to_version), "success")
    return redirect(url_for("admin.case", instance_id=instance_id))


@bp.get("/api/v1/admin/cases/<int:instance_id>/migration")
@required
def api_preview(instance_id: int):
    query = load(MigrationQuery(), request.args.to_dict(), select_locale())
    return jsonify(case_migration.preview(db(), instance_id, query["definition_id"]).to_dict())


@bp.post("/api/v1/admin/cases/<int:instance_id>/migration")
@required
def api_migrate(instance_id: int):
    body = load(MigrationBody(), json_body(), select_locale())
    done = case_migration.migrate(db(), instance_id, body["definition_id"], current_user, body["preview_digest"])
    db().commit()
    return jsonify({"id": instance_id, "from_version": done.from_version, "to_version": done.to_version,
                    "summary": done.summary()})
