"""Bulk approve from the inbox (批量同意): only tasks whose form needs nothing but a decision; each task in a
transaction of its own, so a refusal of one does not stop the others; every rule of one approval holds."""
from sqlalchemy import func, select

from models import AuditEvent, HumanTask, RoleAssignment
from tests.carry_out_helpers import APPLICANT, APPROVE, LEADER, SECTION_HEAD, SECURITY_OFFICE, case, complete, start
from tests.test_destruction_api import user_id

BULK = "/api/v1/tasks/bulk-approve"


def review_tasks(api, db, *numbers: str) -> list[tuple[int, int]]:
    """One carry-out per asset, each waiting for the section head: [(case id, task id)]."""
    out = []
    for number in numbers:
        instance_id = start(api(APPLICANT), db, number).get_json()["instance"]["id"]
        task_id = next(t["id"] for t in case(api(SECTION_HEAD), instance_id)["tasks"] if t["status"] == "open")
        out.append((instance_id, task_id))
    return out


def status_of(db, task_id: int) -> str:
    db.expire_all()
    return db.get(HumanTask, task_id).status


def test_bulk_approve_completes_each_chosen_task(api, db):
    (first_case, first), (second_case, second) = review_tasks(api, db, "BM-LT-001", "BM-HD-001")
    response = api(SECTION_HEAD).post(BULK, json={"task_ids": [first, second], "comment": "同意，注意保管"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["approved"], body["refused"]) == (2, 0)
    assert [(r["task_id"], r["status"]) for r in body["results"]] == [(first, "approved"), (second, "approved")]
    for instance_id, task_id in ((first_case, first), (second_case, second)):
        task = db.get(HumanTask, task_id)
        assert (task.status, task.decision, task.comment) == ("completed", "approve", "同意，注意保管")
        assert [t["bpmn_id"] for t in case(api(LEADER), instance_id)["tasks"] if t["status"] == "open"] == [
            "leader_approval"]
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "task_completed")) == 2


def test_one_refusal_does_not_stop_the_others(api, db):
    (_c1, done_already), (_c2, fine) = review_tasks(api, db, "BM-LT-001", "BM-HD-001")
    complete(api(SECTION_HEAD), "section_head_review", APPROVE, task={"id": done_already})
    response = api(SECTION_HEAD).post(BULK, json={"task_ids": [done_already, 999999, fine]})
    results = response.get_json()["results"]
    assert [(r["task_id"], r["status"], r["code"]) for r in results] == [
        (done_already, "refused", "task_closed"), (999999, "refused", "not_found"), (fine, "approved", None)]
    assert results[0]["error"] and results[0]["business_key"]
    assert status_of(db, fine) == "completed"


def test_a_task_whose_form_needs_more_than_a_decision_is_refused(api, db):
    (instance_id, review), = review_tasks(api, db, "BM-LT-001")
    complete(api(SECTION_HEAD), "section_head_review", APPROVE, task={"id": review})
    leader_task = next(t["id"] for t in case(api(LEADER), instance_id)["tasks"] if t["status"] == "open")
    complete(api(LEADER), "leader_approval", APPROVE, task={"id": leader_task})
    hand_out = next(t["id"] for t in case(api(SECURITY_OFFICE), instance_id)["tasks"] if t["status"] == "open")
    result = api(SECURITY_OFFICE).post(BULK, json={"task_ids": [hand_out]}).get_json()["results"][0]
    assert (result["status"], result["code"]) == ("refused", "not_bulk_approvable")
    assert status_of(db, hand_out) == "open"


def test_separation_of_duties_holds_in_bulk(api, db):
    (_instance_id, review), = review_tasks(api, db, "BM-LT-001")
    result = api(APPLICANT).post(BULK, json={"task_ids": [review]}).get_json()["results"][0]
    assert (result["status"], result["code"]) == ("refused", "own_case")
    assert status_of(db, review) == "open"


def test_a_step_with_an_approver_added_after_is_held(api, db):
    db.add(RoleAssignment(user_id=user_id(db, "sunli"), role="leader", section_id=None))
    db.commit()
    (instance_id, review), = review_tasks(api, db, "BM-LT-001")
    complete(api(SECTION_HEAD), "section_head_review", APPROVE, task={"id": review})
    leader_task = next(t["id"] for t in case(api(LEADER), instance_id)["tasks"] if t["status"] == "open")
    api(LEADER).post(f"/api/v1/tasks/{leader_task}/claim")
    api(LEADER).post(f"/api/v1/tasks/{leader_task}/added-approvers",
                     json={"user_id": user_id(db, "sunli"), "position": "after"})
    result = api(LEADER).post(BULK, json={"task_ids": [leader_task]}).get_json()["results"][0]
    assert result["status"] == "held" and status_of(db, leader_task) == "awaiting_added"
    added = next(t["id"] for t in api("sunli").get("/api/v1/tasks?scope=mine").get_json()["tasks"])
    result = api("sunli").post(BULK, json={"task_ids": [added]}).get_json()["results"][0]  # a decision form too
    assert result["status"] == "approved" and status_of(db, leader_task) == "completed"


def test_bad_requests_are_refused_with_a_clear_error(api):
    client = api(SECTION_HEAD)
    for body in ({}, {"task_ids": []}, {"task_ids": ["x"]}, {"task_ids": list(range(1, 102))},
                 {"task_ids": [1], "other": 1}):
        response = client.post(BULK, json=body)
        assert response.status_code == 422, body
        assert response.get_json()["code"] == "validation_failed"
    response = client.post(BULK, data="[1, 2]", content_type="application/json")
    assert response.status_code == 422 and response.get_json()["code"] == "bad_request"


def test_the_inbox_offers_a_checkbox_only_where_a_decision_is_all_that_is_needed(api, as_user, db):
    (instance_id, review), = review_tasks(api, db, "BM-LT-001")
    page = as_user(SECTION_HEAD)
    html = page.get("/inbox").get_data(as_text=True)
    assert f'name="task_ids" value="{review}"' in html and 'id="bulk-approve"' in html
    complete(api(SECTION_HEAD), "section_head_review", APPROVE, task={"id": review})
    complete(api(LEADER), "leader_approval", APPROVE)
    html = as_user(SECURITY_OFFICE).get("/inbox").get_data(as_text=True)
    assert 'data-bpmn="hand_out"' in html and 'name="task_ids"' not in html and 'id="bulk-approve"' not in html


def test_the_inbox_form_approves_the_ticked_tasks(api, as_user, db):
    (_c1, first), (_c2, second) = review_tasks(api, db, "BM-LT-001", "BM-HD-001")
    page = as_user(SECTION_HEAD)
    response = page.post("/inbox/bulk-approve", data={"csrf_token": page.csrf, "task_ids": [first, second],
                                                      "comment": "同意"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "alert-success" in html
    assert status_of(db, first) == status_of(db, second) == "completed"
    response = page.post("/inbox/bulk-approve", data={"csrf_token": page.csrf}, follow_redirects=True)
    assert "请至少选择一项任务" in response.get_data(as_text=True)
