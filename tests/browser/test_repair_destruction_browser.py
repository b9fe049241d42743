"""Two procedures clicked through in Chromium, in Chinese, by the people who take part.

P1 external repair, sent out: 张伟 applies for his secret laptop; 李华 (section head) agrees; 陈静 (security
office) decides the storage is removed and kept; 周敏 (committee) and 刘洋 (leader) both approve, as sending
out needs both (RRS.3); 郑强 (maintainer) confirms the preparation; 陈静 sends it to a designated repair unit
(CIS.9) and takes it back; 郑强 writes the maintenance log (RRS.2); the laptop is in use again.

P4 destruction: 冯雪 (destruction officer) registers a document and a secret hard disk on the destruction
register page, compiles a manifest of both; 刘洋 signs; the disk makes it a committee matter (MED.6), so
周敏 approves; 陈静 names two escorts and the designated site, after being refused once for naming the
signer as an escort (DES.2) with nothing typed lost; each escort (陈静, 冯雪) confirms the escort with their
own task; 冯雪 confirms each item destroyed.

Screenshots go to tests/screenshots/p1-*.png and p4-*.png."""
from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select

from models import ReferenceItem, User
from tests.browser.procedure_steps import (
    act_as, decide, office_today, open_task, open_task_about, show_case, submit_task, timeline_step)

APPLICANT = "zhangwei"       # 张伟
SECTION_HEAD = "lihua"       # 李华
SECURITY_OFFICE = "chenjing" # 陈静
COMMITTEE = "zhoumin"        # 周敏
LEADER = "liuyang"           # 刘洋
MAINTAINER = "zhengqiang"    # 郑强
OFFICER = "fengxue"          # 冯雪

LAPTOP = "BM-LT-001"
DISK = "BM-HD-003"


def _user_id(db, username: str) -> int:
    return db.scalar(select(User.id).where(User.username == username))


def _reference_id(db, code: str) -> int:
    return db.scalar(select(ReferenceItem.id).where(ReferenceItem.code == code))


def _asset_status(page: Page, number: str):
    return page.locator(f"#case-assets tr[data-asset='{number}'] .asset-status")


# --- P1 external repair, sent out -------------------------------------------------------------------------

def test_p1_laptop_sent_out_for_repair_and_back_in_use(page: Page, screenshot, db):
    today = office_today()
    maintainer_id, office_id = _user_id(db, MAINTAINER), _user_id(db, SECURITY_OFFICE)
    unit_id = _reference_id(db, "RU-01")
    db.rollback()  # ids only: hold no transaction open while the browser works

    # 张伟 applies to have his secret laptop repaired at a designated unit.
    act_as(page, APPLICANT)
    page.click("#start-external_repair")
    expect(page.locator("#start-form")).to_be_visible()
    page.check(f"#asset-{LAPTOP}")
    page.fill("#f-symptoms", "屏幕闪烁，键盘部分按键失灵")
    page.select_option("#f-mode", "sent_out")
    page.fill("#f-remarks", "笔记本随身使用，需尽快修复")
    screenshot("p1-01-application")
    page.click("#submit")
    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    case_url = page.url
    case_key = page.locator("h1").inner_text().strip()
    assert case_key.startswith("RP"), case_key
    expect(page.locator("#case-status")).to_have_attribute("data-status", "running")
    expect(page.locator("#case-data")).to_contain_text("送市保密局指定维修点维修")
    expect(timeline_step(page, "section_head_review")).to_have_attribute("data-status", "open")

    # 李华, the section head, agrees.
    act_as(page, SECTION_HEAD)
    open_task(page, "section_head_review", case_key)
    decide(page, "approve", "同意送修。")
    submit_task(page)

    # 陈静 of the security office decides: the disk is taken out and kept by the office (RRS.3, CNET.7).
    act_as(page, SECURITY_OFFICE)
    open_task(page, "decide_data_protection", case_key)
    expect(page.locator("h1")).to_contain_text("保密办确定涉密信息处理方式")
    page.select_option("#f-data_protection", "storage_removed_kept")
    page.fill("#f-comment", "送修前拆除硬盘，由保密办保管。")
    screenshot("p1-02-data-protection")
    submit_task(page)

    # 周敏 approves for the security committee; sending out needs the leader as well.
    act_as(page, COMMITTEE)
    open_task(page, "committee_approval", case_key)
    decide(page, "approve", "同意外送指定维修点。")
    submit_task(page)
    show_case(page, case_url)
    expect(timeline_step(page, "committee_approval")).to_have_attribute("data-status", "completed")
    expect(timeline_step(page, "leader_approval")).to_have_attribute("data-status", "open")
    expect(timeline_step(page, "prepare_repair")).to_have_count(0)  # nothing prepared before the leader agrees
    expect(_asset_status(page, LAPTOP)).to_have_text("在用")
    screenshot("p1-03-waiting-for-leader")

    # 刘洋, the leader in charge, approves sending it out.
    act_as(page, LEADER)
    open_task(page, "leader_approval", case_key)
    decide(page, "approve", "同意外送。")
    screenshot("p1-04-leader-approval")
    submit_task(page)

    # 郑强, the maintainer, takes the disk out and hands it to 陈静.
    act_as(page, MAINTAINER)
    open_task(page, "prepare_repair", case_key)
    page.select_option("#f-prepared_by", str(maintainer_id))
    page.fill("#f-prepared_on", today)
    page.fill("#f-storage_removed", "三星 512GB 固态硬盘 SN S4EVNX0R")
    page.select_option("#f-storage_kept_by", str(office_id))
    page.check("#f-preparation_confirmed")
    screenshot("p1-05-preparation")
    submit_task(page)

    # 陈静 sends the laptop, now under repair, to a designated repair unit, and takes it back when repaired.
    act_as(page, SECURITY_OFFICE)
    open_task(page, "dispatch_to_unit", case_key)
    expect(_asset_status(page, LAPTOP)).to_have_text("维修中")
    page.select_option("#f-repair_unit", str(unit_id))
    page.fill("#f-dispatched_on", today)
    page.fill("#f-received_by", "维修点 赵工")
    screenshot("p1-06-dispatch")
    submit_task(page)
    open_task(page, "return_from_unit", case_key)
    page.fill("#f-returned_on", today)
    page.check("#f-seals_intact")
    submit_task(page)

    # 郑强 writes the repair into the maintenance log.
    act_as(page, MAINTAINER)
    open_task(page, "record_return", case_key)
    page.fill("#f-cause", "屏幕排线松动，键盘进液")
    page.fill("#f-work_done", "重新固定屏幕排线，更换键盘")
    page.fill("#f-performed_by", "孙工（信息中心维修部）")
    screenshot("p1-07-record-return")
    submit_task(page)

    # 张伟 sees the case closed and the laptop in use again, with the repair in its maintenance log.
    act_as(page, APPLICANT)
    show_case(page, case_url)
    expect(page.locator("#case-status")).to_have_attribute("data-status", "completed")
    expect(page.locator("#case-status")).to_have_text("已办结")
    for step in ("section_head_review", "decide_data_protection", "committee_approval", "leader_approval",
                 "prepare_repair", "dispatch_to_unit", "return_from_unit", "record_return"):
        expect(timeline_step(page, step)).to_have_attribute("data-status", "completed")
    expect(timeline_step(page, "supervise_on_site")).to_have_count(0)  # sent out, not repaired on site
    expect(page.locator("#timeline li.pending")).to_have_count(0)
    expect(_asset_status(page, LAPTOP)).to_have_text("在用")
    screenshot("p1-08-case-completed")

    page.goto(f"/assets?q={LAPTOP}")
    page.click(f"tr[data-asset='{LAPTOP}'] a")
    expect(page.locator("#asset-status")).to_have_attribute("data-status", "in_use")
    expect(page.locator("#open-case")).to_have_count(0)
    log = page.locator("#maintenance-log tbody tr")
    expect(log).to_have_count(1)
    expect(log).to_contain_text("屏幕闪烁，键盘部分按键失灵")  # the fault, from the application
    expect(log).to_contain_text("屏幕排线松动，键盘进液")
    expect(log).to_contain_text("孙工（信息中心维修部）")
    expect(page.locator(f"#asset-cases tr[data-case='{case_key}']")).to_contain_text("已办结")
    expect(page.locator("#audit-log tr[data-action=repair_dispatched]")).to_contain_text("RU-01")
    expect(page.locator("#audit-log tr[data-action=repair_prepared]")).to_contain_text("三星 512GB 固态硬盘")
    screenshot("p1-09-asset-maintenance-log")


# --- P4 destruction with a two-person escort --------------------------------------------------------------

def _register(page: Page, label: str) -> str:
    """Send the register form; return the new item's number from the list."""
    page.click("#register-submit")
    expect(page.locator(".alert-success")).to_be_visible()
    row = page.locator("#destruction-items tbody tr", has_text=label)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("已登记")
    return row.get_attribute("data-item")


def test_p4_manifest_signed_approved_escorted_and_destroyed(page: Page, screenshot, db):
    today = office_today()
    officer_id, office_id, leader_id = (_user_id(db, u) for u in (OFFICER, SECURITY_OFFICE, LEADER))
    site_id = _reference_id(db, "DS-01")
    planned = (date.today() + timedelta(days=3)).isoformat()
    db.rollback()

    # 冯雪, the destruction officer, registers a document and a secret hard disk handed in for storage.
    act_as(page, OFFICER)
    page.click("#nav-registers-menu summary")
    page.click("#nav-destruction")
    expect(page).to_have_url(re.compile(r"/destruction-register$"))
    page.click("#register-card summary")
    page.select_option("#f-item_type", "document")
    page.select_option("#f-category", "1")
    page.select_option("#f-classification", "secret")
    page.fill("#f-doc_number", "办密〔2026〕7号")
    page.fill("#f-title", "2026年度保密检查工作方案")
    page.fill("#f-copies", "2")
    page.fill("#f-pages", "12")
    screenshot("p4-01-register-document")
    document = _register(page, "办密〔2026〕7号")
    page.click("#register-card summary")
    page.select_option("#f-item_type", "media")
    page.select_option("#f-category", "2")
    page.select_option("#f-asset_id", page.locator("#f-asset_id option", has_text=DISK).get_attribute("value"))
    disk = _register(page, DISK)
    screenshot("p4-02-register-list")

    # ... and compiles a manifest of both.
    page.goto("/")
    page.click("#start-destruction")
    expect(page.locator("#start-form")).to_be_visible()
    page.check(f"#f-items-{document}")
    page.check(f"#f-items-{disk}")
    page.fill("#f-planned_date", planned)
    page.fill("#f-remarks", "第四季度集中销毁")
    screenshot("p4-03-manifest")
    page.click("#submit")
    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    case_url = page.url
    case_key = page.locator("h1").inner_text().strip()
    assert case_key.startswith("DS"), case_key
    expect(timeline_step(page, "leader_sign")).to_have_attribute("data-status", "open")
    expect(page.locator("#case-assets tr[data-asset='BM-HD-003']")).to_be_visible()
    page.goto("/destruction-register")
    for item in (document, disk):
        expect(page.locator(f"#destruction-items tr[data-item='{item}']")).to_contain_text("已列入销毁清单")

    # 刘洋 signs; the disk makes it a matter for the security committee too (MED.6), and 周敏 approves.
    act_as(page, LEADER)
    open_task(page, "leader_sign", case_key)
    decide(page, "approve", "同意销毁。")
    submit_task(page)
    act_as(page, COMMITTEE)
    open_task(page, "committee_approval", case_key)
    decide(page, "approve", "同意销毁硬盘。")
    screenshot("p4-04-committee")
    submit_task(page)

    # 陈静 names the escorts. Naming 刘洋, who signed the manifest, is refused beside the field (DES.2) ...
    act_as(page, SECURITY_OFFICE)
    open_task(page, "escort_to_site", case_key)
    page.check(f"#f-escorts-{office_id}")
    page.check(f"#f-escorts-{leader_id}")
    page.select_option("#f-destination", str(site_id))
    page.fill("#f-delivered_on", today)
    page.check("#f-counted_and_sealed")
    page.fill("#f-comment", "专车护送")
    page.expected_console_errors.append(r"/tasks/\d+: .*status of 422")  # the form comes back with its errors
    page.click("#complete")
    expect(page.locator("#form-error")).to_contain_text("签字批准销毁清单的领导（刘洋）不能同时担任护送人")
    escorts = page.locator("[data-field=escorts]")
    expect(escorts.locator("#f-escorts")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(escorts.locator(".invalid-feedback")).to_have_text(
        "签字批准销毁清单的领导（刘洋）不能同时担任护送人（DES.2）。")
    expect(page.locator(f"#f-escorts-{office_id}")).to_be_checked()
    expect(page.locator(f"#f-escorts-{leader_id}")).to_be_checked()
    expect(page.locator("#f-destination")).to_have_value(str(site_id))
    expect(page.locator("#f-delivered_on")).to_have_value(today)
    expect(page.locator("#f-counted_and_sealed")).to_be_checked()
    expect(page.locator("#f-comment")).to_have_value("专车护送")
    screenshot("p4-05-escort-refused")
    page.goto(case_url)
    expect(timeline_step(page, "escort_to_site")).to_have_attribute("data-status", "open")
    expect(timeline_step(page, "confirm_item")).to_have_count(0)

    # ... so she takes 冯雪 instead, and the two of them take the carriers to the designated site.
    open_task(page, "escort_to_site", case_key)
    page.check(f"#f-escorts-{office_id}")
    page.check(f"#f-escorts-{officer_id}")
    page.select_option("#f-destination", str(site_id))
    page.fill("#f-delivered_on", today)
    page.check("#f-counted_and_sealed")
    submit_task(page)

    # Each escort confirms with their own task that they took the carriers there (DES.2): 陈静, then 冯雪.
    # Until both have, no item can be confirmed destroyed.
    open_task(page, "confirm_escort", case_key)
    expect(page.locator("#task-subject")).to_contain_text("陈静")
    page.check("#f-escorted")
    page.fill("#f-comment", "专车护送，载体未离人")
    screenshot("p4-06a-confirm-escort")
    submit_task(page)
    act_as(page, OFFICER)
    page.goto("/inbox")
    expect(page.locator(f"#mine-tasks tr[data-bpmn=confirm_item][data-case='{case_key}']")).to_have_count(0)
    open_task(page, "confirm_escort", case_key)
    expect(page.locator("#task-subject")).to_contain_text("冯雪")
    page.check("#f-escorted")
    submit_task(page)

    # 冯雪 confirms each item destroyed at the site, one task per item.
    page.goto("/inbox")
    expect(page.locator(f"#mine-tasks tr[data-bpmn=confirm_item][data-case='{case_key}']")).to_have_count(2)
    screenshot("p4-06-inbox-per-item", full_page=False)
    for n, (item, label, method) in enumerate(((document, "办密〔2026〕7号", "shredding"),
                                               (disk, DISK, "degaussing")), start=1):
        subject = page.locator(f"#mine-tasks tr[data-bpmn=confirm_item][data-case='{case_key}'] .task-subject",
                               has_text=label).inner_text().strip()
        assert subject.startswith(f"#{item} "), subject
        open_task_about(page, "confirm_item", case_key, subject)
        expect(page.locator("#task-subject")).to_contain_text(label)
        page.select_option("#f-item_outcome", "destroyed")
        page.select_option("#f-disposal_method", method)
        page.fill("#f-receipt_number", f"XH-2026-00{n}")
        page.fill("#f-destroyed_on", today)
        page.select_option("#f-site", str(site_id))
        if n == 2:
            screenshot("p4-07-confirm-item")
        submit_task(page)

    # The manifest is closed, every item destroyed, the disk gone from the asset register.
    show_case(page, case_url)
    expect(page.locator("#case-status")).to_have_attribute("data-status", "completed")
    for step in ("leader_sign", "committee_approval", "escort_to_site"):
        expect(timeline_step(page, step)).to_have_attribute("data-status", "completed")
    expect(page.locator("#timeline li[data-task=confirm_escort][data-status=completed]")).to_have_count(2)
    expect(timeline_step(page, "confirm_item")).to_have_count(2)
    expect(page.locator("#timeline li[data-task=confirm_item][data-status=completed]")).to_have_count(2)
    expect(page.locator("#timeline li.pending")).to_have_count(0)
    expect(_asset_status(page, DISK)).to_have_text("已销毁")
    page.click("details:has(#audit-log) summary")
    escorted = page.locator("#audit-log tr", has_text="destruction_manifest_escorted")
    expect(escorted).to_have_count(1)  # one escort recorded: the refused attempt left no trace
    expect(escorted).to_contain_text("陈静")
    expect(escorted).to_contain_text("冯雪")
    expect(escorted).not_to_contain_text("刘洋")
    expect(page.locator("#audit-log tr", has_text="destruction_item_destroyed")).to_have_count(2)
    screenshot("p4-08-case-completed")
    page.goto("/destruction-register?status=destroyed")
    for item in (document, disk):
        expect(page.locator(f"#destruction-items tr[data-item='{item}']")).to_contain_text("已销毁")
    screenshot("p4-09-register-destroyed")
