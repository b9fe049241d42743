"""What the case-action endpoints accept; error messages are message codes (web/payloads.py)."""
from marshmallow import RAISE, Schema, fields, validate


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class SendBackIn(_Strict):
    target = fields.String(required=True, validate=validate.Length(min=1, max=120),
                           error_messages={"required": "required"})
    reason = fields.String(required=True, validate=validate.Length(max=2000, error="too_long|2000"),
                           error_messages={"required": "required"})


class TransferIn(_Strict):
    to_user_id = fields.Integer(required=True, strict=True, error_messages={"required": "required",
                                                                              "invalid": "invalid_value"})
    reason = fields.String(load_default="", validate=validate.Length(max=500, error="too_long|500"))


class WithdrawIn(_Strict):
    reason = fields.String(load_default="", validate=validate.Length(max=500, error="too_long|500"))


class DelegationIn(_Strict):
    delegate_id = fields.Integer(required=True, strict=True, error_messages={"required": "required",
                                                                               "invalid": "invalid_value"})
    starts_on = fields.Date(required=True, error_messages={"required": "required", "invalid": "invalid_date"})
    ends_on = fields.Date(required=True, error_messages={"required": "required", "invalid": "invalid_date"})
    reason = fields.String(load_default="", validate=validate.Length(max=300, error="too_long|300"))


def delegation_out(d, in_force: bool) -> dict:
    return {"id": d.id, "delegator_id": d.delegator_id, "delegate_id": d.delegate_id,
            "delegate_name": d.delegate.display_name, "delegator_name": d.delegator.display_name,
            "starts_on": d.starts_on.isoformat(), "ends_on": d.ends_on.isoformat(), "reason": d.reason,
            "revoked": d.revoked_at is not None, "in_force": in_force}
