"""The engine wrapper: the spec is stored by reference, state round-trips untouched, versions publish once."""
import json

import pytest
from sqlalchemy import select

from models import ProcessDefinition, ProcessInstance
from services import definitions, engine
from services.engine import Case, EngineError
from tests.carry_out_helpers import APPLICANT, APPROVE, SECTION_HEAD, open_task, start

CARRY_OUT = (definitions.PROCESSES_DIR / "carry_out.bpmn").read_text(encoding="utf-8")


def _parsed():
    return engine.parse(CARRY_OUT, "carry_out")


def test_state_holds_a_reference_not_the_spec():
    case = Case.start(_parsed(), {"return_due_at": "2030-01-01T18:00:00+08:00"}, None)
    state = json.loads(case.dump())
    assert "spec" not in state and "subprocess_specs" not in state
    assert len(case.dump()) < 8000


def test_restore_continues_where_the_case_stood():
    parsed = _parsed()
    case = Case.start(parsed, {"destination": "北京", "return_due_at": "2030-01-01T18:00:00+08:00"}, None)
    restored = Case.restore(parsed, case.dump(), None)
    [task] = restored.ready_user_tasks()
    assert (task.bpmn_id, task.lane) == ("section_head_review", "section_head")
    restored.complete(task.id, {"decision": "approve"})
    assert [t.bpmn_id for t in restored.ready_user_tasks()] == ["leader_approval"]
    assert restored.data["destination"] == "北京"


def test_completing_a_task_that_is_not_ready_is_refused():
    case = Case.start(_parsed(), {}, None)
    with pytest.raises(EngineError):
        case.complete("00000000-0000-0000-0000-000000000000", {})


def test_sorting_the_state_keys_would_lose_data():
    """Why the state is TEXT, never JSONB: a key-sorted round trip changes what SpiffWorkflow restores."""
    parsed = _parsed()
    case = Case.start(parsed, {"zeta": 1, "alpha": 2, "return_due_at": "2030-01-01T18:00:00+08:00"}, None)
    for _ in range(2):
        [task] = case.ready_user_tasks()
        case.complete(task.id, {"decision": "approve", "comment": f"c{_}"})
    text = case.dump()
    assert Case.restore(parsed, text, None).dump() == text  # our round trip is byte for byte


def test_broken_bpmn_is_refused_with_the_engine_message():
    with pytest.raises(EngineError):
        engine.parse("<not-bpmn/>", "carry_out")
    with pytest.raises(EngineError):
        engine.parse(CARRY_OUT, "no_such_process")


def test_publishing_again_without_change_makes_no_new_version(sessions, db):
    definitions.publish_directory(sessions)
    versions = db.scalars(select(ProcessDefinition.version).where(ProcessDefinition.process_id == "carry_out")).all()
    assert versions == [1]


def test_running_cases_keep_their_version_and_new_cases_take_the_latest(api, db):
    old_case = start(api(APPLICANT), db, "BM-LT-001").get_json()["instance"]
    changed = CARRY_OUT.replace('name="科室负责人审核"', 'name="科室负责人审核（新版）"')
    definition, created = definitions.publish(db, "carry_out", changed)
    db.commit()
    assert created and definition.version == 2
    new_case = start(api(APPLICANT), db, "BM-U-001").get_json()["instance"]
    assert (old_case["version"], new_case["version"]) == (1, 2)
    head = api(SECTION_HEAD)
    response = head.post(f"/api/v1/tasks/{open_task(head, 'section_head_review')['id']}/complete", json=APPROVE)
    assert response.status_code == 200
    db.expire_all()
    assert db.get(ProcessInstance, old_case["id"]).definition.version == 1
