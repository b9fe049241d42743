"""P7 leak incident report through the API: report with immediate measures, committee triage, remedy,
report to the municipal secrecy bureau, findings (CIS.10, PUB.8)."""
from datetime import date, timedelta

from sqlalchemy import func, select

from models import Asset, AuditEvent, Notification, ProcessInstance, User
from tests.carry_out_helpers import case, complete, open_task

REPORTER = "zhangwei"
COMMITTEE = "zhoumin"
SECURITY_OFFICE = "chenjing"


def report(db=None, **overrides) -> dict:
    body = {
        "summary": "门户网站发布的通知附件含内部数据",
        "description": "巡查时发现昨日发布的通知附件中含有标注“内部资料”的统计表。",
        "discovered_on": date.today().isoformat(),
        "leak_channel": "public_network",
        "carriers_systems": "市政府门户网站 政务公开栏目",
        "classification": "work_secret",
        "immediate_measures": "已联系网站管理员撤下附件，并截图留存。",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def start(client, **overrides):
    return client.post("/api/v1/processes/leak_report/instances", json=report(**overrides))


TRIAGE = {"triage_result": "confirmed", "severity": "serious", "comment": "确认泄露工作秘密"}
REMEDY = {"remedial_actions_taken": "附件已删除，网站缓存已清理，已通知转载网站删除。",
          "remedied_on": date.today().isoformat(), "leak_cause": "科室上传附件前未逐项审查（PUB.6 第三项）。"}
BUREAU = {"bureau_reported_on": date.today().isoformat(), "bureau_reference": "市府办保〔2026〕12号"}
FINDINGS = {"findings": "上网信息审查把关不严，已整改。", "accountability": "对经办人批评教育。"}


def _user_id(db, username):
    return db.scalar(select(User.id).where(User.username == username))


def test_leak_is_reported_to_the_committee_and_remedied_CIS_10(api, db):
    reporter = api(REPORTER)
    started = start(reporter)
    assert started.status_code == 201, started.get_json()
    instance_id = started.get_json()["instance"]["id"]
    assert started.get_json()["instance"]["business_key"].startswith("LK")
    assert [t["bpmn_id"] for t in started.get_json()["tasks"]] == ["triage"]
    # The committee hears of it at once.
    told = db.scalars(select(Notification.user_id).where(Notification.instance_id == instance_id)).all()
    assert told == [_user_id(db, COMMITTEE)]

    committee = api(COMMITTEE)
    complete(committee, "triage", TRIAGE)
    complete(api(SECURITY_OFFICE), "remedial_actions", REMEDY)
    complete(committee, "report_to_bureau", BUREAU)
    done = complete(committee, "close_findings", FINDINGS)
    assert done["instance"]["status"] == "completed"
    data = case(reporter, instance_id)["data"]
    assert data["outcome"] == "closed" and data["severity"] == "serious"
    assert data["bureau_reference"] == "市府办保〔2026〕12号" and data["leak_cause"].startswith("科室")
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == instance_id)).all()
    assert {"leak_reported", "leak_triaged", "leak_closed", "case_closed"} <= set(actions)


def test_leak_is_reported_to_the_municipal_bureau_before_closing_PUB_8(api, db):
    instance_id = start(api(REPORTER)).get_json()["instance"]["id"]
    committee = api(COMMITTEE)
    complete(committee, "triage", TRIAGE)
    complete(api(SECURITY_OFFICE), "remedial_actions", REMEDY)
    assert case(committee, instance_id)["active"] == ["report_to_bureau"]
    body = complete(committee, "report_to_bureau", {"bureau_reported_on": date.today().isoformat()}, status=422)
    assert "bureau_reference" in body["fields"]
    assert case(committee, instance_id)["active"] == ["report_to_bureau"]
    complete(committee, "report_to_bureau", BUREAU)
    assert case(committee, instance_id)["active"] == ["close_findings"]


def test_remedy_records_the_channel_and_cause_PUB_8(api, db):
    start(api(REPORTER))
    complete(api(COMMITTEE), "triage", TRIAGE)
    body = complete(api(SECURITY_OFFICE), "remedial_actions",
                    {k: v for k, v in REMEDY.items() if k != "leak_cause"}, status=422)
    assert "leak_cause" in body["fields"]


def test_confirmed_leak_needs_its_severity_CIS_10(api, db):
    instance_id = start(api(REPORTER)).get_json()["instance"]["id"]
    committee = api(COMMITTEE)
    body = complete(committee, "triage", {"triage_result": "confirmed"}, status=422)
    assert body["code"] == "leak_report_severity_required" and "severity" in body["fields"]
    assert case(committee, instance_id)["active"] == ["triage"]
    assert not db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "leak_triaged"))


def test_report_needs_the_measures_taken_at_once_CIS_10(api, db):
    response = start(api(REPORTER), immediate_measures=None)
    assert response.status_code == 422 and "immediate_measures" in response.get_json()["fields"]
    assert db.scalar(select(func.count()).select_from(ProcessInstance)) == 0


def test_discovery_date_in_the_future_is_refused_CIS_10(api, db):
    response = start(api(REPORTER), discovered_on=(date.today() + timedelta(days=2)).isoformat())
    body = response.get_json()
    assert response.status_code == 422 and body["code"] == "leak_report_discovered_in_future"
    assert "discovered_on" in body["fields"]
    assert db.scalar(select(func.count()).select_from(ProcessInstance)) == 0
    assert db.scalar(select(func.count()).select_from(Notification)) == 0


def test_unfounded_report_closes_with_findings_only(api, db):
    instance_id = start(api(REPORTER)).get_json()["instance"]["id"]
    committee = api(COMMITTEE)
    complete(committee, "triage", {"triage_result": "unfounded", "comment": "附件为已公开资料"})
    assert case(committee, instance_id)["active"] == ["close_findings"]
    done = complete(committee, "close_findings", {"findings": "经核查，附件为已公开发布的统计公报，未泄密。"})
    assert done["instance"]["status"] == "completed"
    data = case(committee, instance_id)["data"]
    assert data["outcome"] == "unfounded" and "bureau_reference" not in data


def test_committee_asks_the_reporter_for_more_details(api, db):
    reporter = api(REPORTER)
    instance_id = start(reporter).get_json()["instance"]["id"]
    committee = api(COMMITTEE)
    complete(committee, "triage", {"triage_result": "more_info", "comment": "请说明附件来源"})
    task = open_task(reporter, "supplement_report")
    assert task["assignee_id"] == _user_id(db, REPORTER)
    complete(reporter, "supplement_report", {"supplement": "附件由综合科统计员提供。"})
    assert open_task(committee, "triage")["instance_id"] == instance_id
    assert case(committee, instance_id)["data"]["supplement"] == "附件由综合科统计员提供。"


def test_assets_concerned_are_linked_but_not_held(api, db):
    laptop = db.scalar(select(Asset).where(Asset.register_number == "BM-LT-001"))
    instance_id = start(api(REPORTER), leak_channel="removable_media", classification="secret",
                        assets=[laptop.id]).get_json()["instance"]["id"]
    seen = case(api(REPORTER), instance_id)
    assert [a["register_number"] for a in seen["assets"]] == ["BM-LT-001"]
    assert seen["data"]["asset_numbers"] == ["BM-LT-001"]
    db.expire_all()
    assert db.get(Asset, laptop.id).open_case_id is None


def test_asset_of_another_section_is_refused_in_a_report(api, db):
    other = db.scalar(select(Asset.id).where(Asset.register_number == "BM-LT-003"))
    response = start(api(REPORTER), assets=[other])
    assert response.status_code == 422 and response.get_json()["code"] == "asset_other_section"
    assert db.scalar(select(func.count()).select_from(ProcessInstance)) == 0


def test_the_reporter_cannot_triage_their_own_report(api, db):
    instance_id = start(api(COMMITTEE)).get_json()["instance"]["id"]
    task = [t for t in api(COMMITTEE).get(f"/api/v1/instances/{instance_id}").get_json()["tasks"]
            if t["bpmn_id"] == "triage"][0]
    response = api(COMMITTEE).post(f"/api/v1/tasks/{task['id']}/complete", json=TRIAGE)
    assert response.status_code == 403 and response.get_json()["code"] == "own_case"
