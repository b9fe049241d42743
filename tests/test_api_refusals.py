"""Every endpoint's refusals: 401 anonymous, 403 not yours, 404 unknown or out of reach, 409, 422, 400."""
from datetime import datetime

from sqlalchemy import select

from models import HumanTask
from tests.carry_out_helpers import APPLICANT, LEADER, SECTION_HEAD, SECURITY_OFFICE, open_task, start


def _first_task(db, instance_id):
    return db.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id))


def test_anonymous_gets_401_json_everywhere(api):
    anon = api()
    for path in ("/api/v1/me", "/api/v1/tasks", "/api/v1/instances/1", "/api/v1/tasks/1",
                 "/api/v1/processes", "/api/v1/processes/carry_out/eligible-assets"):
        response = anon.get(path)
        assert response.status_code == 401, path
        assert response.get_json()["code"] == "not_signed_in"


def test_wrong_password_is_401_and_says_so_in_chinese(api):
    response = api().post("/api/v1/session", json={"username": "zhangwei", "password": "wrong"})
    assert response.status_code == 401
    assert response.get_json()["error"] == "用户名或密码错误。"


def test_sign_in_payload_is_validated(api):
    response = api().post("/api/v1/session", json={"username": "zhangwei", "extra": 1})
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"password", "extra"}


def test_write_without_csrf_token_is_refused(api, db):
    client = api(APPLICANT)
    client.token = None
    response = client.post("/api/v1/processes/carry_out/instances", json={})
    assert response.status_code == 400 and response.get_json()["code"] == "csrf"


def test_body_that_is_not_a_json_object_is_400(api):
    client = api(APPLICANT)
    response = client.post("/api/v1/processes/carry_out/instances", data="[1,2", headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and response.get_json()["code"] == "bad_request"


def test_unknown_process_is_404(api):
    response = api(APPLICANT).post("/api/v1/processes/no_such/instances", json={})
    assert response.status_code == 404 and response.get_json()["code"] == "process_not_found"


def test_applicant_cannot_approve_own_case(api, db):
    from models import RoleAssignment, User
    # The applicant is also made a section head: still not for their own case.
    user = db.scalar(select(User).where(User.username == APPLICANT))
    db.add(RoleAssignment(user_id=user.id, role="section_head", section_id=user.section_id))
    db.commit()
    applicant = api(APPLICANT)
    instance_id = start(applicant, db).get_json()["instance"]["id"]
    task_id = _first_task(db, instance_id)
    assert applicant.get("/api/v1/tasks?scope=group").get_json()["tasks"] == []
    response = applicant.post(f"/api/v1/tasks/{task_id}/complete", json={"decision": "approve"})
    assert response.status_code == 403 and response.get_json()["code"] == "own_case"


def test_other_sections_head_is_not_a_candidate(api, db):
    instance_id = start(api(APPLICANT), db).get_json()["instance"]["id"]
    task_id = _first_task(db, instance_id)
    other_head = api("zhaolei")  # head of the Secretariat, not of General Affairs
    assert other_head.get("/api/v1/tasks?scope=group").get_json()["tasks"] == []
    assert other_head.post(f"/api/v1/tasks/{task_id}/claim").status_code == 404  # cannot even see it
    assert other_head.get(f"/api/v1/instances/{instance_id}").status_code == 404


def test_one_person_cannot_fill_two_approval_steps(api, db):
    from models import RoleAssignment, User
    head = db.scalar(select(User).where(User.username == SECTION_HEAD))
    db.add(RoleAssignment(user_id=head.id, role="leader", section_id=None))
    db.commit()
    instance_id = start(api(APPLICANT), db).get_json()["instance"]["id"]
    head_client = api(SECTION_HEAD)
    first = _first_task(db, instance_id)
    assert head_client.post(f"/api/v1/tasks/{first}/complete", json={"decision": "approve"}).status_code == 200
    leader_task = db.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                       HumanTask.bpmn_id == "leader_approval"))
    assert head_client.get("/api/v1/tasks?scope=group").get_json()["tasks"] == []
    response = head_client.post(f"/api/v1/tasks/{leader_task}/complete", json={"decision": "approve"})
    assert response.status_code == 403 and response.get_json()["code"] == "second_approval"
    assert api(LEADER).post(f"/api/v1/tasks/{leader_task}/complete", json={"decision": "approve"}).status_code == 200


def test_claimed_task_is_not_for_others_and_can_be_given_back(api, db):
    from models import RoleAssignment, User
    qianyu = db.scalar(select(User).where(User.username == "qianyu"))
    db.add(RoleAssignment(user_id=qianyu.id, role="section_head", section_id=qianyu.section_id))
    db.commit()
    instance_id = start(api(APPLICANT), db).get_json()["instance"]["id"]
    task_id = _first_task(db, instance_id)
    head, deputy = api(SECTION_HEAD), api("qianyu")
    assert head.post(f"/api/v1/tasks/{task_id}/claim").status_code == 200
    assert [t["id"] for t in head.get("/api/v1/tasks?scope=mine").get_json()["tasks"]] == [task_id]
    assert deputy.get("/api/v1/tasks?scope=group").get_json()["tasks"] == []
    refused = deputy.post(f"/api/v1/tasks/{task_id}/complete", json={"decision": "approve"})
    assert refused.status_code == 409 and refused.get_json()["code"] == "claimed_by_other"
    assert deputy.post(f"/api/v1/tasks/{task_id}/unclaim").status_code == 403
    assert head.post(f"/api/v1/tasks/{task_id}/unclaim").status_code == 200
    assert [t["id"] for t in deputy.get("/api/v1/tasks?scope=group").get_json()["tasks"]] == [task_id]


def test_invalid_decision_is_422_per_field_in_english_when_asked(api, db):
    instance_id = start(api(APPLICANT), db).get_json()["instance"]["id"]
    head = api(SECTION_HEAD)
    head.post("/language", data={"locale": "en", "csrf_token": head.token})
    response = head.post(f"/api/v1/tasks/{_first_task(db, instance_id)}/complete", json={"decision": "maybe"})
    assert response.status_code == 422
    assert response.get_json()["fields"]["decision"] == ["Choose one of the options."]


def test_unknown_task_is_404(api):
    assert api(SECTION_HEAD).post("/api/v1/tasks/999999/complete", json={"decision": "approve"}).status_code == 404


def test_security_office_sees_every_case_but_employees_only_their_own(api, db):
    instance_id = start(api(APPLICANT), db).get_json()["instance"]["id"]
    assert api(SECURITY_OFFICE).get(f"/api/v1/instances/{instance_id}").status_code == 200
    assert api("wangfang").get(f"/api/v1/instances/{instance_id}").status_code == 404


def test_a_candidate_who_loses_the_race_hears_409_and_an_outsider_404(api, db):
    """Two maintainers see the preparation task; the one who comes second learns it is closed, while
    someone who never could act on it learns nothing (404)."""
    from models import RoleAssignment, User
    from tests.carry_out_helpers import complete
    from tests.repair_scrapping_helpers import MAINTAINER, approved_repair, preparation_body, user_id

    second = db.scalar(select(User).where(User.username == "wangfang"))
    db.add(RoleAssignment(user_id=second.id, role="maintainer", section_id=None))
    db.commit()
    approved_repair(api, db)
    task = open_task(api("wangfang"), "prepare_repair")
    body = preparation_body(db)
    assert user_id(db, MAINTAINER) != second.id
    complete(api(MAINTAINER), "prepare_repair", body)
    late = api("wangfang").post(f"/api/v1/tasks/{task['id']}/complete", json=body)
    assert late.status_code == 409 and late.get_json()["code"] == "task_closed"
    outsider = api("qianyu").post(f"/api/v1/tasks/{task['id']}/complete", json=body)
    assert outsider.status_code == 404


def test_business_keys_are_drawn_again_on_a_clash(api, db, monkeypatch):
    """A clash of the random part must not fail an application (rare, but it happens at scale): the key
    is drawn again."""
    import secrets

    from models import ProcessInstance
    from services import cases

    assert start(api(APPLICANT), db).status_code == 201
    taken = db.scalar(select(ProcessInstance.business_key))
    prefix, day, suffix = taken[:-17], taken[-17:-9], taken[-8:]
    draws = iter([suffix.lower(), "0000000b"])
    monkeypatch.setattr(secrets, "token_hex", lambda n: next(draws))
    key = cases._new_business_key(db, prefix, datetime.strptime(day, "%Y%m%d"))
    assert key == f"{prefix}{day}-0000000B"
