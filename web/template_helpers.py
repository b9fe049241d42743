"""Small labels and formats shared by every page, in the request's language."""
from flask import Flask
from flask_babel import format_datetime, gettext as _

from models import utcnow
from services import assets, form_checks
from services.roles import ROLES
from web.extensions import select_locale

CASE_STATUS = {
    "running": ("办理中", "In progress"),
    "suspended": ("已暂停", "Suspended"),
    "completed": ("已办结", "Completed"),
    "rejected": ("未通过", "Rejected"),
    "withdrawn": ("已撤回", "Withdrawn"),
    "terminated": ("已终止", "Terminated"),
    "error": ("出错", "Error"),
}
TASK_STATUS = {"open": ("待办", "Open"), "completed": ("已办", "Done"), "cancelled": ("已取消", "Cancelled"),
               "awaiting_added": ("待后加签人审批", "Awaiting the added approver"),
               "sent_back": ("已退回", "Sent back")}
MAINTENANCE_KINDS = {"repair": ("维修", "Repair"), "upgrade": ("升级", "Upgrade"),
                     "storage_replaced": ("更换存储部件", "Storage replaced"), "inspection": ("检查", "Inspection")}
TABLES = {"kind": assets.KINDS, "maintenance": MAINTENANCE_KINDS, "classification": assets.CLASSIFICATIONS, "status": assets.STATUSES,
          "case_status": CASE_STATUS, "task_status": TASK_STATUS}


def asset_label(table: str, key: str) -> str:
    return assets.label(TABLES[table], key, select_locale())


def role_label(key: str) -> str:
    role = ROLES.get(key)
    return role.name(select_locale()) if role else key


def lane_labels() -> dict[str, str]:
    """Role names by role key, for diagrams whose lanes are named by role keys."""
    return {key: role.name(select_locale()) for key, role in ROLES.items()}


def when(value) -> str:
    return format_datetime(value, "yyyy-MM-dd HH:mm") if value else ""


def field_choices(field) -> list[tuple[int, str]]:
    """The people or reference items a user or reference field offers."""
    from web.session import db

    return form_checks.choices(db(), field, select_locale())


def choice_names(field, value) -> str:
    """The names behind the ids a user, reference or destruction item field holds."""
    from web.session import db

    return form_checks.names(db(), field, value, select_locale())


def recorded_by_steps(instance, tasks, data: dict) -> list:
    """(form, fields) of each completed step that recorded more than a decision: what a later approver or
    the maintainer must see (e.g. the security office's data-protection decision). Per-item tasks are left
    out: the case data holds only the last item's values. Forms are those of the case's version."""
    from services import forms

    start_fields = {f.name for f in forms.of_case(instance, "start").fields}
    seen: set[str] = set()
    out = []
    for task in tasks:
        if task.status != "completed" or task.subject:
            continue
        form = forms.of_case(instance, task.bpmn_id)
        fields = [f for f in form.fields
                  if f.name not in ("decision", "comment") and f.type != "boolean" and f.name in data
                  and f.name not in start_fields and f.name not in seen and data[f.name] not in (None, "", [])]
        seen.update(f.name for f in fields)
        if fields:
            out.append((form, fields))
    return out


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(asset_label=asset_label, role_label=role_label, when=when, now=utcnow,
                                 field_choices=field_choices, choice_names=choice_names,
                                 lane_labels=lane_labels)
