"""P6 review before publishing online through the API: self-check against each forbidden category of PUB.6,
section head, security office (CIS.3), leader (PUB.2), publication with its re-check date (PUB.7)."""
from datetime import date, timedelta

from sqlalchemy import func, select

from models import AuditEvent, ProcessInstance
from services.steps.publication_review import DEFAULT_RECHECK_DAYS, FORBIDDEN_CATEGORIES
from tests.carry_out_helpers import case, complete, open_task

APPLICANT = "zhangwei"
SECTION_HEAD = "lihua"
SECURITY_OFFICE = "chenjing"
LEADER = "liuyang"
APPROVE = {"decision": "approve", "comment": "同意"}
OFFICE_REVIEW = {"decision": "approve", "reviewed_against_pub6": True, "comment": "经审查不涉密"}
CATEGORIES = list(FORBIDDEN_CATEGORIES)


def application(**overrides) -> dict:
    body = {
        "title": "关于2026年度政务公开工作要点的通知",
        "content": "为做好2026年度政务公开工作，现将工作要点公布如下……",
        "publish_channel": "portal",
        "publish_site": "市政府门户网站 / 政务公开栏目",
        "responsibility_acknowledged": True,
        **{key: True for key in CATEGORIES},
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def start(client, **overrides):
    return client.post("/api/v1/processes/publication_review/instances", json=application(**overrides))


def through_approval(api) -> int:
    started = start(api(APPLICANT))
    assert started.status_code == 201, started.get_json()
    instance_id = started.get_json()["instance"]["id"]
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    complete(api(SECURITY_OFFICE), "security_office_review", OFFICE_REVIEW)
    complete(api(LEADER), "leader_approval", APPROVE)
    return instance_id


def publication(**overrides) -> dict:
    body = {"published_url": "https://www.example.gov.cn/zwgk/2026/0101.html",
            "published_on": date.today().isoformat(), "published_as_approved": True}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def test_publication_passes_section_security_office_and_leader_PUB_2(api, db):
    applicant = api(APPLICANT)
    started = start(applicant)
    assert started.status_code == 201, started.get_json()
    body = started.get_json()
    instance_id = body["instance"]["id"]
    assert body["instance"]["business_key"].startswith("PB")
    assert [t["bpmn_id"] for t in body["tasks"]] == ["section_head_review"]

    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    assert case(applicant, instance_id)["active"] == ["security_office_review"]
    complete(api(SECURITY_OFFICE), "security_office_review", OFFICE_REVIEW)
    assert case(applicant, instance_id)["active"] == ["leader_approval"]
    complete(api(LEADER), "leader_approval", APPROVE)

    task = open_task(applicant, "record_publication")
    assert task["assignee_id"] is not None  # the applicant's own task
    done = complete(applicant, "record_publication", publication())
    assert done["instance"]["status"] == "completed"
    seen = case(applicant, instance_id)
    assert seen["data"]["outcome"] == "published"
    assert seen["data"]["published_url"].startswith("https://")
    assert [t["decision"] for t in seen["tasks"]][:3] == ["approve", "approve", "approve"]
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == instance_id)).all()
    assert "publication_published" in actions and "case_closed" in actions


def test_published_case_records_its_recheck_due_date_PUB_7(api, db):
    instance_id = through_approval(api)
    published_on = date.today() - timedelta(days=1)
    complete(api(APPLICANT), "record_publication", publication(published_on=published_on.isoformat()))
    data = case(api(APPLICANT), instance_id)["data"]
    due = published_on + timedelta(days=DEFAULT_RECHECK_DAYS)
    assert data["recheck_due_at"] == f"{due.isoformat()}T09:00:00+08:00"


def test_recheck_date_can_be_chosen_when_publishing_PUB_7(api, db):
    instance_id = through_approval(api)
    chosen = date.today() + timedelta(days=30)
    complete(api(APPLICANT), "record_publication", publication(recheck_due_on=chosen.isoformat()))
    assert case(api(APPLICANT), instance_id)["data"]["recheck_due_at"].startswith(chosen.isoformat())


def test_recheck_date_before_publication_is_refused_PUB_7(api, db):
    through_approval(api)
    body = complete(api(APPLICANT), "record_publication",
                    publication(recheck_due_on=(date.today() - timedelta(days=3)).isoformat()), status=422)
    assert "recheck_due_on" in body["fields"]


def test_publication_date_in_the_future_is_refused_PUB_7(api, db):
    instance_id = through_approval(api)
    applicant = api(APPLICANT)
    body = complete(applicant, "record_publication",
                    publication(published_on=(date.today() + timedelta(days=5)).isoformat()), status=422)
    assert body["code"] == "publication_review_published_in_future" and "published_on" in body["fields"]
    # Nothing changed: the task is still open, the case still running, no re-check date.
    assert open_task(applicant, "record_publication")["instance_id"] == instance_id
    seen = case(applicant, instance_id)
    assert seen["instance"]["status"] == "running" and "recheck_due_at" not in seen["data"]


def test_publication_needs_every_forbidden_category_checked_PUB_6(api, db):
    applicant = api(APPLICANT)
    for key in CATEGORIES:
        for value in (False, None):  # answered "contains", or not answered at all
            response = start(applicant, **{key: value})
            body = response.get_json()
            assert response.status_code == 422, body
            assert body["code"] == "validation_failed"
            assert list(body["fields"]) == [key], (key, value, body["fields"])
    assert db.scalar(select(func.count()).select_from(ProcessInstance)) == 0


def test_forbidden_categories_are_the_four_of_PUB_6():
    labels = [zh for zh, _en in FORBIDDEN_CATEGORIES.values()]
    assert len(labels) == 4
    assert "标有密级的国家秘密" in labels[0] and "敏感信息" in labels[1]
    assert "内部文件" in labels[2] and "内部办公事项" in labels[3]


def test_publisher_acknowledges_responsibility_PUB_2(api, db):
    response = start(api(APPLICANT), responsibility_acknowledged=False)
    assert response.status_code == 422 and "responsibility_acknowledged" in response.get_json()["fields"]


def test_security_office_reviews_against_pub6_before_the_leader_CIS_3(api, db):
    instance_id = start(api(APPLICANT)).get_json()["instance"]["id"]
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    leader = api(LEADER)
    assert not [t for t in leader.get("/api/v1/tasks?scope=group").get_json()["tasks"]
                if t["bpmn_id"] == "leader_approval"]
    office = api(SECURITY_OFFICE)
    body = complete(office, "security_office_review", {"decision": "approve"}, status=422)
    assert "reviewed_against_pub6" in body["fields"]
    assert case(office, instance_id)["active"] == ["security_office_review"]
    complete(office, "security_office_review", OFFICE_REVIEW)
    assert open_task(leader, "leader_approval")["instance_id"] == instance_id


def test_leader_rejection_publishes_nothing_PUB_2(api, db):
    applicant = api(APPLICANT)
    instance_id = start(applicant).get_json()["instance"]["id"]
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    complete(api(SECURITY_OFFICE), "security_office_review", OFFICE_REVIEW)
    done = complete(api(LEADER), "leader_approval", {"decision": "reject", "comment": "不宜公开"})
    assert done["instance"]["status"] == "rejected"
    data = case(applicant, instance_id)["data"]
    assert data["outcome"] == "rejected" and "recheck_due_at" not in data and "published_url" not in data


def test_security_office_rejection_ends_the_case_CIS_3(api, db):
    start(api(APPLICANT))
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    done = complete(api(SECURITY_OFFICE), "security_office_review",
                    {"decision": "reject", "reviewed_against_pub6": True, "comment": "含内部办公事项"})
    assert done["instance"]["status"] == "rejected"


def test_resubmission_needs_the_self_check_again_PUB_6(api, db):
    applicant = api(APPLICANT)
    instance_id = start(applicant).get_json()["instance"]["id"]
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    complete(api(SECURITY_OFFICE), "security_office_review",
             {"decision": "send_back", "reviewed_against_pub6": True, "comment": "请删去内部数据"})
    revise = open_task(applicant, "revise_request")
    assert revise["assignee_id"] is not None
    # The text changes, so the earlier self-check no longer counts.
    assert all(case(applicant, instance_id)["data"][key] is False for key in CATEGORIES)
    body = complete(applicant, "revise_request", {"decision": "resubmit", "content": "删改后的正文"}, status=422)
    assert body["code"] == "publication_review_category_not_checked" and CATEGORIES[0] in body["fields"]
    partly = {key: True for key in CATEGORIES[:3]}
    body = complete(applicant, "revise_request", {"decision": "resubmit", **partly}, status=422)
    assert CATEGORIES[3] in body["fields"]
    assert open_task(applicant, "revise_request")["id"] == revise["id"]

    complete(applicant, "revise_request",
             {"decision": "resubmit", "content": "删改后的正文", **{key: True for key in CATEGORIES}})
    assert open_task(api(SECTION_HEAD), "section_head_review")["instance_id"] == instance_id
    assert case(applicant, instance_id)["data"]["content"] == "删改后的正文"


def test_leader_sends_back_and_the_applicant_withdraws(api, db):
    applicant = api(APPLICANT)
    start(applicant)
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    complete(api(SECURITY_OFFICE), "security_office_review", OFFICE_REVIEW)
    complete(api(LEADER), "leader_approval", {"decision": "send_back"})
    done = complete(applicant, "revise_request", {"decision": "withdraw"})
    assert done["instance"]["status"] == "withdrawn"


def test_section_head_rejection_ends_the_case(api, db):
    start(api(APPLICANT))
    done = complete(api(SECTION_HEAD), "section_head_review", {"decision": "reject"})
    assert done["instance"]["status"] == "rejected"
