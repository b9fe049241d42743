"""Shared steps of the carry-out story, in the domain's words."""
from datetime import date, timedelta

from sqlalchemy import select

from models import Asset

APPLICANT = "zhangwei"  # 张伟, General Affairs
SECTION_HEAD = "lihua"
LEADER = "liuyang"
SECURITY_OFFICE = "chenjing"


def asset_id(db, number: str) -> int:
    return db.scalar(select(Asset.id).where(Asset.register_number == number))


def application(db, *numbers: str, **overrides) -> dict:
    out_day = date.today() + timedelta(days=1)
    body = {
        "assets": [asset_id(db, n) for n in (numbers or ("BM-LT-001",))],
        "destination": "北京市国家会议中心",
        "purpose": "参加全市保密工作会议",
        "out_date": out_day.isoformat(),
        "return_date": (out_day + timedelta(days=2)).isoformat(),
        "security_measures": "专人随身携带，全程不离身",
        "acknowledge_rules": True,
    }
    body.update(overrides)
    return body


def start(api_client, db, *numbers: str, **overrides):
    return api_client.post("/api/v1/processes/carry_out/instances", json=application(db, *numbers, **overrides))


def open_task(api_client, bpmn_id: str) -> dict:
    """The one group or personal task with this BPMN id the user sees."""
    for scope in ("mine", "group"):
        for task in api_client.get(f"/api/v1/tasks?scope={scope}").get_json()["tasks"]:
            if task["bpmn_id"] == bpmn_id:
                return task
    raise AssertionError(f"no {bpmn_id} task in the inbox")


def complete(client, bpmn_id: str, body: dict, status: int = 200, task: dict | None = None) -> dict:
    """Complete the user's task with this BPMN id (or `task`), expecting `status`; the JSON answer."""
    task = task or open_task(client, bpmn_id)
    response = client.post(f"/api/v1/tasks/{task['id']}/complete", json=body)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def case(client, instance_id: int) -> dict:
    """The case as the API shows it to this user."""
    return client.get(f"/api/v1/instances/{instance_id}").get_json()


APPROVE = {"decision": "approve", "comment": "同意"}


def hand_out_body() -> dict:
    return {"handed_out_on": date.today().isoformat(), "checked_before_handout": True}


def return_body() -> dict:
    return {"returned_on": date.today().isoformat(), "condition": "intact"}
