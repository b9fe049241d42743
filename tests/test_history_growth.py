"""A case that goes round its revise loop many times keeps a state of constant size (the engine forgets
earlier rounds of a step, services/engine.Case._forget_earlier_rounds), and loses nothing a later step
reads: the latest data, the steps it went through, the steps it may be sent back to (issue 8)."""
from sqlalchemy import select

from models import ProcessInstance
from services import definitions, engine
from tests.carry_out_helpers import APPLICANT, APPROVE, LEADER, SECTION_HEAD, case, complete, start

SEND_BACK = {"decision": "send_back", "comment": "请补充保密措施"}


def _state(db, instance_id: int) -> str:
    db.expire_all()
    return db.get(ProcessInstance, instance_id).workflow_state


def test_a_revise_loop_keeps_the_state_flat_and_forgets_nothing_a_step_reads(api, db):
    applicant, head = api(APPLICANT), api(SECTION_HEAD)
    instance_id = start(applicant, db).get_json()["instance"]["id"]
    sizes = []
    for round_ in range(12):
        complete(head, "section_head_review", SEND_BACK)
        complete(applicant, "revise_request", {"decision": "resubmit", "comment": f"第{round_}次修改",
                                               "destination": f"地点{round_}"})
        sizes.append(len(_state(db, instance_id)))
    assert sizes[-1] < 1.5 * sizes[1], sizes  # without forgetting, each round adds about 1.7 KB

    shown = case(head, instance_id)
    assert shown["data"]["comment"] == "第11次修改" and shown["data"]["destination"] == "地点11"
    instance = db.get(ProcessInstance, instance_id)
    restored = engine.Case.restore(definitions.parsed(instance.definition), instance.workflow_state, None)
    assert {"start_apply", "section_head_review", "revise_request"} <= set(restored.completed_bpmn_ids())

    complete(head, "section_head_review", APPROVE)
    db.expire_all()
    instance = db.get(ProcessInstance, instance_id)
    restored = engine.Case.restore(definitions.parsed(instance.definition), instance.workflow_state, None)
    leader_task = restored.ready_user_tasks()[0]
    assert leader_task.bpmn_id == "leader_approval"
    # The leader may still send the case back to each step it went through, the applicant's included.
    targets = [step.bpmn_id for step in restored.earlier_steps(leader_task.id)]
    assert targets[:2] == ["section_head_review", "revise_request"] and "start_apply" in targets
    complete(api(LEADER), "leader_approval", APPROVE)
    assert db.scalar(select(ProcessInstance.status).where(ProcessInstance.id == instance_id)) == "running"
