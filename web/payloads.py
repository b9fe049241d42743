"""Reading what a request sends: a JSON object body, and validation by a marshmallow schema whose error
messages are message codes (`"too_long|200"`: the code, then its `max`), given back in the user's language."""
from flask import request
from marshmallow import Schema, ValidationError

from services.errors import DomainError, ValidationFailed
from services.messages import message


def json_body() -> dict:
    """The request's JSON object; anything else (no body, a list, malformed JSON) is a bad request."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise DomainError("bad_request")
    return body


def load(schema: Schema, data, locale: str) -> dict:
    """Validate `data`, or raise ValidationFailed with each field's messages in `locale`."""
    try:
        return schema.load(data)
    except ValidationError as err:
        raise ValidationFailed({name: _texts(msgs, locale) for name, msgs in err.messages.items()}) from None


def _texts(msgs, locale: str) -> list[str]:
    if isinstance(msgs, dict):  # nested or per-item messages: flatten
        return [t for inner in msgs.values() for t in _texts(inner, locale)]
    if isinstance(msgs, str):
        msgs = [msgs]
    out = []
    for text in msgs:
        code, _, arg = str(text).partition("|")
        out.append(message(code, locale, max=arg))
    return out
