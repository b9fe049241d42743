"""Copying people in on a case (抄送): who may copy whom in, what a reader sees (everything, read-only) and
may not do (claim, complete, copy others in, attach files), the notification, and the 'copied to me' list."""
import io

import pytest
from sqlalchemy import select

from models import AuditEvent, CaseReader, Notification
from tests.carry_out_helpers import APPLICANT, APPROVE, LEADER, SECTION_HEAD, SECURITY_OFFICE, complete, open_task, start

OUTSIDER = "wangfang"  # 王芳, Secretariat: nothing to do with a General Affairs carry-out
OTHER_HEAD = "zhaolei"  # 赵磊, head of the Secretariat


@pytest.fixture
def case_id(api, db):
    response = start(api(APPLICANT), db)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["instance"]["id"]


def readers(api_client, case_id):
    return api_client.post(f"/api/v1/instances/{case_id}/readers", json={"users": [OUTSIDER], "note": "请知悉"})


def test_applicant_copies_in_an_outsider_who_then_reads_the_case_and_is_notified(api, as_user, db, case_id):
    outsider = api(OUTSIDER)
    assert outsider.get(f"/api/v1/instances/{case_id}").status_code == 404
    response = readers(api(APPLICANT), case_id)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["added"] == [OUTSIDER]

    assert outsider.get(f"/api/v1/instances/{case_id}").status_code == 200
    page = as_user(OUTSIDER).get(f"/cases/{case_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="reader-notice"' in html and 'id="upload-form"' not in html
    assert as_user(OUTSIDER).get(f"/cases/{case_id}/sheet").status_code == 200
    notes = outsider.get("/api/v1/notifications").get_json()["notifications"]
    assert [n["code"] for n in notes] == ["notify_case_cc"]
    assert "张伟" in notes[0]["text"] and notes[0]["instance_id"] == case_id
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "case_readers_added"))
    assert event.instance_id == case_id and OUTSIDER in event.details


def test_a_reader_cannot_act_on_the_case(api, db, case_id):
    readers(api(SECURITY_OFFICE), case_id)
    outsider = api(OUTSIDER)
    task = open_task(api(SECTION_HEAD), "section_head_review")
    assert outsider.get("/api/v1/tasks?scope=group").get_json()["tasks"] == []
    assert outsider.post(f"/api/v1/tasks/{task['id']}/claim").status_code == 403
    refused = outsider.post(f"/api/v1/tasks/{task['id']}/complete", json=APPROVE)
    assert refused.status_code == 403 and refused.get_json()["code"] == "not_a_candidate"
    assert outsider.get(f"/api/v1/tasks/{task['id']}").get_json()["may_act"] is False
    # Nor copy others in, nor attach files: read-only.
    more = outsider.post(f"/api/v1/instances/{case_id}/readers", json={"users": [OTHER_HEAD]})
    assert more.status_code == 403 and more.get_json()["code"] == "cc_not_allowed"
    upload = outsider.client.post(f"/api/v1/instances/{case_id}/attachments", headers={"X-CSRFToken": outsider.token},
                                  data={"file": (io.BytesIO(b"note"), "a.txt")})
    assert upload.status_code == 403 and upload.get_json()["code"] == "attachment_readers_cannot_upload"


def test_who_may_copy_in(api, db, case_id):
    # Someone who cannot see the case learns nothing about it.
    assert readers(api(OTHER_HEAD), case_id).status_code == 404
    # The approver whose task is open may; once the case moved on to the leader, no longer.
    head = api(SECTION_HEAD)
    assert readers(head, case_id).status_code == 201
    complete(head, "section_head_review", APPROVE)
    late = head.post(f"/api/v1/instances/{case_id}/readers", json={"users": [OTHER_HEAD]})
    assert late.status_code == 403 and late.get_json()["code"] == "cc_not_allowed"
    assert head.get(f"/api/v1/instances/{case_id}").status_code == 200  # still sees what they took part in
    assert api(LEADER).post(f"/api/v1/instances/{case_id}/readers", json={"users": [OTHER_HEAD]}).status_code == 201
    assert len(db.scalars(select(CaseReader).where(CaseReader.instance_id == case_id)).all()) == 2


def test_unknown_or_bad_names_are_refused_and_nothing_is_stored(api, db, case_id):
    applicant = api(APPLICANT)
    response = applicant.post(f"/api/v1/instances/{case_id}/readers", json={"users": [OUTSIDER, "nobody"]})
    assert response.status_code == 422 and response.get_json()["code"] == "cc_user_unknown"
    assert "nobody" in response.get_json()["error"]
    assert applicant.post(f"/api/v1/instances/{case_id}/readers", json={"users": []}).get_json()["code"] == "cc_nobody"
    assert applicant.post(f"/api/v1/instances/{case_id}/readers",
                          json={"users": [APPLICANT]}).get_json()["code"] == "cc_self"
    assert applicant.post(f"/api/v1/instances/{case_id}/readers", json={"who": 1}).status_code == 422
    assert db.scalars(select(CaseReader)).all() == []
    assert db.scalars(select(Notification)).all() == []


def test_copying_in_twice_notifies_once(api, db, case_id):
    applicant = api(APPLICANT)
    assert readers(applicant, case_id).get_json()["added"] == [OUTSIDER]
    again = readers(applicant, case_id)
    assert again.status_code == 201 and again.get_json()["added"] == []
    assert len(api(OUTSIDER).get("/api/v1/notifications").get_json()["notifications"]) == 1


def test_copied_to_me_list_and_the_inbox_link(api, as_user, db, case_id):
    readers(api(APPLICANT), case_id)
    listed = api(OUTSIDER).get("/api/v1/cc").get_json()["cases"]
    assert [c["id"] for c in listed] == [case_id] and listed[0]["added_by"]["username"] == APPLICANT
    browser = as_user(OUTSIDER)
    assert 'id="cc-link"' in browser.get("/inbox").get_data(as_text=True)
    page = browser.get("/cc").get_data(as_text=True)
    assert 'id="cc-cases"' in page and listed[0]["business_key"] in page
    assert 'id="cc-empty"' in as_user(OTHER_HEAD).get("/cc").get_data(as_text=True)


def test_removing_a_reader_takes_the_case_away(api, db, case_id):
    readers(api(APPLICANT), case_id)
    refused = api(SECTION_HEAD).delete(f"/api/v1/instances/{case_id}/readers/{OUTSIDER}")
    assert refused.status_code == 403 and refused.get_json()["code"] == "cc_remove_not_allowed"
    assert api(APPLICANT).delete(f"/api/v1/instances/{case_id}/readers/{OUTSIDER}").status_code == 204
    assert api(OUTSIDER).get(f"/api/v1/instances/{case_id}").status_code == 404
    assert api(OUTSIDER).get("/api/v1/cc").get_json()["cases"] == []
    assert db.scalar(select(AuditEvent.action).where(AuditEvent.action == "case_reader_removed"))


def test_copy_in_from_the_case_page(as_user, db, case_id):
    browser = as_user(APPLICANT)
    page = browser.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'id="cc-form"' in page
    response = browser.post(f"/cases/{case_id}/readers", data={"users": [OUTSIDER, OTHER_HEAD], "note": "",
                                                                "csrf_token": browser.csrf})
    assert response.status_code == 303
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-reader="wangfang"' in page and 'data-reader="zhaolei"' in page
    # The outsider's own case page has no copy-in form (read-only).
    assert 'id="cc-form"' not in as_user(OUTSIDER).get(f"/cases/{case_id}").get_data(as_text=True)
