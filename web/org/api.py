"""The organisation API under /api/v1/org for the system administrator, and a user's own password
change under /api/v1/account/password. Errors are JSON like the rest of /api/v1."""
from flask import Blueprint, jsonify, request
from flask_login import current_user, login_required
from sqlalchemy import select

from models import Section, User
from services import auth, org_admin, org_import, org_roles
from services.errors import DomainError
from web.access_policy import required
from web.api import _json_body, _load
from web.extensions import select_locale
from web.org import schemas
from web.org.schemas import PersonOut, RoleOut, SectionOut
from web.session import db

api_bp = Blueprint("org_api", __name__, url_prefix="/api/v1")


@api_bp.get("/org/sections")
@required
def sections():
    rows = db().scalars(select(Section).order_by(Section.code))
    return jsonify({"sections": SectionOut(many=True).dump(rows)})


@api_bp.post("/org/sections")
@required
def create_section():
    body = _load(schemas.SectionIn(), _json_body())
    created = org_admin.create_section(db(), current_user, **body)
    db().commit()
    return jsonify({"section": SectionOut().dump(created)}), 201


@api_bp.post("/org/sections/<int:section_id>")
@required
def update_section(section_id: int):
    body = _load(schemas.SectionUpdate(), _json_body())
    updated = org_admin.update_section(db(), current_user, section_id, **body)
    db().commit()
    return jsonify({"section": SectionOut().dump(updated)})


@api_bp.get("/org/users")
@required
def users():
    stmt = select(User).order_by(User.username)
    if request.args.get("section_id"):
        stmt = stmt.where(User.section_id == int(request.args["section_id"]))
    if request.args.get("active") in ("true", "false"):
        stmt = stmt.where(User.active.is_(request.args["active"] == "true"))
    return jsonify({"users": PersonOut(many=True).dump(db().scalars(stmt))})


@api_bp.post("/org/users")
@required
def create_user():
    body = _load(schemas.UserIn(), _json_body())
    user, password = org_admin.create_user(db(), current_user, **body)
    db().commit()
    # Shown once: the person must replace it at the first sign-in.
    return jsonify({"user": PersonOut().dump(user), "temporary_password": password}), 201


@api_bp.get("/org/users/<int:user_id>")
@required
def user(user_id: int):
    view = org_admin.overview(db(), user_id)
    today = org_roles.office_today()
    roles = [dict(RoleOut().dump(r), state=org_admin.term_state(r, today)) for r in view["roles"]]
    return jsonify({"user": PersonOut().dump(view["user"]), "roles": roles,
                    "open_tasks": [{"id": t.id, "name": t.name, "business_key": t.instance.business_key,
                                    "claimed": True} for t in view["my_tasks"]]
                    + [{"id": t.id, "name": t.name, "business_key": t.instance.business_key, "claimed": False}
                       for t in view["group_tasks"]],
                    "cases": [{"id": c.id, "business_key": c.business_key, "status": c.status}
                              for c in view["cases"]],
                    "deletable": view["deletable"]})


@api_bp.post("/org/users/<int:user_id>")
@required
def update_user(user_id: int):
    body = _load(schemas.UserUpdate(), _json_body())
    updated = org_admin.update_user(db(), current_user, user_id, **body)
    db().commit()
    return jsonify({"user": PersonOut().dump(updated)})


@api_bp.delete("/org/users/<int:user_id>")
@required
def delete_user(user_id: int):
    org_admin.delete_user(db(), current_user, user_id)
    db().commit()
    return "", 204


@api_bp.post("/org/users/<int:user_id>/deactivate")
@required
def deactivate(user_id: int):
    body = _load(schemas.DeactivateIn(), request.get_json(silent=True) or {})
    user = org_admin.deactivate_user(db(), current_user, user_id, body["successor_id"])
    db().commit()
    return jsonify({"user": PersonOut().dump(user)})


@api_bp.post("/org/users/<int:user_id>/reactivate")
@required
def reactivate(user_id: int):
    user = org_admin.reactivate_user(db(), current_user, user_id)
    db().commit()
    return jsonify({"user": PersonOut().dump(user)})


@api_bp.post("/org/users/<int:user_id>/password-reset")
@required
def reset_password(user_id: int):
    password = org_admin.reset_password(db(), current_user, user_id)
    db().commit()
    return jsonify({"temporary_password": password})


@api_bp.post("/org/users/<int:user_id>/absence")
@required
def absence(user_id: int):
    body = _load(schemas.AbsenceIn(), _json_body())
    user = org_roles.set_absence(db(), current_user, user_id, body["absent"], body["until"])
    db().commit()
    return jsonify({"user": PersonOut().dump(user)})


@api_bp.post("/org/users/<int:user_id>/roles")
@required
def assign_role(user_id: int):
    body = _load(schemas.RoleIn(), _json_body())
    row = org_roles.assign_role(db(), current_user, user_id, **body)
    db().commit()
    return jsonify({"role": RoleOut().dump(row)}), 201


@api_bp.post("/org/roles/<int:assignment_id>")
@required
def update_role(assignment_id: int):
    body = _load(schemas.RoleDates(), _json_body())
    row = org_roles.update_role(db(), current_user, assignment_id, body["start_date"], body["end_date"])
    db().commit()
    return jsonify({"role": RoleOut().dump(row)})


@api_bp.delete("/org/roles/<int:assignment_id>")
@required
def remove_role(assignment_id: int):
    org_roles.remove_role(db(), current_user, assignment_id)
    db().commit()
    return "", 204


@api_bp.post("/org/import")
@required
def import_file():
    """Multipart `file`; `dry_run=true` (the default) plans and changes nothing."""
    upload = request.files.get("file")
    if upload is None:
        raise DomainError("import_unreadable", field="file")
    dry_run = request.args.get("dry_run", "true") != "false"
    plan = org_import.run(db(), current_user, upload.filename or "", upload.read(), dry_run, select_locale())
    if dry_run:
        db().rollback()
    else:
        db().commit()
    return jsonify({"dry_run": dry_run, "changes": plan.changes, "refused": plan.refused,
                    "unchanged": plan.unchanged, "temporary_passwords": plan.passwords})


@api_bp.post("/account/password")
@login_required
def change_password():
    """The JSON twin of web/auth's page, with the same CNET.4 rules (services.auth)."""
    body = _load(schemas.PasswordChange(), _json_body())
    auth.change_password(db(), current_user, body["current_password"], body["new_password"],
                         body["new_password"], select_locale())
    db().commit()
    return jsonify({"changed": True})
