"""The asset register and the reference data as JSON under /api/v1; errors as {"error", "code", "fields"}."""
from flask import Blueprint, jsonify, request
from flask_login import current_user, login_required

from services import asset_register, reference_data
from services.errors import Forbidden
from web.assets import schemas
from web.extensions import select_locale
from web.payloads import json_body
from web.session import db

bp = Blueprint("assets_api", __name__, url_prefix="/api/v1")


def _load(schema, data) -> dict:
    return schemas.load(schema, data, select_locale())


def _asset_out(asset) -> dict:
    return schemas.AssetOut().dump(asset)


@bp.get("/assets")
@login_required
def list_assets():
    query = _load(schemas.AssetQuery(), request.args.to_dict())
    rows, total = asset_register.visible_assets(db(), current_user, **query)
    return jsonify({"assets": schemas.AssetOut(many=True).dump(rows), "total": total,
                    "limit": query["limit"], "offset": query["offset"]})


@bp.get("/assets/<int:asset_id>")
@login_required
def get_asset(asset_id: int):
    session = db()
    asset = asset_register.visible_asset(session, asset_id, current_user)
    found = asset_register.history(session, asset)
    return jsonify({"asset": _asset_out(asset), "history": {
        "cases": schemas.CaseOut(many=True).dump(found.cases),
        "maintenance": schemas.MaintenanceOut(many=True).dump(found.maintenance),
        "events": schemas.EventOut(many=True).dump(found.events)}})


@bp.post("/assets")
@login_required
def create_asset():
    session = db()
    asset_register.check_registrar(session, current_user)
    payload = _load(schemas.AssetCreate(), json_body())
    asset = asset_register.register_asset(session, current_user, payload)
    session.commit()
    return jsonify({"asset": _asset_out(asset)}), 201


@bp.patch("/assets/<int:asset_id>")
@login_required
def patch_asset(asset_id: int):
    session = db()
    asset = asset_register.visible_asset(session, asset_id, current_user)
    asset_register.check_registrar(session, current_user)
    payload = _load(schemas.AssetPatch(), json_body())
    changed = asset_register.edit_asset(session, current_user, asset, payload)
    session.commit()
    return jsonify({"asset": _asset_out(asset), "changed": sorted(changed)})


@bp.post("/assets/<int:asset_id>/disposal")
@login_required
def request_disposal(asset_id: int):
    session = db()
    asset = asset_register.visible_asset(session, asset_id, current_user)
    asset_register.check_registrar(session, current_user)
    payload = _load(schemas.DisposalRequest(), json_body())
    asset_register.request_disposal(session, current_user, asset, payload["method"], payload["reason"])
    session.commit()
    return jsonify({"asset": _asset_out(asset)})


@bp.get("/reference/<kind>")
@login_required
def list_reference(kind: str):
    """Active items for everyone; the keepers may ask for the inactive ones too."""
    session = db()
    query = _load(schemas.ReferenceQuery(), request.args.to_dict())
    include_inactive = query["include_inactive"] and reference_data.may_keep(session, current_user)
    found = reference_data.items(session, kind, include_inactive=include_inactive)
    return jsonify({"kind": kind, "items": schemas.ReferenceOut(many=True).dump(found)})


@bp.post("/reference/<kind>")
@login_required
def add_reference(kind: str):
    session = db()
    reference_data.check_kind(kind)
    if not reference_data.may_keep(session, current_user):
        raise Forbidden("reference_keepers_only")
    payload = _load(schemas.ReferenceCreate(), json_body())
    added = reference_data.add_item(session, current_user, kind, **payload)
    session.commit()
    return jsonify({"item": schemas.ReferenceOut().dump(added)}), 201


@bp.post("/reference/<kind>/<int:item_id>/deactivate")
@login_required
def deactivate_reference(kind: str, item_id: int):
    return _set_active(kind, item_id, False)


@bp.post("/reference/<kind>/<int:item_id>/reactivate")
@login_required
def reactivate_reference(kind: str, item_id: int):
    return _set_active(kind, item_id, True)


def _set_active(kind: str, item_id: int, active: bool):
    session = db()
    found = reference_data.set_active(session, current_user, kind, item_id, active)
    session.commit()
    return jsonify({"item": schemas.ReferenceOut().dump(found)})

