"""Sign in, sign out, the own password change and the language switch."""
from flask import Blueprint, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user, user_logged_in

from services import auth, security_settings
from services.errors import DomainError, ValidationFailed
from services.messages import message
from web.errors import is_api
from web.extensions import login_manager, select_locale
from web.session import db

bp = Blueprint("auth", __name__, template_folder="templates")
# The throttling and lockout settings are the app's configuration; the service keeps them per process.
bp.record_once(lambda state: auth.configure(auth.SignInPolicy.from_settings(state.app.config)))


@user_logged_in.connect
def _expiring_session(_app, **_):
    """Every sign-in (page or API) gets a permanent session: it ends PERMANENT_SESSION_LIFETIME after the
    last request, and Flask refuses an older cookie on the server even if a browser keeps it."""
    session.permanent = True


@login_manager.unauthorized_handler
def _unauthorized():
    if is_api():
        return jsonify({"error": message("not_signed_in", select_locale()), "code": "not_signed_in"}), 401
    return redirect(url_for("auth.login", next=request.full_path))


@bp.route("/login", methods=["GET", "POST"])
def login():
    error, status = None, 200
    if request.method == "POST":
        try:
            user = auth.authenticate(db(), request.form.get("username", ""), request.form.get("password", ""),
                                     address=request.remote_addr)
        except DomainError as err:
            error = message(err.code, select_locale(), **err.params)
            status = 429 if err.code in auth.WAIT_CODES else 401
        else:
            login_user(user)
            target = request.args.get("next", "")
            # Only local paths: an open redirect would hand the session to another site.
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("portal.home")
            return redirect(target)
    return render_template("auth/login.html", error=error), status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """The signed-in user changes their own password; CNET.4's rules apply (10 characters for holders of
    confidential-level assets)."""
    errors = {}
    if request.method == "POST":
        form = request.form
        try:
            auth.change_password(db(), current_user, form.get("current_password", ""), form.get("new_password", ""),
                                 form.get("repeat_password", ""), select_locale())
        except ValidationFailed as err:
            errors = err.fields
        else:
            db().commit()
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("portal.home"))
    forced = None
    if current_user.must_change_password:
        code, params = forced_change_reason(current_user)
        forced = message(code, select_locale(), **params)
    return render_template("auth/change_password.html", errors=errors, forced=forced,
                           min_length=auth.min_length_for(db(), current_user)), (422 if errors else 200)


def forced_change_reason(user) -> tuple[str, dict]:
    """Why the password must change before anything else: expired (with the days), or reset by an
    administrator."""
    days = security_settings.current(db())["password_max_age_days"]
    if security_settings.password_expired(user, days):
        return "password_expired", {"days": days}
    return "org_password_change_required", {}


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("auth.login"))


@bp.post("/language")
def set_language():
    """Switch between Chinese and English for this browser session."""
    choice = request.form.get("locale")
    if choice in ("zh_CN", "en"):
        session["locale"] = choice
        if current_user.is_authenticated:
            current_user.locale = choice
            db().commit()
    target = request.referrer or url_for("portal.home")
    return redirect(target if target.startswith(request.host_url) else url_for("portal.home"))
