"""The process designer through the API: drafts, publishing with validation, versions that never change,
rollback, diff, import (Camunda Modeler included) and export, and every bad input refused with nothing
replaced. Running cases keep their version; new cases take the latest."""
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import AuditEvent, ProcessDefinition, ProcessInstance, User
from services import forms
from tests.carry_out_helpers import (APPLICANT, APPROVE, LEADER, SECTION_HEAD, SECURITY_OFFICE, hand_out_body,
                                     open_task, return_body, start)

DESIGNER = "hanmei"
PROCESSES = Path(__file__).resolve().parent.parent / "processes"
CARRY_OUT = (PROCESSES / "carry_out.bpmn").read_text(encoding="utf-8")
API = "/api/v1/designer/processes/carry_out"
DOUBLE_CHECK_FORM = {
    "title": {"zh_CN": "发放复核", "en": "Double-check the hand-out"}, "kind": "work",
    "fields": [{"name": "double_checked", "type": "boolean", "required": True, "must_be_true": True,
                "label": {"zh_CN": "已复核", "en": "Checked twice"}}],
}


def forms_of(db, number: int, process_id: str = "carry_out") -> dict:
    """{form name: JSON} as published with version `number`."""
    db.expire_all()
    definition = db.scalar(select(ProcessDefinition).where(ProcessDefinition.process_id == process_id,
                                                           ProcessDefinition.version == number))
    return forms.raw_of_version(db, definition.id)


def with_double_check(xml: str = CARRY_OUT) -> str:
    """carry_out with a security-office user task `double_check` between hand_out and record_handover."""
    replacements = [
        ("<bpmn:flowNodeRef>hand_out</bpmn:flowNodeRef>",
         "<bpmn:flowNodeRef>hand_out</bpmn:flowNodeRef><bpmn:flowNodeRef>double_check</bpmn:flowNodeRef>"),
        ('<bpmn:sequenceFlow id="flow_to_record_handover" sourceRef="hand_out" targetRef="record_handover" />',
         '<bpmn:sequenceFlow id="flow_to_record_handover" sourceRef="hand_out" targetRef="double_check" />'
         '<bpmn:sequenceFlow id="flow_double_checked" sourceRef="double_check" targetRef="record_handover" />'),
        ("<bpmn:incoming>flow_to_record_handover</bpmn:incoming>",
         "<bpmn:incoming>flow_double_checked</bpmn:incoming>"),
        ('<bpmn:serviceTask id="record_handover"',
         '<bpmn:userTask id="double_check" name="发放复核"><bpmn:incoming>flow_to_record_handover</bpmn:incoming>'
         '<bpmn:outgoing>flow_double_checked</bpmn:outgoing></bpmn:userTask><bpmn:serviceTask id="record_handover"'),
    ]
    for old, new in replacements:
        assert xml.count(old) == 1, old
        xml = xml.replace(old, new)
    return xml


def versions(db, process_id="carry_out") -> list[int]:
    db.expire_all()
    return list(db.scalars(select(ProcessDefinition.version).where(ProcessDefinition.process_id == process_id)
                           .order_by(ProcessDefinition.version)))


def complete(client, bpmn_id, body):
    task = open_task(client, bpmn_id)
    response = client.post(f"/api/v1/tasks/{task['id']}/complete", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_only_designers_come_in(api, as_user):
    assert api(SECTION_HEAD).get(f"{API}/source").status_code == 403
    assert api(DESIGNER).get(f"{API}/source").status_code == 200
    assert as_user("admin").get("/designer").status_code == 403
    page = as_user(DESIGNER).get("/designer")
    assert page.status_code == 200 and "carry_out" in page.get_data(as_text=True)
    assert api(SECTION_HEAD).post(f"{API}/publish", json={"bpmn_xml": with_double_check()}).status_code == 403
    assert api().get(f"{API}/source").status_code in (401, 302)


def test_new_version_runs_new_cases_while_old_cases_finish_on_theirs(api, db):
    old_case = start(api(APPLICANT), db, "BM-LT-001").get_json()["instance"]["id"]
    designer = api(DESIGNER)
    published = designer.post(f"{API}/publish", json={"bpmn_xml": with_double_check(),
                                                       "forms": {"double_check": DOUBLE_CHECK_FORM}})
    assert published.status_code == 201, published.get_json()
    assert published.get_json()["version"] == 2 and versions(db) == [1, 2]

    new_case = start(api(APPLICANT), db, "BM-U-001").get_json()["instance"]["id"]
    db.expire_all()
    assert db.get(ProcessInstance, old_case).definition.version == 1
    assert db.get(ProcessInstance, new_case).definition.version == 2

    office = api(SECURITY_OFFICE)
    for case in (old_case, new_case):  # both through both approvals and the hand-out
        complete(api(SECTION_HEAD), "section_head_review", APPROVE)
        complete(api(LEADER), "leader_approval", APPROVE)
    complete(office, "hand_out", hand_out_body())
    complete(office, "hand_out", hand_out_body())
    # Only the new case stops at the new task; the old one went straight on to the return check-in.
    check = open_task(office, "double_check")
    assert check["instance_id"] == new_case
    complete(office, "double_check", {"double_checked": True})
    for _ in (old_case, new_case):
        complete(office, "return_check_in", return_body())
    db.expire_all()
    assert {db.get(ProcessInstance, c).status for c in (old_case, new_case)} == {"completed"}

    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "definition_published"))
    details = json.loads(event.details)
    assert event.actor_id == db.scalar(select(User.id).where(User.username == DESIGNER))
    assert details["version"] == 2 and details["forms"] == ["double_check"] and event.at is not None


def test_overview_counts_running_cases_per_version(api, db):
    start(api(APPLICANT), db, "BM-LT-001")
    overview = api(DESIGNER).get("/designer")
    html = overview.get_data(as_text=True)
    assert 'data-version="1" data-running="1"' in html
    assert html.count('data-running="0"') >= 8  # the other processes have no cases


def test_refused_publish_pins_problems_and_stores_nothing(api, db):
    xml = with_double_check()  # no form for double_check
    response = api(DESIGNER).post(f"{API}/publish", json={"bpmn_xml": xml})
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "bpmn_refused"
    assert {"code": "bpmn_no_form", "element_id": "double_check"} in [
        {k: p[k] for k in ("code", "element_id")} for p in body["problems"]]
    assert versions(db) == [1]
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "definition_published")) == 0


@pytest.mark.parametrize("xml, code", [
    ("<bpmn:definitions><oops", "bpmn_malformed"),
    ('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "bpmn_not_bpmn"),
    ((PROCESSES / "destruction.bpmn").read_text(encoding="utf-8"), "bpmn_process_clash"),
    (CARRY_OUT.replace('id="carry_out"', 'id="carry_out_2"').replace('processRef="carry_out"', 'processRef="carry_out_2"'),
     "bpmn_wrong_process"),
    (CARRY_OUT.replace("</bpmn:process>", '<bpmn:complexGateway id="odd_gateway" />'
                       '<bpmn:sequenceFlow id="to_odd" sourceRef="start_apply" targetRef="odd_gateway" /></bpmn:process>'),
     "bpmn_unsupported"),
])
def test_bad_input_is_refused_and_replaces_nothing(api, db, xml, code):
    designer = api(DESIGNER)
    assert designer.post(f"{API}/draft", json={"bpmn_xml": with_double_check()}).status_code == 200
    for action in ("publish", "import"):
        if action == "import":
            response = designer.post(f"{API}/import", data=xml.encode("utf-8"),
                                     headers={"Content-Type": "application/octet-stream"})
        else:
            response = designer.post(f"{API}/publish", json={"bpmn_xml": xml})
        # A readable file with problems may be imported as a draft (to be fixed); it is never published.
        # A file holding one process of another name is imported as this process, and says so.
        adopted = action == "import" and code == "bpmn_wrong_process"
        readable = action == "import" and code == "bpmn_unsupported" or adopted
        assert response.status_code == (200 if readable else 422), (action, response.get_json())
        problems = response.get_json()["problems"]
        if adopted:
            assert {"element_id": "carry_out", "mapped": True, "what": "process carry_out_2 → carry_out"} \
                in response.get_json()["notes"]
            continue
        assert code in [p["code"] for p in problems], problems
        if code == "bpmn_unsupported":
            assert "odd_gateway" in [p["element_id"] for p in problems if p["code"] == code]
    assert versions(db) == [1]
    if code not in ("bpmn_unsupported", "bpmn_wrong_process"):  # a readable file may become the draft, no other
        assert "double_check" in designer.get(f"{API}/source").get_json()["bpmn_xml"]


def test_file_over_2_mb_is_refused(api, db):
    big = CARRY_OUT.replace("</bpmn:process>", "<!--" + "x" * (2 * 1024 * 1024) + "--></bpmn:process>")
    response = api(DESIGNER).post(f"{API}/publish", json={"bpmn_xml": big})
    assert response.status_code == 413 and response.get_json()["code"] == "bpmn_too_large"
    assert versions(db) == [1]


def test_draft_is_kept_until_published(api, db):
    designer = api(DESIGNER)
    saved = designer.post(f"{API}/draft", json={"bpmn_xml": with_double_check(), "forms": {}})
    assert saved.status_code == 200
    assert "bpmn_no_form" in [p["code"] for p in saved.get_json()["problems"]]
    source = designer.get(f"{API}/source").get_json()
    assert source["is_draft"] and "double_check" in source["bpmn_xml"] and versions(db) == [1]
    designer.post(f"{API}/draft", json={"bpmn_xml": with_double_check(), "forms": {"double_check": DOUBLE_CHECK_FORM}})
    assert designer.get(f"{API}/forms/double_check").get_json()["form"] == DOUBLE_CHECK_FORM
    assert designer.get(f"{API}/forms/hand_out").get_json()["form"]["kind"] == "work"
    published = designer.post(f"{API}/publish", json={"bpmn_xml": with_double_check(),
                                                      "forms": {"double_check": DOUBLE_CHECK_FORM}})
    assert published.status_code == 201
    assert designer.get(f"{API}/source").get_json() == {"bpmn_xml": with_double_check(), "forms": {},
                                                         "is_draft": False, "version": 2}


def test_rollback_publishes_an_old_version_again_and_diff_names_the_changes(api, db):
    designer = api(DESIGNER)
    assert designer.post(f"{API}/publish", json={"bpmn_xml": with_double_check(),
                                                 "forms": {"double_check": DOUBLE_CHECK_FORM}}).status_code == 201
    assert forms_of(db, 2)["double_check"] == DOUBLE_CHECK_FORM
    assert "double_check" not in forms_of(db, 1) and not forms.file_exists("carry_out", "double_check")
    diff = designer.get(f"{API}/diff?from=1&to=2").get_json()
    assert {e["id"] for e in diff["added"]} == {"double_check", "flow_double_checked"}
    assert diff["removed"] == []
    changed = {e["id"]: e["what"] for e in diff["changed"]}
    assert "attrs" in changed["flow_to_record_handover"] and "incoming" in changed["record_handover"]
    assert "lane_security_office" in changed

    rolled = designer.post(f"{API}/versions/1/republish")
    assert rolled.status_code == 201 and rolled.get_json()["version"] == 3
    db.expire_all()
    v1, v3 = (db.scalar(select(ProcessDefinition).where(ProcessDefinition.process_id == "carry_out",
                                                       ProcessDefinition.version == n)) for n in (1, 3))
    assert v1.content_hash == v3.content_hash and v1.bpmn_xml == v3.bpmn_xml
    assert forms_of(db, 3) == forms_of(db, 1)  # the old version's forms come back with it
    assert designer.get(f"{API}/diff?from=1&to=3").get_json() == {"added": [], "removed": [], "changed": []}
    rollback = db.scalars(select(AuditEvent).where(AuditEvent.action == "definition_published")
                          .order_by(AuditEvent.id)).all()[-1]
    assert json.loads(rollback.details)["rollback_of"] == 1
    case = start(api(APPLICANT), db, "BM-LT-001").get_json()["instance"]["id"]
    db.expire_all()
    assert db.get(ProcessInstance, case).definition.version == 3


def test_published_version_is_exported_unchanged(api):
    response = api(DESIGNER).get(f"{API}/versions/1/bpmn")
    assert response.status_code == 200 and response.get_data(as_text=True) == CARRY_OUT
    assert "carry_out_v1.bpmn" in response.headers["Content-Disposition"]
    assert api(DESIGNER).get(f"{API}/versions/9/bpmn").status_code == 404


def test_restart_does_not_roll_back_a_designers_version(api, db, sessions):
    from services import definitions
    api(DESIGNER).post(f"{API}/publish", json={"bpmn_xml": with_double_check(),
                                               "forms": {"double_check": DOUBLE_CHECK_FORM}})
    definitions.publish_directory(sessions)
    assert versions(db) == [1, 2]


CAMUNDA = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="carry_out" isExecutable="true">
    <bpmn:startEvent id="start_apply"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="section_head_review" camunda:candidateGroups="section_head" camunda:formKey="review">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="leader_approval" camunda:candidateGroups="leader,security_committee">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:serviceTask id="notify" camunda:class="org.example.Notify"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:endEvent id="done"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:boundaryEvent id="late" attachedToRef="leader_approval" cancelActivity="false">
      <bpmn:timerEventDefinition><bpmn:timeDuration>P2D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start_apply" targetRef="section_head_review" />
    <bpmn:sequenceFlow id="f2" sourceRef="section_head_review" targetRef="leader_approval" />
    <bpmn:sequenceFlow id="f3" sourceRef="leader_approval" targetRef="notify" />
    <bpmn:sequenceFlow id="f4" sourceRef="notify" targetRef="done" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_camunda_import_maps_candidate_groups_and_names_what_it_cannot(api, db):
    response = api(DESIGNER).post(f"{API}/import", data={"file": (__import__("io").BytesIO(CAMUNDA.encode()), "c.bpmn")},
                                  content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    notes = {(n["element_id"], n["mapped"]): n["what"] for n in body["notes"]}
    assert "lane section_head" in notes[("section_head_review", True)]
    assert "formKey" in notes[("section_head_review", False)]
    assert "exactly one lane" in notes[("leader_approval", False)]
    assert "camunda" not in notes.get(("notify", True), "") and "class=org.example.Notify" in notes[("notify", False)]
    assert '"P2D"' in body["bpmn_xml"]
    codes = {(p["code"], p["element_id"]) for p in body["problems"]}
    assert ("bpmn_user_task_no_lane", "leader_approval") in codes  # not mapped, so validation says so
    assert ("bpmn_no_step", "notify") in codes
    assert not any(c == "bpmn_lane_not_role" and e == "section_head_review" for c, e in codes)
    assert api(DESIGNER).get(f"{API}/source").get_json()["is_draft"] and versions(db) == [1]


def test_bpmn_io_demo_diagram_is_refused_with_named_reasons(api):
    demo = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn2:definitions xmlns:bpmn2="http://www.omg.org/spec/BPMN/20100524/MODEL" id="sample" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn2:process id="carry_out" isExecutable="false">
    <bpmn2:startEvent id="StartEvent_1"><bpmn2:outgoing>Flow_1</bpmn2:outgoing></bpmn2:startEvent>
    <bpmn2:task id="Activity_1"><bpmn2:incoming>Flow_1</bpmn2:incoming></bpmn2:task>
    <bpmn2:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Activity_1" />
  </bpmn2:process>
</bpmn2:definitions>"""
    response = api(DESIGNER).post(f"{API}/publish", json={"bpmn_xml": demo})
    assert response.status_code == 422
    assert [p["code"] for p in response.get_json()["problems"]] == ["bpmn_not_executable"]


def test_form_for_no_task_is_refused_and_stored_nowhere(api, db):
    response = api(DESIGNER).post(f"{API}/publish", json={"bpmn_xml": CARRY_OUT,
                                                          "forms": {"../../escape": DOUBLE_CHECK_FORM}})
    assert response.status_code == 422
    assert [p["code"] for p in response.get_json()["problems"]] == ["bpmn_form_without_task"]
    assert versions(db) == [1] and "../../escape" not in forms_of(db, 1)
    assert not list(forms.FORMS_DIR.rglob("escape.json"))


def test_unknown_process_is_not_found(as_user, api):
    assert as_user(DESIGNER).get("/designer/no_such_process").status_code == 404
    assert api(DESIGNER).post("/api/v1/designer/processes/no_such_process/publish",
                              json={"bpmn_xml": CARRY_OUT}).status_code == 404
