"""The JSON twins of the collaboration routes, under /api/v1: readers, comments, attachments, the cases
copied to me. Errors come back as {"error", "code", "fields"} (web/errors.py)."""
from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user, login_required
from marshmallow import RAISE, Schema, fields, validate

from services import case_attachments, case_comments, case_readers, cases
from web.collaboration import bp, download, max_attachment_bytes, received_file
from web.extensions import select_locale
from web.payloads import json_body, load
from web.session import db


class ReadersIn(Schema):
    class Meta:
        unknown = RAISE

    users = fields.List(fields.String(validate=validate.Length(max=80, error="too_long|{max}")), required=True,
                        validate=validate.Length(max=case_readers.MAX_READERS_AT_ONCE, error="too_long|{max}"),
                        error_messages={"required": "required", "invalid": "invalid_value"})
    note = fields.String(load_default="", validate=validate.Length(max=300, error="too_long|{max}"),
                         error_messages={"invalid": "invalid_value"})


class CommentIn(Schema):
    class Meta:
        unknown = RAISE

    body = fields.String(required=True, error_messages={"required": "required", "invalid": "invalid_value"})


def _person(user) -> dict:
    return {"username": user.username, "name": user.display_name}


def _reader_out(r) -> dict:
    return {"user": _person(r.user), "added_by": _person(r.added_by), "added_at": r.added_at.isoformat(),
            "note": r.note}


def _comment_out(c) -> dict:
    return {"id": c.id, "author": _person(c.author), "created_at": c.created_at.isoformat(), "body": c.body,
            "mentions": case_comments.mentioned_usernames(c.body)}


def _attachment_out(a) -> dict:
    return {"id": a.id, "filename": a.filename, "kind": a.kind, "size": a.size, "sha256": a.sha256,
            "uploaded_by": _person(a.uploaded_by), "uploaded_at": a.uploaded_at.isoformat(),
            "download": f"/api/v1/instances/{a.instance_id}/attachments/{a.id}"}


@bp.get("/api/v1/cc")
@login_required
def api_copied_to_me():
    entries = case_readers.copied_to(db(), current_user.id, limit=min(request.args.get("limit", 50, int), 200))
    return jsonify({"cases": [{"id": r.instance.id, "business_key": r.instance.business_key,
                               "title": r.instance.title, "status": r.instance.status,
                               "process_id": r.instance.process_id, "added_by": _person(r.added_by),
                               "added_at": r.added_at.isoformat(), "note": r.note} for r in entries]})


@bp.get("/api/v1/instances/<int:instance_id>/readers")
@login_required
def api_readers(instance_id: int):
    instance = cases.visible_case(db(), instance_id, current_user)
    return jsonify({"readers": [_reader_out(r) for r in case_readers.readers_of(db(), instance.id)]})


@bp.post("/api/v1/instances/<int:instance_id>/readers")
@login_required
def api_add_readers(instance_id: int):
    session = db()
    instance = cases.visible_case(session, instance_id, current_user)
    body = load(ReadersIn(), json_body(), select_locale())
    added = case_readers.add_readers(session, instance, current_user, body["users"], body["note"].strip())
    session.commit()
    return jsonify({"added": [r.user.username for r in added],
                    "readers": [_reader_out(r) for r in case_readers.readers_of(session, instance.id)]}), 201


@bp.delete("/api/v1/instances/<int:instance_id>/readers/<username>")
@login_required
def api_remove_reader(instance_id: int, username: str):
    session = db()
    instance = cases.visible_case(session, instance_id, current_user)
    case_readers.remove_reader(session, instance, current_user, username)
    session.commit()
    return "", 204


@bp.get("/api/v1/instances/<int:instance_id>/comments")
@login_required
def api_comments(instance_id: int):
    instance = cases.visible_case(db(), instance_id, current_user)
    return jsonify({"comments": [_comment_out(c) for c in case_comments.comments_of(db(), instance.id)]})


@bp.post("/api/v1/instances/<int:instance_id>/comments")
@login_required
def api_add_comment(instance_id: int):
    session = db()
    instance = cases.visible_case(session, instance_id, current_user)
    body = load(CommentIn(), json_body(), select_locale())
    comment = case_comments.add_comment(session, instance, current_user, body["body"])
    session.commit()
    return jsonify({"comment": _comment_out(comment)}), 201


@bp.get("/api/v1/instances/<int:instance_id>/attachments")
@login_required
def api_attachments(instance_id: int):
    instance = cases.visible_case(db(), instance_id, current_user)
    return jsonify({"attachments": [_attachment_out(a) for a in case_attachments.attachments_of(db(), instance.id)],
                    "max_bytes": max_attachment_bytes(),
                    "allowed": sorted(case_attachments.EXTENSIONS)})


@bp.post("/api/v1/instances/<int:instance_id>/attachments")
@login_required
def api_upload(instance_id: int):
    """Multipart upload, the file in the field `file`."""
    session = db()
    instance = cases.visible_case(session, instance_id, current_user)
    row = case_attachments.attach(session, instance, current_user, received_file(), max_attachment_bytes())
    session.commit()
    return jsonify({"attachment": _attachment_out(row)}), 201


@bp.get("/api/v1/instances/<int:instance_id>/attachments/<int:attachment_id>")
@login_required
def api_download(instance_id: int, attachment_id: int):
    return download(instance_id, attachment_id)
