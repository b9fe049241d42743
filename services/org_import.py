"""Bulk import of sections, users and role assignments from one CSV or XLSX table.

One header row, then one record a row; the `record` column says which:
  section: code, name_zh, name_en, head (username), deputy (username)
  user:    username, display_name, section (code), email, active (yes/no)
  role:    username, role, section (code; empty = office-wide), start_date, end_date (YYYY-MM-DD)
A dry run lists every row it would change and every row it refuses, and why; applying does the same
through org_admin (so each change is audited). A row already true changes nothing, so the same file
imported twice changes nothing the second time. Nothing is removed that the file does not mention."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import RoleAssignment, Section, User
from models.org import ALL_TERMS
from services import org_admin, org_roles
from services.errors import DomainError
from services.messages import message, register
from services.roles import ROLES

COLUMNS = ("record", "code", "name_zh", "name_en", "head", "deputy", "username", "display_name", "email",
           "section", "active", "role", "start_date", "end_date")
# Sections first, then the people in them, then their roles, then heads and deputies (who must exist).
ORDER = {"section": 0, "user": 1, "role": 2}
TRUE, FALSE = {"yes", "y", "true", "1", "是", ""}, {"no", "n", "false", "0", "否"}

register({
    "import_unreadable": ("无法读取文件：请上传 UTF-8 编码的 CSV 或 XLSX 文件。", "Cannot read the file: upload a UTF-8 CSV or an XLSX file."),
    "import_missing_columns": ("缺少列：{columns}。", "Missing columns: {columns}."),
    "import_unknown_record": ("record 列应为 section、user 或 role。", "The record column must be section, user or role."),
    "import_required": ("缺少必填项：{column}。", "Missing required value: {column}."),
    "import_unknown_section": ("没有代码为“{section_code}”的科室。", "There is no section with code “{section_code}”."),
    "import_unknown_user": ("没有用户名为“{username}”的人员。", "There is no user “{username}”."),
    "import_bad_date": ("日期“{value}”无效，应为 YYYY-MM-DD。", "The date “{value}” is not YYYY-MM-DD."),
    "import_bad_flag": ("active 列应为 yes 或 no。", "The active column must be yes or no."),
    "import_duplicate": ("与第 {row} 行重复。", "Duplicates row {row}."),
})


@dataclass
class Row:
    number: int
    values: dict


@dataclass
class Plan:
    changes: list[dict] = field(default_factory=list)
    refused: list[dict] = field(default_factory=list)
    unchanged: int = 0
    passwords: dict[str, str] = field(default_factory=dict)


def read_table(filename: str, content: bytes) -> list[Row]:
    """The rows of a CSV (UTF-8, with or without BOM) or XLSX file, keyed by lower-case header."""
    try:
        if filename.lower().endswith(".xlsx"):
            from openpyxl import load_workbook
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
            table = [["" if v is None else (v.isoformat()[:10] if isinstance(v, date) else str(v)) for v in row]
                     for row in sheet.iter_rows(values_only=True)]
        else:
            table = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    except Exception:  # a broken upload of any kind is the same refusal for the administrator
        raise DomainError("import_unreadable", field="file") from None
    if not table:
        raise DomainError("import_unreadable", field="file")
    header = [h.strip().lower() for h in table[0]]
    missing = [c for c in ("record",) if c not in header]
    if missing:
        raise DomainError("import_missing_columns", field="file", columns=", ".join(missing))
    rows = []
    for n, cells in enumerate(table[1:], start=2):
        if not any(str(c).strip() for c in cells):
            continue
        values = {h: str(c).strip() for h, c in zip(header, cells) if h in COLUMNS}
        rows.append(Row(n, {c: values.get(c, "") for c in COLUMNS}))
    return sorted(rows, key=lambda r: (ORDER.get(r.values["record"].lower(), 9), r.number))


class _Refused(Exception):
    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


def _date(value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise _Refused("import_bad_date", value=value) from None


def _need(values: dict, *columns: str) -> None:
    for column in columns:
        if not values[column]:
            raise _Refused("import_required", column=column)


def run(session: Session, actor: User | None, filename: str, content: bytes, dry_run: bool,
        locale: str = "zh_CN") -> Plan:
    """Plan (dry run) or apply the file. Applying runs inside the caller's transaction; the caller
    rolls back a dry run, so a dry run sees the effect of earlier rows on later ones exactly."""
    plan = Plan()
    seen: dict[tuple, int] = {}
    rows = read_table(filename, content)
    # Heads and deputies last: they may be people this very file creates.
    posts = [Row(r.number, dict(r.values, record="posts")) for r in rows if r.values["record"].lower() == "section"]
    for row in rows + posts:
        v = row.values
        kind = v["record"].lower()
        try:
            key = (kind, v["code"] or v["username"], v["role"], v["section"])
            if key in seen and kind != "posts":
                raise _Refused("import_duplicate", row=seen[key])
            seen[key] = row.number
            if kind == "posts" and any(r["row"] == row.number for r in plan.refused):
                continue
            handler = HANDLERS.get(kind)
            if handler is None:
                raise _Refused("import_unknown_record")
            # Every handler checks before it writes, so a refused row leaves nothing behind.
            change = handler(session, actor, v, plan)
        except _Refused as refusal:
            plan.refused.append({"row": row.number, "record": kind, "reason": message(refusal.code, locale,
                                                                                      **refusal.params)})
            continue
        except DomainError as err:
            plan.refused.append({"row": row.number, "record": kind,
                                 "reason": message(err.code, locale, **err.params)})
            continue
        if change:
            change["fields"] = {k: _plain(x) for k, x in change["fields"].items()}
            plan.changes.append({"row": row.number, "record": "section" if kind == "posts" else kind, **change})
        elif kind != "posts":
            plan.unchanged += 1
    if dry_run:
        plan.passwords.clear()
    plan.changes.sort(key=lambda c: c["row"])
    plan.refused.sort(key=lambda r: r["row"])
    return plan


def _section_by_code(session, code: str) -> Section:
    found = session.scalar(select(Section).where(Section.code == code))
    if found is None:
        raise _Refused("import_unknown_section", section_code=code)
    return found


def _user_by_name(session, username: str) -> User:
    found = session.scalar(select(User).where(User.username == username))
    if found is None:
        raise _Refused("import_unknown_user", username=username)
    return found


def _plain(value):
    """Dates as YYYY-MM-DD, so the plan reads the same in JSON and on the page."""
    if isinstance(value, (list, tuple)):
        return [_plain(x) for x in value]
    return value.isoformat() if isinstance(value, date) else value


def _section_row(session, actor, v: dict, plan: Plan) -> dict | None:
    _need(v, "code", "name_zh")
    current = session.scalar(select(Section).where(Section.code == v["code"]))
    if current is None:
        org_admin.create_section(session, actor, v["code"], v["name_zh"], v["name_en"])
        return {"key": v["code"], "action": "create", "fields": {"name_zh": v["name_zh"], "name_en": v["name_en"]}}
    wanted = {"name_zh": v["name_zh"], "name_en": v["name_en"] or current.name_en}
    diff = {k: [getattr(current, k), w] for k, w in wanted.items() if getattr(current, k) != w}
    if not diff:
        return None
    org_admin.update_section(session, actor, current.id, **wanted)
    return {"key": v["code"], "action": "update", "fields": diff}


def _posts_row(session, actor, v: dict, plan: Plan) -> dict | None:
    """The section's head and deputy, by username; empty cells leave the post as it is."""
    current = _section_by_code(session, v["code"])
    wanted, diff = {}, {}
    for post in ("head", "deputy"):
        if v[post]:
            person = _user_by_name(session, v[post])
            before = getattr(current, post)
            if before is None or before.id != person.id:
                wanted[f"{post}_id"] = person.id
                diff[post] = [before.username if before else None, person.username]
    if not diff:
        return None
    org_admin.update_section(session, actor, current.id, **wanted)
    return {"key": v["code"], "action": "update", "fields": diff}


def _user_row(session, actor, v: dict, plan: Plan) -> dict | None:
    _need(v, "username", "display_name")
    section_id = _section_by_code(session, v["section"]).id if v["section"] else None
    flag = v["active"].lower()
    if flag not in TRUE | FALSE:
        raise _Refused("import_bad_flag")
    active = flag in TRUE
    current = session.scalar(select(User).where(User.username == v["username"]))
    if current is None:
        user, password = org_admin.create_user(session, actor, v["username"], v["display_name"], section_id,
                                               v["email"] or None)
        plan.passwords[user.username] = password
        if not active:
            org_admin.deactivate_user(session, actor, user.id)
        return {"key": v["username"], "action": "create", "fields": {"display_name": v["display_name"],
                                                                     "section": v["section"]}}
    wanted = {"display_name": v["display_name"], "email": v["email"] or None, "section_id": section_id}
    changed = [k for k, w in wanted.items() if getattr(current, k) != w]
    if not changed and current.active == active:
        return None
    # What the administrator reads: section codes, not ids.
    diff = {k: [getattr(current, k), wanted[k]] for k in changed if k != "section_id"}
    if "section_id" in changed:
        diff["section"] = [current.section.code if current.section else None, v["section"] or None]
    if current.active != active:
        diff["active"] = [current.active, active]
    org_admin.update_user(session, actor, current.id, **{k: wanted[k] for k in changed})
    if current.active != active:
        (org_admin.reactivate_user if active else org_admin.deactivate_user)(session, actor, current.id)
    return {"key": v["username"], "action": "update", "fields": diff}


def _role_row(session, actor, v: dict, plan: Plan) -> dict | None:
    _need(v, "username", "role")
    user = _user_by_name(session, v["username"])
    if v["role"] not in ROLES:
        raise _Refused("org_role_unknown", role=v["role"])
    section_id = _section_by_code(session, v["section"]).id if v["section"] else None
    start, end = _date(v["start_date"]), _date(v["end_date"])
    current = session.scalar(select(RoleAssignment).where(
        RoleAssignment.user_id == user.id, RoleAssignment.role == v["role"],
        RoleAssignment.section_id.is_(None) if section_id is None else RoleAssignment.section_id == section_id)
        .execution_options(**{ALL_TERMS: True}))
    if current is not None and (current.start_date, current.end_date, current.acting_for_id) == (start, end, None):
        return None
    org_roles.assign_role(session, actor, user.id, v["role"], section_id, start, end)
    key = f"{v['username']} {v['role']} {v['section'] or '*'}"
    if current is None:
        return {"key": key, "action": "create", "fields": {"start_date": start, "end_date": end}}
    return {"key": key, "action": "update", "fields": {"dates": [[current.start_date, current.end_date],
                                                                 [start, end]]}}


HANDLERS = {"section": _section_row, "user": _user_row, "role": _role_row, "posts": _posts_row}
