"""Sign in, sign out and the language switch."""
from flask import Blueprint, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from services import auth
from services.errors import DomainError
from services.messages import message
from web.errors import is_api
from web.extensions import login_manager, select_locale
from web.session import db

bp = Blueprint("auth", __name__, template_folder="templates")


@login_manager.unauthorized_handler
def _unauthorized():
    if is_api():
        return jsonify({"error": message("not_signed_in", select_locale()), "code": "not_signed_in"}), 401
    return redirect(url_for("auth.login", next=request.full_path))


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        try:
            user = auth.authenticate(db(), request.form.get("username", ""), request.form.get("password", ""))
        except DomainError as err:
            error = message(err.code, select_locale())
        else:
            login_user(user)
            target = request.args.get("next", "")
            # Only local paths: an open redirect would hand the session to another site.
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("portal.home")
            return redirect(target)
    return render_template("auth/login.html", error=error), (401 if error else 200)


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
