"""Send back (退回) through the API: to an earlier step or to the applicant, with a reason; the case resumes
there with its deadline and timers armed again, also from inside a multi-instance or parallel step."""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from models import Asset, AuditEvent, HumanTask, ProcessInstance
from services import engine
from tests import test_access_change_api as access
from tests.carry_out_helpers import (APPLICANT, APPROVE, LEADER, SECTION_HEAD, SECURITY_OFFICE, application, case,
                                     complete, hand_out_body, open_task, start)


def started_case(api, db) -> int:
    response = start(api(APPLICANT), db)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["instance"]["id"]


def at_leader(api, db) -> int:
    instance_id = started_case(api, db)
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    return instance_id


def rows(db, instance_id: int, bpmn_id: str | None = None) -> list[HumanTask]:
    db.expire_all()
    stmt = select(HumanTask).where(HumanTask.instance_id == instance_id).order_by(HumanTask.id)
    if bpmn_id:
        stmt = stmt.where(HumanTask.bpmn_id == bpmn_id)
    return list(db.scalars(stmt))


def send_back(client, task_id: int, target: str, reason: str = "材料不全，请补充", status: int = 200) -> dict:
    response = client.post(f"/api/v1/tasks/{task_id}/send-back", json={"target": target, "reason": reason})
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_leader_sends_back_to_the_section_head_with_a_fresh_deadline(api, db):
    instance_id = at_leader(api, db)
    leader = api(LEADER)
    task = open_task(leader, "leader_approval")
    targets = leader.get(f"/api/v1/tasks/{task['id']}/send-back-targets").get_json()["targets"]
    assert [t["bpmn_id"] for t in targets] == ["section_head_review", "start"]

    before = datetime.now(timezone.utc)
    answer = send_back(leader, task["id"], "section_head_review", "请核实外出事由")
    assert answer["task"]["bpmn_id"] == "section_head_review" and answer["task"]["status"] == "open"

    reviews = rows(db, instance_id, "section_head_review")
    assert [r.status for r in reviews] == ["completed", "open"]
    fresh = reviews[-1]
    assert before + timedelta(days=2) - timedelta(minutes=1) < fresh.due_at < before + timedelta(days=2, minutes=1)
    assert fresh.escalate_at == fresh.due_at + timedelta(days=1) and fresh.reminded_at is None
    leader_row = rows(db, instance_id, "leader_approval")[0]
    assert leader_row.status == "sent_back" and leader_row.comment == "请核实外出事由"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "case_sent_back"))
    assert event.instance_id == instance_id and "请核实外出事由" in event.details and event.task_id == leader_row.id
    # The same section head may review again (the same duty), and the case goes on to the leader.
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    assert [r.status for r in rows(db, instance_id, "leader_approval")] == ["sent_back", "open"]
    complete(api(LEADER), "leader_approval", APPROVE)
    assert [r.bpmn_id for r in rows(db, instance_id) if r.status == "open"] == ["hand_out"]


def test_sent_back_to_the_applicant_who_revises_and_resubmits(api, db):
    instance_id = at_leader(api, db)
    task = open_task(api(LEADER), "leader_approval")
    send_back(api(LEADER), task["id"], "start", "归还日期需提前")
    applicant = api(APPLICANT)
    mine = open_task(applicant, "start")
    assert mine["role"] == "employee" and mine["kind"] == "start"
    assert not [r for r in rows(db, instance_id) if r.status == "open" and r.bpmn_id != "start"]
    db.expire_all()
    assert db.scalar(select(Asset.open_case_id).where(Asset.register_number == "BM-LT-001")) == instance_id

    new_return = (date.today() + timedelta(days=2)).isoformat()
    done = complete(applicant, "start", application(db, return_date=new_return, destination="上海"), task=mine)
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["section_head_review"]
    data = case(applicant, instance_id)["data"]
    assert data["destination"] == "上海" and data["return_date"] == new_return
    assert data["return_due_at"].startswith(new_return)  # derived again by the start check
    db.expire_all()
    assert db.scalar(select(Asset.open_case_id).where(Asset.register_number == "BM-LT-001")) == instance_id


def test_resubmission_is_vetted_like_an_application(api, db):
    at_leader(api, db)
    send_back(api(LEADER), open_task(api(LEADER), "leader_approval")["id"], "start")
    applicant = api(APPLICANT)
    task = open_task(applicant, "start")
    refused = applicant.post(f"/api/v1/tasks/{task['id']}/complete",
                             json=application(db, acknowledge_rules=False))
    assert refused.status_code == 422 and "acknowledge_rules" in refused.get_json()["fields"]
    assert open_task(applicant, "start")["id"] == task["id"]  # nothing lost


def test_reason_and_target_are_required_and_checked(api, db):
    at_leader(api, db)
    leader = api(LEADER)
    task = open_task(leader, "leader_approval")
    assert send_back(leader, task["id"], "section_head_review", "  ", 422)["code"] == "send_back_reason_required"
    assert send_back(leader, task["id"], "hand_out", status=422)["code"] == "send_back_target_unknown"
    missing = leader.post(f"/api/v1/tasks/{task['id']}/send-back", json={"target": "start"})
    assert missing.status_code == 422 and "reason" in missing.get_json()["fields"]
    assert open_task(leader, "leader_approval")["id"] == task["id"]


def test_only_whoever_may_act_can_send_back(api, db):
    instance_id = at_leader(api, db)
    task = open_task(api(LEADER), "leader_approval")
    for outsider in (APPLICANT, SECTION_HEAD):
        response = api(outsider).post(f"/api/v1/tasks/{task['id']}/send-back",
                                      json={"target": "start", "reason": "x"})
        assert response.status_code in (403, 404), outsider
    send_back(api(LEADER), task["id"], "start")
    start_task = open_task(api(APPLICANT), "start")
    refused = api(APPLICANT).post(f"/api/v1/tasks/{start_task['id']}/send-back",
                                  json={"target": "start", "reason": "x"})
    assert refused.status_code == 403 and refused.get_json()["code"] == "send_back_not_here"
    assert db.scalar(select(ProcessInstance.status).where(ProcessInstance.id == instance_id)) == "running"


def test_a_recorded_step_is_never_undone(api, db):
    at_leader(api, db)
    complete(api(LEADER), "leader_approval", APPROVE)
    complete(api(SECURITY_OFFICE), "hand_out", hand_out_body())  # record_handover: the assets are out
    office = api(SECURITY_OFFICE)
    task = open_task(office, "return_check_in")
    assert office.get(f"/api/v1/tasks/{task['id']}/send-back-targets").get_json()["targets"] == []
    refused = send_back(office, task["id"], "hand_out", status=409)
    assert refused["code"] == "send_back_undoes_record" and "record_handover" in refused["error"]


def test_from_one_instance_of_a_multi_instance_step_CNET_5(api, db):
    """Two systems: one confirmed, the other sends the case back to the leader. No task vanishes: the open
    sibling is cancelled, the leader gets a new task, and approval opens one task per system again."""
    instance_id = access.through_approval(api, db)
    admin = api(access.NETWORK_ADMIN)
    first, second = access.open_tasks(admin, "confirm_system_access")
    assert admin.post(f"/api/v1/tasks/{first['id']}/complete", json=access.system_body("acct1")).status_code == 200
    targets = admin.get(f"/api/v1/tasks/{second['id']}/send-back-targets").get_json()["targets"]
    assert [t["bpmn_id"] for t in targets] == ["leader_approval", "file_with_security_office", "start"]

    send_back(admin, second["id"], "leader_approval", "系统清单有误")
    systems = rows(db, instance_id, "confirm_system_access")
    assert sorted(r.status for r in systems) == ["completed", "sent_back"]
    assert [r.status for r in rows(db, instance_id, "leader_approval")] == ["completed", "open"]

    access.complete(api(access.LEADER), "leader_approval", access.APPROVE)
    assert len(access.open_tasks(admin, "confirm_system_access")) == 2
    access.close_every_system(api)
    assert case(api(APPLICANT), instance_id)["instance"]["status"] == "completed"


def test_from_a_parallel_branch_the_other_branch_stays_open_UNET_7(api, db):
    instance_id = access.through_approval(api, db, applicant=access.SECTION_HEAD, change="transfer")
    access.close_every_system(api)
    office = api(access.SECURITY_OFFICE)
    access.complete(office, "handover_to_successor", access.HANDOVER)
    successor = api(access.SUCCESSOR)
    reset = access.open_tasks(successor, "successor_reset")[0]
    targets = successor.get(f"/api/v1/tasks/{reset['id']}/send-back-targets").get_json()["targets"]
    assert [t["bpmn_id"] for t in targets] == ["handover_to_successor"]  # earlier ones undo record_access_changes

    send_back(successor, reset["id"], "handover_to_successor", "缺少软件安装介质")
    open_now = sorted(r.bpmn_id for r in rows(db, instance_id) if r.status == "open")
    assert open_now == ["handover_to_successor", "return_classified_carriers"]
    access.complete(office, "handover_to_successor", access.HANDOVER)
    access.complete(successor, "successor_reset", access.RESET)
    done = access.complete(office, "return_classified_carriers", {"returned_on": access.today(), "all_returned": True})
    assert done["instance"]["status"] == "completed"


TIMER_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="timed" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="review"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="remind" cancelActivity="false" attachedToRef="review">
      <bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="reminded"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:userTask id="approve"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review" />
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="approve" />
    <bpmn:sequenceFlow id="f3" sourceRef="approve" targetRef="e" />
    <bpmn:sequenceFlow id="f4" sourceRef="remind" targetRef="reminded" />
  </bpmn:process>
</bpmn:definitions>"""


def test_boundary_timer_is_armed_again_after_a_send_back():
    parsed = engine.parse(TIMER_BPMN, "timed")
    case_ = engine.Case.start(parsed, {"x": 1}, None)
    armed = case_.next_timer_at()
    assert armed is not None
    review = case_.ready_user_tasks()[0]
    case_.complete(review.id, {})
    case_ = engine.Case.restore(parsed, case_.dump(), None)
    assert case_.next_timer_at() is None  # the review is done: its reminder is gone
    approve = case_.ready_user_tasks()[0]
    before = datetime.now(timezone.utc)
    target = next(s for s in case_.earlier_steps(approve.id) if s.bpmn_id == "review")
    case_.send_back(target.id)
    case_ = engine.Case.restore(parsed, case_.dump(), None)
    assert [t.bpmn_id for t in case_.ready_user_tasks()] == ["review"]
    rearmed = case_.next_timer_at()
    assert rearmed is not None and rearmed >= before + timedelta(minutes=59)


def test_a_refused_resubmission_page_keeps_what_was_typed(api, as_user, db):
    """The page, not the API: the refusal is shown in the user's language and the typed values stay."""
    instance_id = at_leader(api, db)
    send_back(api(LEADER), open_task(api(LEADER), "leader_approval")["id"], "start")
    task_id = open_task(api(APPLICANT), "start")["id"]
    page = as_user(APPLICANT)
    form = {k: v for k, v in application(db, destination="广州会展中心").items() if k != "acknowledge_rules"}
    form["assets"] = form["assets"][0]
    refused = page.post(f"/tasks/{task_id}/resubmit", data={**form, "csrf_token": page.csrf})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "广州会展中心" in html
    assert "is-invalid" in html
    assert [r.status for r in rows(db, instance_id, "start")] == ["open"]


def test_the_task_page_offers_send_back_and_transfer_where_the_approver_works(api, as_user, db):
    at_leader(api, db)
    task_id = open_task(api(LEADER), "leader_approval")["id"]
    html = as_user(LEADER).get(f"/tasks/{task_id}").get_data(as_text=True)
    assert f'data-task-actions="{task_id}"' in html and 'class="row g-2 align-items-end mb-2 send-back-form"' in html
    assert 'value="start"' in html  # back to the applicant is one of the targets
    applicant_view = as_user(APPLICANT).get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "send-back-form" not in applicant_view  # not theirs to act on
