"""Form definitions and the marshmallow schemas built from them. Each published definition version carries its
own forms (table process_form, written with the version); a case always gets the forms of the version it runs
on, a new case the latest version's start form. forms/<process>/<task>.json are the repository's forms, which
services.definitions.publish_directory publishes with processes/*.bpmn."""
from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from models import ProcessDefinition, ProcessForm
from services.errors import ValidationFailed
from services.messages import message

FORMS_DIR = Path(__file__).resolve().parent.parent / "forms"
DECISION_LABELS = {
    "approve": ("同意", "Approve"),
    "reject": ("不同意", "Reject"),
    "send_back": ("退回申请人", "Send back to applicant"),
    "resubmit": ("重新提交", "Resubmit"),
    "withdraw": ("撤回申请", "Withdraw"),
}
TEXT_LIMITS = {"string": 200, "text": 2000}
# Fields holding a list of ids (destruction_item_list: items of the destruction register, P4)
LIST_TYPES = ("asset_list", "user_list", "reference_list", "destruction_item_list")


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    label_zh: str
    label_en: str
    required: bool = False
    choices: tuple[tuple[str, str, str], ...] = ()  # (value, zh, en)
    must_be_true: bool = False
    not_before: str | None = None
    not_in_past: bool = False
    help_zh: str = ""
    help_en: str = ""
    # asset_list: the statuses an asset may be in to be chosen (always classified, own section)
    eligible: tuple[str, ...] = ("in_use",)
    # asset_list: the kinds a page offers (e.g. computers only for a repair); empty offers every kind.
    asset_kinds: tuple[str, ...] = ()
    # user / user_list: only holders of this role may be chosen (None: any active user)
    role: str | None = None
    # reference: the kind of reference item (repair_unit, destruction_site, system)
    reference_kind: str | None = None
    min_items: int = 1
    max_value: int | None = None
    # choice: values refused with their own message code, e.g. {"donation": "destruction_method_forbidden"}
    refused: tuple[tuple[str, str], ...] = ()

    def label(self, locale: str) -> str:
        return self.label_en if locale.startswith("en") else self.label_zh

    def help(self, locale: str) -> str:
        return self.help_en if locale.startswith("en") else self.help_zh

    def choice_label(self, value: str, locale: str) -> str:
        for v, zh, en in self.choices:
            if v == value:
                return en if locale.startswith("en") else zh
        return value


@dataclass(frozen=True)
class FormDefinition:
    key: str
    title_zh: str
    title_en: str
    kind: str  # approval | work | applicant | start
    fields: tuple[Field, ...]

    def title(self, locale: str) -> str:
        return self.title_en if locale.startswith("en") else self.title_zh

    @property
    def is_decision_only(self) -> bool:
        return all(f.name in ("decision", "comment") for f in self.fields)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def validate(self, payload: dict, locale: str) -> dict:
        """Validated, JSON-ready data, or ValidationFailed with messages per field in `locale`."""
        try:
            data = _schema(self, locale).load(payload)
        except ValidationError as err:
            raise ValidationFailed(_flatten(err.messages)) from None
        errors = self._cross_field_errors(data, locale)
        if errors:
            raise ValidationFailed(errors)
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in data.items()}

    def _cross_field_errors(self, data: dict, locale: str) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        for f in self.fields:
            value = data.get(f.name)
            if f.type == "date" and value is not None:
                if f.not_in_past and value < date.today():
                    errors.setdefault(f.name, []).append(message("date_in_past", locale))
                other = data.get(f.not_before) if f.not_before else None
                if other is not None and value < other:
                    other_label = self.field(f.not_before).label(locale)
                    errors.setdefault(f.name, []).append(message("date_before", locale, other=other_label))
        return errors

    def from_html(self, form) -> dict:
        """Turn an HTML form's multidict into the payload the schema expects."""
        payload = {}
        for f in self.fields:
            if f.type in LIST_TYPES:
                values = form.getlist(f.name)
                if values:
                    payload[f.name] = values
            elif f.type == "boolean":
                payload[f.name] = form.get(f.name) in ("on", "true", "1", "yes")
            else:
                value = form.get(f.name, "")
                if value != "":
                    payload[f.name] = value
        return payload


def _flatten(messages) -> dict[str, list[str]]:
    out = {}
    for name, errs in messages.items():
        if isinstance(errs, dict):  # list fields report errors per index
            errs = [m for sub in errs.values() for m in (sub if isinstance(sub, list) else [sub])]
        out[name] = list(errs)
    return out


def _one_of(f: Field, msg):
    """One of the field's choices; a `refused` value gets its own message (e.g. naming the article)."""
    refused, allowed = dict(f.refused), [c[0] for c in f.choices]

    def check(value):
        if value in refused:
            raise ValidationError(msg(refused[value]))
        if value not in allowed:
            raise ValidationError(msg("invalid_choice"))
    return check


@lru_cache(maxsize=512)
def _schema(form: FormDefinition, locale: str) -> Schema:
    """The form's validator in `locale`, built once (a schema's construction costs more than a load; loading
    with it changes nothing in it)."""
    msg = lambda code, **p: message(code, locale, **p)  # noqa: E731
    common = {"required": msg("required"), "null": msg("required")}
    attrs = {}
    for f in form.fields:
        kw = {"required": f.required, "error_messages": dict(common, invalid=msg("invalid_value"))}
        if f.type in TEXT_LIMITS:
            limit = TEXT_LIMITS[f.type]
            validators = [validate.Length(max=limit, error=msg("too_long", max=limit))]
            if f.required:
                validators.append(validate.Length(min=1, error=msg("required")))
            attrs[f.name] = fields.String(validate=validators, **kw)
        elif f.type == "date":
            kw["error_messages"]["invalid"] = msg("invalid_date")
            attrs[f.name] = fields.Date(**kw)
        elif f.type == "boolean":
            validators = [validate.Equal(True, error=msg("must_acknowledge"))] if f.must_be_true else []
            attrs[f.name] = fields.Boolean(validate=validators, **kw)
        elif f.type in ("choice", "decision"):
            attrs[f.name] = fields.String(validate=_one_of(f, msg), **kw)
        elif f.type in LIST_TYPES:
            inner = fields.Integer(strict=False, error_messages={"invalid": msg("invalid_value")})
            too_few = msg("asset_none") if f.type == "asset_list" else msg("too_few", min=f.min_items)
            attrs[f.name] = fields.List(inner, validate=validate.Length(min=f.min_items, error=too_few), **kw)
        elif f.type in ("user", "reference", "integer"):
            validators = []
            if f.type == "integer":
                validators.append(validate.Range(min=0, max=f.max_value, error=msg("invalid_value")))
            attrs[f.name] = fields.Integer(strict=False, validate=validators, **kw)
        else:
            raise ValueError(f"{form.key}: unknown field type {f.type}")

    class Meta:
        unknown = RAISE

    attrs["Meta"] = Meta
    schema = Schema.from_dict(attrs, name=f"Form_{form.key.replace('/', '_')}")
    schema.error_messages = {"unknown": msg("unknown_field"), "type": msg("bad_request")}
    return schema()


def _field_from_json(raw: dict) -> Field:
    choices = raw.get("choices", [])
    if raw["type"] == "decision":
        choices = [{"value": c, "zh_CN": DECISION_LABELS[c][0], "en": DECISION_LABELS[c][1]} for c in choices]
    label = raw.get("label", {})
    help_text = raw.get("help", {})
    return Field(
        name=raw["name"], type=raw["type"],
        label_zh=label.get("zh_CN", raw["name"]), label_en=label.get("en", raw["name"]),
        required=raw.get("required", raw["type"] == "decision"),
        choices=tuple((c["value"], c["zh_CN"], c["en"]) for c in choices),
        must_be_true=raw.get("must_be_true", False),
        not_before=raw.get("not_before"), not_in_past=raw.get("not_in_past", False),
        help_zh=help_text.get("zh_CN", ""), help_en=help_text.get("en", ""),
        eligible=tuple(raw.get("eligible", ["in_use"])), asset_kinds=tuple(raw.get("asset_kinds", [])),
        role=raw.get("role"),
        reference_kind=raw.get("reference_kind"), min_items=raw.get("min_items", 1),
        max_value=raw.get("max_value"), refused=tuple(raw.get("refused", {}).items()),
    )


class FormMissing(LookupError):
    """A version has no form under this name: validation refuses such a version, so this is a bug."""


def parse(raw: dict, key: str) -> FormDefinition:
    """A form from its JSON; `key` is "<process>/<form name>" (it names the marshmallow schema)."""
    name = key.rsplit("/", 1)[-1]
    title = raw.get("title", {})
    return FormDefinition(
        key=key,
        title_zh=title.get("zh_CN", name), title_en=title.get("en", name),
        kind=raw.get("kind", "work"),
        fields=tuple(_field_from_json(f) for f in raw["fields"]),
    )


# --- the repository's files -----------------------------------------------------------------------------

def read_files(process_id: str) -> dict[str, dict]:
    """{form name: JSON} of forms/<process>/*.json: what publish_directory stores with processes/<process>.bpmn."""
    folder = FORMS_DIR / process_id
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))}


@lru_cache(maxsize=256)
def from_file(process_id: str, form_name: str) -> FormDefinition:
    """A repository form file, for checking the files themselves; a case's form comes from `of_case`."""
    path = FORMS_DIR / process_id / f"{form_name}.json"
    return parse(json.loads(path.read_text(encoding="utf-8")), f"{process_id}/{form_name}")


def file_exists(process_id: str, form_name: str) -> bool:
    return (FORMS_DIR / process_id / f"{form_name}.json").is_file()


# --- the forms of a published version -------------------------------------------------------------------

# Published versions never change, so each worker reads a version's forms once. The key holds the content
# hash and publication time too: a reused id (a restored or emptied database) can never serve stale forms.
_BY_VERSION: OrderedDict[tuple, dict[str, FormDefinition]] = OrderedDict()
_BY_VERSION_MAX = 256


def raw_of_version(session: Session, definition_id: int) -> dict[str, dict]:
    """{form name: JSON} as published with a version, for the designer (uncached: it edits copies)."""
    rows = session.execute(select(ProcessForm.task_bpmn_id, ProcessForm.form_json)
                           .where(ProcessForm.definition_id == definition_id)
                           .order_by(ProcessForm.task_bpmn_id)).all()
    return {name: json.loads(text) for name, text in rows}


def _version_forms(session: Session, definition: ProcessDefinition) -> dict[str, FormDefinition]:
    key = (definition.id, definition.content_hash, definition.published_at)
    found = _BY_VERSION.get(key)
    if found is None:
        found = {name: parse(raw, f"{definition.process_id}/{name}")
                 for name, raw in raw_of_version(session, definition.id).items()}
        _BY_VERSION[key] = found
        if len(_BY_VERSION) > _BY_VERSION_MAX:
            _BY_VERSION.popitem(last=False)
    else:
        _BY_VERSION.move_to_end(key)
    return found


def of_definition(session: Session, definition: ProcessDefinition, form_name: str) -> FormDefinition:
    """The form `form_name` (a user task's BPMN id, or "start") as published with `definition`."""
    found = _version_forms(session, definition).get(form_name)
    if found is None:
        raise FormMissing(f"{definition.process_id} v{definition.version} has no form {form_name}")
    return found


def of_case(instance, form_name: str) -> FormDefinition:
    """The form of a case's task (or its start form) in the version the case runs on."""
    return of_definition(object_session(instance), instance.definition, form_name)


def all_of_case(instance) -> dict[str, FormDefinition]:
    """{form name: form} of every task of the case's version, and its start form."""
    return dict(_version_forms(object_session(instance), instance.definition))


def start_form(session: Session, process_id: str) -> FormDefinition | None:
    """The start form of the latest version: what a new case is started with (None: it cannot be started)."""
    latest = session.scalar(select(ProcessDefinition).where(ProcessDefinition.process_id == process_id)
                            .order_by(ProcessDefinition.version.desc()).limit(1))
    if latest is None:
        return None
    return _version_forms(session, latest).get("start")


def clear_cache() -> None:
    """Forget every version's forms (tests that simulate a fresh worker)."""
    _BY_VERSION.clear()
    from_file.cache_clear()
