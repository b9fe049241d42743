"""The destruction register in the browser: the destruction officer and the security office register a
carrier (DES.2, DES.3, CIS.11) and see what waits for a manifest, what is in one, and what is gone."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from models import Asset, ReferenceItem, Section
from services import destruction_register
from services.errors import DomainError, Forbidden, ValidationFailed
from services.messages import message
from web.destruction import schemas
from web.extensions import select_locale
from web.session import db

bp = Blueprint("destruction_pages", __name__, template_folder="templates")
PAGE_SIZE = 50
FORM_FIELDS = ("item_type", "category", "classification", "doc_number", "title", "copies", "pages", "asset_id",
               "section_id")


@bp.app_context_processor
def _register_flag():
    """Whether the nav shows the destruction register."""
    if current_user and current_user.is_authenticated:
        return {"can_read_destruction_register": destruction_register.may_read(db(), current_user)}
    return {"can_read_destruction_register": False}


def _payload(form) -> dict:
    """The form's non-empty fields, as the JSON API would receive them."""
    return {name: form.get(name).strip() for name in FORM_FIELDS if (form.get(name) or "").strip()}


def _registrable_assets(session) -> list[Asset]:
    """Classified assets that may be put on the register: handed in, or already waiting for destruction."""
    return list(session.scalars(select(Asset).where(
        Asset.status.in_(destruction_register.REGISTRABLE_ASSET_STATUSES), Asset.classification != "unclassified",
        Asset.open_case_id.is_(None)).order_by(Asset.register_number)))


def _page(values: dict, errors: dict, error: str | None = None, status_code: int = 200):
    session = db()
    if not destruction_register.may_read(session, current_user):
        raise Forbidden("destruction_register_not_readable")
    status = request.args.get("status") or None
    if status not in destruction_register.STATUSES:
        status = None
    page = max(1, request.args.get("page", 1, type=int) or 1)
    rows, total = destruction_register.items(session, status=status, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render_template(
        "destruction/register.html", rows=rows, total=total, page=page, page_size=PAGE_SIZE, status=status,
        register=destruction_register, may_register=destruction_register.may_register(session, current_user),
        sections=list(session.scalars(select(Section).order_by(Section.code))),
        registrable_assets=_registrable_assets(session), values=values, errors=errors, error=error,
        sites={r.id: r.name(select_locale()) for r in session.scalars(select(ReferenceItem).where(
            ReferenceItem.id.in_({i.site_id for i in rows if i.site_id})))},
    ), status_code


@bp.get("/destruction-register")
@login_required
def index():
    return _page({}, {})


@bp.post("/destruction-register")
@login_required
def register_item():
    session = db()
    destruction_register.check_registrar(session, current_user)
    values = _payload(request.form)
    try:
        payload = schemas.load(schemas.ItemCreate(), values, select_locale())
        if payload["category"] is None:  # printed rejects: DES.3 (7) unless said otherwise, as in the API
            payload["category"] = "7"
        item = destruction_register.register_item(session, current_user, **payload)
    except ValidationFailed as err:
        session.rollback()
        return _page(values, err.fields, status_code=422)
    except DomainError as err:
        # Refused by a rule: the form comes back as typed, with the reason beside the field it concerns.
        session.rollback()
        text = message(err.code, select_locale(), **err.params)
        return _page(values, {err.field: [text]} if err.field else {}, error=text, status_code=err.status)
    session.commit()
    flash(_("Registered as item %(id)s.", id=item.id), "success")
    return redirect(url_for("destruction_pages.index"))
