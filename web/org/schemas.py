"""marshmallow schemas of the organisation API: what the administrator sends, and how people look."""
from marshmallow import RAISE, Schema, fields, validate

from services.roles import ROLES


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class SectionIn(_Strict):
    code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    name_zh = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name_en = fields.String(load_default="", validate=validate.Length(max=100))


class SectionUpdate(_Strict):
    name_zh = fields.String(validate=validate.Length(min=1, max=100))
    name_en = fields.String(validate=validate.Length(max=100))
    head_id = fields.Integer(allow_none=True)
    deputy_id = fields.Integer(allow_none=True)


class UserIn(_Strict):
    username = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.-]{2,80}$"))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    section_id = fields.Integer(load_default=None, allow_none=True)
    email = fields.Email(load_default=None, allow_none=True)
    locale = fields.String(load_default="zh_CN", validate=validate.OneOf(["zh_CN", "en"]))


class UserUpdate(_Strict):
    display_name = fields.String(validate=validate.Length(min=1, max=100))
    section_id = fields.Integer(allow_none=True)
    email = fields.String(allow_none=True, validate=validate.Length(max=200))
    locale = fields.String(validate=validate.OneOf(["zh_CN", "en"]))


class RoleIn(_Strict):
    role = fields.String(required=True, validate=validate.OneOf(list(ROLES)))
    section_id = fields.Integer(load_default=None, allow_none=True)
    start_date = fields.Date(load_default=None, allow_none=True)
    end_date = fields.Date(load_default=None, allow_none=True)


class RoleDates(_Strict):
    start_date = fields.Date(load_default=None, allow_none=True)
    end_date = fields.Date(load_default=None, allow_none=True)


class DeactivateIn(_Strict):
    successor_id = fields.Integer(load_default=None, allow_none=True)


class AbsenceIn(_Strict):
    absent = fields.Boolean(required=True)
    until = fields.Date(load_default=None, allow_none=True)


class PasswordChange(_Strict):
    current_password = fields.String(required=True)
    new_password = fields.String(required=True, validate=validate.Length(max=200))


class RoleOut(Schema):
    id = fields.Integer()
    role = fields.String()
    section_id = fields.Integer(allow_none=True)
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    acting_for_id = fields.Integer(allow_none=True)


class SectionOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    head_id = fields.Integer(allow_none=True)
    deputy_id = fields.Integer(allow_none=True)


class PersonOut(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    email = fields.String(allow_none=True)
    locale = fields.String()
    section_id = fields.Integer(allow_none=True)
    active = fields.Boolean()
    absent = fields.Boolean()
    absent_until = fields.Date(allow_none=True)
    must_change_password = fields.Boolean()
