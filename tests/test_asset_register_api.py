"""The asset register through the JSON API: the security office registers and edits, the register's invariants
refuse what the regulations forbid, each person sees only their reach, and every change is audited."""
import json

import pytest
from sqlalchemy import func, select

from models import Asset, AuditEvent, DestructionItem, MaintenanceLogEntry, ReferenceItem, User
from tests.carry_out_helpers import asset_id, start

SECURITY_OFFICE = "chenjing"


def patch(client, path, body):
    """The conftest client has no PATCH; send one with the same CSRF header."""
    return client.client.patch(path, json=body, headers={"X-CSRFToken": client.token})


def user_id(db, username: str) -> int:
    return db.scalar(select(User.id).where(User.username == username))


def fresh(db, number: str) -> Asset:
    db.expire_all()
    return db.scalar(select(Asset).where(Asset.register_number == number))


def events(db, action: str) -> list[dict]:
    db.expire_all()
    return [json.loads(e.details) for e in db.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                                       .order_by(AuditEvent.id))]


def numbers(response) -> list[str]:
    return [a["register_number"] for a in response.get_json()["assets"]]


def new_asset(**overrides) -> dict:
    body = {"kind": "usb_stick", "classification": "secret", "section_id": 1, "make_model": "Netac U228",
            "serial": "SN-NEW-1"}
    body.update(overrides)
    return body


# --- MED.1: the security office registers ---------------------------------------------------------------------

def test_only_the_security_office_registers_MED_1(api, db):
    body = new_asset(section_id=fresh(db, "BM-LT-001").section_id, holder_id=user_id(db, "zhangwei"))
    for username in ("lihua", "qianyu", "zhangwei", "admin"):
        refused = api(username).post("/api/v1/assets", json=body)
        assert refused.status_code == 403, username
        assert refused.get_json()["code"] == "register_security_office_only"
    refused = patch(api("lihua"), f"/api/v1/assets/{asset_id(db, 'BM-LT-002')}", {"make_model": "X"})
    assert refused.status_code == 403
    assert db.scalar(select(func.count()).select_from(Asset)) == 21

    created = api(SECURITY_OFFICE).post("/api/v1/assets", json=body)
    assert created.status_code == 201, created.get_json()
    asset = created.get_json()["asset"]
    assert asset["register_number"] == "BM-U-005"  # the next number of the office's numbering
    assert asset["custodian"]["username"] == "qianyu"  # the section's designated custodian by default
    assert asset["holder"]["username"] == "zhangwei" and asset["status"] == "in_use"
    registered = events(db, "asset_registered")
    assert registered[-1]["asset"] == "BM-U-005" and registered[-1]["asset_id"] == asset["id"]


def test_unknown_fields_are_refused(api):
    client = api(SECURITY_OFFICE)
    refused = client.post("/api/v1/assets", json=new_asset(holder_id=1, colour="red"))
    assert refused.status_code == 422
    assert refused.get_json()["code"] == "validation_failed" and "colour" in refused.get_json()["fields"]
    missing = client.post("/api/v1/assets", json={"kind": "laptop"})
    assert set(missing.get_json()["fields"]) == {"classification", "section_id"}
    assert missing.get_json()["fields"]["section_id"] == ["此项为必填项。"]  # in the user's language
    assert client.get("/api/v1/assets?colour=red").status_code == 422


# --- MED.4 and UNET.4: numbered and filed, classified and unclassified never mixed ---------------------------

def test_register_numbers_never_mix_classified_and_unclassified_MED_4(api, db):
    client = api(SECURITY_OFFICE)
    zhangwei = user_id(db, "zhangwei")
    classified_as_fm = client.post("/api/v1/assets", json=new_asset(register_number="FM-U-020", holder_id=zhangwei))
    assert classified_as_fm.status_code == 422
    assert classified_as_fm.get_json()["code"] == "register_number_mixes"
    assert "BM-" in classified_as_fm.get_json()["fields"]["register_number"][0]
    unclassified_as_bm = client.post("/api/v1/assets", json=new_asset(
        register_number="BM-U-020", classification="unclassified", holder_id=zhangwei))
    assert unclassified_as_bm.get_json()["code"] == "register_number_mixes"

    renumbered_across = patch(client, f"/api/v1/assets/{asset_id(db, 'BM-LT-001')}", {"register_number": "FM-LT-001"})
    assert renumbered_across.status_code == 422 and renumbered_across.get_json()["code"] == "register_number_mixes"
    # An unclassified laptop never becomes a classified one: it is a different asset, registered anew.
    crossed = patch(client, f"/api/v1/assets/{asset_id(db, 'FM-LT-010')}",
                    {"classification": "secret", "register_number": "BM-LT-010"})
    assert crossed.status_code == 422 and crossed.get_json()["code"] == "register_unclassified_to_classified"
    assert fresh(db, "FM-LT-010").classification == "unclassified"
    assert fresh(db, "BM-LT-001") is not None

    unclassified = client.post("/api/v1/assets", json=new_asset(classification="unclassified", holder_id=zhangwei))
    assert unclassified.status_code == 201 and unclassified.get_json()["asset"]["register_number"] == "FM-U-012"


def test_register_numbers_are_unique_and_in_the_numbering_UNET_4(api, db):
    client = api(SECURITY_OFFICE)
    zhangwei = user_id(db, "zhangwei")
    laptop = {"kind": "laptop", "holder_id": zhangwei}
    taken = client.post("/api/v1/assets", json=new_asset(register_number="BM-LT-001", **laptop))
    assert taken.status_code == 422 and taken.get_json()["code"] == "register_number_taken"
    for wrong in ("LAPTOP-7", "BM-LT-7", "BM-U-099"):  # no numbering, too short, another kind's code
        refused = client.post("/api/v1/assets", json=new_asset(register_number=wrong, **laptop))
        assert refused.get_json()["code"] == "register_number_format", wrong
        assert "BM-LT-001" in refused.get_json()["error"]  # the example the message gives
    lower = client.post("/api/v1/assets", json=new_asset(register_number="bm-lt-050", **laptop))
    assert lower.status_code == 201 and lower.get_json()["asset"]["register_number"] == "BM-LT-050"
    auto = client.post("/api/v1/assets", json=new_asset(**laptop))
    assert auto.get_json()["asset"]["register_number"] == "BM-LT-051"
    clash = patch(client, f"/api/v1/assets/{asset_id(db, 'BM-LT-002')}", {"register_number": "BM-LT-001"})
    assert clash.get_json()["code"] == "register_number_taken"


# --- CNET.8 and DES.4: never unclassified, never donated or sold ----------------------------------------------

def test_classified_asset_never_becomes_unclassified_CNET_8(api, db):
    client = api(SECURITY_OFFICE)
    laptop = asset_id(db, "BM-LT-001")  # secret
    refused = patch(client, f"/api/v1/assets/{laptop}", {"classification": "unclassified"})
    assert refused.status_code == 422
    assert refused.get_json()["code"] == "register_never_unclassified"
    assert refused.get_json()["fields"]["classification"] == ["涉密资产不得转为非涉密资产（CNET.8）。"]
    assert fresh(db, "BM-LT-001").classification == "secret"
    assert events(db, "asset_edited") == []  # nothing written for a refusal

    raised = patch(client, f"/api/v1/assets/{laptop}", {"classification": "top_secret"})
    assert raised.status_code == 200 and raised.get_json()["changed"] == ["classification"]
    lowered = patch(client, f"/api/v1/assets/{laptop}", {"classification": "confidential"})
    assert lowered.get_json()["code"] == "register_level_lowered"
    assert fresh(db, "BM-LT-001").classification == "top_secret"
    assert events(db, "asset_edited")[-1]["changes"] == {"classification": ["secret", "top_secret"]}


def test_donation_and_sale_are_refused_DES_4(api, db):
    client = api(SECURITY_OFFICE)
    disk = asset_id(db, "BM-HD-001")
    for method in ("donation", "sale"):
        refused = client.post(f"/api/v1/assets/{disk}/disposal", json={"method": method, "reason": "旧设备"})
        assert refused.status_code == 422, method
        assert refused.get_json()["code"] == "register_donation_sale_forbidden"
        assert "CNET.8" in refused.get_json()["error"] and "DES.4" in refused.get_json()["error"]
    assert fresh(db, "BM-HD-001").status == "in_use"
    assert events(db, "asset_disposal_requested") == []
    # Even an unclassified asset of the register leaves only by scrapping or destruction.
    refused = client.post(f"/api/v1/assets/{asset_id(db, 'FM-U-011')}/disposal", json={"method": "sale", "reason": "x"})
    assert refused.get_json()["code"] == "register_donation_sale_forbidden"
    assert client.post(f"/api/v1/assets/{disk}/disposal", json={"method": "gift", "reason": "x"}).status_code == 422

    destroyed = client.post(f"/api/v1/assets/{disk}/disposal", json={"method": "destruction", "reason": "坏道无法修复"})
    assert destroyed.status_code == 200, destroyed.get_json()
    assert fresh(db, "BM-HD-001").status == "pending_destruction"
    item = db.scalar(select(DestructionItem).where(DestructionItem.asset_id == disk))
    assert (item.category, item.item_type, item.status, item.classification) == ("2", "media", "registered", "secret")
    assert events(db, "asset_disposal_requested")[-1]["method"] == "destruction"

    scrapped = client.post(f"/api/v1/assets/{asset_id(db, 'BM-PC-001')}/disposal",
                           json={"method": "scrap", "reason": "老旧"})
    assert scrapped.status_code == 200 and fresh(db, "BM-PC-001").status == "pending_scrap"
    no_reason = client.post(f"/api/v1/assets/{asset_id(db, 'BM-PC-002')}/disposal",
                            json={"method": "scrap", "reason": ""})
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["fields"]
    others = api("lihua").post(f"/api/v1/assets/{asset_id(db, 'BM-LT-002')}/disposal",
                               json={"method": "scrap", "reason": "x"})
    assert others.status_code == 403


# --- MED.3: never lent to an outside unit ---------------------------------------------------------------------

def test_holder_must_be_of_the_office_MED_3(api, db):
    client = api(SECURITY_OFFICE)
    laptop = asset_id(db, "BM-LT-001")
    outsider = patch(client, f"/api/v1/assets/{laptop}", {"holder_id": 9999})
    assert outsider.status_code == 422 and outsider.get_json()["code"] == "register_holder_outside"
    assert "MED.3" in outsider.get_json()["fields"]["holder_id"][0]
    gone = db.scalar(select(User).where(User.username == "hanmei"))
    gone.active = False  # left the office
    db.commit()
    left = patch(client, f"/api/v1/assets/{laptop}", {"holder_id": gone.id})
    assert left.get_json()["code"] == "register_holder_outside"
    created = client.post("/api/v1/assets", json=new_asset(holder_id=gone.id))
    assert created.get_json()["code"] == "register_holder_outside"
    assert fresh(db, "BM-LT-001").holder.username == "zhangwei"

    handed = patch(client, f"/api/v1/assets/{laptop}", {"holder_id": user_id(db, "lihua")})
    assert handed.status_code == 200 and handed.get_json()["asset"]["holder"]["username"] == "lihua"
    assert events(db, "asset_edited")[-1]["changes"]["holder_id"] == [user_id(db, "zhangwei"), user_id(db, "lihua")]


# --- MED.2: the custodian keeps what is not in use -------------------------------------------------------------

def test_in_storage_means_held_by_the_custodian_MED_2(api, db):
    client = api(SECURITY_OFFICE)
    laptop = asset_id(db, "BM-LT-001")
    stored = patch(client, f"/api/v1/assets/{laptop}", {"status": "in_storage"})
    assert stored.status_code == 200, stored.get_json()
    assert stored.get_json()["asset"]["holder"]["username"] == "qianyu"  # the section's custodian holds it
    moved = events(db, "asset_status_changed")[-1]
    assert (moved["asset"], moved["before"], moved["after"]) == ("BM-LT-001", "in_use", "in_storage")

    elsewhere = patch(client, f"/api/v1/assets/{laptop}", {"holder_id": user_id(db, "zhangwei")})
    assert elsewhere.get_json()["code"] == "register_storage_held_by_custodian"
    both = patch(client, f"/api/v1/assets/{laptop}", {"status": "in_use", "holder_id": user_id(db, "zhangwei")})
    assert both.status_code == 200 and both.get_json()["asset"]["holder"]["username"] == "zhangwei"

    not_custodian = patch(client, f"/api/v1/assets/{laptop}", {"custodian_id": user_id(db, "lihua")})
    assert not_custodian.get_json()["code"] == "register_custodian_not_of_section"
    other_section = patch(client, f"/api/v1/assets/{laptop}", {"custodian_id": user_id(db, "wangfang")})
    assert other_section.get_json()["code"] == "register_custodian_not_of_section"

    created = client.post("/api/v1/assets", json=new_asset(status="in_storage", holder_id=user_id(db, "zhangwei")))
    assert created.get_json()["code"] == "register_storage_held_by_custodian"
    created = client.post("/api/v1/assets", json=new_asset(status="in_storage"))
    assert created.status_code == 201 and created.get_json()["asset"]["holder"]["username"] == "qianyu"
    # Moving to another section hands the stored asset to that section's custodian.
    secretariat = fresh(db, "BM-LT-003").section_id
    moved = patch(client, f"/api/v1/assets/{created.get_json()['asset']['id']}", {"section_id": secretariat})
    assert moved.get_json()["asset"]["custodian"]["username"] == "wangfang"
    assert moved.get_json()["asset"]["holder"]["username"] == "wangfang"


# --- The status machine and open procedures ------------------------------------------------------------------

def test_status_changes_only_along_the_status_machine(api, db):
    client = api(SECURITY_OFFICE)
    laptop = asset_id(db, "BM-LT-001")
    for owned in ("carried_out", "under_repair", "destroyed"):
        refused = patch(client, f"/api/v1/assets/{laptop}", {"status": owned})
        assert refused.get_json()["code"] == "register_status_by_procedure", owned
    assert patch(client, f"/api/v1/assets/{laptop}", {"status": "lost"}).status_code == 200
    assert patch(client, f"/api/v1/assets/{laptop}", {"status": "in_use"}).status_code == 200

    pc = asset_id(db, "BM-PC-001")
    client.post(f"/api/v1/assets/{pc}/disposal", json={"method": "scrap", "reason": "老旧"})
    refused = patch(client, f"/api/v1/assets/{pc}", {"status": "lost"})  # pending_scrap -> lost: no
    assert refused.get_json()["code"] == "register_transition_refused"
    assert fresh(db, "BM-PC-001").status == "pending_scrap"
    assert [e["after"] for e in events(db, "asset_status_changed")] == ["lost", "in_use", "pending_scrap"]


def test_an_asset_in_an_open_case_keeps_its_status_and_holder(api, db):
    started = start(api("zhangwei"), db, "BM-LT-001")
    assert started.status_code == 201, started.get_json()
    key = started.get_json()["instance"]["business_key"]
    client = api(SECURITY_OFFICE)
    laptop = asset_id(db, "BM-LT-001")
    for change in ({"status": "in_storage"}, {"holder_id": user_id(db, "lihua")}, {"section_id": 2}):
        refused = patch(client, f"/api/v1/assets/{laptop}", change)
        assert refused.status_code == 422 and refused.get_json()["code"] == "register_in_open_case", change
        assert key in refused.get_json()["error"]
    refused = client.post(f"/api/v1/assets/{laptop}/disposal", json={"method": "scrap", "reason": "x"})
    assert refused.get_json()["code"] == "register_in_open_case"
    # The description may still be corrected.
    fixed = patch(client, f"/api/v1/assets/{laptop}", {"make_model": "ThinkPad X1 Carbon Gen 11"})
    assert fixed.status_code == 200

    history = client.get(f"/api/v1/assets/{laptop}").get_json()["history"]
    assert [c["business_key"] for c in history["cases"]] == [key]
    assert history["cases"][0]["process_id"] == "carry_out" and history["cases"][0]["status"] == "running"


# --- Who sees what -------------------------------------------------------------------------------------------

def test_each_person_sees_only_their_reach(api, db):
    everything = api(SECURITY_OFFICE).get("/api/v1/assets?limit=200")
    assert everything.get_json()["total"] == 21
    for overseer in ("liuyang", "zhoumin", "admin"):
        assert api(overseer).get("/api/v1/assets").get_json()["total"] == 21, overseer

    employee = api("zhangwei").get("/api/v1/assets")
    assert numbers(employee) == ["BM-HD-001", "BM-LT-001", "BM-U-001", "FM-LT-010", "FM-U-011"]
    general = {"BM-LT-001", "BM-LT-002", "BM-PC-001", "BM-HD-001", "BM-HD-003", "BM-U-001", "BM-U-002",
               "BM-CD-002", "BM-MC-001", "BM-PR-001", "FM-LT-010", "FM-U-011"}
    for keeper in ("lihua", "qianyu"):  # the section head and the custodian of General Affairs
        assert set(numbers(api(keeper).get("/api/v1/assets?limit=200"))) == general, keeper


def test_guessed_ids_outside_ones_reach_are_404(api, db):
    other_section = asset_id(db, "BM-LT-003")  # Secretariat
    colleague = asset_id(db, "BM-LT-002")  # General Affairs, held by lihua
    employee = api("zhangwei")
    for path in (f"/api/v1/assets/{other_section}", f"/api/v1/assets/{colleague}", "/api/v1/assets/99999"):
        missing = employee.get(path)
        assert missing.status_code == 404 and missing.get_json()["code"] == "not_found", path
    assert api("lihua").get(f"/api/v1/assets/{colleague}").status_code == 200
    assert api("lihua").get(f"/api/v1/assets/{other_section}").status_code == 404
    assert api("qianyu").get(f"/api/v1/assets/{other_section}").status_code == 404
    assert api(SECURITY_OFFICE).get(f"/api/v1/assets/{other_section}").status_code == 200
    # Outside one's reach, even the security office's write says only 404 for an id that does not exist.
    assert patch(api(SECURITY_OFFICE), "/api/v1/assets/99999", {"make_model": "x"}).status_code == 404
    assert api().get("/api/v1/assets").status_code == 401


def test_filters_search_and_paging(api, db):
    client = api(SECURITY_OFFICE)
    assert numbers(client.get("/api/v1/assets?kind=laptop")) == ["BM-LT-001", "BM-LT-002", "BM-LT-003", "BM-LT-004",
                                                                 "FM-LT-010"]
    assert numbers(client.get("/api/v1/assets?classification=unclassified")) == ["FM-LT-010", "FM-U-011"]
    assert numbers(client.get("/api/v1/assets?status=in_storage")) == ["BM-HD-003", "BM-MC-001"]
    secretariat = fresh(db, "BM-LT-003").section_id
    assert numbers(client.get(f"/api/v1/assets?section_id={secretariat}&kind=usb_stick")) == ["BM-U-003"]
    assert numbers(client.get("/api/v1/assets?q=ironkey")) == ["BM-U-004"]  # model, any case
    assert numbers(client.get("/api/v1/assets?q=pr-00")) == ["BM-PR-001", "BM-PR-002"]  # register number
    serial = fresh(db, "BM-CD-001").serial
    assert numbers(client.get(f"/api/v1/assets?q={serial}")) == ["BM-CD-001"]
    assert numbers(client.get("/api/v1/assets?q=100%25")) == []  # a literal %, not a wildcard
    page = client.get("/api/v1/assets?limit=5&offset=5").get_json()
    assert page["total"] == 21 and len(page["assets"]) == 5 and page["offset"] == 5
    assert page["assets"][0]["register_number"] == "BM-LT-001"
    bad = client.get("/api/v1/assets?kind=tablet&limit=0")
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"kind", "limit"}


def test_history_shows_cases_maintenance_and_audit_events(api, db):
    laptop = asset_id(db, "BM-LT-001")
    db.add(MaintenanceLogEntry(asset_id=laptop, kind="repair", fault="屏幕闪烁", cause="排线松动",
                               work_done="更换排线", performed_by="信息中心维修部 王工"))
    db.commit()
    client = api(SECURITY_OFFICE)
    patch(client, f"/api/v1/assets/{laptop}", {"serial": "SN-REPLACED"})
    body = client.get(f"/api/v1/assets/{laptop}").get_json()
    assert body["asset"]["serial"] == "SN-REPLACED"
    assert [m["fault"] for m in body["history"]["maintenance"]] == ["屏幕闪烁"]
    edited = [e for e in body["history"]["events"] if e["action"] == "asset_edited"]
    assert edited[0]["actor"] == "chenjing" and "serial" in edited[0]["details"]["changes"]
    # A renumbered asset keeps the events recorded under its old number.
    patch(client, f"/api/v1/assets/{laptop}", {"status": "in_storage"})
    patch(client, f"/api/v1/assets/{laptop}", {"register_number": "BM-LT-101"})
    actions = [e["action"] for e in client.get(f"/api/v1/assets/{laptop}").get_json()["history"]["events"]]
    assert actions == ["asset_edited", "asset_status_changed", "asset_edited", "asset_edited"]


# --- Reference data ------------------------------------------------------------------------------------------

def test_reference_data_is_kept_by_the_admin_and_the_security_office(api, db):
    listed = api("zhangwei").get("/api/v1/reference/repair_unit").get_json()["items"]
    assert [i["code"] for i in listed] == ["RU-01", "RU-02"]
    assert api("zhangwei").post("/api/v1/reference/repair_unit", json={
        "code": "RU-09", "name_zh": "某维修点", "name_en": "Some unit"}).status_code == 403

    for keeper, code in ((SECURITY_OFFICE, "RU-03"), ("admin", "RU-04")):
        added = api(keeper).post("/api/v1/reference/repair_unit", json={
            "code": code.lower(), "name_zh": "市保密局指定维修点（新）", "name_en": "Designated unit (new)"})
        assert added.status_code == 201, added.get_json()
        assert added.get_json()["item"]["code"] == code and added.get_json()["item"]["active"] is True
    assert [e["code"] for e in events(db, "reference_item_added")] == ["RU-03", "RU-04"]

    client = api(SECURITY_OFFICE)
    again = client.post("/api/v1/reference/repair_unit", json={"code": "RU-03", "name_zh": "重复", "name_en": "Again"})
    assert again.status_code == 422 and again.get_json()["code"] == "reference_code_taken"
    assert client.post("/api/v1/reference/repair_unit", json={"code": "RU-05"}).status_code == 422
    assert client.post("/api/v1/reference/repair_unit", json={
        "code": "RU-05", "name_zh": "a", "name_en": "b", "active": False}).status_code == 422  # unknown field
    assert client.get("/api/v1/reference/vendor").status_code == 404

    ru01 = db.scalar(select(ReferenceItem.id).where(ReferenceItem.code == "RU-01"))
    assert api("zhangwei").post(f"/api/v1/reference/repair_unit/{ru01}/deactivate").status_code == 403
    off = client.post(f"/api/v1/reference/repair_unit/{ru01}/deactivate")
    assert off.status_code == 200 and off.get_json()["item"]["active"] is False
    assert events(db, "reference_item_deactivated")[-1]["code"] == "RU-01"
    active = [i["code"] for i in client.get("/api/v1/reference/repair_unit").get_json()["items"]]
    assert active == ["RU-02", "RU-03", "RU-04"]
    every = client.get("/api/v1/reference/repair_unit?include_inactive=true").get_json()["items"]
    assert [i["code"] for i in every] == ["RU-01", "RU-02", "RU-03", "RU-04"]
    assert client.post(f"/api/v1/reference/destruction_site/{ru01}/deactivate").status_code == 404  # wrong kind
    on = client.post(f"/api/v1/reference/repair_unit/{ru01}/reactivate")
    assert on.get_json()["item"]["active"] is True
    assert events(db, "reference_item_reactivated")[-1]["code"] == "RU-01"


def test_register_messages_exist_in_both_languages():
    from services import asset_register, reference_data  # noqa: F401  (they register their messages)
    from services.messages import MESSAGES

    ours = {code: texts for code, texts in MESSAGES.items() if code.startswith(("register_", "reference_"))}
    assert len(ours) >= 15
    for code, (zh, en) in ours.items():
        assert zh and en and zh != en, code


def test_the_register_marks_the_articles_it_enforces():
    from services import asset_register  # noqa: F401
    from services.enforcement import ENFORCEMENTS

    ours = {e.article for e in ENFORCEMENTS if e.where.startswith("services.asset_register.")}
    assert {"MED.1", "MED.2", "MED.3", "MED.4", "UNET.4", "CNET.8", "DES.4"} <= ours
    assert all(e.what_zh and e.what_en for e in ENFORCEMENTS)


@pytest.mark.parametrize("locale,expected", [("en", "A classified asset never becomes unclassified (CNET.8).")])
def test_refusals_speak_the_users_language(api, db, locale, expected):
    client = api(SECURITY_OFFICE)
    client.client.post("/language", data={"locale": locale, "csrf_token": client.token})
    refused = patch(client, f"/api/v1/assets/{asset_id(db, 'BM-LT-001')}", {"classification": "unclassified"})
    assert refused.get_json()["error"] == expected
