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
