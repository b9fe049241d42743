"""The destruction register through the API: who registers, what an item must say (DES.2, DES.3), printed
rejects (CIS.11), which assets may enter it (DES.2, CNET.8), and no donation or sale (DES.4)."""
from sqlalchemy import func, select

from models import Asset, AuditEvent, DestructionItem

OFFICER = "fengxue"
SECURITY_OFFICE = "chenjing"
URL = "/api/v1/destruction-register"


def asset(db, number: str) -> Asset:
    db.expire_all()
    return db.scalar(select(Asset).where(Asset.register_number == number))


def document(**overrides) -> dict:
    body = {"item_type": "document", "category": "1", "doc_number": "办密〔2025〕12号",
            "title": "2025年度保密工作要点（征求意见稿）", "classification": "secret", "copies": 3, "pages": 12}
    body.update(overrides)
    return body


def register(client, body, status=201) -> dict:
    response = client.post(URL, json=body)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def item_count(db) -> int:
    return db.scalar(select(func.count()).select_from(DestructionItem))


def test_destruction_officer_registers_a_document_DES_2(api, db):
    item = register(api(OFFICER), document())["item"]
    assert (item["item_type"], item["category"], item["status"], item["copies"], item["pages"]) == (
        "document", "1", "registered", 3, 12)
    assert item["category_label"].startswith("（一）")
    assert item["doc_number"] == "办密〔2025〕12号" and item["manifest_instance_id"] is None
    stored = db.get(DestructionItem, item["id"])
    assert stored.registered_by_id is not None and stored.section_id is not None
    assert db.scalar(select(AuditEvent.action).where(AuditEvent.action == "destruction_item_registered"))


def test_security_office_registers_too_DES_2(api, db):
    register(api(SECURITY_OFFICE), document(category="3", title="涉密会议清退材料"))
    assert item_count(db) == 1


def test_only_the_destruction_officer_and_security_office_register_DES_2(api, db):
    for username in ("zhangwei", "liuyang", "zhoumin"):
        body = register(api(username), document(), status=403)
        assert body["code"] == "destruction_register_not_allowed"
        assert "DES.2" in body["error"]
    assert item_count(db) == 0


def test_a_document_needs_number_title_and_pages_DES_2(api, db):
    officer = api(OFFICER)
    body = register(officer, document(doc_number=""), status=422)
    assert body["code"] == "destruction_document_fields" and "doc_number" in body["fields"]
    body = register(officer, document(pages=None), status=422)
    assert body["code"] == "destruction_pages_required" and "pages" in body["fields"]
    body = register(officer, document(classification=None), status=422)
    assert body["code"] == "validation_failed" and "classification" in body["fields"]
    assert item_count(db) == 0


def test_every_category_of_DES_3_has_both_labels_and_others_are_refused_DES_3(api, db):
    officer = api(OFFICER)
    body = register(officer, document(category="8"), status=422)
    assert body["code"] == "validation_failed" and "category" in body["fields"]
    body = register(officer, {k: v for k, v in document().items() if k != "category"}, status=422)
    assert "category" in body["fields"]
    for n in range(1, 8):
        register(officer, document(category=str(n), doc_number=f"办密〔2025〕{n}号"))
    listed = officer.get(URL).get_json()
    assert sorted(listed["categories"]) == [str(n) for n in range(1, 8)]
    assert listed["categories"]["2"].startswith("（二）淘汰、报废")
    assert [i["category"] for i in listed["items"]] == [str(n) for n in range(1, 8)]
    from services.destruction_register import CATEGORIES
    assert all(zh and en and zh != en for zh, en in CATEGORIES.values())


def test_printed_rejects_of_classified_output_are_registered_CIS_11(api, db):
    body = {"item_type": "printed_reject", "doc_number": "办密〔2025〕12号", "classification": "secret", "pages": 5}
    item = register(api(OFFICER), body)["item"]
    assert item["printed_reject"] is True and item["category"] == "7"  # DES.3 (7) unless said otherwise
    assert item["title"].startswith("办密〔2025〕12号") and item["pages"] == 5
    body = register(api(OFFICER), dict(body, pages=0), status=422)
    assert body["code"] == "destruction_pages_required"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "destruction_item_registered"))
    assert '"printed_reject": true' in event.details


def test_unclassified_document_only_as_declassified_category_5_DES_3(api, db):
    officer = api(OFFICER)
    body = register(officer, document(classification="unclassified"), status=422)
    assert body["code"] == "destruction_item_not_classified" and "DES.3" in body["error"]
    item = register(officer, document(classification="unclassified", category="5"))["item"]
    assert item["category"] == "5"


def test_a_medium_handed_in_enters_the_register_and_waits_for_destruction_DES_2(api, db):
    disk = asset(db, "BM-HD-003")  # top secret, kept by the custodian
    assert disk.status == "in_storage"
    item = register(api(SECURITY_OFFICE), {"item_type": "media", "category": "2", "asset_id": disk.id})["item"]
    assert item["asset_number"] == "BM-HD-003" and item["classification"] == "top_secret"
    assert asset(db, "BM-HD-003").status == "pending_destruction"
    body = register(api(OFFICER), {"item_type": "media", "category": "2", "asset_id": disk.id}, status=422)
    assert body["code"] == "destruction_asset_already_registered"


def test_an_asset_pending_destruction_from_scrapping_is_registered_as_is(api, db):
    card = asset(db, "BM-MC-001")
    card.status = "pending_destruction"  # as P3 scrapping leaves it
    db.commit()
    item = register(api(OFFICER), {"item_type": "media", "category": "2", "asset_id": card.id})["item"]
    assert item["status"] == "registered" and asset(db, "BM-MC-001").status == "pending_destruction"


def test_an_asset_still_in_use_is_not_destroyed_DES_2(api, db):
    stick = asset(db, "BM-U-001")
    body = register(api(OFFICER), {"item_type": "media", "category": "2", "asset_id": stick.id}, status=422)
    assert body["code"] == "destruction_asset_in_use" and "asset_id" in body["fields"]
    assert asset(db, "BM-U-001").status == "in_use" and item_count(db) == 0


def test_an_unclassified_asset_is_no_classified_carrier_CNET_8(api, db):
    stick = asset(db, "FM-U-011")
    body = register(api(OFFICER), {"item_type": "media", "category": "2", "asset_id": stick.id}, status=422)
    assert body["code"] == "destruction_asset_unclassified"
    assert asset(db, "FM-U-011").classification == "unclassified" and item_count(db) == 0


def test_the_item_type_must_match_the_asset(api, db):
    disk = asset(db, "BM-HD-003")
    body = register(api(OFFICER), {"item_type": "equipment", "category": "2", "asset_id": disk.id}, status=422)
    assert body["code"] == "destruction_asset_type_mismatch"
    body = register(api(OFFICER), document(asset_id=disk.id), status=422)
    assert body["code"] == "destruction_asset_for_paper"
    assert asset(db, "BM-HD-003").status == "in_storage"


def test_donation_or_sale_is_refused_naming_the_article_DES_4(api, db):
    officer = api(OFFICER)
    for method in ("donation", "sale"):
        body = register(officer, document(disposal_method=method), status=422)
        assert body["code"] == "validation_failed"
        assert "DES.4" in body["fields"]["disposal_method"][0]
    assert item_count(db) == 0
    assert register(officer, document(disposal_method="shredding"))["item"]["status"] == "registered"


def test_the_list_filters_by_status(api, db):
    officer = api(OFFICER)
    first = register(officer, document())["item"]["id"]
    second = register(officer, document(doc_number="办密〔2025〕13号"))["item"]["id"]
    row = db.get(DestructionItem, second)
    row.status = "destroyed"
    db.commit()
    assert [i["id"] for i in officer.get(f"{URL}?status=registered").get_json()["items"]] == [first]
    assert [i["id"] for i in officer.get(f"{URL}?status=destroyed").get_json()["items"]] == [second]
    assert officer.get(URL).get_json()["total"] == 2
    body = officer.get(f"{URL}?status=sold").get_json()
    assert body["code"] == "validation_failed" and "status" in body["fields"]
    assert officer.get(f"{URL}/{first}").get_json()["item"]["id"] == first


def test_an_employee_cannot_read_the_register(api, db):
    register(api(OFFICER), document())
    response = api("zhangwei").get(URL)
    assert response.status_code == 403 and response.get_json()["code"] == "destruction_register_not_readable"
    assert api("liuyang").get(URL).status_code == 200  # the leader oversees


def test_unknown_fields_and_anonymous_requests_are_refused(api, db):
    body = register(api(OFFICER), document(sold_to="废品站"), status=422)
    assert "sold_to" in body["fields"]
    assert api().get(URL).status_code in (401, 302)
