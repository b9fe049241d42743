"""Working together on a case: copy readers in (抄送), comment with @mentions, attach files, print the
approval sheet (审批单) or take it as PDF. The case page shows it all in one panel (_case_panel.html); the
JSON twins of these routes are in web/collaboration/api.py, on the same blueprint."""
from __future__ import annotations

import io

from flask import (Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from models import User
from services import approval_sheet, approval_sheet_pdf, case_attachments, case_comments, case_readers, cases
from services.errors import DomainError, NotFound
from services.messages import message
from web.errors import domain_error_body, is_api
from web import page_action
from web.extensions import select_locale
from web.session import db
from web.template_helpers import asset_label, recorded_by_steps

bp = Blueprint("collaboration", __name__, template_folder="templates", static_folder="static",
               static_url_path="/collaboration/static")

UPLOAD_ENDPOINTS = {"collaboration.upload", "collaboration.api_upload"}
# Room for the multipart envelope and the form's other fields around the file itself.
FORM_ALLOWANCE = 64 * 1024


def max_attachment_bytes() -> int:
    return current_app.config.get("BAOMI_ATTACHMENT_MAX_BYTES", case_attachments.DEFAULT_MAX_BYTES)


def _upload_body_limit():
    """The app refuses bodies over MAX_CONTENT_LENGTH (2 MB); a signed-in upload may carry one attachment."""
    if request.endpoint in UPLOAD_ENDPOINTS and current_user.is_authenticated:
        request.max_content_length = max_attachment_bytes() + FORM_ALLOWANCE


@bp.record_once
def _install_upload_limit(state):
    # First of all hooks: the CSRF check reads the form, and reading it enforces the limit.
    state.app.before_request_funcs.setdefault(None, []).insert(0, _upload_body_limit)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_err):
    """A body over the limit is refused before the view runs; nothing was read into the database."""
    text = message("attachment_too_large", select_locale(), max_mb=f"{max_attachment_bytes() / (1024 * 1024):g}")
    if is_api():
        return jsonify({"error": text, "code": "attachment_too_large", "fields": {"file": [text]}}), 413
    flash(text, "danger")
    return _back_to_case((request.view_args or {}).get("instance_id"), "attachments")


def _case_anchor(instance_id, anchor: str) -> str:
    if instance_id is None:
        return url_for("inbox.index")
    return url_for("cases.show", instance_id=instance_id, _anchor=anchor)


def _back_to_case(instance_id, anchor: str):
    return redirect(_case_anchor(instance_id, anchor), 303)


@bp.app_context_processor
def _panel_helpers():
    return {"collaboration_panel": panel}


def panel(case) -> dict:
    """What the case page's collaboration panel shows to the signed-in user (who already may see the case)."""
    session = db()
    readers = case_readers.readers_of(session, case.id)
    sees_beyond = case_readers.sees_beyond_copy(session, current_user, case)
    may_copy = case_readers.may_copy_in(session, current_user, case)
    reader_ids = {r.user_id for r in readers}
    people = []
    if may_copy:
        people = [u for u in session.scalars(select(User).where(User.active.is_(True)).order_by(User.section_id,
                                                                                                  User.username))
                  if u.id != current_user.id and u.id not in reader_ids]
    return {
        "readers": readers, "only_reader": not sees_beyond, "may_copy_in": may_copy, "people": people,
        "may_remove": lambda r: case_readers.may_remove(session, current_user, case, r),
        "comments": case_comments.comments_of(session, case.id), "segments": case_comments.segments,
        "on_case": [u for u in _people_on_case(case, readers) if u.id != current_user.id],
        "attachments": case_attachments.attachments_of(session, case.id), "may_upload": sees_beyond,
        "max_mb": f"{max_attachment_bytes() / (1024 * 1024):g}",
        "accept": ",".join("." + ext for ext in case_attachments.EXTENSIONS),
        "size_text": size_text,
    }


def _people_on_case(case, readers) -> list[User]:
    """The applicant, who acted or holds a task, and the readers: the names a comment may mention."""
    people = [case.applicant]
    people += [u for t in cases.tasks_of_case(db(), case.id) for u in (t.completed_by, t.assignee) if u]
    people += [r.user for r in readers]
    return list({u.id: u for u in people}.values())


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


@bp.get("/cc")
@login_required
def copied_to_me():
    """The cases copied to me (抄送我的)."""
    return render_template("collaboration/copied_to_me.html",
                           entries=case_readers.copied_to(db(), current_user.id))


@bp.post("/cases/<int:instance_id>/readers")
@login_required
def add_readers(instance_id: int):
    session = db()
    instance = cases.visible_case(session, instance_id, current_user)
    return page_action.attempt(
        lambda: case_readers.add_readers(session, instance, current_user, request.form.getlist("users"),
                                         request.form.get("note", "").strip()[:300]),
        lambda added: _("Copied in: %(names)s.", names="、".join(r.user.display_name for r in added))
        if added else _("They were already copied in."), _case_anchor(instance_id, "readers"), 303)


@bp.post("/cases/<int:instance_id>/readers/<username>/remove")
@login_required
def remove_reader(instance_id: int, username: str):
    session = db()
    instance = cases.visible_case(session, instance_id, current_user)
    return page_action.attempt(lambda: case_readers.remove_reader(session, instance, current_user, username),
                               _("Reader removed."), _case_anchor(instance_id, "readers"), 303)


@bp.post("/cases/<int:instance_id>/comments")
@login_required
def add_comment(instance_id: int):
    """Post a comment; a refused one comes back on a page of its own with the text kept, so nothing is lost."""
    session = db()
    instance = cases.visible_case(session, instance_id, current_user)
    body = request.form.get("body", "")
    try:
        case_comments.add_comment(session, instance, current_user, body)
        session.commit()
    except DomainError as err:
        if isinstance(err, NotFound):
            raise
        session.rollback()
        instance = cases.visible_case(session, instance_id, current_user)
        return render_template("collaboration/comment_refused.html", case=instance, body=body,
                               error=domain_error_body(err)["error"]), err.status
    flash(_("Comment posted."), "success")
    return _back_to_case(instance_id, "comments")


@bp.post("/cases/<int:instance_id>/attachments")
@login_required
def upload(instance_id: int):
    session = db()
    instance = cases.visible_case(session, instance_id, current_user)
    return page_action.attempt(
        lambda: case_attachments.attach(session, instance, current_user, received_file(), max_attachment_bytes()),
        lambda row: _("File attached: %(name)s.", name=row.filename), _case_anchor(instance_id, "attachments"), 303)


def received_file() -> case_attachments.Upload | None:
    """The request's file field `file`, read (the body limit is already enforced by then)."""
    f = request.files.get("file")
    if f is None or not f.filename:
        return None
    return case_attachments.Upload(filename=f.filename, content=f.read())


@bp.get("/cases/<int:instance_id>/attachments/<int:attachment_id>")
@login_required
def download(instance_id: int, attachment_id: int):
    """The file, only to whoever may see its case; always as a download, never shown inline."""
    session = db()
    instance = cases.visible_case(session, instance_id, current_user)
    row = case_attachments.for_download(session, instance, attachment_id, current_user)
    session.commit()
    response = send_file(io.BytesIO(row.content), mimetype=case_attachments.MEDIA_TYPES[row.kind],
                         as_attachment=True, download_name=row.filename, max_age=0, etag=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def sheet_document(instance_id: int, form: str) -> approval_sheet.ApprovalSheet:
    """The approval sheet of a case this user may see, its printing recorded in the audit log (committed)."""
    session, locale = db(), select_locale()
    instance = cases.visible_case(session, instance_id, current_user)
    tasks = cases.tasks_of_case(session, instance.id)
    data = cases.snapshot(instance)["data"]
    sheet = approval_sheet.document(session, instance, tasks, data, recorded_by_steps(instance, tasks, data),
                                    asset_label("case_status", instance.status), current_user, locale)
    approval_sheet.record_printed(session, current_user, instance, form)
    session.commit()
    return sheet


@bp.get("/cases/<int:instance_id>/sheet")
@login_required
def sheet(instance_id: int):
    doc = sheet_document(instance_id, "print")
    return render_template("collaboration/sheet.html", sheet=doc, instance_id=instance_id)


@bp.get("/cases/<int:instance_id>/sheet.pdf")
@login_required
def sheet_pdf(instance_id: int):
    doc = sheet_document(instance_id, "pdf")
    response = Response(approval_sheet_pdf.render(doc), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{doc.business_key}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


from web.collaboration import api  # noqa: E402,F401  (the JSON routes, on this blueprint)
