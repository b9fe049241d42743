"""Routine duties (CIS.7, UNET.6, PUB.7): the list a maintainer, section head or the security office
works through, with a confirmation per occurrence; the same as JSON under /api/v1/duties."""
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import Schema, ValidationError, fields, validate

from models import User, utcnow
from services import assignment, routine_duties
from services.errors import DomainError, ValidationFailed
from services.messages import message
from web.extensions import select_locale
from web.session import db

bp = Blueprint("duties", __name__, template_folder="templates")
NOTE_LIMIT = 500


DUTY_ROLES = {d.role for d in routine_duties.DUTIES.values()} | {"security_office"}


@bp.app_context_processor
def _duties_flag():
    """Whether the nav shows the routine duties link."""
    if current_user and current_user.is_authenticated:
        return {"has_duties": bool(DUTY_ROLES & assignment.roles_of(db(), current_user.id))}
    return {"has_duties": False}


class ConfirmDuty(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=NOTE_LIMIT))


def _note(data) -> str:
    """The confirmation's note, or ValidationFailed naming each bad field in the user's language."""
    try:
        return ConfirmDuty().load(data)["note"].strip()
    except ValidationError as err:
        locale = select_locale()
        raise ValidationFailed({
            name: [message("too_long", locale, max=NOTE_LIMIT) if name == "note" else message("unknown_field", locale)]
            for name in err.messages}) from None


def _duty_out(duty, locale: str) -> dict:
    spec = routine_duties.DUTIES[duty.kind]
    return {"id": duty.id, "kind": duty.kind, "name": spec.name(locale), "article": spec.article,
            "title": duty.title, "period": duty.period, "due_at": duty.due_at.isoformat(),
            "instance_id": duty.instance_id, "confirmed_at": duty.confirmed_at.isoformat() if duty.confirmed_at else None,
            "confirmed_by_id": duty.confirmed_by_id, "note": duty.note}


@bp.get("/duties")
@login_required
def index():
    session = db()
    duties = routine_duties.visible_duties(session, current_user, include_done=True)
    confirmers = {u.id: u for u in session.query(User).filter(
        User.id.in_({d.confirmed_by_id for d in duties if d.confirmed_by_id}))}
    return render_template("duties/index.html", duties=duties, specs=routine_duties.DUTIES, confirmers=confirmers,
                           now=utcnow(), note_limit=NOTE_LIMIT)


@bp.post("/duties/<int:duty_id>/confirm")
@login_required
def confirm(duty_id: int):
    session = db()
    try:
        routine_duties.confirm(session, duty_id, current_user, _note({"note": request.form.get("note", "")}), utcnow())
    except DomainError as err:
        # Back to the list with the reason, rather than an error page that loses the list.
        session.rollback()
        text = message(err.code, select_locale(), **err.params)
        if isinstance(err, ValidationFailed):
            text = "; ".join(t for msgs in err.fields.values() for t in msgs)
        flash(text, "danger")
        return redirect(url_for("duties.index"))
    session.commit()
    flash(_("Confirmed."), "success")
    return redirect(url_for("duties.index"))


@bp.get("/api/v1/duties")
@login_required
def api_list():
    include_done = request.args.get("include_done") in ("1", "true")
    duties = routine_duties.visible_duties(db(), current_user, include_done=include_done)
    return jsonify({"duties": [_duty_out(d, select_locale()) for d in duties]})


@bp.post("/api/v1/duties/<int:duty_id>/confirm")
@login_required
def api_confirm(duty_id: int):
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400)
    duty = routine_duties.confirm(db(), duty_id, current_user, _note(body), utcnow())
    db().commit()
    return jsonify({"duty": _duty_out(duty, select_locale())})
