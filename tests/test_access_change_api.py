"""P5 access change on a job change through the API: start, stop and transfer, and each refusal
(CNET.5, UNET.7, DES.3(4))."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from models import Asset, AuditEvent, DestructionItem, HumanTask, ProcessInstance, ReferenceItem, User
from tests.carry_out_helpers import case

PERSON = "zhangwei"  # 张伟, General Affairs
SECTION_HEAD = "lihua"
CUSTODIAN = "qianyu"
SECURITY_OFFICE = "chenjing"
LEADER = "liuyang"
NETWORK_ADMIN = "wujun"
SUCCESSOR = "wangfang"


def user_id(db, username: str) -> int:
    return db.scalar(select(User.id).where(User.username == username))


def system_id(db, code: str) -> int:
    return db.scalar(select(ReferenceItem.id).where(ReferenceItem.kind == "system", ReferenceItem.code == code))


def asset(db, number: str) -> Asset:
    db.expire_all()
    return db.scalar(select(Asset).where(Asset.register_number == number))


def application(db, change="start", systems=("SYS-OA", "SYS-DOC"), **overrides) -> dict:
    body = {
        "person": user_id(db, PERSON),
        "change": change,
        "systems": [system_id(db, c) for c in systems],
        "effective_date": (date.today() + timedelta(days=3)).isoformat(),
        "reason": "岗位调整",
    }
    if change in ("stop", "transfer"):
        body["successor"] = user_id(db, SUCCESSOR)
    if change == "transfer":
        body["new_section"] = "秘书科"
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def start(client, db, change="start", **kw):
    return client.post("/api/v1/processes/access_change/instances", json=application(db, change, **kw))


def open_tasks(client, bpmn_id: str) -> list[dict]:
    found = []
    for scope in ("mine", "group"):
        found += [t for t in client.get(f"/api/v1/tasks?scope={scope}").get_json()["tasks"] if t["bpmn_id"] == bpmn_id]
    return found


def complete(client, bpmn_id: str, body: dict) -> dict:
    tasks = open_tasks(client, bpmn_id)
    assert tasks, f"no {bpmn_id} task in the inbox"
    response = client.post(f"/api/v1/tasks/{tasks[0]['id']}/complete", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def today() -> str:
    return date.today().isoformat()


FILING = {"filing_number": "BMB-2026-017", "filed_on": date.today().isoformat(), "written_application_received": True}
APPROVE = {"decision": "approve", "comment": "同意"}


def system_body(account: str) -> dict:
    return {"account_name": account, "changed_on": today(), "changed_time": "10:30", "done": True}


def through_approval(api, db, applicant=PERSON, change="start", **kw) -> int:
    started = start(api(applicant), db, change, **kw)
    assert started.status_code == 201, started.get_json()
    complete(api(SECURITY_OFFICE), "file_with_security_office", FILING)
    complete(api(LEADER), "leader_approval", APPROVE)
    return started.get_json()["instance"]["id"]


def close_every_system(api) -> None:
    admin = api(NETWORK_ADMIN)
    for n, task in enumerate(open_tasks(admin, "confirm_system_access")):
        response = admin.post(f"/api/v1/tasks/{task['id']}/complete", json=system_body(f"acct{n}"))
        assert response.status_code == 200, response.get_json()


HANDOVER = {"handed_over_on": date.today().isoformat(), "materials": "2026年度工作台账", "archives": "科室人事档案目录",
            "software": "公文处理软件安装介质", "successor_received": True}
RESET = {"reset_on": date.today().isoformat(), "system_readjusted": True, "credentials_reset": True}


# --- the main paths -------------------------------------------------------------------------------

def test_start_is_filed_approved_then_opened_with_no_handover_CNET_5(api, db):
    started = start(api(PERSON), db)
    assert started.status_code == 201, started.get_json()
    instance_id = started.get_json()["instance"]["id"]
    first = started.get_json()["tasks"]
    assert [(t["bpmn_id"], t["role"]) for t in first] == [("file_with_security_office", "security_office")]
    assert open_tasks(api(LEADER), "leader_approval") == []  # filing comes first

    complete(api(SECURITY_OFFICE), "file_with_security_office", FILING)
    done = complete(api(LEADER), "leader_approval", APPROVE)
    assert sorted(t["bpmn_id"] for t in done["next_tasks"]) == ["confirm_system_access"] * 2
    close_every_system(api)

    seen = case(api(PERSON), instance_id)
    assert seen["instance"]["status"] == "completed"
    data = seen["data"]
    assert data["filing_number"] == "BMB-2026-017"
    assert {r["code"]: r["action"] for r in data["system_results"]} == {"SYS-OA": "open", "SYS-DOC": "open"}
    assert data["access_changed"] == {"SYS-OA": "open", "SYS-DOC": "open"}
    actors = db.scalars(select(AuditEvent.actor_id).where(AuditEvent.instance_id == instance_id,
                                                          AuditEvent.action == "access_system_changed")).all()
    assert actors == [user_id(db, NETWORK_ADMIN)] * 2
    bpmn_ids = {t["bpmn_id"] for t in seen["tasks"]}
    assert bpmn_ids == {"file_with_security_office", "leader_approval", "confirm_system_access"}  # no handover


def test_each_system_gets_its_own_network_admin_task_CNET_5(api, db):
    instance_id = through_approval(api, db, systems=("SYS-OA", "SYS-DOC", "SYS-MAIL"))
    admin = api(NETWORK_ADMIN)
    tasks = open_tasks(admin, "confirm_system_access")
    assert len(tasks) == 3 and {t["role"] for t in tasks} == {"network_admin"}  # all three at once, in parallel
    assert len({t["id"] for t in tasks}) == 3

    accounts = {}
    for n, task in enumerate(tasks):
        response = admin.post(f"/api/v1/tasks/{task['id']}/complete", json=system_body(f"zhangwei.{n}"))
        assert response.status_code == 200
        accounts[task["id"]] = f"zhangwei.{n}"
        status = response.get_json()["instance"]["status"]
        assert status == ("completed" if n == 2 else "running")  # nothing goes on before every system is done
        assert len(open_tasks(admin, "confirm_system_access")) == 2 - n

    results = case(admin, instance_id)["data"]["system_results"]
    assert sorted(r["code"] for r in results) == ["SYS-DOC", "SYS-MAIL", "SYS-OA"]  # each system once
    assert sorted(r["account_name"] for r in results) == sorted(accounts.values())
    assert all(r["changed_time"] == "10:30" and r["changed_on"] == today() for r in results)


def test_system_task_is_due_on_the_effective_date_CNET_5(api, db):
    through_approval(api, db, systems=("SYS-OA",))
    task = open_tasks(api(NETWORK_ADMIN), "confirm_system_access")[0]
    effective = date.today() + timedelta(days=3)
    due = datetime.fromisoformat(task["due_at"])
    expected = datetime(effective.year, effective.month, effective.day, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert due.replace(tzinfo=due.tzinfo or ZoneInfo("UTC")) == expected


def test_leader_rejection_opens_nothing_CNET_5(api, db):
    instance_id = start(api(PERSON), db).get_json()["instance"]["id"]
    complete(api(SECURITY_OFFICE), "file_with_security_office", FILING)
    done = complete(api(LEADER), "leader_approval", {"decision": "reject", "comment": "暂不开通"})
    assert done["instance"]["status"] == "rejected"
    assert done["next_tasks"] == []
    assert open_tasks(api(NETWORK_ADMIN), "confirm_system_access") == []
    assert "system_results" not in case(api(PERSON), instance_id)["data"]


def test_filing_needs_the_written_application_CNET_5(api, db):
    start(api(PERSON), db)
    office = api(SECURITY_OFFICE)
    task = open_tasks(office, "file_with_security_office")[0]
    response = office.post(f"/api/v1/tasks/{task['id']}/complete",
                           json=dict(FILING, written_application_received=False))
    assert response.status_code == 422
    assert "written_application_received" in response.get_json()["fields"]


def test_transfer_closes_access_and_hands_over_to_the_successor_UNET_7(api, db):
    """The section head applies for the person; the successor alone gets the password reset."""
    instance_id = through_approval(api, db, applicant=SECTION_HEAD, change="transfer")
    data = case(api(SECTION_HEAD), instance_id)["data"]
    assert {c["action"] for c in data["system_changes"]} == {"close"}
    assert data["new_section_name"] == "秘书科"
    close_every_system(api)

    office = api(SECURITY_OFFICE)
    assert {t["bpmn_id"] for t in open_tasks(office, "handover_to_successor")
            + open_tasks(office, "return_classified_carriers")} == {"handover_to_successor",
                                                                      "return_classified_carriers"}
    complete(office, "handover_to_successor", HANDOVER)

    successor = api(SUCCESSOR)
    reset = open_tasks(successor, "successor_reset")
    assert len(reset) == 1
    assert reset[0]["assignee_id"] == user_id(db, SUCCESSOR) and reset[0]["kind"] == "personal"
    # Nobody else may do it or even sees it in a group inbox: not the security office, not the person.
    for other in (SECURITY_OFFICE, PERSON, SECTION_HEAD):
        client = api(other)
        assert open_tasks(client, "successor_reset") == []
        refused = client.post(f"/api/v1/tasks/{reset[0]['id']}/complete", json=RESET)
        assert refused.status_code in (403, 404)
    refused = successor.post(f"/api/v1/tasks/{reset[0]['id']}/complete", json=dict(RESET, credentials_reset=False))
    assert refused.status_code == 422 and "credentials_reset" in refused.get_json()["fields"]
    done = complete(successor, "successor_reset", RESET)
    assert done["instance"]["status"] == "running"  # the return of carriers is still open

    done = complete(office, "return_classified_carriers", {"returned_on": today(), "all_returned": True})
    assert done["instance"]["status"] == "completed"
    final = case(api(SECTION_HEAD), instance_id)["data"]
    assert final["outcome"] == "handed_over" and final["materials"] == "2026年度工作台账"
    assert final["credentials_reset"] is True


def test_stop_returns_each_carrier_to_the_custodian_or_the_destruction_register_DES_3(api, db):
    instance_id = through_approval(api, db, applicant=SECTION_HEAD, change="stop")
    close_every_system(api)
    office = api(SECURITY_OFFICE)
    complete(office, "handover_to_successor", HANDOVER)
    complete(api(SUCCESSOR), "successor_reset", RESET)
    done = complete(office, "return_classified_carriers", {
        "returned_on": today(), "all_returned": True,
        "media_to_destruction": [asset(db, "BM-U-001").id],
        "documents_to_custodian": "综发〔2026〕3号 | 年度保密工作计划 | 机密 | 1 | 8",
        "documents_to_destruction": "综发〔2026〕5号 | 会议纪要 | 秘密 | 2 | 12\n\n综发〔2026〕6号 | 情况通报 | 绝密 | 1 | 3",
    })
    assert done["instance"]["status"] == "completed"

    custodian = user_id(db, CUSTODIAN)
    for number in ("BM-LT-001", "BM-HD-001"):
        kept = asset(db, number)
        assert (kept.status, kept.holder_id, kept.open_case_id) == ("in_storage", custodian, None)
    stick = asset(db, "BM-U-001")
    assert stick.status == "pending_destruction"
    assert asset(db, "FM-LT-010").status == "in_use"  # unclassified: not a classified carrier

    items = db.scalars(select(DestructionItem).where(DestructionItem.source_instance_id == instance_id)
                       .order_by(DestructionItem.id)).all()
    assert [(i.category, i.item_type, i.asset_id, i.doc_number, i.copies) for i in items] == [
        ("4", "media", stick.id, "", 1),
        ("4", "document", None, "综发〔2026〕5号", 2),
        ("4", "document", None, "综发〔2026〕6号", 1),
    ]
    assert items[2].classification == "top_secret"

    where = {r["item"]: r["to"] for r in case(office, instance_id)["data"]["carrier_returns"]}
    assert where == {
        "BM-HD-001": "custodian", "BM-LT-001": "custodian", "BM-U-001": "destruction_register",
        "综发〔2026〕3号 年度保密工作计划": "custodian",
        "综发〔2026〕5号 会议纪要": "destruction_register", "综发〔2026〕6号 情况通报": "destruction_register",
    }
    seen_assets = {a["register_number"] for a in case(office, instance_id)["assets"]}
    assert seen_assets == {"BM-HD-001", "BM-LT-001", "BM-U-001"}


def _at_return(api, db) -> tuple[int, dict]:
    instance_id = through_approval(api, db, change="stop")
    close_every_system(api)
    office = api(SECURITY_OFFICE)
    return instance_id, open_tasks(office, "return_classified_carriers")[0]


def test_returning_an_asset_the_person_does_not_hold_is_refused_DES_3(api, db):
    instance_id, task = _at_return(api, db)
    office = api(SECURITY_OFFICE)
    response = office.post(f"/api/v1/tasks/{task['id']}/complete", json={
        "returned_on": today(), "all_returned": True,
        "media_to_destruction": [asset(db, "BM-U-001").id, asset(db, "BM-LT-003").id]})
    body = response.get_json()
    assert response.status_code == 422, body
    assert body["code"] == "access_asset_not_held" and "media_to_destruction" in body["fields"]
    assert "BM-LT-003" in body["error"]
    # Nothing changed: the task is still open, no asset moved, nothing was registered for destruction.
    assert open_tasks(office, "return_classified_carriers")[0]["id"] == task["id"]
    assert asset(db, "BM-U-001").status == "in_use" and asset(db, "BM-LT-001").holder_id == user_id(db, PERSON)
    assert db.scalar(select(func.count()).select_from(DestructionItem)) == 0
    assert "carrier_returns" not in case(office, instance_id)["data"]


def test_malformed_document_line_is_refused_DES_3(api, db):
    _, task = _at_return(api, db)
    response = api(SECURITY_OFFICE).post(f"/api/v1/tasks/{task['id']}/complete", json={
        "returned_on": today(), "all_returned": True,
        "documents_to_destruction": "综发〔2026〕5号 | 会议纪要 | 秘密 | 2 | 12\n综发〔2026〕7号 | 通知 | 内部 | 1 | 2"})
    body = response.get_json()
    assert response.status_code == 422, body
    assert body["code"] == "access_document_line_invalid" and "第 2 行" in body["error"]
    assert db.scalar(select(func.count()).select_from(DestructionItem)) == 0
    assert asset(db, "BM-U-001").status == "in_use"


# --- refusals of the application: each changes nothing --------------------------------------------

def _refused(response, db, code: str, field: str) -> dict:
    body = response.get_json()
    assert response.status_code == 422, body
    assert body["code"] == code
    assert field in body["fields"], body
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(ProcessInstance)) == 0
    assert db.scalar(select(func.count()).select_from(HumanTask)) == 0
    return body


def test_stop_without_successor_is_refused_UNET_7(api, db):
    body = _refused(start(api(SECTION_HEAD), db, "stop", successor=None), db, "access_successor_required", "successor")
    assert "接管人" in body["error"]


def test_transfer_without_successor_is_refused_UNET_7(api, db):
    _refused(start(api(SECTION_HEAD), db, "transfer", successor=None), db, "access_successor_required", "successor")


def test_successor_cannot_be_the_person_UNET_7(api, db):
    _refused(start(api(SECTION_HEAD), db, "stop", successor=user_id(db, PERSON)), db,
             "access_successor_is_person", "successor")


def test_transfer_without_new_section_is_refused(api, db):
    _refused(start(api(SECTION_HEAD), db, "transfer", new_section=None), db,
             "access_new_section_required", "new_section")


def test_transfer_to_an_unknown_or_the_same_section_is_refused(api, db):
    body = _refused(start(api(SECTION_HEAD), db, "transfer", new_section="保卫科"), db,
                    "access_new_section_unknown", "new_section")
    assert "保卫科" in body["error"]
    _refused(start(api(SECTION_HEAD), db, "transfer", new_section="general"), db,
             "access_new_section_same", "new_section")


def test_unknown_system_is_refused_CNET_5(api, db):
    body = application(db)
    body["systems"] = [system_id(db, "SYS-OA"), 999999]
    response = api(PERSON).post("/api/v1/processes/access_change/instances", json=body)
    _refused(response, db, "validation_failed", "systems")
    repair_unit = db.scalar(select(ReferenceItem.id).where(ReferenceItem.kind == "repair_unit"))
    body["systems"] = [repair_unit]  # registered, but not a system
    _refused(api(PERSON).post("/api/v1/processes/access_change/instances", json=body), db,
             "validation_failed", "systems")


def test_effective_date_in_the_past_is_refused(api, db):
    past = (date.today() - timedelta(days=1)).isoformat()
    _refused(start(api(PERSON), db, effective_date=past), db, "validation_failed", "effective_date")


def test_refusal_in_english(api, db):
    db.get(User, user_id(db, SECTION_HEAD)).locale = "en"
    db.commit()
    response = start(api(SECTION_HEAD), db, "stop", successor=None)
    assert response.get_json()["error"].startswith("A stop or transfer needs a named successor")


def test_every_form_of_the_procedure_renders_as_a_page(api, as_user, db):
    """The start page, each task page (including the per-system task and the successor's) and the case page."""
    assert as_user(SECTION_HEAD).get("/start/access_change").status_code == 200
    instance_id = start(api(SECTION_HEAD), db, "stop", systems=("SYS-OA",)).get_json()["instance"]["id"]
    steps = [(SECURITY_OFFICE, "file_with_security_office", FILING), (LEADER, "leader_approval", APPROVE),
             (NETWORK_ADMIN, "confirm_system_access", system_body("zw")),
             (SECURITY_OFFICE, "handover_to_successor", HANDOVER), (SUCCESSOR, "successor_reset", RESET),
             (SECURITY_OFFICE, "return_classified_carriers", {"returned_on": today(), "all_returned": True})]
    for username, bpmn_id, body in steps:
        task = open_tasks(api(username), bpmn_id)[0]
        page = as_user(username).get(f"/tasks/{task['id']}")
        assert page.status_code == 200, (bpmn_id, page.status_code)
        complete(api(username), bpmn_id, body)
    page = as_user(SECTION_HEAD).get(f"/cases/{instance_id}")
    assert page.status_code == 200
    assert as_user(SECTION_HEAD).get(f"/cases/{instance_id}/diagram.bpmn").status_code == 200


def test_the_person_concerned_cannot_close_their_own_accounts_CNET_5(api, db):
    """Separation of duties: a network admin who leaves does not confirm his own access change."""
    from models import RoleAssignment
    second_admin = user_id(db, "zhengqiang")
    db.add(RoleAssignment(user_id=second_admin, role="network_admin", section_id=None))
    db.commit()
    through_approval(api, db, applicant="sunli", change="stop", person=user_id(db, NETWORK_ADMIN))
    own = db.scalars(select(HumanTask).where(HumanTask.bpmn_id == "confirm_system_access")).all()
    assert len(own) == 2 and all(t.excluded_user_id == user_id(db, NETWORK_ADMIN) for t in own)
    assert {t.subject for t in own} == {"关闭 涉密办公系统（SYS-OA）", "关闭 涉密公文交换系统（SYS-DOC）"}
    leaving = api(NETWORK_ADMIN)
    assert open_tasks(leaving, "confirm_system_access") == []
    refused = leaving.post(f"/api/v1/tasks/{own[0].id}/complete", json=system_body("x"))
    assert refused.status_code == 403 and refused.get_json()["code"] == "subject_of_case"
    assert len(open_tasks(api("zhengqiang"), "confirm_system_access")) == 2
