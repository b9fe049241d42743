"""The notification centre: unread count, the list, mark read; the page and its JSON twin."""
from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from marshmallow import RAISE, Schema, ValidationError, fields

from services import notifications
from services.errors import ValidationFailed
from web.extensions import select_locale
from web.session import db

bp = Blueprint("notifications", __name__, template_folder="templates")


class MarkReadSchema(Schema):
    class Meta:
        unknown = RAISE

    ids = fields.List(fields.Integer(), load_default=None)


@bp.app_context_processor
def _unread():
    if current_user and current_user.is_authenticated:
        return {"unread_notifications": notifications.unread_count(db(), current_user.id)}
    return {"unread_notifications": 0}


@bp.get("/notifications")
@login_required
def index():
    items = notifications.latest(db(), current_user.id)
    return render_template("notifications/index.html", items=items, text=notifications.text)


@bp.post("/notifications/read")
@login_required
def mark_all_read():
    notifications.mark_read(db(), current_user.id)
    db().commit()
    return redirect(url_for("notifications.index"))


@bp.get("/api/v1/notifications")
@login_required
def api_list():
    locale = select_locale()
    items = notifications.latest(db(), current_user.id, limit=min(int(request.args.get("limit", 50)), 200))
    return jsonify({"unread": notifications.unread_count(db(), current_user.id),
                    "notifications": [{"id": n.id, "code": n.code, "text": notifications.text(n, locale),
                                       "instance_id": n.instance_id, "task_id": n.task_id,
                                       "created_at": n.created_at.isoformat(),
                                       "read": n.read_at is not None} for n in items]})


@bp.post("/api/v1/notifications/read")
@login_required
def api_mark_read():
    try:
        body = MarkReadSchema().load(request.get_json(silent=True) or {})
    except ValidationError as err:
        raise ValidationFailed(err.messages)
    marked = notifications.mark_read(db(), current_user.id, body["ids"])
    db().commit()
    return jsonify({"marked": marked, "unread": notifications.unread_count(db(), current_user.id)})
