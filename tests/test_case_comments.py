"""Comments on a case: whoever may see it may comment; `@username` notifies that person if they may see the
case; a mention of someone who may not is refused by name and saves nothing, so no outsider learns of it."""
import pytest
from sqlalchemy import select

from models import AuditEvent, CaseComment, Notification
from services.case_comments import mentioned_usernames, segments
from tests.carry_out_helpers import APPLICANT, SECTION_HEAD, SECURITY_OFFICE, start

OUTSIDER = "wangfang"


@pytest.fixture
def case_id(api, db):
    return start(api(APPLICANT), db).get_json()["instance"]["id"]


def comment(client, case_id, body):
    return client.post(f"/api/v1/instances/{case_id}/comments", json={"body": body})


def codes(client) -> list[str]:
    return [n["code"] for n in client.get("/api/v1/notifications").get_json()["notifications"]]


def test_mentions_are_read_from_the_text():
    assert mentioned_usernames("请@lihua 和 @chenjing. 审核，邮件 a@b.cn 不算，@lihua 再次") == ["lihua", "chenjing"]
    assert segments("请 @lihua 看") == [("请 ", False), ("@lihua", True), (" 看", False)]


def test_comment_with_a_mention_notifies_who_may_see_the_case(api, db, case_id):
    posted = comment(api(APPLICANT), case_id, "@lihua 请尽快审核，会议在周三。")
    assert posted.status_code == 201, posted.get_json()
    assert posted.get_json()["comment"]["mentions"] == ["lihua"]
    head = api(SECTION_HEAD)
    assert "notify_case_mention" in codes(head)
    text = head.get("/api/v1/notifications").get_json()["notifications"][0]["text"]
    assert "张伟" in text and "请尽快审核" in text
    assert db.scalar(select(AuditEvent.details).where(AuditEvent.action == "case_commented")).count("lihua") == 1


def test_mentioning_someone_who_may_not_see_the_case_is_refused_by_name(api, db, case_id):
    refused = comment(api(APPLICANT), case_id, "@wangfang 你也看看")
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["code"] == "mention_cannot_see" and "王芳" in body["error"] and body["fields"]["body"]
    assert db.scalars(select(CaseComment)).all() == []
    assert codes(api(OUTSIDER)) == []  # the outsider hears nothing of the case
    unknown = comment(api(APPLICANT), case_id, "@nosuchuser 看看")
    assert unknown.get_json()["code"] == "mention_unknown" and "@nosuchuser" in unknown.get_json()["error"]
    # Copied in first, the same person may be mentioned.
    api(APPLICANT).post(f"/api/v1/instances/{case_id}/readers", json={"users": [OUTSIDER]})
    assert comment(api(APPLICANT), case_id, "@wangfang 你也看看").status_code == 201
    assert "notify_case_mention" in codes(api(OUTSIDER))


def test_comments_come_in_time_order_and_readers_may_comment(api, db, case_id):
    api(SECURITY_OFFICE).post(f"/api/v1/instances/{case_id}/readers", json={"users": [OUTSIDER]})
    for who, text in ((APPLICANT, "第一条"), (SECURITY_OFFICE, "第二条"), (OUTSIDER, "第三条，抄送人留言")):
        assert comment(api(who), case_id, text).status_code == 201
    listed = api(SECTION_HEAD).get(f"/api/v1/instances/{case_id}/comments").get_json()["comments"]
    assert [c["body"] for c in listed] == ["第一条", "第二条", "第三条，抄送人留言"]
    assert [c["author"]["username"] for c in listed] == [APPLICANT, SECURITY_OFFICE, OUTSIDER]


def test_someone_who_cannot_see_the_case_can_neither_read_nor_write_comments(api, db, case_id):
    outsider = api(OUTSIDER)
    assert outsider.get(f"/api/v1/instances/{case_id}/comments").status_code == 404
    assert comment(outsider, case_id, "hello").status_code == 404
    assert db.scalars(select(CaseComment)).all() == []


def test_empty_long_and_malformed_comments_are_refused(api, db, case_id):
    applicant = api(APPLICANT)
    assert comment(applicant, case_id, "   ").get_json()["code"] == "comment_empty"
    too_long = comment(applicant, case_id, "字" * 2001)
    assert too_long.status_code == 422 and too_long.get_json()["code"] == "too_long"
    assert applicant.post(f"/api/v1/instances/{case_id}/comments", json={"text": "x"}).status_code == 422
    assert applicant.post(f"/api/v1/instances/{case_id}/comments", json={"body": 5}).status_code == 422
    assert db.scalars(select(CaseComment)).all() == []


def test_comment_from_the_case_page_and_a_refused_one_keeps_its_text(as_user, db, case_id):
    browser = as_user(APPLICANT)
    posted = browser.post(f"/cases/{case_id}/comments", data={"body": "请 @chenjing 备案", "csrf_token": browser.csrf})
    assert posted.status_code == 303
    page = browser.get(f"/cases/{case_id}").get_data(as_text=True)
    assert '<span class="mention text-primary fw-semibold">@chenjing</span>' in page
    draft = "很长的一段说明，请 @wangfang 协助"
    refused = browser.post(f"/cases/{case_id}/comments", data={"body": draft, "csrf_token": browser.csrf})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="comment-error"' in html and "王芳" in html
    assert draft in html  # the text comes back to be corrected, nothing is lost
    assert len(db.scalars(select(CaseComment)).all()) == 1
    # The people on the case are offered by name to mention.
    head_page = as_user(SECTION_HEAD).get(f"/cases/{case_id}").get_data(as_text=True)
    assert "<code>@zhangwei</code> 张伟" in head_page[head_page.index('id="on-case"'):]
    assert db.scalar(select(Notification.code).where(Notification.code == "notify_case_mention"))
