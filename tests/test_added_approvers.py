"""Adding an approver (加签) before or after a step that allows it, and removing one added by mistake (减签):
the carry-out's leader approval (MED.3), where the BPMN sets allow_added_approver."""
from sqlalchemy import select

from models import AddedApprover, AuditEvent, HumanTask, Notification, RoleAssignment
from tests.carry_out_helpers import APPLICANT, APPROVE, LEADER, SECTION_HEAD, SECURITY_OFFICE, case, complete, start
from tests.test_destruction_api import user_id

SECOND_LEADER = "sunli"  # 孙丽, made a leader for these tests
REJECT = {"decision": "reject", "comment": "风险较大"}


def grant(db, username: str, role: str = "leader") -> None:
    db.add(RoleAssignment(user_id=user_id(db, username), role=role, section_id=None))
    db.commit()


def at_leader_step(api, db) -> tuple[int, int]:
    """A carry-out reviewed by the section head and claimed by the leader: (case id, the leader's task id)."""
    instance_id = start(api(APPLICANT), db).get_json()["instance"]["id"]
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    task_id = next(t["id"] for t in case(api(LEADER), instance_id)["tasks"]
                   if t["bpmn_id"] == "leader_approval" and t["status"] == "open")
    assert api(LEADER).post(f"/api/v1/tasks/{task_id}/claim").status_code == 200
    return instance_id, task_id


def add(client, task_id: int, db, username: str, position: str, status: int = 201, reason: str = "请一并把关") -> dict:
    response = client.post(f"/api/v1/tasks/{task_id}/added-approvers",
                           json={"user_id": user_id(db, username), "position": position, "reason": reason})
    assert response.status_code == status, response.get_json()
    return response.get_json()


def added_task(client) -> dict:
    return next(t for t in client.get("/api/v1/tasks?scope=mine").get_json()["tasks"] if t["kind"] == "added_approval")


def row(db, task_id: int) -> HumanTask:
    db.expire_all()
    return db.get(HumanTask, task_id)


def open_bpmn_ids(client, instance_id: int) -> list[str]:
    return sorted(t["bpmn_id"] for t in case(client, instance_id)["tasks"] if t["status"] == "open")


def test_an_approver_added_before_decides_first(api, db):
    grant(db, SECOND_LEADER)
    instance_id, task_id = at_leader_step(api, db)
    leader = api(LEADER)
    link = add(leader, task_id, db, SECOND_LEADER, "before")["added_approver"]
    assert (link["position"], link["status"], link["user"]) == ("before", "pending", "孙丽")
    extra = added_task(api(SECOND_LEADER))
    assert extra["bpmn_id"] == "leader_approval" and extra["assignee_id"] == user_id(db, SECOND_LEADER)

    refused = complete(leader, "leader_approval", APPROVE, status=409, task={"id": task_id})
    assert refused["code"] == "added_approver_pending" and "孙丽" in refused["error"]
    assert row(db, task_id).status == "open"

    complete(api(SECOND_LEADER), "leader_approval", {"decision": "approve", "comment": "同意"}, task=extra)
    assert open_bpmn_ids(leader, instance_id) == ["leader_approval"]  # still the leader's to decide
    done = complete(leader, "leader_approval", APPROVE, task={"id": task_id})
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["hand_out"]
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == instance_id)).all()
    assert {"added_approver_added", "added_approver_decided", "task_completed"} <= set(actions)
    assert db.scalar(select(Notification.code).where(Notification.user_id == user_id(db, SECOND_LEADER)))


def test_a_rejection_by_an_approver_added_before_returns_the_step_to_its_approver(api, db):
    grant(db, SECOND_LEADER)
    instance_id, task_id = at_leader_step(api, db)
    add(api(LEADER), task_id, db, SECOND_LEADER, "before")
    complete(api(SECOND_LEADER), "leader_approval", REJECT, task=added_task(api(SECOND_LEADER)))
    assert case(api(LEADER), instance_id)["instance"]["status"] == "running"
    assert row(db, task_id).status == "open"  # the leader decides, knowing the objection
    done = complete(api(LEADER), "leader_approval", {"decision": "reject", "comment": "同意孙丽意见"},
                    task={"id": task_id})
    assert done["instance"]["status"] == "rejected"


def test_after_an_added_approver_the_step_completes_only_when_they_approve(api, db):
    grant(db, SECOND_LEADER)
    instance_id, task_id = at_leader_step(api, db)
    leader = api(LEADER)
    add(leader, task_id, db, SECOND_LEADER, "after")
    held = complete(leader, "leader_approval", {"decision": "approve", "comment": "拟同意"}, task={"id": task_id})
    assert held["task"]["status"] == "awaiting_added" and held["next_tasks"][0]["kind"] == "added_approval"
    assert "hand_out" not in open_bpmn_ids(leader, instance_id)
    assert not [t for t in leader.get("/api/v1/tasks?scope=mine").get_json()["tasks"] if t["id"] == task_id]

    done = complete(api(SECOND_LEADER), "leader_approval", APPROVE, task=added_task(api(SECOND_LEADER)))
    assert done["task"]["kind"] == "added_approval" and done["task"]["status"] == "completed"
    step = row(db, task_id)
    assert (step.status, step.decision, step.comment, step.completed_by_id) == (
        "completed", "approve", "拟同意", user_id(db, LEADER))
    assert open_bpmn_ids(leader, instance_id) == ["hand_out"]


def test_a_rejection_by_an_approver_added_after_drops_the_held_decision(api, db):
    grant(db, SECOND_LEADER)
    instance_id, task_id = at_leader_step(api, db)
    add(api(LEADER), task_id, db, SECOND_LEADER, "after")
    complete(api(LEADER), "leader_approval", APPROVE, task={"id": task_id})
    complete(api(SECOND_LEADER), "leader_approval", REJECT, task=added_task(api(SECOND_LEADER)))
    assert row(db, task_id).status == "open" and open_bpmn_ids(api(LEADER), instance_id) == ["leader_approval"]
    assert db.scalar(select(AddedApprover.held_payload)) is None
    done = complete(api(LEADER), "leader_approval", APPROVE, task={"id": task_id})  # the leader's call
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["hand_out"]


def test_removing_an_added_approver_before_they_act(api, db):
    grant(db, SECOND_LEADER)
    instance_id, task_id = at_leader_step(api, db)
    leader = api(LEADER)
    link = add(leader, task_id, db, SECOND_LEADER, "before")["added_approver"]
    response = leader.delete(f"/api/v1/added-approvers/{link['id']}", json={"reason": "加错了人"})
    assert response.status_code == 200 and response.get_json()["added_approver"]["status"] == "removed"
    assert row(db, link["added_task_id"]).status == "cancelled"
    assert not [t for t in api(SECOND_LEADER).get("/api/v1/tasks?scope=mine").get_json()["tasks"]
                if t["kind"] == "added_approval"]
    assert leader.delete(f"/api/v1/added-approvers/{link['id']}").get_json()["code"] == "added_approver_decided"
    done = complete(leader, "leader_approval", APPROVE, task={"id": task_id})
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["hand_out"]
    assert "added_approver_removed" in db.scalars(select(AuditEvent.action)).all()


def test_an_added_approver_who_acted_cannot_be_removed(api, db):
    grant(db, SECOND_LEADER)
    _instance_id, task_id = at_leader_step(api, db)
    link = add(api(LEADER), task_id, db, SECOND_LEADER, "before")["added_approver"]
    complete(api(SECOND_LEADER), "leader_approval", APPROVE, task=added_task(api(SECOND_LEADER)))
    response = api(LEADER).delete(f"/api/v1/added-approvers/{link['id']}")
    assert response.status_code == 409 and response.get_json()["code"] == "added_approver_decided"


def test_removing_the_last_approver_added_after_lets_the_held_decision_through(api, db):
    grant(db, SECOND_LEADER)
    instance_id, task_id = at_leader_step(api, db)
    link = add(api(LEADER), task_id, db, SECOND_LEADER, "after")["added_approver"]
    complete(api(LEADER), "leader_approval", APPROVE, task={"id": task_id})
    response = api(SECURITY_OFFICE).delete(f"/api/v1/added-approvers/{link['id']}")
    assert response.status_code == 200, response.get_json()
    assert row(db, task_id).status == "completed" and open_bpmn_ids(api(LEADER), instance_id) == ["hand_out"]


def test_who_may_add_whom(api, db):
    instance_id, task_id = at_leader_step(api, db)
    leader = api(LEADER)
    # The leader may add only another holder of the step's role; the applicant and earlier approvers never.
    assert add(leader, task_id, db, "wangfang", "before", status=403)["code"] == "added_approver_lacks_role"
    assert add(leader, task_id, db, APPLICANT, "before", status=403)["code"] == "added_approver_excluded"
    assert add(leader, task_id, db, SECTION_HEAD, "before", status=403)["code"] == "added_approver_excluded"
    assert add(leader, task_id, db, LEADER, "before", status=403)["code"] == "added_approver_excluded"
    # Someone who is not the step's approver may not add anyone.
    assert add(api("zhaolei"), task_id, db, "wangfang", "before", status=404)["code"] == "not_found"
    # The security office names anyone, e.g. an expert without the leader role.
    named = add(api(SECURITY_OFFICE), task_id, db, "wangfang", "after")["added_approver"]
    assert named["added_by_id"] == user_id(db, SECURITY_OFFICE)
    assert add(api(SECURITY_OFFICE), task_id, db, "wangfang", "before", status=409)["code"] == "added_approver_twice"
    # Only the added approver decides on their task.
    extra = added_task(api("wangfang"))
    response = api(LEADER).post(f"/api/v1/tasks/{extra['id']}/complete", json=APPROVE)
    assert response.status_code == 403 and response.get_json()["code"] == "not_a_candidate"
    bad = api(SECURITY_OFFICE).post(f"/api/v1/tasks/{task_id}/added-approvers",
                                    json={"user_id": user_id(db, "wujun"), "position": "sideways"})
    assert bad.status_code == 422 and "position" in bad.get_json()["fields"]
    assert case(leader, instance_id)["instance"]["status"] == "running"


def test_only_steps_that_allow_it_and_the_claimed_approver(api, db):
    grant(db, SECOND_LEADER)
    instance_id = start(api(APPLICANT), db).get_json()["instance"]["id"]
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    task_id = next(t["id"] for t in case(api(LEADER), instance_id)["tasks"] if t["bpmn_id"] == "leader_approval")
    # Unclaimed: a leader must take the task before adding to it.
    assert add(api(LEADER), task_id, db, SECOND_LEADER, "before", status=403)["code"] == "added_approver_not_yours"
    api(LEADER).post(f"/api/v1/tasks/{task_id}/claim")
    complete(api(LEADER), "leader_approval", APPROVE, task={"id": task_id})
    hand_out = next(t["id"] for t in case(api(SECURITY_OFFICE), instance_id)["tasks"] if t["bpmn_id"] == "hand_out")
    body = add(api(SECURITY_OFFICE), hand_out, db, "wangfang", "before", status=403)
    assert body["code"] == "added_approver_not_allowed_here"


def test_added_approvers_close_with_their_step(api, db):
    """In any-one signing (P4), the leader not needed leaves; so does the approver added to their task."""
    from tests.test_destruction_api import OFFICER, register_document, start as start_manifest

    grant(db, SECOND_LEADER)
    officer = api(OFFICER)
    instance_id = start_manifest(officer, [register_document(officer)]).get_json()["instance"]["id"]
    hers = next(t for t in api(SECOND_LEADER).get("/api/v1/tasks?scope=mine").get_json()["tasks"]
                if t["bpmn_id"] == "leader_sign")
    link = add(api(SECURITY_OFFICE), hers["id"], db, "zhaolei", "before")["added_approver"]
    mine = next(t for t in api(LEADER).get("/api/v1/tasks?scope=mine").get_json()["tasks"]
                if t["bpmn_id"] == "leader_sign")
    complete(api(LEADER), "leader_sign", APPROVE, task=mine)
    db.expire_all()
    assert row(db, hers["id"]).status == "cancelled" and row(db, link["added_task_id"]).status == "cancelled"
    assert db.get(AddedApprover, link["id"]).status == "cancelled"
    assert case(officer, instance_id)["instance"]["status"] == "running"


def test_the_case_page_shows_the_added_approver_and_the_add_form(api, as_user, db):
    grant(db, SECOND_LEADER)
    instance_id, task_id = at_leader_step(api, db)
    page = as_user(LEADER)
    html = page.get(f"/cases/{instance_id}").get_data(as_text=True)
    assert f'id="add-approver-{task_id}"' in html and "孙丽" in html
    response = page.post(f"/tasks/{task_id}/added-approvers", data={
        "csrf_token": page.csrf, "user_id": user_id(db, SECOND_LEADER), "position": "before", "reason": "请把关"})
    assert response.status_code == 302
    html = page.get(f"/cases/{instance_id}").get_data(as_text=True)
    assert 'id="added-approver-list"' in html and "请把关" in html and "added-approval-note" in html
    link_id = db.scalar(select(AddedApprover.id))
    response = page.post(f"/added-approvers/{link_id}/remove", data={"csrf_token": page.csrf})
    assert response.status_code == 302 and db.get(AddedApprover, link_id).status == "removed"
