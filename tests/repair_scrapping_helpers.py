"""Shared steps of the repair (P1) and scrapping (P3) stories, in the domain's words."""
from datetime import date

from sqlalchemy import select

from models import Asset, ReferenceItem, User
from tests.carry_out_helpers import case, complete, open_task

APPLICANT = "zhangwei"  # 张伟, General Affairs
SECTION_HEAD = "lihua"
SECURITY_OFFICE = "chenjing"
COMMITTEE = "zhoumin"
LEADER = "liuyang"
MAINTAINER = "zhengqiang"
DESTRUCTION_OFFICER = "fengxue"

APPROVE = {"decision": "approve", "comment": "同意"}
REJECT = {"decision": "reject", "comment": "不同意"}
TODAY = date.today().isoformat()


def user_id(db, username: str) -> int:
    return db.scalar(select(User.id).where(User.username == username))


def asset(db, number: str) -> Asset:
    db.expire_all()
    return db.scalar(select(Asset).where(Asset.register_number == number))


def reference_id(db, code: str) -> int:
    return db.scalar(select(ReferenceItem.id).where(ReferenceItem.code == code))


def refused(client, bpmn_id: str, body: dict, code: str, field: str, status: int = 422) -> dict:
    """The submission is refused with `code` naming `field`, and the task stays open."""
    found = complete(client, bpmn_id, body, status=status)
    assert found["code"] == code, found
    assert field in found.get("fields", {}), found
    assert open_task(client, bpmn_id)["status"] == "open"
    return found


def open_bpmn_ids(client, instance_id: int) -> list[str]:
    return sorted(t["bpmn_id"] for t in case(client, instance_id)["tasks"] if t["status"] == "open")


# --- P1 external repair ------------------------------------------------------------------------------------

def repair_application(db, number: str = "BM-PC-001", **overrides) -> dict:
    body = {"assets": [asset(db, number).id], "symptoms": "开机无显示，风扇异响", "mode": "on_site"}
    body.update(overrides)
    return body


def start_repair(client, db, number: str = "BM-PC-001", **overrides):
    return client.post("/api/v1/processes/external_repair/instances", json=repair_application(db, number, **overrides))


def protection_body(protection: str = "data_transferred_wiped", **overrides) -> dict:
    body = {"data_protection": protection, "comment": "按规定处理"}
    body.update(overrides)
    return body


def preparation_body(db, protection: str = "data_transferred_wiped", **overrides) -> dict:
    body = {"prepared_by": user_id(db, MAINTAINER), "prepared_on": TODAY, "preparation_confirmed": True}
    if protection == "data_transferred_wiped":
        body.update(data_transferred_to="保密办涉密存储柜 BM-HD-001", wipe_method="multi_pass_overwrite")
    elif protection == "storage_removed_kept":
        body.update(storage_removed="希捷 1TB 硬盘 SN12345", storage_kept_by=user_id(db, SECURITY_OFFICE))
    body.update(overrides)
    return body


def supervision_body(db, *supervisors: str, **overrides) -> dict:
    body = {"repaired_on": TODAY, "repairer_name": "王师傅", "repairer_company": "联想授权服务站",
            "repair_object": "主板电源模块", "work_done": "更换电源模块", "state_before": "无法开机",
            "state_after": "正常开机，运行稳定",
            "supervisors": [user_id(db, u) for u in (supervisors or (SECURITY_OFFICE, MAINTAINER))]}
    body.update(overrides)
    return body


def dispatch_body(db, unit: str = "RU-01", **overrides) -> dict:
    body = {"repair_unit": reference_id(db, unit), "dispatched_on": TODAY, "received_by": "维修点 赵工"}
    body.update(overrides)
    return body


def return_body(**overrides) -> dict:
    body = {"cause": "电源模块老化", "work_done": "更换电源模块", "performed_by": "王师傅（联想授权服务站）"}
    body.update(overrides)
    return body


def approved_repair(api, db, number: str = "BM-PC-001", mode: str = "on_site",
                    protection: str = "data_transferred_wiped") -> int:
    """Apply and take the repair through the review, the data protection and the approvals."""
    started = start_repair(api(APPLICANT), db, number, mode=mode)
    assert started.status_code == 201, started.get_json()
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    complete(api(SECURITY_OFFICE), "decide_data_protection", protection_body(protection))
    complete(api(COMMITTEE), "committee_approval", APPROVE)
    if mode == "sent_out":
        complete(api(LEADER), "leader_approval", APPROVE)
    return started.get_json()["instance"]["id"]


def repair_under_way(api, db, number: str = "BM-PC-001", mode: str = "on_site",
                     protection: str = "data_transferred_wiped") -> int:
    instance_id = approved_repair(api, db, number, mode, protection)
    complete(api(MAINTAINER), "prepare_repair", preparation_body(db, protection))
    return instance_id


def repaired_on_site(api, db, number: str = "BM-PC-001") -> int:
    instance_id = repair_under_way(api, db, number)
    complete(api(SECURITY_OFFICE), "supervise_on_site", supervision_body(db))
    return instance_id


# --- P3 scrapping ------------------------------------------------------------------------------------------

def scrapping_application(db, *numbers: str, **overrides) -> dict:
    body = {"assets": [asset(db, n).id for n in (numbers or ("BM-LT-001",))], "reason": "设备老化，无法继续使用",
            "disposal": "designated_destruction", "replacement_requested": True}
    body.update(overrides)
    return body


def start_scrapping(client, db, *numbers: str, **overrides):
    return client.post("/api/v1/processes/scrapping/instances", json=scrapping_application(db, *numbers, **overrides))


def count_body(*numbers: str, **overrides) -> dict:
    body = {"count_result": "all_match", "counted_numbers": "\n".join(numbers), "registered_on": TODAY}
    body.update(overrides)
    return body


def clearing_body(db, **overrides) -> dict:
    body = {"cleared_by": user_id(db, MAINTAINER), "cleared_on": TODAY, "clearing_method": "degaussing",
            "clearing_confirmed": True}
    body.update(overrides)
    return body


def handover_body(db, **overrides) -> dict:
    body = {"received_by": user_id(db, DESTRUCTION_OFFICER), "handed_over_on": TODAY}
    body.update(overrides)
    return body


def counted_and_cleared(api, db, *numbers: str) -> int:
    started = start_scrapping(api(APPLICANT), db, *numbers)
    assert started.status_code == 201, started.get_json()
    complete(api(SECURITY_OFFICE), "count_and_register", count_body(*numbers))
    complete(api(MAINTAINER), "clear_information", clearing_body(db))
    return started.get_json()["instance"]["id"]
