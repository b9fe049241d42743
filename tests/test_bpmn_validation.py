"""The checks a BPMN file passes before a designer may publish it: each problem is pinned to its element."""
import json
import shutil
from pathlib import Path

import pytest

from services import bpmn_validation, forms
from services.procedures import PROCEDURES

PROCESSES = Path(__file__).resolve().parent.parent / "processes"
CARRY_OUT = (PROCESSES / "carry_out.bpmn").read_text(encoding="utf-8")


def problems_of(xml: str, process_id: str = "carry_out", drafted_forms=None) -> set[tuple[str, str | None]]:
    found = bpmn_validation.validate(xml, process_id, drafted_forms, set(PROCEDURES) - {process_id})
    return {(p.code, p.element_id) for p in found}


def changed(old: str, new: str, xml: str = CARRY_OUT) -> str:
    assert old in xml, old
    return xml.replace(old, new, 1)


@pytest.fixture
def forms_dir(tmp_path, monkeypatch):
    """A copy of forms/ that a test may change without touching the repository's files."""
    copy = tmp_path / "forms"
    shutil.copytree(forms.FORMS_DIR, copy)
    monkeypatch.setattr(forms, "FORMS_DIR", copy)
    forms.clear_cache()
    yield copy
    forms.clear_cache()


@pytest.mark.parametrize("path", sorted(PROCESSES.glob("*.bpmn")), ids=lambda p: p.stem)
def test_every_shipped_process_passes(path):
    assert problems_of(path.read_text(encoding="utf-8"), path.stem) == set()


def test_process_must_be_executable():
    xml = changed('id="carry_out" name="涉密笔记本和介质携带外出 Carry-out of classified laptops and media" isExecutable="true"',
                  'id="carry_out" name="x" isExecutable="false"')
    assert ("bpmn_not_executable", "carry_out") in problems_of(xml)


def test_user_task_lane_must_be_a_known_role():
    xml = changed('<bpmn:lane id="lane_leader" name="leader">', '<bpmn:lane id="lane_leader" name="boss">')
    assert ("bpmn_lane_not_role", "leader_approval") in problems_of(xml)


def test_user_task_must_lie_in_a_lane():
    xml = changed("<bpmn:flowNodeRef>leader_approval</bpmn:flowNodeRef>", "")
    assert ("bpmn_user_task_no_lane", "leader_approval") in problems_of(xml)


def test_user_task_needs_a_form(forms_dir):
    (forms_dir / "carry_out" / "hand_out.json").unlink()
    assert ("bpmn_no_form", "hand_out") in problems_of(CARRY_OUT)


def test_drafted_form_counts_and_is_checked(forms_dir):
    (forms_dir / "carry_out" / "hand_out.json").unlink()
    good = {"title": {"zh_CN": "发放", "en": "Hand out"}, "fields": [{"name": "ok", "type": "boolean"}]}
    assert problems_of(CARRY_OUT, drafted_forms={"hand_out": good}) == set()
    bad = {"fields": [{"name": "Bad Name", "type": "colour"}, {"name": "d", "type": "decision", "choices": ["maybe"]}]}
    found = bpmn_validation.validate(CARRY_OUT, "carry_out", {"hand_out": bad})
    details = [p.params["detail"] for p in found if p.code == "bpmn_form_invalid" and p.element_id == "hand_out"]
    assert len(details) == 3, details


def test_condition_must_compile():
    xml = changed('<bpmn:conditionExpression>decision == "approve"</bpmn:conditionExpression>',
                  '<bpmn:conditionExpression>decision == = "approve"</bpmn:conditionExpression>')
    assert ("bpmn_condition_syntax", "flow_section_head_approve") in problems_of(xml)


def test_script_must_compile():
    xml = (PROCESSES / "access_change.bpmn").read_text(encoding="utf-8")
    start = xml.index("<bpmn:script>", xml.index('id="collect_system_result"'))
    xml = xml[:start] + "<bpmn:script>if x\n  y = </bpmn:script>" + xml[xml.index("</bpmn:script>", start) + 14:]
    assert ("bpmn_script_syntax", "collect_system_result") in problems_of(xml, "access_change")


def test_exclusive_gateway_needs_default_or_conditions():
    xml = changed('name="审核结果" default="flow_section_head_reject"', 'name="审核结果"')
    found = problems_of(xml)
    assert ("bpmn_gateway_no_default", "gw_section_head") in found
    assert ("bpmn_flow_no_condition", "flow_section_head_reject") in found


def test_article_ids_must_exist():
    xml = changed('<spiffworkflow:property name="articles" value="MED.3" />',
                  '<spiffworkflow:property name="articles" value="MED.3, MED.99" />')
    assert ("bpmn_article_unknown", "section_head_review") in problems_of(xml)


def test_due_escalation_and_role_are_checked():
    xml = changed('<spiffworkflow:property name="due" value="P2D" />',
                  '<spiffworkflow:property name="due" value="two days" />'
                  '<spiffworkflow:property name="escalation_role" value="janitor" />')
    found = problems_of(xml)
    assert ("bpmn_duration_invalid", "section_head_review") in found
    assert ("bpmn_role_unknown", "section_head_review") in found


def test_unquoted_timer_duration_is_caught():
    xml = changed('<bpmn:timeDate xsi:type="bpmn:tFormalExpression" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">return_due_at</bpmn:timeDate>',
                  '<bpmn:timeDuration>PT1H</bpmn:timeDuration>')
    assert ("bpmn_timer_unquoted", "return_overdue") in problems_of(xml)
    quoted = xml.replace("<bpmn:timeDuration>PT1H</bpmn:timeDuration>", '<bpmn:timeDuration>"PT1H"</bpmn:timeDuration>')
    assert problems_of(quoted) == set()


def test_unreachable_node_is_named():
    xml = changed("</bpmn:process>", '<bpmn:endEvent id="orphan_end" /></bpmn:process>')
    assert ("bpmn_unreachable", "orphan_end") in problems_of(xml)


def test_unsupported_elements_are_named():
    xml = changed("</bpmn:process>", '<bpmn:manualTask id="paper_step" /><bpmn:callActivity id="call_other" />'
                  '<bpmn:sequenceFlow id="f1" sourceRef="start_apply" targetRef="paper_step" />'
                  '<bpmn:sequenceFlow id="f2" sourceRef="start_apply" targetRef="call_other" /></bpmn:process>')
    found = problems_of(xml)
    assert ("bpmn_unsupported", "paper_step") in found and ("bpmn_unsupported", "call_other") in found


def test_service_task_must_call_a_registered_step():
    xml = changed('id="baomi/record_handover"', 'id="baomi/send_email"')
    assert ("bpmn_no_step", "record_handover") in problems_of(xml)


def test_engine_parse_errors_are_reported():
    xml = changed('sourceRef="hand_out" targetRef="record_handover"', 'sourceRef="hand_out" targetRef="nowhere"')
    codes = {code for code, _ in problems_of(xml)}
    assert "bpmn_engine_error" in codes


@pytest.mark.parametrize("data, code", [
    ("<bpmn:definitions", "bpmn_malformed"),
    ('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "bpmn_not_bpmn"),
    (CARRY_OUT.replace('processRef="carry_out"', 'processRef="other"').replace('<bpmn:process id="carry_out"', '<bpmn:process id="other"'),
     "bpmn_wrong_process"),
    ("<x>" + "a" * (2 * 1024 * 1024) + "</x>", "bpmn_too_large"),
])
def test_unreadable_files_are_refused_with_a_clear_reason(data, code):
    assert [p.code for p in bpmn_validation.validate(data, "carry_out")] == [code]


def test_process_id_clash_with_another_procedure():
    found = problems_of(CARRY_OUT, "destruction")
    assert found == {("bpmn_process_clash", "carry_out")}


@pytest.mark.parametrize("entity", ['<!ENTITY e SYSTEM "file:///etc/passwd">', '<!ENTITY e "boom">'])
def test_doctype_and_entities_are_refused(entity):
    evil = (f'<?xml version="1.0"?><!DOCTYPE d [{entity}]>'
            '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
            '<bpmn:process id="carry_out" isExecutable="true"><bpmn:startEvent id="s" name="&e;"/></bpmn:process>'
            '</bpmn:definitions>')
    assert [p.code for p in bpmn_validation.validate(evil, "carry_out")] in (["bpmn_doctype"], ["bpmn_malformed"])


def test_problems_speak_both_languages():
    xml = changed('<bpmn:lane id="lane_leader" name="leader">', '<bpmn:lane id="lane_leader" name="boss">')
    problem = next(p for p in bpmn_validation.validate(xml, "carry_out") if p.code == "bpmn_lane_not_role")
    assert "boss" in problem.to_json("en")["message"] and "泳道" in problem.to_json("zh_CN")["message"]
    json.dumps(problem.to_json("zh_CN"))
