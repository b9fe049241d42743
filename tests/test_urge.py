"""Urge (催办): the applicant or the security office reminds the waiting approvers, once a day per case."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from models import AuditEvent, Notification, User
from services import urging
from tests.carry_out_helpers import APPLICANT, APPROVE, LEADER, SECTION_HEAD, SECURITY_OFFICE, complete, start


def uid(db, username: str) -> int:
    return db.scalar(select(User.id).where(User.username == username))


def urged(db, username: str) -> int:
    return db.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == uid(db, username), Notification.code == "notify_case_urged")) or 0


def started(api, db) -> int:
    return start(api(APPLICANT), db).get_json()["instance"]["id"]


def test_applicant_urges_the_role_holders_once_a_day(api, db, monkeypatch):
    instance_id = started(api, db)
    applicant = api(APPLICANT)
    response = applicant.post(f"/api/v1/instances/{instance_id}/urge")
    assert response.status_code == 200, response.get_json()
    assert uid(db, SECTION_HEAD) in response.get_json()["notified"]
    assert urged(db, SECTION_HEAD) == 1
    again = applicant.post(f"/api/v1/instances/{instance_id}/urge")
    assert again.status_code == 409 and again.get_json()["code"] == "urge_once_a_day"
    assert "00:00" in again.get_json()["error"]
    assert urged(db, SECTION_HEAD) == 1
    tomorrow = datetime.now(timezone.utc) + timedelta(days=1)
    monkeypatch.setattr(urging, "utcnow", lambda: tomorrow)
    assert applicant.post(f"/api/v1/instances/{instance_id}/urge").status_code == 200
    assert urged(db, SECTION_HEAD) == 2
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "case_urged")) == 2


def test_urge_goes_to_the_assignee_of_a_claimed_task(api, db):
    instance_id = started(api, db)
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    leader = api(LEADER)
    task = [t for t in leader.get("/api/v1/tasks?scope=group").get_json()["tasks"] if t["instance_id"] == instance_id][0]
    leader.post(f"/api/v1/tasks/{task['id']}/claim")
    response = api(SECURITY_OFFICE).post(f"/api/v1/instances/{instance_id}/urge")
    assert response.status_code == 200 and response.get_json()["notified"] == [uid(db, LEADER)]


def test_only_the_applicant_or_the_security_office_urges(api, db):
    instance_id = started(api, db)
    refused = api(SECTION_HEAD).post(f"/api/v1/instances/{instance_id}/urge")
    assert refused.status_code == 403 and refused.get_json()["code"] == "urge_not_allowed"
    assert api("wangfang").post(f"/api/v1/instances/{instance_id}/urge").status_code == 404


def test_nothing_to_urge_on_a_withdrawn_case(api, db):
    instance_id = started(api, db)
    api(APPLICANT).post(f"/api/v1/instances/{instance_id}/withdraw", json={})
    refused = api(APPLICANT).post(f"/api/v1/instances/{instance_id}/urge")
    assert refused.status_code == 409 and refused.get_json()["code"] == "urge_nothing_waiting"


def test_urge_button_on_the_case_page(as_user, api, db):
    instance_id = started(api, db)
    client = as_user(APPLICANT)
    page = client.get(f"/cases/{instance_id}").get_data(as_text=True)
    assert 'id="urge"' in page and 'id="withdraw"' in page
    done = client.post(f"/cases/{instance_id}/urge", data={"csrf_token": client.csrf}, follow_redirects=True)
    assert done.status_code == 200 and "alert-success" in done.get_data(as_text=True)
    again = client.post(f"/cases/{instance_id}/urge", data={"csrf_token": client.csrf}, follow_redirects=True)
    assert "alert-danger" in again.get_data(as_text=True) and "今天已催办" in again.get_data(as_text=True)
