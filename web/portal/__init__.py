"""The portal: the procedures this user may start, the start form, and their own requests."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from services import assets, cases, definitions, forms, inbox
from services.errors import DomainError, NotFound, ValidationFailed
from services.procedures import PROCEDURES
from web.errors import domain_error_body
from web.extensions import select_locale
from web.session import db

bp = Blueprint("portal", __name__, template_folder="templates")


@bp.get("/")
@login_required
def home():
    published = set(definitions.published_process_ids(db()))
    startable = [p for pid, p in PROCEDURES.items() if pid in published and forms.start_form(db(), pid)]
    return render_template("portal/home.html", procedures=startable,
                           my_cases=inbox.my_cases(db(), current_user.id),
                           inbox_counts=inbox.counts(db(), current_user.id))


@bp.route("/start/<process_id>", methods=["GET", "POST"])
@login_required
def start(process_id: str):
    form = forms.start_form(db(), process_id) if process_id in PROCEDURES else None
    if form is None:
        raise NotFound("process_not_found", process_id=process_id)
    values, errors, error = {}, {}, None
    if request.method == "POST":
        values = form.from_html(request.form)
        try:
            instance = cases.start_case(db(), process_id, current_user, values, select_locale())
            db().commit()
        except (ValidationFailed, DomainError) as err:
            if isinstance(err, NotFound):
                raise
            db().rollback()
            body = domain_error_body(err)
            error, errors = body["error"], body.get("fields", {})
        else:
            flash(_("Your request %(key)s was submitted.", key=instance.business_key), "success")
            return redirect(url_for("cases.show", instance_id=instance.id))
    asset_field = next((f for f in form.fields if f.type == "asset_list"), None)
    asset_choices = assets.candidates(db(), current_user, asset_field.eligible, asset_field.asset_kinds) if asset_field else []
    return render_template("portal/start.html", procedure=PROCEDURES[process_id], form=form, values=values,
                           errors=errors, error=error, asset_choices=asset_choices), (422 if error else 200)
