"""P4 destruction through the API: the manifest, the leader's signature, the committee for laptop disks and
media, two distinct escorts to a designated site, and each item destroyed or returned; every refusal
changes nothing (DES.2, DES.3, DES.4, MED.6)."""
from datetime import date, timedelta

from sqlalchemy import func, select

from models import Asset, AuditEvent, DestructionItem, HumanTask, ProcessInstance, ReferenceItem, User
from tests.carry_out_helpers import case, complete, open_task

OFFICER = "fengxue"
SECURITY_OFFICE = "chenjing"
LEADER = "liuyang"
COMMITTEE = "zhoumin"
APPROVE = {"decision": "approve", "comment": "同意销毁"}
REGISTER = "/api/v1/destruction-register"
START = "/api/v1/processes/destruction/instances"


def user_id(db, username: str) -> int:
    return db.scalar(select(User.id).where(User.username == username))


def site_id(db, code: str = "DS-01") -> int:
    return db.scalar(select(ReferenceItem.id).where(ReferenceItem.code == code))


def asset(db, number: str) -> Asset:
    db.expire_all()
    return db.scalar(select(Asset).where(Asset.register_number == number))


def item(db, item_id: int) -> DestructionItem:
    db.expire_all()
    return db.get(DestructionItem, item_id)


def register_document(client, number: str = "办密〔2025〕12号", **overrides) -> int:
    body = {"item_type": "document", "category": "1", "doc_number": number, "title": "年度保密工作要点",
            "classification": "secret", "copies": 2, "pages": 8}
    body.update(overrides)
    response = client.post(REGISTER, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["item"]["id"]


def register_asset(client, db, number: str) -> int:
    found = asset(db, number)
    body = {"item_type": "media" if found.kind != "laptop" else "equipment", "category": "2", "asset_id": found.id}
    response = client.post(REGISTER, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["item"]["id"]


def start(client, items, **overrides):
    body = {"items": items, "planned_date": (date.today() + timedelta(days=3)).isoformat(),
            "remarks": "第四季度集中销毁"}
    body.update(overrides)
    return client.post(START, json=body)


def escort_body(db, *usernames: str, **overrides) -> dict:
    body = {"escorts": [user_id(db, u) for u in (usernames or (OFFICER, SECURITY_OFFICE))],
            "destination": site_id(db), "delivered_on": date.today().isoformat(), "counted_and_sealed": True}
    body.update(overrides)
    return body


ESCORTED = {"escorted": True, "comment": "全程护送，载体未离人"}


def escorted(api, db, *usernames: str, **overrides) -> dict:
    """The security office names the escorts (two by default), then each escort confirms with their own task
    that they took the carriers to the site (DES.2); the answer of the last confirmation."""
    names = list(dict.fromkeys(usernames or (OFFICER, SECURITY_OFFICE)))
    done = complete(api(SECURITY_OFFICE), "escort_to_site", escort_body(db, *names, **overrides))
    assert sorted(t["bpmn_id"] for t in done["next_tasks"]) == ["confirm_escort"] * len(names), done
    for name in names:
        done = complete(api(name), "confirm_escort", ESCORTED)
    return done


def destroyed_body(db, receipt: str = "XH-2026-0001", **overrides) -> dict:
    body = {"item_outcome": "destroyed", "disposal_method": "shredding", "receipt_number": receipt,
            "destroyed_on": date.today().isoformat(), "site": site_id(db)}
    body.update(overrides)
    return body


def confirm_tasks(client) -> list[dict]:
    return [t for t in client.get("/api/v1/tasks?scope=mine").get_json()["tasks"] if t["bpmn_id"] == "confirm_item"]


def signed_and_escorted(api, db, items: list[int], committee: bool = False) -> int:
    """Start a manifest and take it through the approvals and the escort."""
    started = start(api(OFFICER), items)
    assert started.status_code == 201, started.get_json()
    complete(api(LEADER), "leader_sign", APPROVE)
    if committee:
        complete(api(COMMITTEE), "committee_approval", APPROVE)
    escorted(api, db)
    return started.get_json()["instance"]["id"]


# --- the main path ---------------------------------------------------------------------------------------

def test_manifest_of_documents_is_signed_escorted_and_destroyed_DES_2(api, db):
    officer = api(OFFICER)
    first, second = register_document(officer), register_document(officer, "办密〔2025〕13号", category="6")
    started = start(officer, [first, second])
    assert started.status_code == 201, started.get_json()
    instance_id = started.get_json()["instance"]["id"]
    assert [t["bpmn_id"] for t in started.get_json()["tasks"]] == ["leader_sign"]
    assert started.get_json()["instance"]["business_key"].startswith("DS")
    assert {item(db, i).status for i in (first, second)} == {"in_manifest"}
    assert item(db, first).manifest_instance_id == instance_id

    done = complete(api(LEADER), "leader_sign", APPROVE)
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["escort_to_site"]  # documents only: no committee
    done = complete(api(SECURITY_OFFICE), "escort_to_site", escort_body(db))
    assert sorted(t["bpmn_id"] for t in done["next_tasks"]) == ["confirm_escort", "confirm_escort"]
    assert confirm_tasks(officer) == []  # nothing is confirmed destroyed before every escort confirms (DES.2)
    done = complete(officer, "confirm_escort", ESCORTED)
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["confirm_escort"]  # the other escort's own task
    done = complete(api(SECURITY_OFFICE), "confirm_escort", ESCORTED)
    assert sorted(t["bpmn_id"] for t in done["next_tasks"]) == ["confirm_item", "confirm_item"]

    tasks = confirm_tasks(officer)
    assert len(tasks) == 2 and all(t["kind"] == "personal" for t in tasks)
    for n, task in enumerate(tasks):
        done = complete(officer, "confirm_item", destroyed_body(db, f"XH-2026-000{n}"), task=task)
    assert done["instance"]["status"] == "completed"

    for i in (first, second):
        row = item(db, i)
        assert (row.status, row.site_id, row.manifest_instance_id) == ("destroyed", site_id(db), instance_id)
        assert row.receipt_number.startswith("XH-2026-000") and row.destroyed_at is not None
    data = case(officer, instance_id)["data"]
    assert sorted(data["destroyed_items"]) == sorted([first, second]) and data["returned_items"] == []
    assert data["signed_by"] == user_id(db, LEADER) and data["needs_committee"] is False
    assert len(data["item_results"]) == 2
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == instance_id)).all()
    for action in ("destruction_manifest_compiled", "destruction_manifest_signed", "destruction_manifest_escorted",
                   "destruction_item_destroyed", "destruction_manifest_closed", "case_closed"):
        assert action in actions, action


def test_laptop_disks_and_classified_media_need_the_committee_MED_6(api, db):
    officer = api(OFFICER)
    disk = register_asset(officer, db, "BM-HD-003")  # handed in, kept by the custodian
    paper = register_document(officer)
    started = start(officer, [disk, paper])
    instance_id = started.get_json()["instance"]["id"]
    assert asset(db, "BM-HD-003").open_case_id == instance_id
    done = complete(api(LEADER), "leader_sign", APPROVE)
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["committee_approval"]
    reasons = case(officer, instance_id)["data"]["committee_reasons"]
    assert len(reasons) == 1 and "BM-HD-003" in reasons[0]  # the paper needs no committee
    done = complete(api(COMMITTEE), "committee_approval", APPROVE)
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["escort_to_site"]
    escorted(api, db)
    complete(officer, "confirm_item", destroyed_body(db, disposal_method="degaussing"), task=_task_for(db, officer, disk))
    complete(officer, "confirm_item", destroyed_body(db), task=_task_for(db, officer, paper))
    hd = asset(db, "BM-HD-003")
    assert (hd.status, hd.open_case_id) == ("destroyed", None)
    assert item(db, disk).status == "destroyed"
    assert db.get(ProcessInstance, instance_id).status == "completed"


def test_a_laptop_needs_the_committee_too_MED_6(api, db):
    officer = api(OFFICER)
    laptop = asset(db, "BM-LT-002")
    laptop.status = "pending_destruction"  # as P3 scrapping leaves it
    db.commit()
    laptop_item = register_asset(officer, db, "BM-LT-002")
    start(officer, [laptop_item])
    done = complete(api(LEADER), "leader_sign", APPROVE)
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["committee_approval"]


def test_committee_rejection_destroys_nothing_MED_6(api, db):
    officer = api(OFFICER)
    disk = register_asset(officer, db, "BM-HD-003")
    instance_id = start(officer, [disk]).get_json()["instance"]["id"]
    complete(api(LEADER), "leader_sign", APPROVE)
    done = complete(api(COMMITTEE), "committee_approval", {"decision": "reject", "comment": "暂缓销毁"})
    assert done["instance"]["status"] == "rejected" and done["next_tasks"] == []
    row = item(db, disk)
    assert (row.status, row.manifest_instance_id) == ("registered", None)
    hd = asset(db, "BM-HD-003")
    assert (hd.status, hd.open_case_id) == ("pending_destruction", None)
    assert not db.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                    HumanTask.bpmn_id == "escort_to_site"))


# --- refusals: no destruction without approval, at an undesignated site, by donation or sale --------------

def test_nothing_is_escorted_or_destroyed_before_the_leader_signs_DES_4(api, db):
    officer = api(OFFICER)
    instance_id = start(officer, [register_document(officer)]).get_json()["instance"]["id"]
    assert case(officer, instance_id)["active"] == ["leader_sign"]
    office = api(SECURITY_OFFICE)
    assert not [t for t in office.get("/api/v1/tasks?scope=group").get_json()["tasks"]
                if t["bpmn_id"] == "escort_to_site"]
    assert confirm_tasks(officer) == []
    sign = open_task(api(LEADER), "leader_sign")
    body = office.post(f"/api/v1/tasks/{sign['id']}/complete", json=APPROVE).get_json()
    assert body["code"] == "not_a_candidate"  # only a leader signs


def test_rejected_manifest_returns_its_items_to_the_register_DES_4(api, db):
    officer = api(OFFICER)
    paper = register_document(officer)
    instance_id = start(officer, [paper]).get_json()["instance"]["id"]
    done = complete(api(LEADER), "leader_sign", {"decision": "reject", "comment": "清单有误"})
    assert done["instance"]["status"] == "rejected"
    row = item(db, paper)
    assert (row.status, row.manifest_instance_id, row.destroyed_at) == ("registered", None, None)
    assert "destruction_manifest_rejected" in db.scalars(
        select(AuditEvent.action).where(AuditEvent.instance_id == instance_id)).all()
    assert start(officer, [paper]).status_code == 201  # free for the next manifest


def test_manifest_needs_two_distinct_escorts_DES_2(api, db):
    officer = api(OFFICER)
    start(officer, [register_document(officer)])
    complete(api(LEADER), "leader_sign", APPROVE)
    office = api(SECURITY_OFFICE)
    body = complete(office, "escort_to_site", escort_body(db, SECURITY_OFFICE), status=422)
    assert body["code"] == "validation_failed" and "escorts" in body["fields"]
    body = complete(office, "escort_to_site", escort_body(db, SECURITY_OFFICE, SECURITY_OFFICE), status=422)
    assert body["code"] == "destruction_escorts_two_distinct" and "DES.2" in body["error"]
    assert "escorts" in body["fields"]
    assert open_task(office, "escort_to_site")["status"] == "open" and confirm_tasks(officer) == []


def test_the_leader_who_signed_cannot_escort_DES_2(api, db):
    officer = api(OFFICER)
    start(officer, [register_document(officer)])
    complete(api(LEADER), "leader_sign", APPROVE)
    body = complete(api(SECURITY_OFFICE), "escort_to_site", escort_body(db, LEADER, SECURITY_OFFICE), status=422)
    assert body["code"] == "destruction_escort_is_signer" and "刘洋" in body["error"] and "DES.2" in body["error"]
    assert confirm_tasks(officer) == []


def test_only_a_designated_destruction_site_DES_4(api, db):
    officer = api(OFFICER)
    start(officer, [register_document(officer)])
    complete(api(LEADER), "leader_sign", APPROVE)
    office = api(SECURITY_OFFICE)
    repair_unit = site_id(db, "RU-01")
    body = complete(office, "escort_to_site", escort_body(db, destination=repair_unit), status=422)
    assert body["code"] == "validation_failed" and "destination" in body["fields"]
    site = db.get(ReferenceItem, site_id(db))
    site.active = False  # no longer designated by the bureau
    db.commit()
    body = complete(office, "escort_to_site", escort_body(db), status=422)
    assert "destination" in body["fields"]
    assert confirm_tasks(officer) == []


def test_an_item_is_destroyed_only_at_the_site_it_was_escorted_to_DES_4(api, db):
    officer = api(OFFICER)
    db.add(ReferenceItem(kind="destruction_site", code="DS-02", name_zh="市保密局统一销毁（集中送交）",
                         name_en="Bureau central destruction"))
    db.commit()
    paper = register_document(officer)
    signed_and_escorted(api, db, [paper])
    body = complete(officer, "confirm_item", destroyed_body(db, site=site_id(db, "DS-02")), status=422)
    assert body["code"] == "destruction_site_mismatch" and "DES.4" in body["error"]
    assert item(db, paper).status == "in_manifest"


def test_donation_or_sale_is_refused_naming_the_article_DES_4(api, db):
    officer = api(OFFICER)
    paper = register_document(officer)
    signed_and_escorted(api, db, [paper])
    for method in ("donation", "sale"):
        body = complete(officer, "confirm_item", destroyed_body(db, disposal_method=method), status=422)
        assert body["code"] == "validation_failed"
        assert "DES.4" in body["fields"]["disposal_method"][0]
    body = complete(officer, "confirm_item", destroyed_body(db, disposal_method="recycling"), status=422)
    assert "disposal_method" in body["fields"]
    row = item(db, paper)
    assert (row.status, row.receipt_number) == ("in_manifest", "")
    assert len(confirm_tasks(officer)) == 1


def test_confirmation_needs_receipt_date_site_and_method_DES_2(api, db):
    officer = api(OFFICER)
    paper = register_document(officer)
    signed_and_escorted(api, db, [paper])
    for missing in ("receipt_number", "destroyed_on", "site", "disposal_method"):
        body = {k: v for k, v in destroyed_body(db).items() if k != missing}
        answer = complete(officer, "confirm_item", body, status=422)
        assert answer["code"] == "destruction_confirmation_incomplete" and missing in answer["fields"]
    future = (date.today() + timedelta(days=2)).isoformat()
    answer = complete(officer, "confirm_item", destroyed_body(db, destroyed_on=future), status=422)
    assert answer["code"] == "destruction_date_in_future"
    assert item(db, paper).status == "in_manifest"


def test_an_item_goes_back_to_the_register_with_a_reason_DES_2(api, db):
    officer = api(OFFICER)
    disk = register_asset(officer, db, "BM-HD-003")
    paper = register_document(officer)
    instance_id = signed_and_escorted(api, db, [disk, paper], committee=True)
    disk_task = _task_for(db, officer, disk)
    paper_task = _task_for(db, officer, paper)
    body = complete(officer, "confirm_item", {"item_outcome": "returned"}, status=422, task=disk_task)
    assert body["code"] == "destruction_return_reason_required"
    complete(officer, "confirm_item", {"item_outcome": "returned", "return_reason": "销毁点消磁设备检修，下批处理"},
             task=disk_task)
    row = item(db, disk)
    assert (row.status, row.manifest_instance_id) == ("registered", None)
    assert row.return_reason.startswith("销毁点消磁设备")
    hd = asset(db, "BM-HD-003")
    assert (hd.status, hd.open_case_id) == ("pending_destruction", None)
    done = complete(officer, "confirm_item", destroyed_body(db), task=paper_task)
    assert done["instance"]["status"] == "completed"
    data = case(officer, instance_id)["data"]
    assert (data["destroyed_items"], data["returned_items"]) == ([paper], [disk])
    assert start(officer, [disk]).status_code == 201  # the returned item goes into the next manifest


def _task_for(db, client, item_id: int) -> dict:
    """The confirmation task of one item (its subject names the item)."""
    for task in confirm_tasks(client):
        row = db.get(HumanTask, task["id"])
        if row.subject and row.subject.startswith(f"#{item_id} "):
            return task
    raise AssertionError(f"no confirmation task for item {item_id}")


# --- refusals at the start: who compiles, which items ----------------------------------------------------

def test_only_the_destruction_officer_compiles_a_manifest_DES_2(api, db):
    paper = register_document(api(OFFICER))
    for username in ("zhangwei", SECURITY_OFFICE):
        response = start(api(username), [paper])
        assert response.status_code == 403 and response.get_json()["code"] == "destruction_officer_only"
    assert db.scalar(select(func.count()).select_from(ProcessInstance)) == 0
    assert item(db, paper).status == "registered"


def test_items_not_registered_or_in_another_manifest_are_refused_DES_2(api, db):
    officer = api(OFFICER)
    first, second, third = (register_document(officer, f"办密〔2025〕{n}号") for n in (1, 2, 3))
    instance_id = start(officer, [first]).get_json()["instance"]["id"]
    body = start(officer, [second, first]).get_json()
    assert body["code"] == "destruction_item_in_manifest" and "items" in body["fields"]
    assert item(db, second).status == "registered"  # the refused manifest reserved nothing
    row = item(db, third)
    row.status = "destroyed"
    db.commit()
    body = start(officer, [third]).get_json()
    assert body["code"] == "destruction_item_not_registered"
    body = start(officer, [999999]).get_json()
    assert body["code"] == "destruction_item_unknown"
    body = start(officer, []).get_json()
    assert body["code"] == "validation_failed" and "items" in body["fields"]
    assert db.scalar(select(func.count()).select_from(ProcessInstance)) == 1
    assert item(db, first).manifest_instance_id == instance_id


def test_the_start_page_offers_the_registered_items(as_user, api, db):
    paper = register_document(api(OFFICER))
    page = as_user(OFFICER).get("/start/destruction").get_data(as_text=True)
    assert f'name="items" value="{paper}"' in page and "办密〔2025〕12号" in page


def test_the_pages_compile_a_manifest_and_show_the_case(as_user, api, db):
    paper = register_document(api(OFFICER))
    officer = as_user(OFFICER)
    planned = (date.today() + timedelta(days=3)).isoformat()
    response = officer.post("/start/destruction", data={"items": [str(paper)], "planned_date": planned,
                                                         "csrf_token": officer.csrf})
    assert response.status_code == 302, response.get_data(as_text=True)
    instance_id = item(db, paper).manifest_instance_id
    assert officer.get(f"/cases/{instance_id}").status_code == 200
    complete(api(LEADER), "leader_sign", APPROVE)
    escorted(api, db)
    task = confirm_tasks(api(OFFICER))[0]
    page = officer.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert 'value="degaussing"' in page and 'value="donation"' not in page
    assert officer.get(f"/cases/{instance_id}").status_code == 200


def test_a_withdrawn_or_terminated_manifest_returns_its_items_to_the_register(api, db):
    """Nothing was destroyed: the items must not stay reserved by a case that has ended."""
    officer = api(OFFICER)
    withdrawn_paper, terminated_paper = register_document(officer), register_document(officer, "办密〔2025〕13号")
    first = start(officer, [withdrawn_paper]).get_json()["instance"]["id"]
    assert officer.post(f"/api/v1/instances/{first}/withdraw", json={"reason": "清单重编"}).status_code == 200
    second = start(officer, [terminated_paper]).get_json()["instance"]["id"]
    assert api("admin").post(f"/api/v1/admin/cases/{second}/terminate", json={"reason": "重复申请"}).status_code == 200
    db.expire_all()
    for paper, word in ((withdrawn_paper, "撤回"), (terminated_paper, "终止")):
        row = item(db, paper)
        assert (row.status, row.manifest_instance_id) == ("registered", None) and word in row.return_reason
    assert start(officer, [withdrawn_paper, terminated_paper]).status_code == 201  # free for the next manifest
