"""The asset register's pages: the list with filters, an asset's history, the security office's forms (which
keep what was typed when they refuse it) and the reference data page."""
import json
import re

from sqlalchemy import select

from models import Asset, AuditEvent, MaintenanceLogEntry, ReferenceItem, User
from tests.carry_out_helpers import asset_id, start

SECURITY_OFFICE = "chenjing"


def html(response) -> str:
    return response.get_data(as_text=True)


def listed(page: str) -> list[str]:
    return re.findall(r'<tr data-asset="([^"]+)"', page)


def user_id(db, username: str) -> int:
    return db.scalar(select(User.id).where(User.username == username))


def form_for(db, **overrides) -> dict:
    data = {"register_number": "", "kind": "usb_stick", "classification": "secret", "make_model": "Aigo U330",
            "serial": "SN-PAGE-1", "section_id": "1", "custodian_id": "", "holder_id": str(user_id(db, "zhangwei")),
            "status": "in_use"}
    data.update(overrides)
    return data


def test_the_register_pages_render_for_the_security_office(as_user, db):
    browser = as_user(SECURITY_OFFICE)
    laptop = asset_id(db, "BM-LT-001")
    for path in ("/assets", f"/assets/{laptop}", "/assets/new", f"/assets/{laptop}/edit", "/reference"):
        page = browser.get(path)
        assert page.status_code == 200, path
        assert 'name="csrf_token"' in html(page) or path == "/assets", path
    listing = html(browser.get("/assets"))
    assert len(listed(listing)) == 21 and 'id="register-asset"' in listing and 'id="nav-assets"' in listing


def test_the_forms_refuse_everyone_but_the_security_office_MED_1(as_user, db):
    laptop = asset_id(db, "BM-LT-001")
    for username in ("zhangwei", "lihua", "qianyu", "admin"):
        browser = as_user(username)
        for path in ("/assets/new", f"/assets/{laptop}/edit"):
            assert browser.get(path).status_code == 403, (username, path)
        refused = browser.post("/assets/new", data=dict(form_for(db), csrf_token=browser.csrf))
        assert refused.status_code == 403
        assert 'id="register-asset"' not in html(browser.get("/assets"))
    assert as_user("zhangwei").get("/reference").status_code == 403
    assert as_user("lihua").get("/reference").status_code == 403
    assert as_user("admin").get("/reference").status_code == 200


def test_each_person_sees_only_their_reach_and_404_elsewhere(as_user, db):
    employee = as_user("zhangwei")
    assert listed(html(employee.get("/assets"))) == ["BM-HD-001", "BM-LT-001", "BM-U-001", "FM-LT-010", "FM-U-011"]
    assert employee.get(f"/assets/{asset_id(db, 'BM-LT-001')}").status_code == 200
    assert employee.get(f"/assets/{asset_id(db, 'BM-LT-002')}").status_code == 404
    assert employee.get(f"/assets/{asset_id(db, 'BM-LT-003')}").status_code == 404
    head = as_user("lihua")
    assert len(listed(html(head.get("/assets")))) == 12  # General Affairs
    assert head.get(f"/assets/{asset_id(db, 'BM-LT-003')}").status_code == 404
    assert head.get("/assets/99999").status_code == 404


def test_filters_and_search(as_user, db):
    browser = as_user(SECURITY_OFFICE)
    assert listed(html(browser.get("/assets?q=IronKey"))) == ["BM-U-004"]
    assert listed(html(browser.get("/assets?classification=unclassified"))) == ["FM-LT-010", "FM-U-011"]
    assert listed(html(browser.get("/assets?status=in_storage&kind=&section_id="))) == ["BM-HD-003", "BM-MC-001"]
    page = html(browser.get("/assets?kind=laptop&q=thinkpad"))
    assert listed(page) == ["BM-LT-001", "BM-LT-002"]
    assert 'value="thinkpad"' in page and '<option value="laptop" selected>' in page  # the filters stay set
    assert listed(html(browser.get("/assets?q=nothing-like-this"))) == []


def test_paging(as_user, db):
    for n in range(30):
        db.add(Asset(register_number=f"BM-U-{100 + n:03d}", kind="usb_stick", classification="secret",
                     section_id=1, holder_id=user_id(db, "zhangwei"), status="in_use"))
    db.commit()
    browser = as_user(SECURITY_OFFICE)
    first = html(browser.get("/assets?kind=usb_stick"))
    assert len(listed(first)) == 25 and 'id="asset-pages"' in first
    assert "kind=usb_stick" in re.search(r'href="([^"]*page=2[^"]*)"', first).group(1)
    second = listed(html(browser.get("/assets?kind=usb_stick&page=2")))
    assert len(second) == 35 - 25 and second[-1] == "FM-U-011"  # four demo sticks, one unclassified


def test_registering_through_the_form_is_audited(as_user, db):
    browser = as_user(SECURITY_OFFICE)
    done = browser.post("/assets/new", data=dict(form_for(db), csrf_token=browser.csrf))
    assert done.status_code == 302, html(done)
    asset = db.scalar(select(Asset).where(Asset.register_number == "BM-U-005"))
    assert asset.make_model == "Aigo U330" and asset.custodian.username == "qianyu"
    assert done.headers["Location"].endswith(f"/assets/{asset.id}")
    page = html(browser.get(f"/assets/{asset.id}"))
    assert "BM-U-005" in page and 'data-action="asset_registered"' in page
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "asset_registered"))
    assert event.actor.username == SECURITY_OFFICE and json.loads(event.details)["asset_id"] == asset.id


def test_a_form_error_keeps_the_values_and_speaks_the_users_language_MED_4(as_user, db):
    browser = as_user(SECURITY_OFFICE)
    typed = form_for(db, register_number="FM-U-099", make_model="Kingston 保密型 64G", serial="SN-KEEP-ME")
    refused = browser.post("/assets/new", data=dict(typed, csrf_token=browser.csrf))
    assert refused.status_code == 422
    page = html(refused)
    assert 'value="FM-U-099"' in page and 'value="Kingston 保密型 64G"' in page and 'value="SN-KEEP-ME"' in page
    assert '<option value="secret" selected>' in page and '<option value="usb_stick" selected>' in page
    assert "is-invalid" in page and "涉密资产编号以 BM- 开头" in page and "MED.4" in page
    assert db.scalar(select(Asset).where(Asset.serial == "SN-KEEP-ME")) is None

    browser.post("/language", data={"locale": "en", "csrf_token": browser.csrf})
    missing = html(browser.post("/assets/new", data=dict(typed, kind="", register_number="", csrf_token=browser.csrf)))
    assert "This field is required." in missing and 'value="SN-KEEP-ME"' in missing


def test_the_edit_form_refuses_declassification_CNET_8(as_user, db):
    browser = as_user(SECURITY_OFFICE)
    laptop = asset_id(db, "BM-LT-001")
    form = html(browser.get(f"/assets/{laptop}/edit"))
    assert 'value="BM-LT-001"' in form and 'value="ThinkPad X1 Carbon"' in form
    inputs = r'<input class="form-control[^"]*" name="(\w+)" id="[^"]+" value="([^"]*)"'
    values = {m.group(1): m.group(2) for m in re.finditer(inputs, form)}
    data = form_for(db, register_number=values["register_number"], kind="laptop", classification="unclassified",
                    make_model="ThinkPad X1 Carbon (typed)", serial=values["serial"])
    refused = browser.post(f"/assets/{laptop}/edit", data=dict(data, csrf_token=browser.csrf))
    assert refused.status_code == 422
    page = html(refused)
    assert "涉密资产不得转为非涉密资产（CNET.8）。" in page and 'value="ThinkPad X1 Carbon (typed)"' in page
    db.expire_all()
    assert db.get(Asset, laptop).classification == "secret"

    stored = browser.post(f"/assets/{laptop}/edit", data=dict(data, classification="top_secret", status="in_storage",
                                                              holder_id="", csrf_token=browser.csrf))
    assert stored.status_code == 302, html(stored)
    db.expire_all()
    asset = db.get(Asset, laptop)
    assert (asset.classification, asset.status, asset.holder.username) == ("top_secret", "in_storage", "qianyu")
    detail = html(browser.get(f"/assets/{laptop}"))
    assert 'data-action="asset_edited"' in detail and 'data-action="asset_status_changed"' in detail


def test_the_disposal_form_refuses_sale_DES_4(as_user, db):
    browser = as_user(SECURITY_OFFICE)
    disk = asset_id(db, "BM-HD-001")
    page = html(browser.get(f"/assets/{disk}"))
    assert 'value="sale"' not in page and 'value="donation"' not in page  # never offered
    refused = browser.post(f"/assets/{disk}/disposal", data={"method": "sale", "reason": "卖废品",
                                                             "csrf_token": browser.csrf})
    assert refused.status_code == 422 and "不得捐赠或出售" in html(refused) and "卖废品" in html(refused)
    done = browser.post(f"/assets/{disk}/disposal", data={"method": "destruction", "reason": "损坏",
                                                          "csrf_token": browser.csrf})
    assert done.status_code == 302
    db.expire_all()
    assert db.get(Asset, disk).status == "pending_destruction"


def test_the_detail_page_shows_the_whole_history(as_user, api, db):
    key = start(api("zhangwei"), db, "BM-LT-001").get_json()["instance"]["business_key"]
    laptop = asset_id(db, "BM-LT-001")
    db.add(MaintenanceLogEntry(asset_id=laptop, kind="repair", fault="键盘失灵", cause="进水", work_done="更换键盘"))
    db.commit()
    page = html(as_user(SECURITY_OFFICE).get(f"/assets/{laptop}"))
    assert f'data-case="{key}"' in page and 'id="open-case"' in page and "键盘失灵" in page
    case_id = re.search(r'href="/cases/(\d+)"', page)
    assert case_id is not None  # the security office may open the case
    owner_view = html(as_user("zhangwei").get(f"/assets/{laptop}"))
    assert f'data-case="{key}"' in owner_view and 'id="edit-asset"' not in owner_view


def test_the_reference_page_adds_deactivates_and_reactivates(as_user, db):
    browser = as_user(SECURITY_OFFICE)
    added = browser.post("/reference/destruction_site", data={
        "code": "DS-02", "name_zh": "市保密局指定销毁点（二）", "name_en": "Designated site (2)",
        "csrf_token": browser.csrf})
    assert added.status_code == 302
    item = db.scalar(select(ReferenceItem).where(ReferenceItem.code == "DS-02"))
    assert item.kind == "destruction_site" and item.active

    again = browser.post("/reference/destruction_site", data={
        "code": "DS-02", "name_zh": "重复的名字", "name_en": "", "csrf_token": browser.csrf})
    assert again.status_code == 422
    page = html(again)
    assert 'value="重复的名字"' in page and "DS-02" in page and "此项为必填项。" in page

    off = browser.post(f"/reference/destruction_site/{item.id}/active",
                       data={"active": "0", "csrf_token": browser.csrf})
    assert off.status_code == 302
    db.expire_all()
    assert db.get(ReferenceItem, item.id).active is False
    browser.post(f"/reference/destruction_site/{item.id}/active", data={"active": "1", "csrf_token": browser.csrf})
    actions = list(db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("reference_item_%"))
                              .order_by(AuditEvent.id)))
    assert actions == ["reference_item_added", "reference_item_deactivated", "reference_item_reactivated"]
    employee = as_user("zhangwei")
    refused = employee.post(f"/reference/destruction_site/{item.id}/active",
                            data={"active": "0", "csrf_token": employee.csrf})
    assert refused.status_code == 403


def test_forms_need_their_csrf_token(as_user, db):
    browser = as_user(SECURITY_OFFICE)
    assert browser.post("/assets/new", data=form_for(db)).status_code == 400
    assert db.scalar(select(Asset).where(Asset.register_number == "BM-U-005")) is None


def test_the_audit_log_names_procedure_events_and_people_not_codes(as_user, api, db):
    from tests.repair_scrapping_helpers import repair_under_way

    repair_under_way(api, db, "BM-PC-001", protection="storage_removed_kept")
    page = html(as_user(SECURITY_OFFICE).get(f"/assets/{asset_id(db, 'BM-PC-001')}"))
    log = page[page.index('id="audit-log"'):]
    assert "Prepared for repair" in log or "维修前准备" in log
    for code in ("repair_prepared", "storage_kept_by", "data_protection:", "confirmed_by", "storage_removed_kept"):
        assert code not in log.replace('data-action="repair_prepared"', "")
    keeper = db.get(User, int(json.loads(db.scalar(select(AuditEvent.details).where(
        AuditEvent.action == "repair_prepared")))["storage_kept_by"]))
    assert keeper.display_name in log
