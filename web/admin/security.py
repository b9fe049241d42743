"""The security administrator's console (三员分立): security settings (password expiry, sign-in throttling
and lockout per username and per network address) and unlocking accounts and addresses; the same as JSON
under /api/v1/security. Who may open it: web/access_policy.py."""
from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import RAISE, Schema, fields, validate

from models import utcnow
from services import security_settings
from services.errors import DomainError, ValidationFailed
from web.access_policy import required
from web.admin import bp
from web.errors import domain_error_body
from web.extensions import select_locale
from web.payloads import json_body, load
from web.session import db

SecuritySettingsIn = Schema.from_dict(
    {key: fields.Integer(validate=validate.Range(min=s.low, max=s.high), metadata={"description": s.name_en})
     for key, s in security_settings.SETTINGS.items()}, name="SecuritySettingsIn")
SecuritySettingsIn.Meta.unknown = RAISE


def _lock_out(row, now) -> dict:
    return {"failures": row.failures, "last_failure_at": row.last_failure_at.isoformat() if row.last_failure_at else None,
            "blocked_until": row.blocked_until.isoformat() if row.blocked_until else None,
            "blocked": bool(row.blocked_until and row.blocked_until > now)}


@bp.get("/admin/security")
@required
def security():
    session, now = db(), utcnow()
    return render_template("admin/security.html", settings=security_settings.SETTINGS,
                           values=security_settings.current(session), locks=security_settings.locks(session, now),
                           now=now, errors={})


@bp.post("/admin/security")
@required
def security_save():
    session = db()
    changes = {key: request.form[key] for key in security_settings.SETTINGS if key in request.form}
    try:
        security_settings.update(session, current_user, changes, select_locale())
    except ValidationFailed as err:
        session.rollback()
        now = utcnow()
        return render_template("admin/security.html", settings=security_settings.SETTINGS,
                               values=dict(security_settings.current(session), **changes),
                               locks=security_settings.locks(session, now), now=now, errors=err.fields), 422
    session.commit()
    flash(_("Security settings saved."), "success")
    return redirect(url_for("admin.security"))


@bp.post("/admin/security/unlock")
@required
def unlock():
    session, name = db(), request.form.get("name", "")
    try:
        if request.form.get("kind") == "address":
            security_settings.unlock_address(session, current_user, name)
        else:
            security_settings.unlock_account(session, current_user, name)
    except DomainError as err:
        session.rollback()
        flash(domain_error_body(err)["error"], "danger")
        return redirect(url_for("admin.security"))
    session.commit()
    flash(_("Unlocked: %(name)s", name=name), "success")
    return redirect(url_for("admin.security"))


@bp.get("/api/v1/security/settings")
@required
def api_security_settings():
    return jsonify({"settings": security_settings.current(db())})


@bp.post("/api/v1/security/settings")
@required
def api_save_security_settings():
    body = load(SecuritySettingsIn(), json_body(), select_locale())
    values = security_settings.update(db(), current_user, body, select_locale())
    db().commit()
    return jsonify({"settings": values})


@bp.get("/api/v1/security/locks")
@required
def api_locks():
    now = utcnow()
    found = security_settings.locks(db(), now)
    return jsonify({"accounts": [dict(_lock_out(r, now), username=r.username) for r in found["accounts"]],
                    "addresses": [dict(_lock_out(r, now), address=r.address) for r in found["addresses"]]})


@bp.delete("/api/v1/security/locks/accounts/<username>")
@required
def api_unlock_account(username: str):
    security_settings.unlock_account(db(), current_user, username)
    db().commit()
    return "", 204


@bp.delete("/api/v1/security/locks/addresses/<address>")
@required
def api_unlock_address(address: str):
    security_settings.unlock_address(db(), current_user, address)
    db().commit()
    return "", 204
