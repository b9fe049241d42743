"""What the pages show of a case beyond the application: decisions recorded by earlier steps, the names
behind a manifest's items, and only the assets a procedure can take."""
from sqlalchemy import select

from models import HumanTask
from tests.repair_scrapping_helpers import (APPLICANT, APPROVE, COMMITTEE, LEADER, MAINTAINER, SECTION_HEAD,
                                            SECURITY_OFFICE, complete, protection_body, start_repair)
from tests.test_destruction_api import LEADER as DESTRUCTION_LEADER, OFFICER, register_document, start


def test_maintainer_sees_the_security_offices_data_protection_decision_CNET_7(api, as_user, db):
    started = start_repair(api(APPLICANT), db, "BM-LT-001", mode="sent_out")
    instance_id = started.get_json()["instance"]["id"]
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    complete(api(SECURITY_OFFICE), "decide_data_protection", protection_body("storage_removed_kept"))
    complete(api(COMMITTEE), "committee_approval", APPROVE)
    complete(api(LEADER), "leader_approval", APPROVE)
    task_id = db.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                   HumanTask.status == "open"))
    page = as_user(MAINTAINER).get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'id="earlier-steps"' in page and "拆除涉密存储部件，由保密办保管" in page
    case_page = as_user(APPLICANT).get(f"/cases/{instance_id}").get_data(as_text=True)
    assert "拆除涉密存储部件，由保密办保管" in case_page


def test_repair_application_offers_computers_only_RRS_1(as_user):
    page = as_user(APPLICANT).get("/start/external_repair").get_data(as_text=True)
    assert 'id="asset-BM-LT-001"' in page  # a laptop
    assert 'id="asset-BM-HD-001"' not in page and 'id="asset-BM-U-001"' not in page  # a disk, a USB stick
    assert 'id="asset-BM-HD-001"' in as_user(APPLICANT).get("/start/scrapping").get_data(as_text=True)


def test_manifest_items_are_named_not_numbered_DES_2(api, as_user, db):
    item = register_document(api(OFFICER))
    started = start(api(OFFICER), [item])
    assert started.status_code == 201, started.get_json()
    page = as_user(DESTRUCTION_LEADER).get(f"/cases/{started.get_json()['instance']['id']}").get_data(as_text=True)
    summary = page[page.index('id="case-data"'):page.index("</dl>", page.index('id="case-data"'))]
    assert f"#{item} 办密〔2025〕12号" in summary and f"[{item}]" not in summary
