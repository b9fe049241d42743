"""The asset register's pages: the list with filters and search, an asset's whole history, the register and
edit forms of the security office, and the reference data kept by the admin and the security office."""
from functools import wraps

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from services import asset_register, assignment, reference_data
from services.errors import DomainError, Forbidden, NotFound
from web.assets import audit_labels, schemas
from web.errors import domain_error_body
from web.extensions import select_locale
from web.session import db

bp = Blueprint("assets", __name__, template_folder="templates")
PAGE_SIZE = 25
FORM_FIELDS = ("register_number", "kind", "classification", "make_model", "serial", "section_id", "custodian_id",
               "holder_id", "status")
ID_FIELDS = ("section_id", "custodian_id", "holder_id")


@bp.app_context_processor
def _register_flags():
    """Whether the page shows the register's write actions and the reference data link."""
    if current_user and current_user.is_authenticated:
        session = db()
        return {"may_register": asset_register.may_register(session, current_user),
                "may_keep_reference": reference_data.may_keep(session, current_user), "status_class": status_class}
    return {"may_register": False, "may_keep_reference": False, "status_class": status_class}


STATUS_CLASSES = {"in_use": "text-bg-success", "in_storage": "text-bg-info", "carried_out": "text-bg-primary",
                  "under_repair": "text-bg-warning", "pending_scrap": "text-bg-dark",
                  "pending_destruction": "text-bg-dark", "destroyed": "text-bg-secondary", "lost": "text-bg-danger"}


def status_class(status: str) -> str:
    return STATUS_CLASSES.get(status, "text-bg-light")


def registrar_only(view):
    """The register's forms are the security office's (MED.1)."""
    @wraps(view)
    @login_required
    def guarded(*args, **kwargs):
        if not asset_register.may_register(db(), current_user):
            raise Forbidden("register_security_office_only")
        return view(*args, **kwargs)
    return guarded


def reference_keepers_only(view):
    @wraps(view)
    @login_required
    def guarded(*args, **kwargs):
        if not reference_data.may_keep(db(), current_user):
            raise Forbidden("reference_keepers_only")
        return view(*args, **kwargs)
    return guarded


@bp.get("/assets")
@login_required
def index():
    session = db()
    args = {k: v for k, v in request.args.items() if v.strip()}
    query = schemas.load(schemas.AssetPageQuery(), args, select_locale())
    page = query.pop("page")
    query.pop("limit"), query.pop("offset")
    rows, total = asset_register.visible_assets(session, current_user, limit=PAGE_SIZE,
                                                offset=(page - 1) * PAGE_SIZE, **query)
    return render_template("assets/index.html", rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PAGE_SIZE)), query=query,
                           filters={k: v for k, v in query.items() if v is not None},
                           sections=asset_register.sections(session), choices=_choices())


@bp.get("/assets/<int:asset_id>")
@login_required
def show(asset_id: int):
    session = db()
    asset = asset_register.visible_asset(session, asset_id, current_user)
    found = asset_register.history(session, asset)
    visible_cases = {c.id for c in found.cases if assignment.can_view_case(session, current_user, c)}
    return render_template("assets/show.html", asset=asset, history=found, visible_cases=visible_cases,
                           open_case=next((c for c in found.cases if c.id == asset.open_case_id), None),
                           event_label=audit_labels.event_label, event_details=audit_labels.event_details,
                           disposal_methods=("scrap", "destruction"), values={}, errors={})


@bp.route("/assets/new", methods=["GET", "POST"])
@registrar_only
def new():
    session = db()
    values, errors, error = {"status": "in_use"}, {}, None
    if request.method == "POST":
        values = _form_values()
        data = {k: v for k, v in values.items() if v not in ("", None)}
        try:
            payload = schemas.load(schemas.AssetCreate(), data, select_locale())
            asset = asset_register.register_asset(session, current_user, payload)
            session.commit()
        except DomainError as err:
            error, errors = _refusal(err)
        else:
            flash(_("Asset %(number)s registered.", number=asset.register_number), "success")
            return redirect(url_for("assets.show", asset_id=asset.id))
    return _form_page(None, values, errors, error)


@bp.route("/assets/<int:asset_id>/edit", methods=["GET", "POST"])
@registrar_only
def edit(asset_id: int):
    session = db()
    asset = asset_register.visible_asset(session, asset_id, current_user)
    values = {k: getattr(asset, k) for k in FORM_FIELDS}
    errors, error = {}, None
    if request.method == "POST":
        values = _form_values()
        # An empty custodian means the section's: kept as is, or the new section's when the section changes.
        data = {k: (v if v != "" or k not in ID_FIELDS else None) for k, v in values.items()
                if not (k == "custodian_id" and v == "")}
        try:
            payload = schemas.load(schemas.AssetPatch(), data, select_locale())
            changed = asset_register.edit_asset(session, current_user, asset, payload)
            session.commit()
        except DomainError as err:
            error, errors = _refusal(err)
            asset = asset_register.visible_asset(session, asset_id, current_user)
        else:
            flash(_("Asset %(number)s saved.", number=asset.register_number) if changed else _("Nothing changed."),
                  "success" if changed else "info")
            return redirect(url_for("assets.show", asset_id=asset.id))
    return _form_page(asset, values, errors, error)


@bp.post("/assets/<int:asset_id>/disposal")
@registrar_only
def disposal(asset_id: int):
    session = db()
    asset = asset_register.visible_asset(session, asset_id, current_user)
    values = {k: request.form.get(k, "").strip() for k in ("method", "reason")}
    try:
        payload = schemas.load(schemas.DisposalRequest(), {k: v for k, v in values.items() if v},
                               select_locale())
        asset_register.request_disposal(session, current_user, asset, payload["method"], payload["reason"])
        session.commit()
    except DomainError as err:
        error, errors = _refusal(err)
        asset = asset_register.visible_asset(session, asset_id, current_user)
        found = asset_register.history(session, asset)
        return render_template(
            "assets/show.html", asset=asset, history=found, error=error, errors=errors, values=values,
            visible_cases={c.id for c in found.cases if assignment.can_view_case(session, current_user, c)},
            open_case=next((c for c in found.cases if c.id == asset.open_case_id), None),
            event_label=audit_labels.event_label, event_details=audit_labels.event_details, disposal_methods=("scrap", "destruction")), 422
    flash(_("Disposal of %(number)s requested.", number=asset.register_number), "success")
    return redirect(url_for("assets.show", asset_id=asset.id))


@bp.get("/reference")
@reference_keepers_only
def reference():
    return _reference_page({}, {}, None, None)


@bp.post("/reference/<kind>")
@reference_keepers_only
def add_reference(kind: str):
    session = db()
    reference_data.check_kind(kind)
    values = {k: request.form.get(k, "").strip() for k in ("code", "name_zh", "name_en")}
    try:
        payload = schemas.load(schemas.ReferenceCreate(), {k: v for k, v in values.items() if v}, select_locale())
        added = reference_data.add_item(session, current_user, kind, **payload)
        session.commit()
    except DomainError as err:
        if isinstance(err, NotFound):
            raise
        error, errors = _refusal(err)
        return _reference_page(values, errors, error, kind, status=422)
    flash(_("%(code)s added.", code=added.code), "success")
    return redirect(url_for("assets.reference", _anchor=f"kind-{kind}"))


@bp.post("/reference/<kind>/<int:item_id>/active")
@reference_keepers_only
def set_reference_active(kind: str, item_id: int):
    session = db()
    active = request.form.get("active") == "1"
    found = reference_data.set_active(session, current_user, kind, item_id, active)
    session.commit()
    flash(_("%(code)s reactivated.", code=found.code) if active else _("%(code)s deactivated.", code=found.code),
          "success")
    return redirect(url_for("assets.reference", _anchor=f"kind-{kind}"))


def _reference_page(values, errors, error, failed_kind, status=200):
    session = db()
    lists = {kind: reference_data.items(session, kind) for kind in reference_data.KINDS}
    return render_template("assets/reference.html", lists=lists, kinds=reference_data.KINDS, values=values,
                           errors=errors, error=error, failed_kind=failed_kind), status


def _form_values() -> dict:
    return {k: request.form.get(k, "").strip() for k in FORM_FIELDS}


def _refusal(err: DomainError):
    if isinstance(err, (NotFound, Forbidden)):
        raise err
    db().rollback()
    body = domain_error_body(err)
    return body["error"], body.get("fields", {})


def _form_page(asset, values, errors, error):
    session = db()
    return render_template("assets/form.html", asset=asset, values=values, errors=errors, error=error,
                           sections=asset_register.sections(session), people=asset_register.active_users(session),
                           custodians=asset_register.custodians_by_section(session), choices=_choices(),
                           manual_statuses=asset_register.MANUAL_STATUSES), (422 if error else 200)


def _choices():
    from services import assets
    return {"kind": assets.KINDS, "classification": assets.CLASSIFICATIONS, "status": assets.STATUSES}


from web.assets.api import bp as api_bp  # noqa: E402  (the JSON routes, a blueprint of their own)
