"""The OpenAPI document of the JSON API (GET /api/v1/openapi.json), generated with apispec from the app's
routes and the marshmallow schemas that validate their bodies and query strings. A route whose body no
schema describes (a task completion: its form decides) is documented as a JSON object."""
from __future__ import annotations

import re
from importlib import import_module

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, jsonify

from web.api import bp

# endpoint -> ("body" or "query", "module:Schema"); read when the document is built, so a blueprint that is
# not registered costs nothing. One line per endpoint, like web/access_policy.py.
SCHEMAS = {
    "api.sign_in": ("body", "web.api.schemas:SignInSchema"),
    "api.list_tasks": ("query", "web.api.schemas:TaskListQuery"),
    "api.bulk_approve": ("body", "web.api.schemas:BulkApproveIn"),
    "org_api.create_section": ("body", "web.org.schemas:SectionIn"),
    "org_api.update_section": ("body", "web.org.schemas:SectionUpdate"),
    "org_api.create_user": ("body", "web.org.schemas:UserIn"),
    "org_api.update_user": ("body", "web.org.schemas:UserUpdate"),
    "org_api.assign_role": ("body", "web.org.schemas:RoleIn"),
    "org_api.update_role": ("body", "web.org.schemas:RoleDates"),
    "org_api.deactivate": ("body", "web.org.schemas:DeactivateIn"),
    "org_api.absence": ("body", "web.org.schemas:AbsenceIn"),
    "org_api.change_password": ("body", "web.org.schemas:PasswordChange"),
    "assets_api.list_assets": ("query", "web.assets.schemas:AssetQuery"),
    "assets_api.create_asset": ("body", "web.assets.schemas:AssetCreate"),
    "assets_api.patch_asset": ("body", "web.assets.schemas:AssetPatch"),
    "assets_api.request_disposal": ("body", "web.assets.schemas:DisposalRequest"),
    "assets_api.add_reference": ("body", "web.assets.schemas:ReferenceCreate"),
    "assets_api.list_reference": ("query", "web.assets.schemas:ReferenceQuery"),
    "destruction.register_item": ("body", "web.destruction.schemas:ItemCreate"),
    "destruction.list_items": ("query", "web.destruction.schemas:ItemQuery"),
    "admin.api_cases": ("query", "web.admin:CaseQuery"),
    "admin.api_case_action": ("body", "web.admin:ActionBody"),
    "admin.api_reassign": ("body", "web.admin:ActionBody"),
    "admin.api_save_security_settings": ("body", "web.admin.security:SecuritySettingsIn"),
    "duties.api_confirm": ("body", "web.duties:ConfirmDuty"),
    "case_actions_api.send_back_task": ("body", "web.case_actions.schemas:SendBackIn"),
    "case_actions_api.transfer_task": ("body", "web.case_actions.schemas:TransferIn"),
    "case_actions_api.withdraw": ("body", "web.case_actions.schemas:WithdrawIn"),
    "case_actions_api.create_delegation": ("body", "web.case_actions.schemas:DelegationIn"),
}
ERROR = {"type": "object", "properties": {"error": {"type": "string"}, "code": {"type": "string"},
                                          "fields": {"type": "object"}}, "required": ["error", "code"]}
_ARG = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _schema(ref: str):
    module, _, name = ref.partition(":")
    return getattr(import_module(module), name, None)


def build(app) -> dict:
    """The document for every /api/v1 route of `app`."""
    spec = APISpec(title="Baomi JSON API", version="1", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin(schema_name_resolver=lambda s: None)],
                   info={"description": "Errors are JSON {error, code, fields}. Writes need the X-CSRFToken that "
                                        "POST /api/v1/session returns, and the session cookie."})
    spec.components.schema("Error", ERROR)
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.openapi":
            continue
        path = _ARG.sub(lambda m: "{" + m.group(2) + "}", rule.rule)
        parameters = [{"name": name, "in": "path", "required": True,
                       "schema": {"type": "integer", "minimum": 0} if converter == "int" else {"type": "string"}}
                      for converter, name in _ARG.findall(rule.rule)]
        where, ref = SCHEMAS.get(rule.endpoint, (None, None))
        schema = _schema(ref) if ref else None
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operation = {"operationId": f"{rule.endpoint}.{method.lower()}", "parameters": list(parameters),
                         "responses": {"200": {"description": "Done"},
                                       "default": {"description": "Refused",
                                                   "content": {"application/json": {
                                                       "schema": {"$ref": "#/components/schemas/Error"}}}}}}
            if where == "query" and schema is not None:
                operation["parameters"].append({"in": "query", "schema": schema})
            if method in ("POST", "PATCH", "PUT"):
                body = schema if where == "body" and schema is not None else {"type": "object"}
                operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
            paths.setdefault(path, {})[method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3 document of this API."""
    return jsonify(build(current_app))
