"""How an asset's audit events read on its page: the event's name and its details in the user's language,
people and sections by name, never an internal code or id."""
import json

from flask import g
from flask_babel import gettext as _

from models import ProcessInstance
from services import forms
from web.extensions import select_locale
from web.session import db

# Details that name a person by user id.
PERSON_KEYS = ("holder_id", "custodian_id", "holder", "storage_kept_by", "prepared_by", "confirmed_by",
               "received_by", "successor")
# The register's own details, worded by value_text whatever a form calls a field of the same name.
REGISTER_KEYS = ("status", "before", "after", "kind", "classification", "section_id")
# Internal details a reader has no use for: ids, or the supervisors' ids beside their names.
HIDDEN_KEYS = ("asset_id", "supervisors")


def event_label(action: str) -> str:
    """The event's name in the user's language; an event without one keeps its code."""
    labels = {
        "asset_registered": _("Registered"),
        "asset_edited": _("Edited"),
        "asset_status_changed": _("Status changed"),
        "asset_disposal_requested": _("Disposal requested"),
        "asset_holder_changed": _("Holder changed"),
        "password_rotation_confirmed": _("Password change confirmed"),
        "repair_data_protection_decided": _("Data protection decided"),
        "repair_prepared": _("Prepared for repair"),
        "repair_supervised_on_site": _("On-site repair supervised"),
        "repair_dispatched": _("Sent out for repair"),
        "repair_returned_from_unit": _("Returned from the repair company"),
        "repair_storage_taken_back": _("Replaced storage taken back"),
        "repair_completed": _("Repair completed"),
        "classified_carriers_returned": _("Classified carriers returned"),
        "scrapping_information_cleared": _("Information cleared for scrapping"),
        "scrapping_counted_and_registered": _("Counted and registered for scrapping"),
        "scrapping_count_discrepancy": _("Count discrepancy at scrapping"),
        "scrapping_handed_to_destruction": _("Handed over for destruction"),
        "destruction_manifest_compiled": _("Destruction manifest compiled"),
        "destruction_manifest_signed": _("Destruction manifest signed"),
        "destruction_manifest_escorted": _("Destruction escorted"),
        "destruction_manifest_rejected": _("Destruction manifest rejected"),
        "destruction_manifest_closed": _("Destruction manifest closed"),
        "leak_reported": _("Leak reported"),
    }
    return labels.get(action, action)


def event_details(event) -> list[tuple[str, str]]:
    """The event's details as (name, text) pairs in the user's language; an edit shows before → after."""
    details = json.loads(event.details or "{}")
    chosen = _choice_fields(event)
    pairs = []
    for key, value in details.items():
        if key in HIDDEN_KEYS:
            continue
        if key == "changes" and isinstance(value, dict):
            pairs += [(field_label(field), " → ".join(value_text(field, v) for v in change))
                      for field, change in value.items()]
        elif key in chosen and key not in REGISTER_KEYS and isinstance(value, str):
            pairs.append((field_label(key), chosen[key].choice_label(value, select_locale())))
        elif value not in (None, ""):
            pairs.append((field_label(key), value_text(key, value)))
    return pairs


def _choice_fields(event) -> dict:
    """{field name: field} of the fields with choices in the forms of the event's case (its own version): a
    procedure's event names a choice by its code (sent_out), the form knows its words. Once per case a page."""
    if event.instance_id is None:
        return {}
    known = g.setdefault("audit_choice_fields", {})
    if event.instance_id not in known:
        instance = db().get(ProcessInstance, event.instance_id)
        known[event.instance_id] = {} if instance is None else {
            f.name: f for form in forms.all_of_case(instance).values() for f in form.fields if f.choices}
    return known[event.instance_id]


def field_label(key: str) -> str:
    labels = {
        "asset": _("Register number"), "register_number": _("Register number"), "kind": _("Kind"),
        "classification": _("Classification"), "make_model": _("Make and model"), "serial": _("Serial number"),
        "section_id": _("Section"), "custodian_id": _("Custodian"), "holder_id": _("Holder"), "holder": _("Holder"),
        "status": _("Status"), "before": _("Before"), "after": _("After"), "method": _("Method"),
        "reason": _("Reason"), "mode": _("Repair mode"), "data_protection": _("Data protection"),
        "prepared_by": _("Prepared by"), "prepared_on": _("Prepared on"), "confirmed_by": _("Confirmed by"),
        "storage_removed": _("Storage parts removed"), "storage_kept_by": _("Storage parts kept by"),
        "data_transferred_to": _("Data transferred to"), "wipe_method": _("Wipe method"),
        "unit": _("Repair company"), "dispatched_on": _("Sent out on"), "received_by": _("Received by"),
        "returned_on": _("Returned on"), "part": _("Part"), "storage_replaced": _("Storage replaced"),
        "failed_storage_destroyed": _("Failed storage destroyed"),
        "supervisor_names": _("Supervisors"), "repaired_on": _("Repaired on"), "repairer_name": _("Repairer"),
        "repairer_company": _("Repairer's company"), "repair_object": _("Object repaired"),
        "work_done": _("Work done"), "state_before": _("State before"), "state_after": _("State after"),
    }
    return labels.get(key, key)


def value_text(key: str, value) -> str:
    from models import Section, User
    from web.template_helpers import asset_label

    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key in PERSON_KEYS and (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
        person = db().get(User, int(value))
        return person.display_name if person else str(value)
    if key == "section_id":
        section = db().get(Section, value)
        return section.name(select_locale()) if section else str(value)
    if key in ("status", "before", "after"):
        return asset_label("status", value)
    if key in ("kind", "classification"):
        return asset_label(key, value)
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
