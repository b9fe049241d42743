"""marshmallow schemas of the destruction register's JSON API. Errors are message codes (services.messages),
given in the user's language by `load`."""
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from services import assets, destruction_register as register
from web.payloads import load  # noqa: F401  (schemas.load: the one loader of every JSON payload)

REQUIRED = {"required": "required", "null": "required", "invalid": "invalid_value"}
OPTIONAL = {"invalid": "invalid_value"}


def _text(max_len: int, **kw):
    return fields.String(validate=validate.Length(max=max_len, error="too_long|{max}"), error_messages=OPTIONAL, **kw)


def _choice(options, required: bool = False, **kw):
    return fields.String(required=required, validate=validate.OneOf(list(options), error="invalid_choice"),
                         error_messages=REQUIRED if required else OPTIONAL, **kw)


def _int(minimum: int, **kw):
    return fields.Integer(strict=False, validate=validate.Range(min=minimum, max=100000, error="invalid_value"),
                          error_messages=OPTIONAL, **kw)


def _disposal(value: str) -> None:
    """Destruction methods only; donation and sale are refused naming the article (DES.4, CNET.8)."""
    if value in register.FORBIDDEN_DISPOSALS:
        raise ValidationError("destruction_method_forbidden")
    if value not in register.DISPOSAL_METHODS:
        raise ValidationError("invalid_choice")


class Strict(Schema):
    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "unknown_field", "type": "bad_request"}


class ItemCreate(Strict):
    """One carrier for the destruction register (DES.2, DES.3; printed rejects: CIS.11)."""
    item_type = _choice(register.ITEM_TYPES, required=True)
    # DES.3 (1)..(7); printed rejects default to (7) "other classified carriers"
    category = fields.String(load_default=None, validate=validate.OneOf(list(register.CATEGORIES),
                                                                        error="invalid_choice"),
                             error_messages=OPTIONAL)
    classification = _choice(assets.CLASSIFICATIONS, load_default=None)
    doc_number = _text(80, load_default="")
    title = _text(300, load_default="")
    copies = _int(1, load_default=1)
    pages = _int(0, load_default=None)
    asset_id = _int(1, load_default=None, allow_none=True)
    section_id = _int(1, load_default=None, allow_none=True)
    disposal_method = fields.String(load_default=None, validate=_disposal, error_messages=OPTIONAL)

    @validates_schema
    def _category(self, data, **_kw):
        if data.get("category") is None and data.get("item_type") != "printed_reject":
            raise ValidationError("required", field_name="category")
        if data.get("item_type") in register.PAPER_TYPES and not data.get("classification"):
            raise ValidationError("required", field_name="classification")


class ItemQuery(Strict):
    status = _choice(register.STATUSES, load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500, error="invalid_value"),
                           error_messages=OPTIONAL)
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, error="invalid_value"),
                            error_messages=OPTIONAL)


class ItemOut(Schema):
    id = fields.Integer()
    label = fields.Function(register.item_label)
    category = fields.String()
    category_label = fields.Method("_category_label")
    item_type = fields.String()
    item_type_label = fields.Method("_type_label")
    printed_reject = fields.Function(lambda i: i.item_type == "printed_reject")
    asset_id = fields.Integer(allow_none=True)
    asset_number = fields.Function(lambda i: i.asset.register_number if i.asset is not None else None)
    doc_number = fields.String()
    title = fields.String()
    classification = fields.String()
    copies = fields.Integer()
    pages = fields.Integer()
    section_id = fields.Integer(allow_none=True)
    status = fields.String()
    status_label = fields.Method("_status_label")
    manifest_instance_id = fields.Integer(allow_none=True)
    source_instance_id = fields.Integer(allow_none=True)
    registered_by_id = fields.Integer(allow_none=True)
    registered_at = fields.DateTime()
    destroyed_at = fields.DateTime(allow_none=True)
    site_id = fields.Integer(allow_none=True)
    receipt_number = fields.String()
    return_reason = fields.String()

    def _locale(self) -> str:
        return self.context_locale if hasattr(self, "context_locale") else "zh_CN"

    def _category_label(self, item):
        return register.label(register.CATEGORIES, item.category, self._locale())

    def _type_label(self, item):
        return register.label(register.ITEM_TYPES, item.item_type, self._locale())

    def _status_label(self, item):
        return register.label(register.STATUSES, item.status, self._locale())


def dump_items(rows, locale: str, many: bool = True):
    schema = ItemOut(many=many)
    schema.context_locale = locale
    return schema.dump(rows)
