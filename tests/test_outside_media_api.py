"""P8 outside media or software through the API: request, virus scan by the maintainer, allowed or refused
(CIS.5); software installed by the designated maintainer only (RRS.4)."""
from datetime import date

from sqlalchemy import func, select

from models import Asset, AuditEvent, ProcessInstance, User
from tests.carry_out_helpers import case, complete, open_task

APPLICANT = "zhangwei"
MAINTAINER = "zhengqiang"
SECURITY_OFFICE = "chenjing"


def asset(db, number: str) -> Asset:
    db.expire_all()
    return db.scalar(select(Asset).where(Asset.register_number == number))


def request_body(db, *numbers: str, **overrides) -> dict:
    body = {
        "item_kind": "removable_medium",
        "item_description": "市统计局报送的光盘（2026年统计数据）",
        "source": "市统计局综合处，现场交接",
        "purpose": "导入年度统计数据编制报告",
        "assets": [asset(db, n).id for n in (numbers or ("BM-LT-001",))],
        "acknowledge_rules": True,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def start(client, db, *numbers, **overrides):
    return client.post("/api/v1/processes/outside_media/instances", json=request_body(db, *numbers, **overrides))


def scan(result="clean", **extra) -> dict:
    return {"scan_result": result, "scanned_on": date.today().isoformat(),
            "antivirus_tool": "奇安信天擎 病毒库 2026.11.20", **extra}


INSTALL = {"installed_on": None, "installed_version": "WPS Office 2023 专业版 12.8", "installed_by_maintainer": True}


def test_clean_medium_is_allowed_after_the_scan_CIS_5(api, db):
    applicant = api(APPLICANT)
    started = start(applicant, db)
    assert started.status_code == 201, started.get_json()
    instance_id = started.get_json()["instance"]["id"]
    assert started.get_json()["instance"]["business_key"].startswith("OM")
    assert [t["bpmn_id"] for t in started.get_json()["tasks"]] == ["virus_scan"]
    assert asset(db, "BM-LT-001").open_case_id == instance_id  # the computer is held while it waits

    done = complete(api(MAINTAINER), "virus_scan", scan())
    assert done["instance"]["status"] == "completed"
    data = case(applicant, instance_id)["data"]
    assert data["outcome"] == "allowed" and data["scan_result"] == "clean"
    assert asset(db, "BM-LT-001").open_case_id is None
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == instance_id)).all()
    assert "outside_media_scanned" in actions


def test_nothing_is_used_before_the_maintainer_scans_it_CIS_5(api, db):
    applicant = api(APPLICANT)
    instance_id = start(applicant, db).get_json()["instance"]["id"]
    task = open_task(api(MAINTAINER), "virus_scan")
    # Neither the applicant nor another office may record the scan.
    for user in (APPLICANT, SECURITY_OFFICE):
        response = api(user).post(f"/api/v1/tasks/{task['id']}/complete", json=scan())
        assert response.status_code == 403, response.get_json()
    assert case(applicant, instance_id)["instance"]["status"] == "running"


def test_infected_item_is_refused_with_its_reason_CIS_5(api, db):
    applicant = api(APPLICANT)
    instance_id = start(applicant, db).get_json()["instance"]["id"]
    done = complete(api(MAINTAINER), "virus_scan", scan("infected", scan_findings="发现 Trojan.Autorun 木马，已隔离"))
    assert done["instance"]["status"] == "rejected"
    data = case(applicant, instance_id)["data"]
    assert data["outcome"] == "rejected" and "Trojan" in data["refusal_reason"]
    assert asset(db, "BM-LT-001").open_case_id is None


def test_infected_result_needs_its_findings_CIS_5(api, db):
    instance_id = start(api(APPLICANT), db).get_json()["instance"]["id"]
    maintainer = api(MAINTAINER)
    body = complete(maintainer, "virus_scan", scan("infected"), status=422)
    assert body["code"] == "outside_media_findings_required" and "scan_findings" in body["fields"]
    assert case(maintainer, instance_id)["active"] == ["virus_scan"]
    assert asset(db, "BM-LT-001").open_case_id == instance_id


def test_software_is_installed_by_the_maintainer_only_RRS_4(api, db):
    applicant = api(APPLICANT)
    instance_id = start(applicant, db, item_kind="software", item_description="WPS Office 2023 专业版",
                        source="省政府采购平台下载的正版安装包").get_json()["instance"]["id"]
    maintainer = api(MAINTAINER)
    complete(maintainer, "virus_scan", scan())
    task = open_task(maintainer, "install_software")
    install = dict(INSTALL, installed_on=date.today().isoformat())
    # The user never installs it, nor does anyone outside the maintainer role.
    for user in (APPLICANT, SECURITY_OFFICE):
        response = api(user).post(f"/api/v1/tasks/{task['id']}/complete", json=install)
        assert response.status_code == 403, response.get_json()
    body = complete(maintainer, "install_software", dict(install, installed_by_maintainer=False), status=422)
    assert "installed_by_maintainer" in body["fields"]

    done = complete(maintainer, "install_software", install)
    assert done["instance"]["status"] == "completed"
    data = case(applicant, instance_id)["data"]
    assert data["outcome"] == "installed"
    assert data["installed_by"] == db.scalar(select(User.id).where(User.username == MAINTAINER))
    assert asset(db, "BM-LT-001").open_case_id is None


def test_target_must_be_a_computer_CIS_5(api, db):
    response = start(api(APPLICANT), db, "BM-U-001")
    body = response.get_json()
    assert response.status_code == 422 and body["code"] == "outside_media_target_not_computer"
    assert "assets" in body["fields"]
    assert db.scalar(select(func.count()).select_from(ProcessInstance)) == 0
    assert asset(db, "BM-U-001").open_case_id is None


def test_target_must_be_a_computer_of_the_own_section(api, db):
    response = start(api(APPLICANT), db, "BM-LT-003")
    assert response.status_code == 422 and response.get_json()["code"] == "asset_other_section"


def test_target_computer_in_another_open_case_is_refused(api, db):
    applicant = api(APPLICANT)
    assert start(applicant, db).status_code == 201
    response = start(applicant, db)
    assert response.status_code == 422 and response.get_json()["code"] == "asset_in_open_case"


def test_rules_must_be_acknowledged_CIS_5(api, db):
    response = start(api(APPLICANT), db, acknowledge_rules=False)
    assert response.status_code == 422 and "acknowledge_rules" in response.get_json()["fields"]
