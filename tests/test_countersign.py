"""Countersign (会签) and any-one (或签) approval in P4: any one leader signs the manifest (the first decision
closes the other leaders' tasks); every member of the security committee must approve laptop disks and
media, and one rejection rejects (DES.2, MED.6). Each signer's task shows in the timeline by name."""
from sqlalchemy import delete, select

from models import AuditEvent, HumanTask, RoleAssignment
from tests.carry_out_helpers import case, complete
from tests.test_destruction_api import (APPROVE, COMMITTEE, LEADER, OFFICER, SECURITY_OFFICE, escort_body,
                                        register_asset, register_document, start, user_id)

SECOND_LEADER = "sunli"  # 孙丽, made a leader for these tests
SECOND_MEMBER = "wujun"  # 吴军, made a committee member
REJECT = {"decision": "reject", "comment": "暂缓"}


def grant(db, username: str, role: str) -> None:
    db.add(RoleAssignment(user_id=user_id(db, username), role=role, section_id=None))
    db.commit()


def mine(client, bpmn_id: str) -> list[dict]:
    return [t for t in client.get("/api/v1/tasks?scope=mine").get_json()["tasks"] if t["bpmn_id"] == bpmn_id]


def rows(db, instance_id: int, bpmn_id: str) -> list[HumanTask]:
    db.expire_all()
    return list(db.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                   HumanTask.bpmn_id == bpmn_id).order_by(HumanTask.id)))


def started(api, db, committee: bool = False) -> int:
    officer = api(OFFICER)
    item = register_asset(officer, db, "BM-HD-003") if committee else register_document(officer)
    response = start(officer, [item])
    assert response.status_code == 201, response.get_json()
    return response.get_json()["instance"]["id"]


# --- any one leader (或签) -------------------------------------------------------------------------------

def test_every_leader_gets_a_signing_task_and_the_first_approval_closes_the_others_DES_2(api, db):
    grant(db, SECOND_LEADER, "leader")
    instance_id = started(api, db)
    tasks = rows(db, instance_id, "leader_sign")
    assert sorted(t.assignee_id for t in tasks) == sorted([user_id(db, LEADER), user_id(db, SECOND_LEADER)])
    assert {t.subject for t in tasks} == {"刘洋", "孙丽"} and {t.status for t in tasks} == {"open"}
    assert len(mine(api(SECOND_LEADER), "leader_sign")) == 1

    done = complete(api(LEADER), "leader_sign", APPROVE, task=mine(api(LEADER), "leader_sign")[0])
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["escort_to_site"]
    by_name = {t.subject: t for t in rows(db, instance_id, "leader_sign")}
    assert (by_name["刘洋"].status, by_name["刘洋"].decision) == ("completed", "approve")
    assert by_name["孙丽"].status == "cancelled"
    assert mine(api(SECOND_LEADER), "leader_sign") == []  # gone from her inbox
    assert case(api(OFFICER), instance_id)["data"]["signed_by"] == user_id(db, LEADER)


def test_in_any_one_the_first_decision_decides_even_a_rejection(api, db):
    grant(db, SECOND_LEADER, "leader")
    instance_id = started(api, db)
    done = complete(api(SECOND_LEADER), "leader_sign", REJECT, task=mine(api(SECOND_LEADER), "leader_sign")[0])
    assert done["instance"]["status"] == "rejected"
    by_name = {t.subject: t.status for t in rows(db, instance_id, "leader_sign")}
    assert by_name == {"孙丽": "completed", "刘洋": "cancelled"}


def test_a_leader_cannot_sign_another_leaders_task(api, db):
    grant(db, SECOND_LEADER, "leader")
    started(api, db)
    theirs = mine(api(LEADER), "leader_sign")[0]
    response = api(SECOND_LEADER).post(f"/api/v1/tasks/{theirs['id']}/complete", json=APPROVE)
    assert response.status_code == 409 and response.get_json()["code"] == "claimed_by_other"


def test_nobody_to_sign_refuses_the_step_rather_than_passing_it_unsigned(api, db):
    db.execute(delete(RoleAssignment).where(RoleAssignment.role == "leader"))
    db.commit()
    officer = api(OFFICER)
    response = start(officer, [register_document(officer)])
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["code"] == "no_signers" and "分管领导" in response.get_json()["error"]


# --- every committee member (会签) -----------------------------------------------------------------------

def test_every_committee_member_must_approve_MED_6(api, db):
    grant(db, SECOND_MEMBER, "security_committee")
    instance_id = started(api, db, committee=True)
    complete(api(LEADER), "leader_sign", APPROVE)
    tasks = rows(db, instance_id, "committee_approval")
    assert {t.subject for t in tasks} == {"周敏", "吴军"} and all(t.assignee_id for t in tasks)

    done = complete(api(COMMITTEE), "committee_approval", APPROVE, task=mine(api(COMMITTEE), "committee_approval")[0])
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["committee_approval"]  # still waiting for 吴军
    assert done["instance"]["status"] == "running"
    done = complete(api(SECOND_MEMBER), "committee_approval", APPROVE,
                    task=mine(api(SECOND_MEMBER), "committee_approval")[0])
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["escort_to_site"]
    assert {(t.subject, t.status, t.decision) for t in rows(db, instance_id, "committee_approval")} == {
        ("周敏", "completed", "approve"), ("吴军", "completed", "approve")}
    complete(api(SECURITY_OFFICE), "escort_to_site", escort_body(db))


def test_one_rejection_in_countersign_rejects_the_step_and_closes_the_others_MED_6(api, db):
    grant(db, SECOND_MEMBER, "security_committee")
    instance_id = started(api, db, committee=True)
    complete(api(LEADER), "leader_sign", APPROVE)
    done = complete(api(SECOND_MEMBER), "committee_approval", REJECT,
                    task=mine(api(SECOND_MEMBER), "committee_approval")[0])
    assert done["instance"]["status"] == "rejected"
    assert {(t.subject, t.status) for t in rows(db, instance_id, "committee_approval")} == {
        ("吴军", "completed"), ("周敏", "cancelled")}
    assert mine(api(COMMITTEE), "committee_approval") == []
    assert not rows(db, instance_id, "escort_to_site")


def test_the_leader_who_signed_is_no_committee_signer_of_the_same_case(api, db):
    grant(db, LEADER, "security_committee")  # 刘洋 sits on the committee too
    instance_id = started(api, db, committee=True)
    complete(api(LEADER), "leader_sign", APPROVE)
    assert [t.subject for t in rows(db, instance_id, "committee_approval")] == ["周敏"]


def test_the_timeline_names_each_signer_with_their_decision(api, as_user, db):
    grant(db, SECOND_MEMBER, "security_committee")
    grant(db, SECOND_LEADER, "leader")
    instance_id = started(api, db, committee=True)
    complete(api(LEADER), "leader_sign", APPROVE, task=mine(api(LEADER), "leader_sign")[0])
    complete(api(COMMITTEE), "committee_approval", {"decision": "approve", "comment": "同意，注意消磁"},
             task=mine(api(COMMITTEE), "committee_approval")[0])
    html = as_user(SECURITY_OFFICE).get(f"/cases/{instance_id}").get_data(as_text=True)
    timeline = html.split('id="timeline"')[1].split("</ul>")[0]
    assert timeline.count('data-task="leader_sign"') == 2 and timeline.count('data-task="committee_approval"') == 2
    assert "孙丽" in timeline and 'data-status="cancelled"' in timeline  # the leader not needed, by name
    assert "周敏" in timeline and "同意，注意消磁" in timeline and "吴军" in timeline
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == instance_id)).all()
    assert actions.count("task_completed") == 2


# --- P1: every committee member approves a repair (会签, RRS.1) ------------------------------------------

def test_every_committee_member_approves_a_repair_RRS_1(api, db):
    from tests.repair_scrapping_helpers import (APPLICANT, SECTION_HEAD, protection_body, start_repair)

    grant(db, SECOND_MEMBER, "security_committee")
    instance_id = start_repair(api(APPLICANT), db, "BM-PC-001", mode="on_site").get_json()["instance"]["id"]
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    complete(api(SECURITY_OFFICE), "decide_data_protection", protection_body("none_supervised_on_site"))
    assert {t.subject for t in rows(db, instance_id, "committee_approval")} == {"周敏", "吴军"}
    done = complete(api(COMMITTEE), "committee_approval", APPROVE, task=mine(api(COMMITTEE), "committee_approval")[0])
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["committee_approval"]
    done = complete(api(SECOND_MEMBER), "committee_approval", APPROVE,
                    task=mine(api(SECOND_MEMBER), "committee_approval")[0])
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["prepare_repair"]


def test_one_committee_rejection_refuses_the_repair_RRS_1(api, db):
    from tests.repair_scrapping_helpers import (APPLICANT, SECTION_HEAD, protection_body, start_repair)

    grant(db, SECOND_MEMBER, "security_committee")
    instance_id = start_repair(api(APPLICANT), db, "BM-PC-001", mode="on_site").get_json()["instance"]["id"]
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    complete(api(SECURITY_OFFICE), "decide_data_protection", protection_body("none_supervised_on_site"))
    done = complete(api(COMMITTEE), "committee_approval", REJECT, task=mine(api(COMMITTEE), "committee_approval")[0])
    assert done["instance"]["status"] == "rejected" and done["next_tasks"] == []
    assert {(t.subject, t.status) for t in rows(db, instance_id, "committee_approval")} == {
        ("周敏", "completed"), ("吴军", "cancelled")}


# --- P3: every committee member approves a scrapping (会签, CNET.9) ---------------------------------------

def _scrapping_at_the_committee(api, db) -> int:
    from tests.repair_scrapping_helpers import counted_and_cleared

    grant(db, SECOND_MEMBER, "security_committee")
    instance_id = counted_and_cleared(api, db, "BM-LT-001")
    done = complete(api(LEADER), "leader_approval", APPROVE)
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["committee_approval"] * 2
    assert {(t.subject, t.assignee_id, t.status) for t in rows(db, instance_id, "committee_approval")} == {
        ("周敏", user_id(db, COMMITTEE), "open"), ("吴军", user_id(db, SECOND_MEMBER), "open")}
    return instance_id


def test_every_committee_member_approves_a_scrapping_CNET_9(api, db):
    from tests.repair_scrapping_helpers import asset

    instance_id = _scrapping_at_the_committee(api, db)
    done = complete(api(SECOND_MEMBER), "committee_approval", APPROVE,
                    task=mine(api(SECOND_MEMBER), "committee_approval")[0])
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["committee_approval"]  # still waiting for 周敏
    assert done["instance"]["status"] == "running" and asset(db, "BM-LT-001").status == "pending_scrap"
    assert not rows(db, instance_id, "handover_to_destruction")
    done = complete(api(COMMITTEE), "committee_approval", APPROVE, task=mine(api(COMMITTEE), "committee_approval")[0])
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["handover_to_destruction"]
    assert {(t.subject, t.status, t.decision) for t in rows(db, instance_id, "committee_approval")} == {
        ("周敏", "completed", "approve"), ("吴军", "completed", "approve")}


def test_one_committee_rejection_stops_the_scrapping_and_restores_the_assets_CNET_9(api, db):
    from tests.repair_scrapping_helpers import asset

    instance_id = _scrapping_at_the_committee(api, db)
    done = complete(api(COMMITTEE), "committee_approval", REJECT, task=mine(api(COMMITTEE), "committee_approval")[0])
    assert done["instance"]["status"] == "rejected" and done["next_tasks"] == []
    assert {(t.subject, t.status) for t in rows(db, instance_id, "committee_approval")} == {
        ("周敏", "completed"), ("吴军", "cancelled")}
    assert mine(api(SECOND_MEMBER), "committee_approval") == []
    assert not rows(db, instance_id, "handover_to_destruction")
    restored = asset(db, "BM-LT-001")
    assert (restored.status, restored.open_case_id) == ("in_use", None)


def test_the_leader_who_approved_a_scrapping_is_no_committee_signer_of_it_CNET_9(api, db):
    from tests.repair_scrapping_helpers import counted_and_cleared

    grant(db, LEADER, "security_committee")  # 刘洋 sits on the committee too
    instance_id = counted_and_cleared(api, db, "BM-LT-001")
    complete(api(LEADER), "leader_approval", APPROVE)
    assert [t.subject for t in rows(db, instance_id, "committee_approval")] == ["周敏"]


# --- P4: each escort confirms the escort with their own task (DES.2) ------------------------------------

def test_each_escort_confirms_with_their_own_task_before_any_item_is_destroyed_DES_2(api, db):
    from tests.test_destruction_api import ESCORTED, confirm_tasks

    instance_id = started(api, db)
    complete(api(LEADER), "leader_sign", APPROVE)
    done = complete(api(SECURITY_OFFICE), "escort_to_site", escort_body(db, OFFICER, SECURITY_OFFICE))
    assert sorted(t["bpmn_id"] for t in done["next_tasks"]) == ["confirm_escort", "confirm_escort"]
    tasks = rows(db, instance_id, "confirm_escort")
    assert {(t.subject, t.assignee_id, t.kind) for t in tasks} == {
        ("冯雪", user_id(db, OFFICER), "personal"), ("陈静", user_id(db, SECURITY_OFFICE), "personal")}

    officers = mine(api(OFFICER), "confirm_escort")
    assert len(officers) == 1
    # Nobody confirms for another escort, nor leaves the box unticked.
    response = api(SECURITY_OFFICE).post(f"/api/v1/tasks/{officers[0]['id']}/complete", json=ESCORTED)
    assert response.status_code == 403 and response.get_json()["code"] == "not_a_candidate"
    response = api(OFFICER).post(f"/api/v1/tasks/{officers[0]['id']}/complete", json={"escorted": False})
    assert response.status_code == 422 and "escorted" in response.get_json()["fields"]
    done = complete(api(OFFICER), "confirm_escort", ESCORTED, task=officers[0])
    assert done["instance"]["status"] == "running" and confirm_tasks(api(OFFICER)) == []
    done = complete(api(SECURITY_OFFICE), "confirm_escort", ESCORTED)
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["confirm_item"]
    assert {(t.subject, t.status, t.completed_by_id) for t in rows(db, instance_id, "confirm_escort")} == {
        ("冯雪", "completed", user_id(db, OFFICER)), ("陈静", "completed", user_id(db, SECURITY_OFFICE))}


def test_someone_who_is_no_escort_gets_no_escort_task_DES_2(api, db):
    instance_id = started(api, db)
    complete(api(LEADER), "leader_sign", APPROVE)
    complete(api(SECURITY_OFFICE), "escort_to_site", escort_body(db, OFFICER, SECURITY_OFFICE))
    assert mine(api(COMMITTEE), "confirm_escort") == []
    theirs = rows(db, instance_id, "confirm_escort")[0]
    response = api(COMMITTEE).post(f"/api/v1/tasks/{theirs.id}/complete", json={"escorted": True})
    assert response.status_code == 403 and response.get_json()["code"] == "not_a_candidate"


# --- a signer's own task is never given back to the group -------------------------------------------------

def test_a_signer_cannot_give_their_task_back_to_the_group_so_nobody_signs_twice(api, db):
    grant(db, SECOND_MEMBER, "security_committee")
    instance_id = started(api, db, committee=True)
    complete(api(LEADER), "leader_sign", APPROVE)
    hers = mine(api(COMMITTEE), "committee_approval")[0]
    response = api(COMMITTEE).post(f"/api/v1/tasks/{hers['id']}/unclaim")
    assert response.status_code == 403 and response.get_json()["code"] == "named_task_not_returnable"
    assert {(t.subject, t.assignee_id) for t in rows(db, instance_id, "committee_approval")} == {
        ("周敏", user_id(db, COMMITTEE)), ("吴军", user_id(db, SECOND_MEMBER))}


def test_an_escort_cannot_give_their_confirmation_back_to_the_group_DES_2(api, as_user, db):
    started(api, db)
    complete(api(LEADER), "leader_sign", APPROVE)
    complete(api(SECURITY_OFFICE), "escort_to_site", escort_body(db, OFFICER, SECURITY_OFFICE))
    theirs = mine(api(OFFICER), "confirm_escort")[0]
    response = api(OFFICER).post(f"/api/v1/tasks/{theirs['id']}/unclaim")
    assert response.status_code == 403 and response.get_json()["code"] == "named_task_not_returnable"
    assert len(mine(api(OFFICER), "confirm_escort")) == 1
    page = as_user(OFFICER).get(f"/tasks/{theirs['id']}").get_data(as_text=True)
    assert 'id="unclaim"' not in page and 'id="f-escorted"' in page


def test_a_signer_cannot_transfer_their_task_to_someone_who_signs_already(api, db):
    """Transferring 周敏's countersign task to 吴军, who has his own, would let one person sign twice."""
    grant(db, SECOND_MEMBER, "security_committee")
    instance_id = started(api, db, committee=True)
    complete(api(LEADER), "leader_sign", APPROVE)
    task = mine(api(COMMITTEE), "committee_approval")[0]
    refused = api(COMMITTEE).post(f"/api/v1/tasks/{task['id']}/transfer",
                                  json={"to_user_id": user_id(db, SECOND_MEMBER)})
    assert refused.status_code == 422 and refused.get_json()["code"] == "transfer_target_signs_already"
    assert {t.subject for t in rows(db, instance_id, "committee_approval") if t.status == "open"} == {"周敏", "吴军"}
