"""Issue 5: the system administrator moves a running case to a newer version of its process after a preview;
where SpiffWorkflow or Baomi's rules cannot carry the case over, the preview and the refusal say why."""
import json
import re

import pytest
from sqlalchemy import select

from models import AuditEvent, ProcessInstance, User
from services import case_migration, definitions, forms
from services.errors import Conflict
from tests.carry_out_helpers import APPLICANT, APPROVE, LEADER, SECTION_HEAD, complete, open_task, start

ADMIN = "admin"
SECURITY_OFFICE = "chenjing"
CARRY_OUT = (definitions.PROCESSES_DIR / "carry_out.bpmn").read_text(encoding="utf-8")
PRECHECK_FORM = {"title": {"zh_CN": "保密办预审", "en": "Pre-check by the security office"}, "kind": "approval",
                 "fields": [{"name": "decision", "type": "decision", "choices": ["approve", "reject"],
                             "label": {"zh_CN": "审核意见", "en": "Decision"}},
                            {"name": "comment", "type": "text", "label": {"zh_CN": "说明", "en": "Comment"}}]}


def with_precheck(xml: str = CARRY_OUT) -> str:
    """v2: the security office pre-checks between the section head's approval and the leader's."""
    xml = xml.replace('sourceRef="gw_section_head" targetRef="leader_approval"',
                      'sourceRef="gw_section_head" targetRef="security_precheck"')
    xml = xml.replace("<bpmn:incoming>flow_section_head_approve</bpmn:incoming>",
                      "<bpmn:incoming>flow_precheck_done</bpmn:incoming>")
    xml = xml.replace("<bpmn:flowNodeRef>hand_out</bpmn:flowNodeRef>",
                      "<bpmn:flowNodeRef>security_precheck</bpmn:flowNodeRef>\n"
                      "        <bpmn:flowNodeRef>hand_out</bpmn:flowNodeRef>")
    task = ('<bpmn:userTask id="security_precheck" name="保密办预审">'
            '<bpmn:incoming>flow_section_head_approve</bpmn:incoming>'
            '<bpmn:outgoing>flow_precheck_done</bpmn:outgoing></bpmn:userTask>\n'
            '    <bpmn:sequenceFlow id="flow_precheck_done" sourceRef="security_precheck" '
            'targetRef="leader_approval" />\n    <bpmn:userTask id="leader_approval"')
    return xml.replace('<bpmn:userTask id="leader_approval"', task, 1)


def without_section_head(xml: str = CARRY_OUT) -> str:
    """v2 without the section head's review: the application goes straight to the leader."""
    xml = re.sub(r'<bpmn:userTask id="section_head_review".*?</bpmn:userTask>', "", xml, flags=re.S)
    xml = re.sub(r'<bpmn:exclusiveGateway id="gw_section_head".*?</bpmn:exclusiveGateway>', "", xml, flags=re.S)
    xml = re.sub(r'<bpmn:sequenceFlow id="flow_section_head_\w+"[^>]*?(/>|>.*?</bpmn:sequenceFlow>)', "", xml,
                 flags=re.S)
    xml = xml.replace("<bpmn:flowNodeRef>section_head_review</bpmn:flowNodeRef>", "")
    xml = xml.replace("<bpmn:flowNodeRef>gw_section_head</bpmn:flowNodeRef>", "")
    return xml.replace('targetRef="section_head_review"', 'targetRef="leader_approval"')


def publish(db, xml: str, extra_forms: dict | None = None) -> int:
    version_forms = forms.raw_of_version(db, definitions.latest_definition(db, "carry_out").id)
    version_forms.update(extra_forms or {})
    definition, created = definitions.publish(db, "carry_out", xml, version_forms)
    db.commit()
    assert created
    return definition.id


def started_case(api, db) -> int:
    response = start(api(APPLICANT), db)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["instance"]["id"]


def url(case_id: int) -> str:
    return f"/api/v1/admin/cases/{case_id}/migration"


def test_a_step_added_after_the_open_one_is_previewed_then_the_case_runs_it(api, db):
    case_id = started_case(api, db)
    v2 = publish(db, with_precheck(), {"security_precheck": PRECHECK_FORM})
    admin = api(ADMIN)
    preview = admin.get(f"{url(case_id)}?definition_id={v2}")
    assert preview.status_code == 200, preview.get_json()
    body = preview.get_json()
    assert body["possible"] and body["refusal"] is None
    assert (body["from_version"], body["to_version"]) == (1, 2)
    assert [s["bpmn_id"] for s in body["added"]] == ["security_precheck"]
    assert body["removed"] == []
    assert "gw_section_head" in [s["bpmn_id"] for s in body["changed"]]  # its outgoing flow leads elsewhere
    assert [s["bpmn_id"] for s in body["waits_in_after"]] == ["section_head_review"]

    done = admin.post(url(case_id), json={"definition_id": v2, "preview_digest": body["digest"]})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["to_version"] == 2
    db.expire_all()
    instance = db.get(ProcessInstance, case_id)
    assert instance.definition_id == v2
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "case_migrated"))
    details = json.loads(event.details)
    assert (details["from_version"], details["to_version"], details["added"]) == (1, 2, ["security_precheck"])

    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    # v2's new step, with v2's form, before the leader's approval
    precheck = open_task(api(SECURITY_OFFICE), "security_precheck")
    assert precheck["instance_id"] == case_id
    complete(api(SECURITY_OFFICE), "security_precheck", {"decision": "approve", "comment": "已核"}, task=precheck)
    assert open_task(api(LEADER), "leader_approval")["instance_id"] == case_id


def test_a_version_removing_the_open_step_is_refused_with_its_reason_and_nothing_changes(api, db):
    case_id = started_case(api, db)
    v2 = publish(db, without_section_head())
    state_before = db.get(ProcessInstance, case_id).workflow_state
    admin = api(ADMIN)
    body = admin.get(f"{url(case_id)}?definition_id={v2}").get_json()
    assert not body["possible"] and body["refusal"] == "migration_open_task_removed"
    assert "section_head_review" in [s["bpmn_id"] for s in body["removed"]]
    assert {"bpmn_id": "section_head_review", "state": "open", "change": "removed"}.items() \
        <= next(t for t in body["affected"] if t["bpmn_id"] == "section_head_review").items()
    refused = admin.post(url(case_id), json={"definition_id": v2, "preview_digest": body["digest"]})
    assert refused.status_code == 422
    assert refused.get_json()["code"] == "migration_open_task_removed"
    assert "科室负责人审核" in refused.get_json()["error"]
    db.expire_all()
    instance = db.get(ProcessInstance, case_id)
    assert instance.definition.version == 1 and instance.workflow_state == state_before
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "case_migrated")) is None
    assert open_task(api(SECTION_HEAD), "section_head_review")["instance_id"] == case_id


def test_an_older_version_or_another_process_is_refused(api, db):
    case_id = started_case(api, db)
    v1 = db.get(ProcessInstance, case_id).definition_id
    other = definitions.latest_definition(db, "scrapping").id
    admin = api(ADMIN)
    assert admin.get(f"{url(case_id)}?definition_id={v1}").get_json()["refusal"] == "migration_not_newer"
    refused = admin.post(url(case_id), json={"definition_id": other})
    assert refused.status_code == 422 and refused.get_json()["code"] == "migration_other_process"


def test_only_the_system_administrator_may_preview_or_migrate(api, db):
    case_id = started_case(api, db)
    v2 = publish(db, with_precheck(), {"security_precheck": PRECHECK_FORM})
    for user in (SECTION_HEAD, "hanmei", "chenjing"):
        assert api(user).get(f"{url(case_id)}?definition_id={v2}").status_code == 403
        assert api(user).post(url(case_id), json={"definition_id": v2}).status_code == 403
    db.expire_all()
    assert db.get(ProcessInstance, case_id).definition_id != v2


def test_a_step_taken_after_the_preview_makes_the_migration_a_conflict(api, db):
    case_id = started_case(api, db)
    v2 = publish(db, with_precheck(), {"security_precheck": PRECHECK_FORM})
    admin = api(ADMIN)
    digest = admin.get(f"{url(case_id)}?definition_id={v2}").get_json()["digest"]
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)  # the case moves on meanwhile
    stale = admin.post(url(case_id), json={"definition_id": v2, "preview_digest": digest})
    assert stale.status_code == 409 and stale.get_json()["code"] == "migration_preview_stale"
    db.expire_all()
    assert db.get(ProcessInstance, case_id).definition.version == 1


def test_a_concurrent_step_while_migrating_is_a_conflict(api, db, sessions):
    case_id = started_case(api, db)
    v2 = publish(db, with_precheck(), {"security_precheck": PRECHECK_FORM})
    with sessions() as migrating:
        # The migration reads the case (held, as within one request), then another request commits a step.
        held = migrating.get(ProcessInstance, case_id)
        actor = migrating.scalar(select(User).where(User.username == ADMIN))
        complete(api(SECTION_HEAD), "section_head_review", APPROVE)
        with pytest.raises(Conflict) as refused:
            case_migration.migrate(migrating, case_id, v2, actor)
        assert refused.value.code == "case_changed"
        migrating.rollback()
        del held
    db.expire_all()
    assert db.get(ProcessInstance, case_id).definition.version == 1
    assert open_task(api(LEADER), "leader_approval")["instance_id"] == case_id  # the step stands


def test_the_admin_pages_preview_and_migrate_with_csrf(as_user, api, db):
    case_id = started_case(api, db)
    v2 = publish(db, with_precheck(), {"security_precheck": PRECHECK_FORM})
    client = as_user(ADMIN)
    assert f"/admin/cases/{case_id}/migration" in client.get(f"/admin/cases/{case_id}").get_data(as_text=True)
    page = client.get(f"/admin/cases/{case_id}/migration").get_data(as_text=True)
    assert 'id="migration-possible"' in page and 'data-added="security_precheck"' in page
    digest = re.search(r'name="preview_digest" value="([^"]+)"', page).group(1)
    no_token = client.post(f"/admin/cases/{case_id}/migration", data={"definition_id": v2, "preview_digest": digest})
    assert no_token.status_code == 400
    moved = client.post(f"/admin/cases/{case_id}/migration",
                        data={"definition_id": v2, "preview_digest": digest, "csrf_token": client.csrf})
    assert moved.status_code == 302 and moved.headers["Location"].endswith(f"/admin/cases/{case_id}")
    db.expire_all()
    assert db.get(ProcessInstance, case_id).definition_id == v2


def test_the_preview_page_names_the_reason_of_a_refusal(as_user, api, db):
    case_id = started_case(api, db)
    v2 = publish(db, without_section_head())
    page = as_user(ADMIN).get(f"/admin/cases/{case_id}/migration?definition_id={v2}").get_data(as_text=True)
    assert 'data-reason="migration_open_task_removed"' in page and "科室负责人审核" in page
    assert 'id="migrate-form"' not in page


def test_a_start_form_requiring_what_the_case_lacks_is_refused_and_new_task_fields_are_listed(api, db):
    case_id = started_case(api, db)
    latest = forms.raw_of_version(db, definitions.latest_definition(db, "carry_out").id)
    start_v2, review_v2 = latest["start"], latest["section_head_review"]
    review_v2["fields"].append({"name": "risk_note", "type": "text", "required": True,
                                "label": {"zh_CN": "风险说明", "en": "Risk noted"}})
    v2 = publish(db, with_precheck(), {"security_precheck": PRECHECK_FORM, "section_head_review": review_v2})
    body = api(ADMIN).get(f"{url(case_id)}?definition_id={v2}").get_json()
    assert body["possible"] and body["new_fields"] == {"section_head_review": ["risk_note"]}

    start_v2["fields"].append({"name": "escort_name", "type": "string", "required": True,
                               "label": {"zh_CN": "陪同人", "en": "Escort"}})
    v3 = publish(db, with_precheck(), {"start": start_v2})
    refused = api(ADMIN).post(url(case_id), json={"definition_id": v3})
    assert refused.status_code == 422 and refused.get_json()["code"] == "migration_data_missing"
    assert "escort_name" in refused.get_json()["error"]
