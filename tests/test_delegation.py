"""Standing delegation (代理): while in force the delegate sees and acts on the delegator's tasks, audited
"X for Y"; separation of duties still binds the delegate; outside the dates, or revoked, nothing."""
from datetime import date, timedelta

from sqlalchemy import select

from models import AuditEvent, User
from tests.carry_out_helpers import APPLICANT, APPROVE, LEADER, SECTION_HEAD, complete, open_task, start

DELEGATE = "zhaolei"  # 赵磊, section head of the Secretariat: no role in General Affairs


def uid(db, username: str) -> int:
    return db.scalar(select(User.id).where(User.username == username))


def delegate(client, db, to: str, starts: date | None = None, ends: date | None = None, status: int = 201):
    starts = starts or date.today()
    response = client.post("/api/v1/delegations", json={"delegate_id": uid(db, to), "starts_on": starts.isoformat(),
                                                         "ends_on": (ends or starts + timedelta(days=7)).isoformat(),
                                                         "reason": "出差"})
    assert response.status_code == status, response.get_json()
    return response.get_json()


def group(client) -> list[dict]:
    return client.get("/api/v1/tasks?scope=group").get_json()["tasks"]


def test_delegate_sees_and_completes_the_group_task_audited_for_the_delegator(api, db, as_user):
    instance_id = start(api(APPLICANT), db).get_json()["instance"]["id"]
    stand_in = api(DELEGATE)
    assert [t for t in group(stand_in) if t["bpmn_id"] == "section_head_review"] == []
    delegate(api(SECTION_HEAD), db, DELEGATE)
    task = open_task(stand_in, "section_head_review")
    complete(stand_in, "section_head_review", APPROVE, task=task)

    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "task_completed",
                                               AuditEvent.task_id == task["id"]))
    assert event.actor_id == uid(db, DELEGATE) and f'"for_user": {uid(db, SECTION_HEAD)}' in event.details
    page = as_user(APPLICANT).get(f"/cases/{instance_id}").get_data(as_text=True)
    assert "赵磊" in page and ("(代 李华)" in page or "(for 李华)" in page)


def test_delegate_sees_tasks_assigned_to_the_delegator(api, db):
    start(api(APPLICANT), db)
    head = api(SECTION_HEAD)
    task = open_task(head, "section_head_review")
    assert head.post(f"/api/v1/tasks/{task['id']}/claim").status_code == 200
    delegate(head, db, DELEGATE)
    mine = api(DELEGATE).get("/api/v1/tasks?scope=mine").get_json()["tasks"]
    assert [t["id"] for t in mine] == [task["id"]]
    complete(api(DELEGATE), "section_head_review", APPROVE, task=task)


def test_delegation_does_not_break_separation_of_duties(api, db):
    """The leader delegates to the section head who already reviewed this case: one person, two approvals."""
    start(api(APPLICANT), db)
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    delegate(api(LEADER), db, SECTION_HEAD)
    head = api(SECTION_HEAD)
    assert [t for t in group(head) if t["bpmn_id"] == "leader_approval"] == []
    task = open_task(api(LEADER), "leader_approval")
    refused = head.post(f"/api/v1/tasks/{task['id']}/complete", json=APPROVE)
    assert refused.status_code == 403 and refused.get_json()["code"] == "second_approval"


def test_delegate_cannot_approve_their_own_request(api, db):
    start(api(APPLICANT), db)
    delegate(api(SECTION_HEAD), db, APPLICANT)
    applicant = api(APPLICANT)
    assert [t for t in group(applicant) if t["bpmn_id"] == "section_head_review"] == []
    task = open_task(api(SECTION_HEAD), "section_head_review")
    refused = applicant.post(f"/api/v1/tasks/{task['id']}/complete", json=APPROVE)
    assert refused.status_code == 403 and refused.get_json()["code"] == "own_case"


def test_not_before_its_first_day_and_not_after_revocation(api, db):
    start(api(APPLICANT), db)
    head = api(SECTION_HEAD)
    later = delegate(head, db, DELEGATE, starts=date.today() + timedelta(days=3))["delegation"]
    assert later["in_force"] is False
    assert [t for t in group(api(DELEGATE)) if t["bpmn_id"] == "section_head_review"] == []
    assert head.delete(f"/api/v1/delegations/{later['id']}").status_code == 200
    now = delegate(head, db, DELEGATE)["delegation"]
    assert [t["bpmn_id"] for t in group(api(DELEGATE))] == ["section_head_review"]
    revoked = head.delete(f"/api/v1/delegations/{now['id']}")
    assert revoked.status_code == 200 and revoked.get_json()["delegation"]["revoked"] is True
    assert group(api(DELEGATE)) == []
    listed = head.get("/api/v1/delegations").get_json()["given"]
    assert {d["id"] for d in listed} == {later["id"], now["id"]}
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "delegation_revoked"))


def test_bad_delegations_are_refused(api, db):
    head = api(SECTION_HEAD)
    assert delegate(head, db, SECTION_HEAD, status=422)["code"] == "delegation_to_self"
    past = date.today() - timedelta(days=10)
    assert delegate(head, db, DELEGATE, starts=past, ends=past + timedelta(days=2), status=422)["code"] == "delegation_dates"
    delegate(head, db, DELEGATE)
    assert delegate(head, db, "sunli", status=422)["code"] == "delegation_overlaps"
    bad = head.post("/api/v1/delegations", json={"delegate_id": 1, "starts_on": "x", "ends_on": "2026-01-01"})
    assert bad.status_code == 422 and "starts_on" in bad.get_json()["fields"]
    other = api(DELEGATE)
    mine = head.get("/api/v1/delegations").get_json()["given"][0]
    assert other.delete(f"/api/v1/delegations/{mine['id']}").status_code == 404


def test_delegation_page_saves_and_lists(as_user, db):
    client = as_user(SECTION_HEAD)
    page = client.get("/account/delegation")
    assert page.status_code == 200 and "delegation-form" in page.get_data(as_text=True)
    response = client.post("/account/delegation", data={
        "csrf_token": client.csrf, "delegate_id": str(uid(db, DELEGATE)), "starts_on": date.today().isoformat(),
        "ends_on": (date.today() + timedelta(days=2)).isoformat(), "reason": "休假"}, follow_redirects=True)
    assert response.status_code == 200 and "赵磊" in response.get_data(as_text=True)
    refused = client.post("/account/delegation", data={"csrf_token": client.csrf, "delegate_id": "",
                                                       "starts_on": "", "ends_on": ""})
    assert refused.status_code == 422 and "form-error" in refused.get_data(as_text=True)
