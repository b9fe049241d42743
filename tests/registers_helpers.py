"""Shared steps of the registers' stories: cases taken through the procedures so that the ledgers have
lines, and reading an exported XLSX back."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

from openpyxl import load_workbook
from sqlalchemy import select

from models import Asset, MaintenanceLogEntry, User
from services.ledger_export import HEADING_ROW
from tests import carry_out_helpers as carry
from tests import test_access_change_api as access
from tests import test_destruction_api as destruction

SECURITY_OFFICE = "chenjing"   # 陈静, office-wide
SECTION_HEAD = "lihua"         # 李华, head of General Affairs
OTHER_HEAD = "zhaolei"         # 赵磊, head of the Secretariat
EMPLOYEE = "zhangwei"
OFFICER = "fengxue"            # destruction officer
MAINTAINER = "zhengqiang"
ADMIN = "admin"


def complete(client, bpmn_id: str, body: dict) -> dict:
    task = carry.open_task(client, bpmn_id)
    response = client.post(f"/api/v1/tasks/{task['id']}/complete", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def carried_out(api, db, *numbers: str, applicant: str = carry.APPLICANT, head: str = carry.SECTION_HEAD,
                **overrides) -> int:
    """A carry-out applied for, approved and handed out by the security office (MED.3)."""
    started = carry.start(api(applicant), db, *numbers, **overrides)
    assert started.status_code == 201, started.get_json()
    complete(api(head), "section_head_review", carry.APPROVE)
    complete(api(carry.LEADER), "leader_approval", carry.APPROVE)
    complete(api(carry.SECURITY_OFFICE), "hand_out", carry.hand_out_body())
    return started.get_json()["instance"]["id"]


def checked_back_in(api) -> None:
    complete(api(carry.SECURITY_OFFICE), "return_check_in", carry.return_body())


def escorted_manifest(api, db, destroy: bool = True) -> tuple[int, list[int]]:
    """A manifest of a document and a printed reject, signed, escorted by two people, then confirmed:
    the first item destroyed and, when `destroy`, the second too, else returned to the register."""
    office = api(destruction.SECURITY_OFFICE)
    first = destruction.register_document(office)
    second = destruction.register_document(office, "办密〔2025〕13号", category="6", classification="confidential",
                                           copies=3, pages=5)
    started = destruction.start(api(OFFICER), [first, second])
    assert started.status_code == 201, started.get_json()
    instance_id = started.get_json()["instance"]["id"]
    destruction.complete(api(destruction.LEADER), "leader_sign", destruction.APPROVE)
    destruction.complete(api(destruction.SECURITY_OFFICE), "escort_to_site",
                         destruction.escort_body(db, OFFICER, destruction.SECURITY_OFFICE))
    for escort in (OFFICER, destruction.SECURITY_OFFICE):  # each escort confirms the escort (DES.2)
        destruction.complete(api(escort), "confirm_escort", destruction.ESCORTED)
    officer = api(OFFICER)
    for n, item_id in enumerate((first, second)):
        task = destruction._task_for(db, officer, item_id)
        body = (destruction.destroyed_body(db, f"XH-{n}") if destroy or n == 0
                else {"item_outcome": "returned", "return_reason": "尚需存档"})
        destruction.complete(officer, "confirm_item", body, task=task)
    return instance_id, [first, second]


def access_changed(api, db, change: str = "start") -> int:
    """An access change filed, approved and carried out on every system (CNET.5)."""
    instance_id = access.through_approval(api, db, change=change)
    access.close_every_system(api)
    return instance_id


def maintenance_entry(db, number: str, kind: str = "repair", at: datetime | None = None, **fields) -> int:
    asset = db.scalar(select(Asset).where(Asset.register_number == number))
    recorder = db.scalar(select(User.id).where(User.username == MAINTAINER))
    entry = MaintenanceLogEntry(asset_id=asset.id, kind=kind, fault=fields.get("fault", "无法开机"),
                                cause=fields.get("cause", "电源老化"), work_done=fields.get("work_done", "更换电源"),
                                performed_by=fields.get("performed_by", "王师傅（指定维修点）"),
                                recorded_by_id=recorder, at=at or datetime.now(timezone.utc))
    db.add(entry)
    db.commit()
    return entry.id


def api_rows(client, key: str, **params) -> list[list]:
    response = client.get(f"/api/v1/registers/{key}", query_string=dict(params, limit=500))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["rows"]


def read_xlsx(data: bytes) -> tuple[dict, list, list[list]]:
    """The header block as {label: value}, the column headings and the numbered lines of an export."""
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = {r[0]: r[1] for r in values[:HEADING_ROW - 2] if r and r[0]}
    headings = values[HEADING_ROW - 1]
    lines = [[("" if v is None else v) for v in r] for r in values[HEADING_ROW:]]
    return header, headings, lines


def days_ago(n: int) -> date:
    return date.today() - timedelta(days=n)
