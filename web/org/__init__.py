"""Organisation pages: users, sections and the bulk import for the system administrator, role assignments for
the security administrator (三员分立, web/access_policy.py); and the redirect to the password change
(web/auth) that an administrator's reset or an expired password forces at the next sign-in."""
import base64
from datetime import date

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from models import Section, User
from services import org_admin, org_import, org_roles
from services.errors import DomainError
from services.messages import message
from services.roles import ROLES
from web.access_policy import required
from web.auth import forced_change_reason
from web.errors import domain_error_body, is_api
from web.extensions import select_locale
from web.session import db

bp = Blueprint("org", __name__, template_folder="templates")
# While a reset password waits to be replaced, only these stay open.
OPEN_WHILE_RESET = {"auth.change_password", "org_api.change_password", "auth.logout", "auth.set_language",
                    "auth.login", "api.sign_in", "api.sign_out", "static"}


@bp.before_app_request
def _require_new_password():
    """After an administrator's reset, or once the password has expired (security settings), the person must
    choose a new password before anything else."""
    if (current_user and current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in OPEN_WHILE_RESET):
        if is_api():
            code, params = forced_change_reason(current_user)
            return jsonify({"error": message(code, select_locale(), **params), "code": code}), 403
        return redirect(url_for("auth.change_password"))
    return None



def _done(text: str, target: str):
    db().commit()
    flash(text, "success")
    return redirect(target)


def _refused(err: DomainError, target: str):
    db().rollback()
    flash(domain_error_body(err)["error"], "danger")
    return redirect(target)


def _day(name: str) -> date | None:
    value = request.form.get(name) or None
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise DomainError("invalid_date", field=name) from None


def _int(name: str) -> int | None:
    value = request.form.get(name) or ""
    return int(value) if value.isdigit() else None


def _sections():
    return list(db().scalars(select(Section).order_by(Section.code)))


@bp.get("/org")
@required
def index():
    return redirect(url_for("org.users"))


@bp.get("/org/users")
@required
def users():
    stmt = select(User).options(selectinload(User.roles), selectinload(User.section)).order_by(
        User.active.desc(), User.username)
    q = request.args.get("q", "").strip()
    if q:
        stmt = stmt.where(or_(User.username.contains(q), User.display_name.contains(q)))
    if request.args.get("section_id", "").isdigit():
        stmt = stmt.where(User.section_id == int(request.args["section_id"]))
    return render_template("org/users.html", users=list(db().scalars(stmt.limit(500))), sections=_sections(), q=q)


@bp.post("/org/users")
@required
def create_user():
    try:
        user, password = org_admin.create_user(db(), current_user, request.form.get("username", ""),
                                               request.form.get("display_name", ""), _int("section_id"),
                                               request.form.get("email") or None)
    except DomainError as err:
        return _refused(err, url_for("org.users"))
    return _done(_("User created. One-time password: %(password)s (shown once; it must be changed at the first sign-in).",
                   password=password), url_for("org.user", user_id=user.id))


@bp.get("/org/users/<int:user_id>")
@required
def user(user_id: int):
    view = org_admin.overview(db(), user_id)
    others = db().scalars(select(User).where(User.active.is_(True), User.id != user_id).order_by(User.username))
    return render_template("org/user.html", roles_catalogue=ROLES, sections=_sections(), others=list(others),
                           today=org_roles.office_today(), term_state=org_admin.term_state, **view)


@bp.post("/org/users/<int:user_id>")
@required
def update_user(user_id: int):
    target = url_for("org.user", user_id=user_id)
    try:
        org_admin.update_user(db(), current_user, user_id, display_name=request.form.get("display_name"),
                              email=request.form.get("email", ""), section_id=_int("section_id"),
                              locale=request.form.get("locale"))
    except DomainError as err:
        return _refused(err, target)
    return _done(_("Saved."), target)


@bp.post("/org/users/<int:user_id>/<action>")
@required
def user_action(user_id: int, action: str):
    """The buttons of a user's page: each one service call, audited, with its own confirmation."""
    target = url_for("org.user", user_id=user_id)
    session, actor = db(), current_user
    try:
        if action == "password-reset":
            password = org_admin.reset_password(session, actor, user_id)
            text = _("New one-time password: %(password)s (shown once; it must be changed at the next sign-in).",
                     password=password)
        elif action == "deactivate":
            org_admin.deactivate_user(session, actor, user_id, _int("successor_id"))
            text = _("User deactivated.")
        elif action == "reactivate":
            org_admin.reactivate_user(session, actor, user_id)
            text = _("User reactivated.")
        elif action == "absence":
            absent = request.form.get("absent") == "1"
            org_roles.set_absence(session, actor, user_id, absent, _day("until") if absent else None)
            text = _("Marked absent.") if absent else _("Marked present.")
        elif action == "delete":
            org_admin.delete_user(session, actor, user_id)
            return _done(_("User deleted."), url_for("org.users"))
        else:
            return redirect(target)
    except DomainError as err:
        return _refused(err, target)
    return _done(text, target)


@bp.post("/org/users/<int:user_id>/roles")
@required
def assign_role(user_id: int):
    """The security administrator gives a role (三员分立: never to themselves, never two of the three)."""
    target = url_for("org.user", user_id=user_id)
    try:
        org_roles.assign_role(db(), current_user, user_id, request.form.get("role", ""), _int("section_id"),
                              _day("start_date"), _day("end_date"))
    except DomainError as err:
        return _refused(err, target)
    return _done(_("Role assigned."), target)


@bp.post("/org/roles/<int:assignment_id>/<action>")
@required
def role_action(assignment_id: int, action: str):
    target = url_for("org.user", user_id=_int("user_id") or 0)
    try:
        if action == "dates":
            org_roles.update_role(db(), current_user, assignment_id, _day("start_date"), _day("end_date"))
            text = _("Dates saved.")
        else:
            org_roles.remove_role(db(), current_user, assignment_id)
            text = _("Role removed.")
    except DomainError as err:
        return _refused(err, target)
    return _done(text, target)


@bp.get("/org/sections")
@required
def sections():
    people = list(db().scalars(select(User).where(User.active.is_(True)).order_by(User.username)))
    return render_template("org/sections.html", sections=_sections(), people=people,
                           today=org_roles.office_today(), is_absent=org_roles.is_absent)


@bp.post("/org/sections")
@required
def create_section():
    try:
        org_admin.create_section(db(), current_user, request.form.get("code", ""), request.form.get("name_zh", ""),
                                 request.form.get("name_en", ""))
    except DomainError as err:
        return _refused(err, url_for("org.sections"))
    return _done(_("Section created."), url_for("org.sections"))


@bp.post("/org/sections/<int:section_id>")
@required
def update_section(section_id: int):
    try:
        org_admin.update_section(db(), current_user, section_id, name_zh=request.form.get("name_zh"),
                                 name_en=request.form.get("name_en"), head_id=_int("head_id"),
                                 deputy_id=_int("deputy_id"))
    except DomainError as err:
        return _refused(err, url_for("org.sections"))
    return _done(_("Section saved."), url_for("org.sections"))


@bp.route("/org/import", methods=["GET", "POST"])
@required
def import_file():
    """Upload → dry run shown with every change and refusal; the same bytes ride along to apply."""
    plan = filename = encoded = None
    if request.method == "POST":
        upload = request.files.get("file")
        content = upload.read() if upload else base64.b64decode(request.form.get("content", ""))
        filename = upload.filename if upload else request.form.get("filename", "")
        apply = request.form.get("apply") == "1"
        try:
            plan = org_import.run(db(), current_user, filename or "", content, dry_run=not apply,
                                  locale=select_locale())
        except DomainError as err:
            return _refused(err, url_for("org.import_file"))
        if apply:
            db().commit()
            flash(_("Imported: %(n)s rows changed, %(r)s refused.", n=len(plan.changes), r=len(plan.refused)),
                  "success")
        else:
            db().rollback()
            encoded = base64.b64encode(content).decode()
        return render_template("org/import.html", plan=plan, applied=apply, filename=filename, content=encoded,
                               columns=org_import.COLUMNS)
    return render_template("org/import.html", plan=None, applied=False, filename=None, content=None,
                           columns=org_import.COLUMNS)
