"""Forms are versioned with their process: a case keeps the forms of the version it started on, on every host,
while a new case takes the latest version's; rolling back brings the old forms back, and a restart does not
undo a designer's form change."""
import copy
import json

import pytest
from sqlalchemy import select

from app import create_app
from models import ProcessDefinition, ProcessInstance
from services import definitions, forms
from tests.carry_out_helpers import APPLICANT, APPROVE, SECTION_HEAD, complete, open_task, start
from tests.conftest import PASSWORD, ApiClient

DESIGNER = "hanmei"
API = "/api/v1/designer/processes/carry_out"
CARRY_OUT = (definitions.PROCESSES_DIR / "carry_out.bpmn").read_text(encoding="utf-8")
REVIEW_V1 = json.loads((forms.FORMS_DIR / "carry_out" / "section_head_review.json").read_text(encoding="utf-8"))
# v2 of the section head's review asks for the risk the head sees: the same BPMN, only the form changed.
REVIEW_V2 = copy.deepcopy(REVIEW_V1)
REVIEW_V2["fields"].append({"name": "risk_note", "type": "text", "required": True,
                            "label": {"zh_CN": "风险说明", "en": "Risk noted"}})


def publish_review_v2(api) -> int:
    response = api(DESIGNER).post(f"{API}/publish", json={"bpmn_xml": CARRY_OUT,
                                                          "forms": {"section_head_review": REVIEW_V2}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["version"]


def version_of(db, case_id: int) -> int:
    db.expire_all()
    return db.get(ProcessInstance, case_id).definition.version


def task_page(client, case_id: int) -> str:
    """The section head's task page of `case_id`, as the browser gets it."""
    tasks = client.get("/api/v1/tasks?scope=group").get_json()["tasks"]
    task = next(t for t in tasks if t["instance_id"] == case_id and t["bpmn_id"] == "section_head_review")
    response = client.get(f"/tasks/{task['id']}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def signed_in(app, username: str) -> ApiClient:
    """A client of `app` signed in through the JSON API (its pages answer it too)."""
    client = app.test_client()
    response = client.post("/api/v1/session", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return ApiClient(client, response.get_json()["csrf_token"])


@pytest.fixture
def other_host(database_url):
    """A second app on the same database with cold caches: another worker or host after a publish."""
    other = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test-secret",
                        "BAOMI_SCHEDULER": "off"})
    yield other
    other.extensions["db_engine"].dispose()


def test_a_form_only_change_is_a_new_version(api, db):
    assert publish_review_v2(api) == 2
    db.expire_all()
    v2 = db.scalar(select(ProcessDefinition).where(ProcessDefinition.process_id == "carry_out",
                                                  ProcessDefinition.version == 2))
    v1 = db.scalar(select(ProcessDefinition).where(ProcessDefinition.process_id == "carry_out",
                                                  ProcessDefinition.version == 1))
    assert v1.content_hash == v2.content_hash  # the same diagram ...
    assert forms.raw_of_version(db, v1.id)["section_head_review"] == REVIEW_V1  # ... each with its own form
    assert forms.raw_of_version(db, v2.id)["section_head_review"] == REVIEW_V2
    assert set(forms.raw_of_version(db, v2.id)) == set(forms.raw_of_version(db, v1.id))
    again = api(DESIGNER).post(f"{API}/publish", json={"bpmn_xml": CARRY_OUT,
                                                       "forms": {"section_head_review": REVIEW_V2}})
    assert again.status_code == 200 and again.get_json() == {"version": 2, "created": False}


def test_case_started_on_v1_keeps_v1_form_while_a_new_case_gets_v2(api, db, as_user):
    old_case = start(api(APPLICANT), db, "BM-LT-001").get_json()["instance"]["id"]
    head_page = as_user(SECTION_HEAD)
    assert 'name="risk_note"' not in task_page(head_page, old_case)  # the cache now holds v1's forms
    publish_review_v2(api)
    new_case = start(api(APPLICANT), db, "BM-U-001").get_json()["instance"]["id"]
    assert (version_of(db, old_case), version_of(db, new_case)) == (1, 2)

    assert 'name="risk_note"' not in task_page(head_page, old_case)
    assert 'name="risk_note"' in task_page(head_page, new_case) and "风险说明" in task_page(head_page, new_case)

    head = api(SECTION_HEAD)
    tasks = {t["instance_id"]: t for t in head.get("/api/v1/tasks?scope=group").get_json()["tasks"]}
    refused = complete(head, "section_head_review", dict(APPROVE, risk_note="低"), 422, task=tasks[old_case])
    assert "risk_note" in refused["fields"]  # v1 has no such field
    complete(head, "section_head_review", APPROVE, task=tasks[old_case])
    missing = complete(head, "section_head_review", APPROVE, 422, task=tasks[new_case])
    assert "risk_note" in missing["fields"]  # v2 requires it
    complete(head, "section_head_review", dict(APPROVE, risk_note="低：专人携带"), task=tasks[new_case])
    page = as_user(SECTION_HEAD).get(f"/cases/{new_case}")
    assert page.status_code == 200 and "低：专人携带" in page.get_data(as_text=True)


def test_another_host_with_cold_caches_serves_each_case_its_own_version(api, db, other_host):
    old_case = start(api(APPLICANT), db, "BM-LT-001").get_json()["instance"]["id"]
    publish_review_v2(api)  # published through this app ...
    forms.clear_cache()
    definitions._PARSED.clear()
    head = signed_in(other_host, SECTION_HEAD)  # ... seen through the other, which never saw it happen
    new_case = start(signed_in(other_host, APPLICANT), db, "BM-U-001")
    assert new_case.status_code == 201, new_case.get_json()
    new_case = new_case.get_json()["instance"]["id"]
    assert version_of(db, new_case) == 2
    assert 'name="risk_note"' not in task_page(head, old_case)
    assert 'name="risk_note"' in task_page(head, new_case)


def test_rolling_back_brings_the_old_form_back(api, db, as_user):
    publish_review_v2(api)
    rolled = api(DESIGNER).post(f"{API}/versions/1/republish")
    assert rolled.status_code == 201 and rolled.get_json()["version"] == 3
    case_id = start(api(APPLICANT), db, "BM-LT-001").get_json()["instance"]["id"]
    assert version_of(db, case_id) == 3
    assert 'name="risk_note"' not in task_page(as_user(SECTION_HEAD), case_id)
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)


def test_restart_keeps_a_designers_form_change(api, db, sessions):
    publish_review_v2(api)
    definitions.publish_directory(sessions)  # the repository's files are v1: not news
    db.expire_all()
    assert list(db.scalars(select(ProcessDefinition.version).where(ProcessDefinition.process_id == "carry_out")
                           .order_by(ProcessDefinition.version))) == [1, 2]
    case_id = start(api(APPLICANT), db, "BM-LT-001").get_json()["instance"]["id"]
    assert version_of(db, case_id) == 2


def test_start_form_comes_from_the_latest_version(api, db):
    start_v2 = json.loads((forms.FORMS_DIR / "carry_out" / "start.json").read_text(encoding="utf-8"))
    start_v2["fields"].append({"name": "contact_phone", "type": "string",
                               "label": {"zh_CN": "联系电话", "en": "Contact phone"}})
    before = start(api(APPLICANT), db, "BM-LT-001", contact_phone="1234")
    assert before.status_code == 422 and "contact_phone" in before.get_json()["fields"]
    response = api(DESIGNER).post(f"{API}/publish", json={"bpmn_xml": CARRY_OUT, "forms": {"start": start_v2}})
    assert response.status_code == 201
    after = start(api(APPLICANT), db, "BM-LT-001", contact_phone="1234")
    assert after.status_code == 201, after.get_json()
    assert open_task(api(SECTION_HEAD), "section_head_review")["instance_id"] == after.get_json()["instance"]["id"]
