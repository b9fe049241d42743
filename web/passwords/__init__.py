"""Password rotation of classified computers (CNET.4): the holder sees when each is due and confirms."""
from flask import Blueprint, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import utcnow
from services import periodic_checks
from web.session import db

bp = Blueprint("passwords", __name__, template_folder="templates")


@bp.get("/passwords")
@login_required
def index():
    computers = periodic_checks.computers_of(db(), current_user)
    return render_template("passwords/index.html", computers=computers, due_at=periodic_checks.password_due_at,
                           max_age=periodic_checks.PASSWORD_MAX_AGE_DAYS, now=utcnow())


@bp.post("/passwords/<int:asset_id>/confirm")
@login_required
def confirm(asset_id: int):
    periodic_checks.confirm_password_rotation(db(), asset_id, current_user, utcnow())
    db().commit()
    flash(_("Password change recorded."), "success")
    return redirect(url_for("passwords.index"))


@bp.post("/api/v1/assets/<int:asset_id>/password-rotation")
@login_required
def api_confirm(asset_id: int):
    asset = periodic_checks.confirm_password_rotation(db(), asset_id, current_user, utcnow())
    db().commit()
    due = periodic_checks.password_due_at(asset)
    return jsonify({"asset_id": asset.id, "password_changed_at": asset.password_changed_at.isoformat(),
                    "next_due_at": due.isoformat() if due else None})
