"""P2 carry-out through the API: the main path, send back, rejection, and each refusal (MED.3, MED.4)."""
from sqlalchemy import select

from models import Asset, AuditEvent, ProcessInstance
from tests.carry_out_helpers import (APPLICANT, APPROVE, LEADER, SECTION_HEAD, SECURITY_OFFICE, application,
                                     asset_id, hand_out_body, open_task, return_body, start)


def _complete(client, bpmn_id, body):
    task = open_task(client, bpmn_id)
    response = client.post(f"/api/v1/tasks/{task['id']}/complete", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_carry_out_passes_every_approver_and_comes_back_MED_3(api, db):
    applicant = api(APPLICANT)
    started = start(applicant, db, "BM-LT-001", "BM-U-001")
    assert started.status_code == 201
    instance_id = started.get_json()["instance"]["id"]
    assert [t["bpmn_id"] for t in started.get_json()["tasks"]] == ["section_head_review"]

    _complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    _complete(api(LEADER), "leader_approval", APPROVE)
    office = api(SECURITY_OFFICE)
    _complete(office, "hand_out", hand_out_body())
    db.expire_all()
    laptop = db.get(Asset, asset_id(db, "BM-LT-001"))
    assert laptop.status == "carried_out" and laptop.open_case_id == instance_id

    done = _complete(office, "return_check_in", return_body())
    assert done["instance"]["status"] == "completed"
    db.expire_all()
    for number in ("BM-LT-001", "BM-U-001"):
        asset = db.get(Asset, asset_id(db, number))
        assert (asset.status, asset.open_case_id) == ("in_use", None)

    seen = applicant.get(f"/api/v1/instances/{instance_id}").get_json()
    assert seen["instance"]["status"] == "completed"
    assert [t["decision"] for t in seen["tasks"]][:2] == ["approve", "approve"]
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == instance_id)).all()
    assert actions.count("task_completed") == 4 and "case_closed" in actions


def test_completed_case_keeps_every_data_key(api, db):
    """The state is stored as TEXT in SpiffWorkflow's own key order; a finished case keeps all its data."""
    applicant = api(APPLICANT)
    instance_id = start(applicant, db).get_json()["instance"]["id"]
    _complete(api(SECTION_HEAD), "section_head_review", {"decision": "approve", "comment": "科室同意"})
    _complete(api(LEADER), "leader_approval", {"decision": "approve", "comment": "领导同意"})
    _complete(api(SECURITY_OFFICE), "hand_out", dict(hand_out_body(), comment="已发放"))
    _complete(api(SECURITY_OFFICE), "return_check_in", dict(return_body(), comment="完好"))
    data = applicant.get(f"/api/v1/instances/{instance_id}").get_json()["data"]
    expected = set(application(db)) | {"asset_numbers", "return_due_at", "decision", "comment", "handed_out_on",
                                       "checked_before_handout", "holders_before_carry_out", "returned_on",
                                       "condition", "outcome", "record_handover_result", "record_return_result"}
    assert expected <= set(data), expected - set(data)
    assert data["destination"] == "北京市国家会议中心" and data["outcome"] == "returned"
    assert data["comment"] == "完好"


def test_section_head_sends_back_and_applicant_resubmits(api, db):
    applicant = api(APPLICANT)
    instance_id = start(applicant, db).get_json()["instance"]["id"]
    _complete(api(SECTION_HEAD), "section_head_review", {"decision": "send_back", "comment": "请补充保密措施"})
    revise = open_task(applicant, "revise_request")
    assert revise["assignee_id"] is not None  # the applicant's own task, not a group task
    response = applicant.post(f"/api/v1/tasks/{revise['id']}/complete",
                              json={"decision": "resubmit", "security_measures": "加密存储，专人随身携带"})
    assert response.status_code == 200
    review = open_task(api(SECTION_HEAD), "section_head_review")
    assert review["instance_id"] == instance_id


def test_rejection_frees_the_assets(api, db):
    applicant = api(APPLICANT)
    instance_id = start(applicant, db, "BM-LT-001").get_json()["instance"]["id"]
    _complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    done = _complete(api(LEADER), "leader_approval", {"decision": "reject", "comment": "不必携带"})
    assert done["instance"]["status"] == "rejected"
    db.expire_all()
    assert db.get(Asset, asset_id(db, "BM-LT-001")).open_case_id is None
    assert start(applicant, db, "BM-LT-001").status_code == 201  # free for a new request
    assert db.get(ProcessInstance, instance_id).status == "rejected"


def test_applicant_withdraws_after_send_back(api, db):
    applicant = api(APPLICANT)
    start(applicant, db)
    _complete(api(SECTION_HEAD), "section_head_review", {"decision": "send_back"})
    done = _complete(applicant, "revise_request", {"decision": "withdraw"})
    assert done["instance"]["status"] == "withdrawn"


def _refusal(response, code, field="assets"):
    body = response.get_json()
    assert response.status_code == 422, body
    assert body["code"] == code
    assert field in body["fields"]
    return body


def test_unclassified_asset_is_refused_MED_4(api, db):
    _refusal(start(api(APPLICANT), db, "FM-LT-010"), "asset_unclassified")


def test_asset_not_in_use_is_refused(api, db):
    _refusal(start(api(APPLICANT), db, "BM-HD-003"), "asset_not_in_use")  # kept by the custodian


def test_asset_of_another_section_is_refused(api, db):
    _refusal(start(api(APPLICANT), db, "BM-LT-003"), "asset_other_section")


def test_asset_in_another_open_case_is_refused(api, db):
    applicant = api(APPLICANT)
    assert start(applicant, db, "BM-LT-001").status_code == 201
    _refusal(start(applicant, db, "BM-LT-001"), "asset_in_open_case")


def test_return_date_before_out_date_is_refused(api, db):
    body = _refusal(start(api(APPLICANT), db, return_date="2020-01-01"), "validation_failed", "return_date")
    assert "外出日期" in body["fields"]["return_date"][0]  # Chinese by default, naming the other field


def test_rules_must_be_acknowledged_MED_3(api, db):
    _refusal(start(api(APPLICANT), db, acknowledge_rules=False), "validation_failed", "acknowledge_rules")


def test_refused_application_saves_nothing(api, db):
    start(api(APPLICANT), db, "BM-LT-001", "FM-LT-010")
    db.expire_all()
    assert db.scalar(select(ProcessInstance.id)) is None
    assert db.get(Asset, asset_id(db, "BM-LT-001")).open_case_id is None
