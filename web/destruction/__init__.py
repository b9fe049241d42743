"""The destruction register (销毁登记簿) as JSON under /api/v1/destruction-register: the destruction officer
and the security office register carriers to destroy (DES.2, DES.3, CIS.11); the register's keepers and the
office's overseers read it. Manifests are cases of the `destruction` procedure (P4)."""
from flask import Blueprint, jsonify, request
from flask_login import current_user, login_required

from services import destruction_register
from services.errors import Forbidden
from web.destruction import schemas
from web.extensions import select_locale
from web.payloads import json_body
from web.session import db

bp = Blueprint("destruction", __name__, url_prefix="/api/v1/destruction-register")


def _check_reader() -> None:
    if not destruction_register.may_read(db(), current_user):
        raise Forbidden("destruction_register_not_readable")


@bp.post("")
@login_required
def register_item():
    """Register one carrier; refused for anyone but the destruction officer and the security office."""
    session = db()
    destruction_register.check_registrar(session, current_user)
    payload = schemas.load(schemas.ItemCreate(), json_body(), select_locale())
    if payload["category"] is None:  # printed rejects of classified output: DES.3 (7) unless said otherwise
        payload["category"] = "7"
    item = destruction_register.register_item(session, current_user, **payload)
    session.commit()
    return jsonify({"item": schemas.dump_items(item, select_locale(), many=False)}), 201


@bp.get("")
@login_required
def list_items():
    """The register, oldest first; `?status=registered` for the items a manifest may take."""
    _check_reader()
    query = schemas.load(schemas.ItemQuery(), request.args.to_dict(), select_locale())
    rows, total = destruction_register.items(db(), **query)
    return jsonify({"items": schemas.dump_items(rows, select_locale()), "total": total,
                    "limit": query["limit"], "offset": query["offset"],
                    "categories": {k: destruction_register.label(destruction_register.CATEGORIES, k, select_locale())
                                   for k in destruction_register.CATEGORIES}})


@bp.get("/<int:item_id>")
@login_required
def get_item(item_id: int):
    _check_reader()
    item = destruction_register.get_item(db(), item_id)
    return jsonify({"item": schemas.dump_items(item, select_locale(), many=False)})
