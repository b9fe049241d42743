"""Withdraw (撤回) by the applicant before any approver acted, terminate by the admin, and transfer (转办) to
another holder of the task's role: through the API, each refusal with its reason, each action audited."""
from datetime import datetime, timezone

from sqlalchemy import select

from models import Asset, AuditEvent, HumanTask, Notification, ProcessInstance, User
from services import admin_console
from tests.carry_out_helpers import APPLICANT, APPROVE, LEADER, SECTION_HEAD, complete, open_task, start


def uid(db, username: str) -> int:
    return db.scalar(select(User.id).where(User.username == username))


def started(api, db) -> int:
    response = start(api(APPLICANT), db)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["instance"]["id"]


def group_ids(client) -> list[int]:
    return [t["id"] for t in client.get("/api/v1/tasks?scope=group").get_json()["tasks"]]


def test_applicant_withdraws_before_any_approval_and_the_task_leaves_every_inbox(api, db):
    instance_id = started(api, db)
    head = api(SECTION_HEAD)
    task = open_task(head, "section_head_review")
    response = api(APPLICANT).post(f"/api/v1/instances/{instance_id}/withdraw", json={"reason": "行程取消"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["instance"]["status"] == "withdrawn"
    assert task["id"] not in group_ids(head)
    db.expire_all()
    assert db.get(HumanTask, task["id"]).status == "cancelled"
    assert db.scalar(select(Asset.open_case_id).where(Asset.register_number == "BM-LT-001")) is None
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "case_withdrawn"))
    assert event.actor_id == uid(db, APPLICANT) and "行程取消" in event.details
    refused = head.post(f"/api/v1/tasks/{task['id']}/complete", json=APPROVE)
    assert refused.status_code in (404, 409)
    again = api(APPLICANT).post(f"/api/v1/instances/{instance_id}/withdraw", json={})
    assert again.status_code == 409 and again.get_json()["code"] == "withdraw_not_running"


def test_no_withdrawal_once_an_approver_acted(api, db):
    instance_id = started(api, db)
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    refused = api(APPLICANT).post(f"/api/v1/instances/{instance_id}/withdraw", json={})
    assert refused.status_code == 409 and refused.get_json()["code"] == "withdraw_after_action"
    assert "审批人" in refused.get_json()["error"]
    assert db.scalar(select(ProcessInstance.status).where(ProcessInstance.id == instance_id)) == "running"


def test_only_the_applicant_withdraws(api, db):
    instance_id = started(api, db)
    refused = api(SECTION_HEAD).post(f"/api/v1/instances/{instance_id}/withdraw", json={})
    assert refused.status_code == 403 and refused.get_json()["code"] == "withdraw_not_applicant"
    assert api("wangfang").post(f"/api/v1/instances/{instance_id}/withdraw", json={}).status_code == 404


def test_terminated_case_cancels_its_open_tasks_at_once(api, db):
    instance_id = started(api, db)
    head = api(SECTION_HEAD)
    task = open_task(head, "section_head_review")
    admin = db.scalar(select(User).where(User.username == "admin"))
    admin_console.terminate(db, instance_id, admin, "重复申请", datetime.now(timezone.utc))
    db.commit()
    assert task["id"] not in group_ids(head)
    assert db.get(HumanTask, task["id"]).status == "cancelled"


def test_transfer_is_refused_to_whoever_does_not_hold_the_role_for_the_section(api, db):
    """A colleague without the role, a section head of another section, the applicant: each refused."""
    started(api, db)
    head = api(SECTION_HEAD)
    task = open_task(head, "section_head_review")
    outsider = uid(db, "qianyu")  # custodian, not a section head
    refused = head.post(f"/api/v1/tasks/{task['id']}/transfer", json={"to_user_id": outsider})
    assert refused.status_code == 422 and refused.get_json()["code"] == "transfer_target_lacks_role"
    other_section_head = uid(db, "zhaolei")  # section head of another section
    refused = head.post(f"/api/v1/tasks/{task['id']}/transfer", json={"to_user_id": other_section_head})
    assert refused.status_code == 422 and refused.get_json()["code"] == "transfer_target_lacks_role"
    refused = head.post(f"/api/v1/tasks/{task['id']}/transfer", json={"to_user_id": uid(db, APPLICANT)})
    assert refused.status_code == 422


def test_transfer_to_a_holder_of_the_role(api, db):
    instance_id = started(api, db)
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    leader = api(LEADER)
    task = open_task(leader, "leader_approval")
    # Give another person the leader role for the test: the principal leader of the office.
    from models import RoleAssignment
    second = uid(db, "zhoumin")
    db.add(RoleAssignment(user_id=second, role="leader", section_id=None))
    db.commit()
    response = leader.post(f"/api/v1/tasks/{task['id']}/transfer", json={"to_user_id": second, "reason": "出差"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["task"]["assignee_id"] == second
    mine = api("zhoumin").get("/api/v1/tasks?scope=mine").get_json()["tasks"]
    assert [t["id"] for t in mine] == [task["id"]]
    assert task["id"] not in group_ids(leader)
    assert db.scalar(select(Notification.code).where(Notification.user_id == second,
                                                     Notification.code == "notify_task_transferred"))
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "task_transferred"))
    assert event.actor_id == uid(db, LEADER) and event.instance_id == instance_id and "出差" in event.details
    # The old holder may not act any more; the new one completes it.
    assert leader.post(f"/api/v1/tasks/{task['id']}/complete", json=APPROVE).status_code in (403, 404, 409)
    complete(api("zhoumin"), "leader_approval", APPROVE, task=task)


def test_the_applicants_own_step_cannot_be_transferred(api, db):
    started(api, db)
    complete(api(SECTION_HEAD), "section_head_review", {"decision": "send_back", "comment": "补充"})
    applicant = api(APPLICANT)
    task = open_task(applicant, "revise_request")
    refused = applicant.post(f"/api/v1/tasks/{task['id']}/transfer", json={"to_user_id": uid(db, SECTION_HEAD)})
    assert refused.status_code == 403 and refused.get_json()["code"] == "transfer_not_here"


def test_bad_transfer_body_is_refused(api, db):
    started(api, db)
    head = api(SECTION_HEAD)
    task = open_task(head, "section_head_review")
    for body in ({}, {"to_user_id": "x"}, {"to_user_id": 999999}):
        response = head.post(f"/api/v1/tasks/{task['id']}/transfer", json=body)
        assert response.status_code == 422, body
