"""P9 network device installation through the API: no section installs network equipment without the
section head and the security committee (CIS.1); a classified network never touches the internet (CIS.2)."""
from datetime import date

from sqlalchemy import func, select

from models import AuditEvent, ProcessInstance
from tests.carry_out_helpers import case, complete, open_task

APPLICANT = "zhangwei"
SECTION_HEAD = "lihua"
COMMITTEE = "zhoumin"
NETWORK_ADMIN = "wujun"
APPROVE = {"decision": "approve", "comment": "同意"}


def application(**overrides) -> dict:
    body = {
        "device_type": "switch",
        "device_model": "华为 S5735-L24T4S-A",
        "location": "综合楼 305 室 综合科办公室",
        "purpose": "增加办公室非涉密网络接入点",
        "network": "unclassified",
        "connects_to_internet": True,
        "isolation_acknowledged": True,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def start(client, **overrides):
    return client.post("/api/v1/processes/network_device/instances", json=application(**overrides))


def installation(**overrides) -> dict:
    return {"installed_on": date.today().isoformat(), "device_serial": "2102353AJR10N8000123",
            "installed_as_approved": True, **overrides}


def _admin_has_install_task(api) -> bool:
    tasks = api(NETWORK_ADMIN).get("/api/v1/tasks?scope=group").get_json()["tasks"]
    return any(t["bpmn_id"] == "install_device" for t in tasks)


def test_network_device_is_installed_only_after_committee_approval_CIS_1(api, db):
    applicant = api(APPLICANT)
    started = start(applicant)
    assert started.status_code == 201, started.get_json()
    instance_id = started.get_json()["instance"]["id"]
    assert started.get_json()["instance"]["business_key"].startswith("ND")
    assert [t["bpmn_id"] for t in started.get_json()["tasks"]] == ["section_head_review"]

    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    assert not _admin_has_install_task(api)
    complete(api(COMMITTEE), "committee_approval", APPROVE)
    assert _admin_has_install_task(api)
    done = complete(api(NETWORK_ADMIN), "install_device", installation())
    assert done["instance"]["status"] == "completed"
    seen = case(applicant, instance_id)
    assert seen["data"]["outcome"] == "installed" and seen["data"]["device_serial"] == "2102353AJR10N8000123"
    assert [t["decision"] for t in seen["tasks"]][:2] == ["approve", "approve"]
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == instance_id)).all()
    assert "network_device_installed" in actions


def test_committee_rejection_installs_nothing_CIS_1(api, db):
    applicant = api(APPLICANT)
    instance_id = start(applicant).get_json()["instance"]["id"]
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    done = complete(api(COMMITTEE), "committee_approval", {"decision": "reject", "comment": "现有端口足够"})
    assert done["instance"]["status"] == "rejected"
    assert not _admin_has_install_task(api)
    assert case(applicant, instance_id)["data"]["outcome"] == "rejected"


def test_installer_confirms_it_was_installed_as_approved_CIS_1(api, db):
    instance_id = start(api(APPLICANT)).get_json()["instance"]["id"]
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    complete(api(COMMITTEE), "committee_approval", APPROVE)
    admin = api(NETWORK_ADMIN)
    body = complete(admin, "install_device", installation(installed_as_approved=False), status=422)
    assert "installed_as_approved" in body["fields"]
    assert case(admin, instance_id)["active"] == ["install_device"]


def test_only_the_network_admin_installs_CIS_1(api, db):
    start(api(APPLICANT))
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    complete(api(COMMITTEE), "committee_approval", APPROVE)
    task = open_task(api(NETWORK_ADMIN), "install_device")
    # Not the applicant's section, nor the security office: only the network administrators.
    for user in (APPLICANT, "chenjing"):
        response = api(user).post(f"/api/v1/tasks/{task['id']}/complete", json=installation())
        assert response.status_code == 403, response.get_json()
    # Someone who may not even see the case is told nothing about it.
    response = api("zhengqiang").post(f"/api/v1/tasks/{task['id']}/complete", json=installation())
    assert response.status_code == 404


def test_classified_network_device_never_connects_to_the_internet_CIS_2(api, db):
    response = start(api(APPLICANT), network="classified", connects_to_internet=True)
    body = response.get_json()
    assert response.status_code == 422 and body["code"] == "network_device_classified_internet"
    assert "connects_to_internet" in body["fields"]
    assert db.scalar(select(func.count()).select_from(ProcessInstance)) == 0


def test_isolation_must_be_acknowledged_CIS_2(api, db):
    response = start(api(APPLICANT), isolation_acknowledged=False)
    assert response.status_code == 422 and "isolation_acknowledged" in response.get_json()["fields"]


def test_no_wireless_access_point_on_a_classified_network(api, db):
    response = start(api(APPLICANT), network="classified", connects_to_internet=False, device_type="wireless_ap")
    assert response.status_code == 422 and response.get_json()["code"] == "network_device_classified_wireless"


def test_classified_network_device_without_internet_may_apply_CIS_1(api, db):
    response = start(api(APPLICANT), network="classified", connects_to_internet=False,
                     purpose="涉密内网机房新增接入交换机")
    assert response.status_code == 201, response.get_json()


def test_resubmission_is_checked_again_CIS_2(api, db):
    applicant = api(APPLICANT)
    instance_id = start(applicant).get_json()["instance"]["id"]
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    complete(api(COMMITTEE), "committee_approval", {"decision": "send_back", "comment": "请说明接入哪个网络"})
    revise = open_task(applicant, "revise_request")
    assert revise["assignee_id"] is not None
    # Moving the internet-connected device onto the classified network is refused; nothing changes.
    body = complete(applicant, "revise_request", {"decision": "resubmit", "network": "classified"}, status=422)
    assert body["code"] == "network_device_classified_internet"
    assert open_task(applicant, "revise_request")["id"] == revise["id"]
    assert case(applicant, instance_id)["data"]["network"] == "unclassified"

    complete(applicant, "revise_request",
             {"decision": "resubmit", "network": "classified", "connects_to_internet": False})
    assert open_task(api(SECTION_HEAD), "section_head_review")["instance_id"] == instance_id
    assert case(applicant, instance_id)["data"]["network"] == "classified"


def test_section_head_sends_back_and_the_applicant_withdraws(api, db):
    applicant = api(APPLICANT)
    start(applicant)
    complete(api(SECTION_HEAD), "section_head_review", {"decision": "send_back"})
    done = complete(applicant, "revise_request", {"decision": "withdraw"})
    assert done["instance"]["status"] == "withdrawn"


def test_section_head_rejection_ends_the_case(api, db):
    start(api(APPLICANT))
    done = complete(api(SECTION_HEAD), "section_head_review", {"decision": "reject"})
    assert done["instance"]["status"] == "rejected"
