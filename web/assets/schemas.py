"""marshmallow schemas of the asset register and the reference data, for the JSON API and the pages alike.
Errors are message codes (services.messages), so that `load` can give them in the user's language."""
import json

from marshmallow import RAISE, Schema, fields, validate

from services import asset_register, assets, reference_data
from web.payloads import load  # noqa: F401  (schemas.load: the one loader of every JSON payload)

REQUIRED = {"required": "required", "null": "required", "invalid": "invalid_value"}
OPTIONAL = {"invalid": "invalid_value"}


def _text(max_len: int, required: bool = False, **kw):
    checks = [validate.Length(max=max_len, error="too_long|{max}")]
    if required:
        checks.insert(0, validate.Length(min=1, error="required"))
    return fields.String(required=required, validate=checks, error_messages=REQUIRED if required else OPTIONAL,
                         **kw)


def _choice(options, required: bool = False, **kw):
    return fields.String(required=required, validate=validate.OneOf(list(options), error="invalid_choice"),
                         error_messages=REQUIRED if required else OPTIONAL, **kw)


def _id(required: bool = False, **kw):
    return fields.Integer(required=required, strict=False, validate=validate.Range(min=1, error="invalid_value"),
                          error_messages=REQUIRED if required else OPTIONAL, **kw)


class Strict(Schema):
    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "unknown_field", "type": "bad_request"}


class AssetQuery(Strict):
    section_id = _id(load_default=None)
    kind = _choice(assets.KINDS, load_default=None)
    classification = _choice(assets.CLASSIFICATIONS, load_default=None)
    status = _choice(assets.STATUSES, load_default=None)
    q = _text(80, load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200, error="invalid_value"),
                           error_messages=OPTIONAL)
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, error="invalid_value"),
                            error_messages=OPTIONAL)


class AssetPageQuery(AssetQuery):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, error="invalid_value"),
                          error_messages=OPTIONAL)


class AssetCreate(Strict):
    register_number = _text(40, load_default=None, allow_none=True)
    kind = _choice(assets.KINDS, required=True)
    classification = _choice(assets.CLASSIFICATIONS, required=True)
    make_model = _text(120, load_default="")
    serial = _text(80, load_default="")
    section_id = _id(required=True)
    custodian_id = _id(load_default=None, allow_none=True)
    holder_id = _id(load_default=None, allow_none=True)
    status = _choice(asset_register.MANUAL_STATUSES, load_default="in_use")


class AssetPatch(Strict):
    """Only the fields sent are changed."""
    register_number = _text(40)
    kind = _choice(assets.KINDS)
    classification = _choice(assets.CLASSIFICATIONS)
    make_model = _text(120)
    serial = _text(80)
    section_id = _id()
    custodian_id = _id(allow_none=True)
    holder_id = _id(allow_none=True)
    # Any status, so that one owned by a procedure is refused with its reason, not as a bad choice.
    status = _choice(assets.STATUSES)


class DisposalRequest(Strict):
    # Donation and sale are accepted here so that the register refuses them with the article (CNET.8, DES.4).
    method = _choice(asset_register.DISPOSAL_METHODS, required=True)
    reason = _text(500, required=True)


class ReferenceCreate(Strict):
    code = _text(40, required=True)
    name_zh = _text(200, required=True)
    name_en = _text(200, required=True)


class ReferenceQuery(Strict):
    include_inactive = fields.Boolean(load_default=False, error_messages=OPTIONAL)


class SectionOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()


class PersonOut(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()


class AssetOut(Schema):
    id = fields.Integer()
    register_number = fields.String()
    kind = fields.String()
    classification = fields.String()
    make_model = fields.String()
    serial = fields.String()
    section = fields.Nested(SectionOut)
    custodian = fields.Nested(PersonOut, allow_none=True)
    holder = fields.Nested(PersonOut, allow_none=True)
    status = fields.String()
    open_case_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class CaseOut(Schema):
    id = fields.Integer()
    business_key = fields.String()
    process_id = fields.String()
    procedure_zh = fields.Function(lambda i: i.definition.name_zh)
    procedure_en = fields.Function(lambda i: i.definition.name_en)
    status = fields.String()
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)


class MaintenanceOut(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    kind = fields.String()
    fault = fields.String()
    cause = fields.String()
    work_done = fields.String()
    performed_by = fields.String()
    instance_id = fields.Integer(allow_none=True)


class EventOut(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    action = fields.String()
    actor = fields.Function(lambda e: e.actor.username if e.actor else None)
    instance_id = fields.Integer(allow_none=True)
    details = fields.Function(lambda e: json.loads(e.details or "{}"))


class ReferenceOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    active = fields.Boolean()


REFERENCE_KINDS = reference_data.KINDS
