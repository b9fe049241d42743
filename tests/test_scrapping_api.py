"""P3 scrapping through the API: the count against the register, the clearing, the leader and the committee,
the handover to the destruction register; the section never destroys anything itself, and every refusal
changes nothing (RRS.5, CNET.8, CNET.9, MED.5)."""
from datetime import date, timedelta

from lxml import etree
from sqlalchemy import func, select

from models import AuditEvent, DestructionItem, HumanTask, ProcessInstance
from services.definitions import PROCESSES_DIR
from tests.carry_out_helpers import open_task
from tests.repair_scrapping_helpers import (
    APPLICANT, APPROVE, COMMITTEE, DESTRUCTION_OFFICER, LEADER, MAINTAINER, REJECT, SECURITY_OFFICE, asset, case,
    clearing_body, complete, count_body, counted_and_cleared, handover_body, open_bpmn_ids, reference_id, refused,
    start_repair, start_scrapping, user_id)


def _items(db) -> list[DestructionItem]:
    db.expire_all()
    return list(db.scalars(select(DestructionItem).order_by(DestructionItem.id)))


def _statuses(db, *numbers: str) -> dict[str, tuple[str, int | None]]:
    return {n: (asset(db, n).status, asset(db, n).open_case_id) for n in numbers}


def _scrapped(api, db, *numbers: str) -> int:
    instance_id = counted_and_cleared(api, db, *numbers)
    complete(api(LEADER), "leader_approval", APPROVE)
    complete(api(COMMITTEE), "committee_approval", APPROVE)
    done = complete(api(SECURITY_OFFICE), "handover_to_destruction", handover_body(db))
    assert done["instance"]["status"] == "completed"
    return instance_id


# --- the main path -----------------------------------------------------------------------------------------

def test_scrapped_assets_wait_for_destruction_and_are_never_destroyed_here_RRS_5(api, db):
    applicant = api(APPLICANT)
    started = start_scrapping(applicant, db, "BM-LT-001", "BM-U-001")
    assert started.status_code == 201, started.get_json()
    instance_id = started.get_json()["instance"]["id"]
    assert started.get_json()["instance"]["business_key"].startswith("SC")
    assert [t["bpmn_id"] for t in started.get_json()["tasks"]] == ["count_and_register"]
    assert _statuses(db, "BM-LT-001", "BM-U-001") == {"BM-LT-001": ("in_use", instance_id),
                                                     "BM-U-001": ("in_use", instance_id)}

    done = complete(api(SECURITY_OFFICE), "count_and_register", count_body("BM-U-001", "bm-lt-001"))
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["clear_information"]
    assert {s for s, _ in _statuses(db, "BM-LT-001", "BM-U-001").values()} == {"pending_scrap"}
    done = complete(api(MAINTAINER), "clear_information", clearing_body(db))
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["leader_approval"]
    done = complete(api(LEADER), "leader_approval", APPROVE)
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["committee_approval"]
    done = complete(api(COMMITTEE), "committee_approval", APPROVE)
    assert [t["bpmn_id"] for t in done["next_tasks"]] == ["handover_to_destruction"]
    assert _items(db) == []  # nothing enters the register before both approvals

    done = complete(api(SECURITY_OFFICE), "handover_to_destruction", handover_body(db))
    assert done["instance"]["status"] == "completed" and done["next_tasks"] == []
    # Pending destruction, free for a destruction manifest; only P4 makes them destroyed.
    assert _statuses(db, "BM-LT-001", "BM-U-001") == {"BM-LT-001": ("pending_destruction", None),
                                                     "BM-U-001": ("pending_destruction", None)}
    items = _items(db)
    assert [(i.asset_id, i.item_type, i.category, i.status, i.source_instance_id) for i in items] == [
        (asset(db, "BM-LT-001").id, "equipment", "2", "registered", instance_id),
        (asset(db, "BM-U-001").id, "media", "2", "registered", instance_id)]
    assert {i.classification for i in items} == {"secret"}
    assert {i.registered_by_id for i in items} == {user_id(db, SECURITY_OFFICE)}
    data = case(applicant, instance_id)["data"]
    assert data["outcome"] == "handed_to_destruction" and data["destruction_items"] == [i.id for i in items]
    assert data["clearing"]["cleared_by"] == user_id(db, MAINTAINER)
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == instance_id)).all()
    for action in ("scrapping_counted_and_registered", "scrapping_information_cleared",
                   "scrapping_handed_to_destruction", "destruction_item_registered", "case_closed"):
        assert action in actions, action


def test_no_step_of_scrapping_destroys_an_asset_RRS_5(api, db):
    tree = etree.parse(str(PROCESSES_DIR / "scrapping.bpmn"))
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    tasks = [e.get("id") for e in tree.iterfind(".//bpmn:userTask", ns)]
    assert tasks == ["count_and_register", "clear_information", "leader_approval", "committee_approval",
                     "handover_to_destruction"]
    applicant = api(APPLICANT)
    body = start_scrapping(applicant, db, disposal="self_destruction").get_json()
    assert body["code"] == "validation_failed" and "RRS.5" in body["fields"]["disposal"][0]
    _scrapped(api, db, "BM-LT-001")
    assert asset(db, "BM-LT-001").status == "pending_destruction"
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "asset_status_changed")) == 2  # in_use → pending_scrap → pending_destruction


def test_only_the_destruction_procedure_makes_a_scrapped_asset_destroyed_RRS_5(api, db):
    _scrapped(api, db, "BM-LT-001")
    item = _items(db)[0]
    officer = api(DESTRUCTION_OFFICER)
    started = officer.post("/api/v1/processes/destruction/instances",
                           json={"items": [item.id], "planned_date": (date.today() + timedelta(days=3)).isoformat()})
    assert started.status_code == 201, started.get_json()
    complete(api(LEADER), "leader_sign", APPROVE)
    complete(api(COMMITTEE), "committee_approval", APPROVE)  # a laptop: its disk needs the committee (MED.6)
    site = reference_id(db, "DS-01")
    complete(api(SECURITY_OFFICE), "escort_to_site",
             {"escorts": [user_id(db, DESTRUCTION_OFFICER), user_id(db, SECURITY_OFFICE)], "destination": site,
              "delivered_on": date.today().isoformat(), "counted_and_sealed": True})
    for escort in (DESTRUCTION_OFFICER, SECURITY_OFFICE):  # each escort confirms the escort (DES.2)
        complete(api(escort), "confirm_escort", {"escorted": True})
    assert asset(db, "BM-LT-001").status == "pending_destruction"
    complete(officer, "confirm_item", {"item_outcome": "destroyed", "disposal_method": "physical_destruction",
                                       "receipt_number": "XH-2026-0100", "destroyed_on": date.today().isoformat(),
                                       "site": site})
    laptop = asset(db, "BM-LT-001")
    assert (laptop.status, laptop.open_case_id) == ("destroyed", None)


# --- CNET.9: count and register ----------------------------------------------------------------------------

def test_count_must_match_the_register_CNET_9(api, db):
    instance_id = start_scrapping(api(APPLICANT), db, "BM-LT-001", "BM-U-001").get_json()["instance"]["id"]
    office = api(SECURITY_OFFICE)
    body = refused(office, "count_and_register", count_body("BM-LT-001"), "scrapping_count_mismatch",
                   "counted_numbers")
    assert "BM-U-001" in body["error"] and "CNET.9" in body["error"]
    body = refused(office, "count_and_register", count_body("BM-LT-001", "BM-U-001", "BM-U-002"),
                   "scrapping_count_mismatch", "counted_numbers")
    assert "BM-U-002" in body["error"]
    refused(office, "count_and_register", count_body("BM-LT-001", "BM-U-001", registered_on="2999-01-01"),
            "scrapping_date_in_future", "registered_on")
    assert _statuses(db, "BM-LT-001", "BM-U-001") == {"BM-LT-001": ("in_use", instance_id),
                                                     "BM-U-001": ("in_use", instance_id)}
    complete(office, "count_and_register", count_body("BM-LT-001, BM-U-001"))
    assert open_bpmn_ids(office, instance_id) == ["clear_information"]


def test_count_discrepancy_stops_the_scrapping_CNET_9(api, db):
    start_scrapping(api(APPLICANT), db, "BM-LT-001", remarks="申请人的补充说明")  # not a discrepancy note
    office = api(SECURITY_OFFICE)
    refused(office, "count_and_register", count_body("BM-LT-009", count_result="discrepancy", comment="见附件"),
            "scrapping_discrepancy_needs_comment", "discrepancy")
    done = complete(office, "count_and_register",
                    count_body("BM-LT-009", count_result="discrepancy", discrepancy="实物编号与登记簿不符，另行核查"))
    assert done["instance"]["status"] == "rejected"
    assert _statuses(db, "BM-LT-001") == {"BM-LT-001": ("in_use", None)}
    assert _items(db) == []


def test_scrapping_needs_the_leader_and_the_committee_CNET_9(api, db):
    kept = asset(db, "BM-HD-003")
    assert kept.status == "in_storage"
    instance_id = counted_and_cleared(api, db, "BM-LT-001", "BM-HD-003")
    assert {s for s, _ in _statuses(db, "BM-LT-001", "BM-HD-003").values()} == {"pending_scrap"}
    assert case(api(APPLICANT), instance_id)["active"] == ["leader_approval"]
    leader = api(LEADER)
    task = open_task(leader, "leader_approval")
    response = api(SECURITY_OFFICE).post(f"/api/v1/tasks/{task['id']}/complete", json=APPROVE)
    assert response.get_json()["code"] == "not_a_candidate"
    complete(leader, "leader_approval", APPROVE)
    done = complete(api(COMMITTEE), "committee_approval", REJECT)
    assert done["instance"]["status"] == "rejected" and done["next_tasks"] == []
    # Back where they were, free for other cases.
    assert _statuses(db, "BM-LT-001", "BM-HD-003") == {"BM-LT-001": ("in_use", None),
                                                      "BM-HD-003": ("in_storage", None)}
    assert _items(db) == []
    assert db.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                HumanTask.bpmn_id == "handover_to_destruction")) is None


def test_leader_rejection_restores_the_assets_CNET_9(api, db):
    counted_and_cleared(api, db, "BM-U-001")
    done = complete(api(LEADER), "leader_approval", REJECT)
    assert done["instance"]["status"] == "rejected"
    assert _statuses(db, "BM-U-001") == {"BM-U-001": ("in_use", None)}
    assert start_scrapping(api(APPLICANT), db, "BM-U-001").status_code == 201


def test_handover_goes_to_the_destruction_officer_only_RRS_5(api, db):
    counted_and_cleared(api, db, "BM-LT-001")
    complete(api(LEADER), "leader_approval", APPROVE)
    complete(api(COMMITTEE), "committee_approval", APPROVE)
    office = api(SECURITY_OFFICE)
    refused(office, "handover_to_destruction", handover_body(db, received_by=user_id(db, APPLICANT)),
            "validation_failed", "received_by")
    assert asset(db, "BM-LT-001").status == "pending_scrap" and _items(db) == []
    complete(office, "handover_to_destruction", handover_body(db))
    assert asset(db, "BM-LT-001").status == "pending_destruction"


# --- MED.5: cleared before scrapping -----------------------------------------------------------------------

def test_storage_is_cleared_before_approval_MED_5(api, db):
    instance_id = start_scrapping(api(APPLICANT), db, "BM-U-001").get_json()["instance"]["id"]
    complete(api(SECURITY_OFFICE), "count_and_register", count_body("BM-U-001"))
    maintainer = api(MAINTAINER)
    refused(maintainer, "clear_information", clearing_body(db, clearing_confirmed=False),
            "validation_failed", "clearing_confirmed")
    refused(maintainer, "clear_information", clearing_body(db, cleared_by=user_id(db, APPLICANT)),
            "validation_failed", "cleared_by")
    assert open_bpmn_ids(maintainer, instance_id) == ["clear_information"]  # no approval before clearing
    complete(maintainer, "clear_information", clearing_body(db))
    assert open_bpmn_ids(maintainer, instance_id) == ["leader_approval"]


# --- CNET.8 and the application ----------------------------------------------------------------------------

def test_classified_equipment_is_never_donated_sold_or_declassified_CNET_8(api, db):
    applicant = api(APPLICANT)
    for disposal in ("donation", "sale", "reuse_unclassified"):
        body = start_scrapping(applicant, db, disposal=disposal).get_json()
        assert body["code"] == "validation_failed" and "CNET.8" in body["fields"]["disposal"][0], body
    body = start_scrapping(applicant, db, disposal="landfill").get_json()
    assert body["code"] == "validation_failed" and "disposal" in body["fields"]
    db.expire_all()
    assert db.scalar(select(ProcessInstance.id)) is None
    assert asset(db, "BM-LT-001").open_case_id is None


def _refusal(response, code, field="assets"):
    body = response.get_json()
    assert response.status_code == 422, body
    assert body["code"] == code and field in body["fields"], body
    return body


def test_only_classified_assets_of_the_own_section_can_be_scrapped_CNET_9(api, db):
    applicant = api(APPLICANT)
    _refusal(start_scrapping(applicant, db, "FM-LT-010"), "asset_unclassified")
    _refusal(start_scrapping(applicant, db, "BM-LT-001", "BM-LT-003"), "asset_other_section")
    _refusal(start_scrapping(applicant, db, reason=""), "validation_failed", "reason")
    assert start_repair(applicant, db, "BM-PC-001").status_code == 201
    _refusal(start_scrapping(applicant, db, "BM-PC-001"), "asset_in_open_case")
    gone = asset(db, "BM-U-002")
    gone.status = "carried_out"
    db.commit()
    body = _refusal(start_scrapping(applicant, db, "BM-U-002"), "scrapping_asset_not_available")
    assert "携带外出" in body["error"]
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(ProcessInstance)) == 1  # the repair only
    assert asset(db, "BM-LT-001").open_case_id is None
