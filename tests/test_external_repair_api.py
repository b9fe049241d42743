"""P1 external repair through the API: on site and sent out, the data protection before sending out, two
approvals by two people, the supervision record, designated repair units, the maintenance log, storage taken
back or destroyed, rejections; every refusal changes nothing (RRS.1, RRS.2, RRS.3, CNET.7, CIS.9, MED.5)."""
from sqlalchemy import func, select

from models import AuditEvent, DestructionItem, HumanTask, MaintenanceLogEntry, ProcessInstance, ReferenceItem, \
    RoleAssignment
from tests.repair_scrapping_helpers import (
    APPLICANT, APPROVE, COMMITTEE, LEADER, MAINTAINER, REJECT, SECTION_HEAD, SECURITY_OFFICE, approved_repair, asset,
    case, complete, dispatch_body, open_bpmn_ids, preparation_body, protection_body, reference_id, refused,
    repair_under_way, repaired_on_site, return_body, start_repair, start_scrapping, supervision_body, user_id)


def _log(db, number: str) -> list[MaintenanceLogEntry]:
    db.expire_all()
    return list(db.scalars(select(MaintenanceLogEntry).where(MaintenanceLogEntry.asset_id == asset(db, number).id)
                           .order_by(MaintenanceLogEntry.id)))


def _tasks(db, instance_id: int, bpmn_id: str) -> list[HumanTask]:
    db.expire_all()
    return list(db.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.bpmn_id == bpmn_id)))


# --- the main paths ----------------------------------------------------------------------------------------

def test_on_site_repair_is_approved_supervised_and_recorded_RRS_1(api, db):
    applicant = api(APPLICANT)
    started = start_repair(applicant, db, "BM-PC-001", mode="on_site")
    assert started.status_code == 201, started.get_json()
    instance_id = started.get_json()["instance"]["id"]
    assert started.get_json()["instance"]["business_key"].startswith("RP")
    assert [t["bpmn_id"] for t in started.get_json()["tasks"]] == ["section_head_review"]
    assert asset(db, "BM-PC-001").open_case_id == instance_id

    done = complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["decide_data_protection"]
    done = complete(api(SECURITY_OFFICE), "decide_data_protection", protection_body("none_supervised_on_site"))
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["committee_approval"]
    done = complete(api(COMMITTEE), "committee_approval", APPROVE)
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["prepare_repair"]  # on site: no leader
    assert asset(db, "BM-PC-001").status == "in_use"

    complete(api(MAINTAINER), "prepare_repair", preparation_body(db, "none_supervised_on_site"))
    pc = asset(db, "BM-PC-001")
    assert (pc.status, pc.open_case_id) == ("under_repair", instance_id)
    assert open_bpmn_ids(applicant, instance_id) == ["supervise_on_site"]

    complete(api(SECURITY_OFFICE), "supervise_on_site", supervision_body(db))
    record = case(applicant, instance_id)["data"]["supervision_record"]
    assert record["repairer_name"] == "王师傅" and record["repairer_company"] == "联想授权服务站"
    assert record["state_before"] == "无法开机" and record["state_after"] == "正常开机，运行稳定"
    assert record["supervisor_names"] == ["陈静", "郑强"]

    done = complete(api(MAINTAINER), "record_return", return_body())
    assert done["instance"]["status"] == "completed" and done["next_tasks"] == []
    pc = asset(db, "BM-PC-001")
    assert (pc.status, pc.open_case_id) == ("in_use", None)
    assert [(e.kind, e.fault, e.cause, e.instance_id) for e in _log(db, "BM-PC-001")] == [
        ("repair", "开机无显示，风扇异响", "电源模块老化", instance_id)]
    assert _tasks(db, instance_id, "leader_approval") == []
    data = case(applicant, instance_id)["data"]
    assert data["outcome"] == "repaired" and data["preparation"]["prepared_by"] == user_id(db, MAINTAINER)
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == instance_id)).all()
    for action in ("repair_data_protection_decided", "repair_prepared", "repair_supervised_on_site",
                   "repair_completed", "case_closed"):
        assert action in actions, action


def test_sent_out_repair_needs_the_committee_and_the_leader_RRS_3(api, db):
    applicant = api(APPLICANT)
    started = start_repair(applicant, db, "BM-LT-001", mode="sent_out")
    instance_id = started.get_json()["instance"]["id"]
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    complete(api(SECURITY_OFFICE), "decide_data_protection", protection_body("storage_removed_kept"))
    done = complete(api(COMMITTEE), "committee_approval", APPROVE)
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["leader_approval"]
    assert not _tasks(db, instance_id, "prepare_repair")  # nothing is prepared before the leader approves
    done = complete(api(LEADER), "leader_approval", APPROVE)
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["prepare_repair"]

    complete(api(MAINTAINER), "prepare_repair", preparation_body(db, "storage_removed_kept"))
    assert asset(db, "BM-LT-001").status == "under_repair"
    preparation = case(applicant, instance_id)["data"]["preparation"]
    assert preparation["storage_removed"] == "希捷 1TB 硬盘 SN12345"
    assert preparation["storage_kept_by"] == user_id(db, SECURITY_OFFICE) and preparation["prepared_on"]

    done = complete(api(SECURITY_OFFICE), "dispatch_to_unit", dispatch_body(db, "RU-02"))
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["return_from_unit"]
    complete(api(SECURITY_OFFICE), "return_from_unit", {"returned_on": dispatch_body(db)["dispatched_on"],
                                                         "seals_intact": True})
    done = complete(api(MAINTAINER), "record_return", return_body(performed_by="涉密设备维修中心 孙工"))
    assert done["instance"]["status"] == "completed"
    laptop = asset(db, "BM-LT-001")
    assert (laptop.status, laptop.open_case_id) == ("in_use", None)
    data = case(applicant, instance_id)["data"]
    assert data["repair_unit_code"] == "RU-02" and data["mode"] == "sent_out"
    approvers = {t.bpmn_id: t.completed_by_id for t in db.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.kind == "approval"))}
    assert approvers == {"section_head_review": user_id(db, SECTION_HEAD),
                         "committee_approval": user_id(db, COMMITTEE), "leader_approval": user_id(db, LEADER)}
    assert [e.performed_by for e in _log(db, "BM-LT-001")] == ["涉密设备维修中心 孙工"]


def test_computer_kept_in_storage_goes_back_to_storage(api, db):
    laptop = asset(db, "BM-LT-002")
    laptop.status = "in_storage"
    db.commit()
    repaired_on_site(api, db, "BM-LT-002")
    complete(api(MAINTAINER), "record_return", return_body())
    laptop = asset(db, "BM-LT-002")
    assert (laptop.status, laptop.open_case_id) == ("in_storage", None)


# --- RRS.3 / CNET.7: data protection before sending out ----------------------------------------------------

def test_sending_out_needs_data_protection_RRS_3(api, db):
    instance_id = start_repair(api(APPLICANT), db, "BM-LT-001", mode="sent_out").get_json()["instance"]["id"]
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    office = api(SECURITY_OFFICE)
    body = refused(office, "decide_data_protection", protection_body("none_supervised_on_site"),
                   "repair_send_out_needs_data_protection", "data_protection")
    assert "RRS.3" in body["error"] and "CNET.7" in body["error"]
    assert _tasks(db, instance_id, "committee_approval") == []
    # The security office may instead keep the data where it is and have it repaired on site.
    done = complete(office, "decide_data_protection", protection_body("none_supervised_on_site", mode="on_site"))
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["committee_approval"]
    done = complete(api(COMMITTEE), "committee_approval", APPROVE)
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["prepare_repair"]


def test_wipe_before_sending_out_names_where_and_how_CNET_7(api, db):
    approved_repair(api, db, "BM-LT-001", mode="sent_out", protection="data_transferred_wiped")
    maintainer = api(MAINTAINER)
    body = refused(maintainer, "prepare_repair", preparation_body(db, wipe_method=None),
                   "validation_failed", "wipe_method")  # null is not a method
    body = refused(maintainer, "prepare_repair",
                   {k: v for k, v in preparation_body(db).items() if k != "wipe_method"},
                   "repair_preparation_incomplete", "wipe_method")
    assert "不可恢复删除方式" in body["error"]
    refused(maintainer, "prepare_repair", preparation_body(db, preparation_confirmed=False),
            "validation_failed", "preparation_confirmed")
    assert asset(db, "BM-LT-001").status == "in_use"  # nothing moved
    complete(maintainer, "prepare_repair", preparation_body(db))
    assert asset(db, "BM-LT-001").status == "under_repair"


def test_removed_storage_names_the_part_and_its_keeper_CNET_7(api, db):
    approved_repair(api, db, "BM-LT-001", mode="sent_out", protection="storage_removed_kept")
    maintainer = api(MAINTAINER)
    body = preparation_body(db, "storage_removed_kept")
    del body["storage_kept_by"]
    refused(maintainer, "prepare_repair", body, "repair_preparation_incomplete", "storage_kept_by")
    refused(maintainer, "prepare_repair", preparation_body(db, "storage_removed_kept", storage_removed="  "),
            "repair_preparation_incomplete", "storage_removed")
    refused(maintainer, "prepare_repair",
            preparation_body(db, "storage_removed_kept", storage_kept_by=user_id(db, APPLICANT)),
            "validation_failed", "storage_kept_by")  # kept by the security office only
    assert asset(db, "BM-LT-001").status == "in_use"


def test_committee_and_leader_approvals_are_two_people_RRS_3(api, db):
    zhoumin = user_id(db, COMMITTEE)
    db.add(RoleAssignment(user_id=zhoumin, role="leader", section_id=None))  # a committee member who also leads
    db.commit()
    instance_id = start_repair(api(APPLICANT), db, "BM-LT-001", mode="sent_out").get_json()["instance"]["id"]
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    complete(api(SECURITY_OFFICE), "decide_data_protection", protection_body())
    member = api(COMMITTEE)
    complete(member, "committee_approval", APPROVE)
    task = _tasks(db, instance_id, "leader_approval")[0]
    response = member.post(f"/api/v1/tasks/{task.id}/complete", json=APPROVE)
    assert response.status_code == 403 and response.get_json()["code"] == "second_approval"
    assert open_bpmn_ids(api(APPLICANT), instance_id) == ["leader_approval"]
    complete(api(LEADER), "leader_approval", APPROVE)
    assert open_bpmn_ids(api(APPLICANT), instance_id) == ["prepare_repair"]


def test_applicant_cannot_approve_own_repair_RRS_1(api, db):
    lihua = api(SECTION_HEAD)
    instance_id = start_repair(lihua, db, "BM-LT-002").get_json()["instance"]["id"]
    task = _tasks(db, instance_id, "section_head_review")[0]
    response = lihua.post(f"/api/v1/tasks/{task.id}/complete", json=APPROVE)
    assert response.status_code == 403 and response.get_json()["code"] == "own_case"


# --- RRS.1 / CNET.7 / CIS.9: supervised on site, designated units only --------------------------------------

def test_on_site_repair_needs_security_office_and_maintainer_present_CNET_7(api, db):
    instance_id = repair_under_way(api, db, "BM-PC-001")
    office = api(SECURITY_OFFICE)
    body = refused(office, "supervise_on_site", supervision_body(db, SECURITY_OFFICE, SECTION_HEAD),
                   "repair_supervisors_incomplete", "supervisors")
    assert "RRS.1" in body["error"]
    refused(office, "supervise_on_site", supervision_body(db, MAINTAINER, SECTION_HEAD),
            "repair_supervisors_incomplete", "supervisors")
    refused(office, "supervise_on_site", supervision_body(db, SECURITY_OFFICE), "validation_failed", "supervisors")
    refused(office, "supervise_on_site", supervision_body(db, state_after=""), "validation_failed", "state_after")
    assert "supervision_record" not in case(office, instance_id)["data"]
    complete(office, "supervise_on_site", supervision_body(db, SECURITY_OFFICE, MAINTAINER, SECTION_HEAD))
    assert open_bpmn_ids(office, instance_id) == ["record_return"]


def test_sent_out_only_to_a_designated_repair_unit_CIS_9(api, db):
    instance_id = repair_under_way(api, db, "BM-LT-001", mode="sent_out")
    office = api(SECURITY_OFFICE)
    site = dispatch_body(db, "DS-01")  # a destruction site is no repair unit
    refused(office, "dispatch_to_unit", site, "validation_failed", "repair_unit")
    refused(office, "dispatch_to_unit", dispatch_body(db, repair_unit=99999), "validation_failed", "repair_unit")
    withdrawn = db.get(ReferenceItem, reference_id(db, "RU-02"))
    withdrawn.active = False  # the bureau withdrew its designation
    db.commit()
    refused(office, "dispatch_to_unit", dispatch_body(db, "RU-02"), "validation_failed", "repair_unit")
    assert open_bpmn_ids(office, instance_id) == ["dispatch_to_unit"]
    assert "repair_dispatched" not in db.scalars(
        select(AuditEvent.action).where(AuditEvent.instance_id == instance_id)).all()
    complete(office, "dispatch_to_unit", dispatch_body(db, "RU-01"))
    assert case(office, instance_id)["data"]["repair_unit_code"] == "RU-01"


def test_return_cannot_precede_dispatch(api, db):
    repair_under_way(api, db, "BM-LT-001", mode="sent_out")
    office = api(SECURITY_OFFICE)
    complete(office, "dispatch_to_unit", dispatch_body(db))
    refused(office, "return_from_unit", {"returned_on": "2020-01-01", "seals_intact": True},
            "repair_return_before_dispatch", "returned_on")


# --- RRS.2 / MED.5 / CNET.7: on return ---------------------------------------------------------------------

def test_repair_goes_into_the_maintenance_log_RRS_2(api, db):
    instance_id = repaired_on_site(api, db)
    maintainer = api(MAINTAINER)
    refused(maintainer, "record_return", return_body(cause=""), "validation_failed", "cause")
    assert _log(db, "BM-PC-001") == []
    complete(maintainer, "record_return", return_body(fault="间歇性黑屏", upgrade="内存由 8GB 扩充至 16GB"))
    entries = _log(db, "BM-PC-001")
    assert [(e.kind, e.fault) for e in entries] == [("repair", "间歇性黑屏"), ("upgrade", "间歇性黑屏")]
    assert entries[1].work_done == "内存由 8GB 扩充至 16GB"
    assert {e.recorded_by_id for e in entries} == {user_id(db, MAINTAINER)}
    assert {e.instance_id for e in entries} == {instance_id}


def test_replaced_storage_is_taken_back_MED_5(api, db):
    instance_id = repaired_on_site(api, db)
    maintainer = api(MAINTAINER)
    body = refused(maintainer, "record_return",
                   return_body(storage_replaced=True, storage_part="西数 500GB SN777"),
                   "repair_replaced_storage_not_taken_back", "replaced_storage_taken_back")
    assert "MED.5" in body["error"]
    refused(maintainer, "record_return", return_body(storage_replaced=True, replaced_storage_taken_back=True),
            "repair_storage_part_missing", "storage_part")
    assert _log(db, "BM-PC-001") == [] and asset(db, "BM-PC-001").status == "under_repair"
    complete(maintainer, "record_return", return_body(storage_replaced=True, storage_part="西数 500GB SN777",
                                                      replaced_storage_taken_back=True))
    kinds = [(e.kind, "西数 500GB SN777" in e.work_done) for e in _log(db, "BM-PC-001")]
    assert kinds == [("repair", False), ("storage_replaced", True)]
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == instance_id)).all()
    assert "repair_storage_taken_back" in actions
    assert db.scalar(select(func.count()).select_from(DestructionItem)) == 0  # taken back, not destroyed


def test_failed_storage_that_cannot_be_made_safe_is_destroyed_CNET_7(api, db):
    instance_id = repaired_on_site(api, db)
    complete(api(MAINTAINER), "record_return",
             return_body(storage_replaced=True, storage_part="西数 500GB SN777", replaced_storage_taken_back=True,
                         failed_storage_unsafe=True))
    item = db.scalar(select(DestructionItem))
    pc = asset(db, "BM-PC-001")
    assert (item.item_type, item.category, item.status) == ("media", "2", "registered")
    assert (item.source_instance_id, item.classification, item.section_id) == (instance_id, pc.classification,
                                                                               pc.section_id)
    assert item.asset_id is None and "BM-PC-001" in item.title and "SN777" in item.title
    assert item.registered_by_id == user_id(db, MAINTAINER)
    assert (pc.status, pc.open_case_id) == ("in_use", None)  # the computer itself is back in use
    assert case(api(APPLICANT), instance_id)["data"]["destruction_item_id"] == item.id


# --- rejections --------------------------------------------------------------------------------------------

def test_committee_rejection_releases_the_computer_RRS_1(api, db):
    applicant = api(APPLICANT)
    instance_id = start_repair(applicant, db, "BM-PC-001").get_json()["instance"]["id"]
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    complete(api(SECURITY_OFFICE), "decide_data_protection", protection_body())
    done = complete(api(COMMITTEE), "committee_approval", REJECT)
    assert done["instance"]["status"] == "rejected" and done["next_tasks"] == []
    pc = asset(db, "BM-PC-001")
    assert (pc.status, pc.open_case_id) == ("in_use", None)
    assert start_repair(applicant, db, "BM-PC-001").status_code == 201  # free for a new request


def test_leader_rejection_stops_sending_out_RRS_3(api, db):
    instance_id = start_repair(api(APPLICANT), db, "BM-LT-001", mode="sent_out").get_json()["instance"]["id"]
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    complete(api(SECURITY_OFFICE), "decide_data_protection", protection_body())
    complete(api(COMMITTEE), "committee_approval", APPROVE)
    done = complete(api(LEADER), "leader_approval", REJECT)
    assert done["instance"]["status"] == "rejected"
    assert _tasks(db, instance_id, "prepare_repair") == []
    laptop = asset(db, "BM-LT-001")
    assert (laptop.status, laptop.open_case_id) == ("in_use", None)


def test_section_head_rejection_releases_the_computer(api, db):
    start_repair(api(APPLICANT), db, "BM-PC-001")
    done = complete(api(SECTION_HEAD), "section_head_review", REJECT)
    assert done["instance"]["status"] == "rejected"
    assert asset(db, "BM-PC-001").open_case_id is None


# --- refusals of the application ---------------------------------------------------------------------------

def _refusal(response, code, field="assets"):
    body = response.get_json()
    assert response.status_code == 422, body
    assert body["code"] == code and field in body["fields"], body
    return body


def test_only_one_classified_computer_per_application_RRS_1(api, db):
    applicant = api(APPLICANT)
    _refusal(start_repair(applicant, db, "BM-U-001"), "repair_not_a_computer")
    _refusal(start_repair(applicant, db, "FM-LT-010"), "asset_unclassified")
    _refusal(start_repair(applicant, db, assets=[asset(db, "BM-PC-001").id, asset(db, "BM-LT-001").id]),
             "repair_one_computer")
    _refusal(start_repair(applicant, db, "BM-LT-003"), "asset_other_section")
    _refusal(start_repair(applicant, db, mode="by_myself"), "validation_failed", "mode")
    _refusal(start_repair(applicant, db, symptoms=""), "validation_failed", "symptoms")
    db.expire_all()
    assert db.scalar(select(ProcessInstance.id)) is None
    assert asset(db, "BM-PC-001").open_case_id is None and asset(db, "BM-LT-001").open_case_id is None


def test_computer_in_another_open_case_is_refused(api, db):
    applicant = api(APPLICANT)
    assert start_scrapping(applicant, db, "BM-PC-001").status_code == 201
    _refusal(start_repair(applicant, db, "BM-PC-001"), "asset_in_open_case")


def test_lost_computer_is_refused(api, db):
    lost = asset(db, "BM-PC-001")
    lost.status = "lost"
    db.commit()
    body = _refusal(start_repair(api(APPLICANT), db, "BM-PC-001"), "repair_asset_not_available")
    assert "丢失" in body["error"]


def test_the_applicants_remarks_outlive_every_approvers_comment(api, db):
    started = start_repair(api(APPLICANT), db, "BM-PC-001", mode="on_site", remarks="每天上午需要使用，请下午维修")
    instance_id = started.get_json()["instance"]["id"]
    complete(api(SECTION_HEAD), "section_head_review", {"decision": "approve", "comment": "同意维修"})
    complete(api(SECURITY_OFFICE), "decide_data_protection", protection_body("none_supervised_on_site"))
    data = case(api(APPLICANT), instance_id)["data"]
    assert data["remarks"] == "每天上午需要使用，请下午维修"
    assert [t["comment"] for t in case(api(APPLICANT), instance_id)["tasks"]][:1] == ["同意维修"]
