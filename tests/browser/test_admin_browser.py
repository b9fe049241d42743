"""The admin console in Chromium: a stuck case is found by its filter, suspended with a reason, and the
security auditor finds the reason in the audit log (三员分立: not the system administrator's page); the
statistics draw their heat map on the diagram."""
from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select

from models import HumanTask, ProcessInstance, utcnow
from tests.browser.test_carry_out_browser import sign_in
from tests.carry_out_helpers import APPLICANT, APPROVE, SECTION_HEAD, open_task, start


def test_admin_finds_a_stuck_case_and_suspends_it_with_a_reason(page: Page, api, db, screenshot):
    stuck_id = start(api(APPLICANT), db, "BM-LT-001").get_json()["instance"]["id"]
    start(api(APPLICANT), db, "BM-U-001")
    head = api(SECTION_HEAD)
    head.post(f"/api/v1/tasks/{open_task(head, 'section_head_review')['id']}/complete", json=APPROVE)
    stuck = db.get(ProcessInstance, stuck_id)
    stuck.updated_at = utcnow() - timedelta(days=9)
    db.commit()

    sign_in(page, "admin")
    page.click("#nav-admin")
    expect(page.locator("#admin-cases tbody tr")).to_have_count(2)
    page.check("#flag-stuck")
    page.click("#apply-filters")
    rows = page.locator("#admin-cases tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".stuck")).to_be_visible()
    screenshot("20-admin-stuck-cases")

    rows.first.locator("a").first.click()
    form = page.locator("#action-suspend")
    form.locator("input[name=reason]").fill("等待申请人补充材料")
    form.locator("button").click()
    expect(page.locator("#case-status")).to_have_attribute("data-status", "suspended")
    expect(page.locator("#case-audit")).to_contain_text("等待申请人补充材料")
    screenshot("21-admin-case-suspended")

    expect(page.locator("#admin-tabs >> text=审计日志")).to_have_count(0)
    page.goto("/admin/statistics")
    expect(page.locator("[data-process=carry_out] .heatmap[data-rendered=true]")).to_be_visible()
    expect(page.locator("[data-process=carry_out] .heat").first).to_be_visible()
    screenshot("22-admin-statistics")
    assert db.scalar(select(HumanTask.id).where(HumanTask.instance_id == stuck_id)) is not None

    page.click("#logout")
    sign_in(page, "auditor")
    page.click("#nav-admin")
    expect(page.locator("#audit-log")).to_contain_text("case_suspended")
    screenshot("23-auditor-audit-log")
