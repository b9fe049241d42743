"""In Chromium: the section head ticks two reviews in the inbox and approves them at once (批量同意); a task
whose form needs more has no checkbox. And the case page of a countersigned step with an added approver."""
from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from models import HumanTask, RoleAssignment
from tests.browser.procedure_steps import act_as
from tests.carry_out_helpers import APPLICANT, APPROVE, SECTION_HEAD, complete, start
from tests.test_destruction_api import (COMMITTEE, LEADER, OFFICER, SECURITY_OFFICE, register_asset,
                                        start as start_manifest, user_id)

SHOTS = Path("/tmp/shots/countersign")


def keep(path: Path) -> None:
    """A copy of the screenshot where the helper's report points."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def test_bulk_approve_from_the_inbox(page: Page, screenshot, api, db):
    keys = {}
    for number in ("BM-LT-001", "BM-HD-001", "BM-U-001"):
        body = start(api(APPLICANT), db, number).get_json()
        keys[number] = body["instance"]["business_key"]
    act_as(page, SECTION_HEAD)
    page.goto("/inbox")
    rows = page.locator("#group-tasks tr[data-bpmn=section_head_review]")
    expect(rows).to_have_count(3)
    expect(page.locator("#bulk-approve")).to_be_visible()
    for number in ("BM-LT-001", "BM-HD-001"):
        page.locator(f"#group-tasks tr[data-case='{keys[number]}'] .bulk-pick").check()
    page.fill("#bulk-comment", "同意，按期归还")
    keep(screenshot("countersign-bulk-inbox-zh", full_page=False))
    page.click("#bulk-approve-button")

    expect(page.locator(".alert-success")).to_contain_text(keys["BM-LT-001"])
    expect(page.locator(".alert-success")).to_contain_text(keys["BM-HD-001"])
    expect(page.locator("#group-tasks tr[data-bpmn=section_head_review]")).to_have_count(1)
    expect(page.locator(f"#group-tasks tr[data-case='{keys['BM-U-001']}']")).to_be_visible()
    keep(screenshot("countersign-bulk-done-zh", full_page=False))
    db.expire_all()
    done = db.scalars(select(HumanTask).where(HumanTask.bpmn_id == "section_head_review",
                                              HumanTask.status == "completed")).all()
    assert len(done) == 2 and {t.comment for t in done} == {"同意，按期归还"}

    page.click("#lang-switch")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#bulk-approve-button")).to_have_text("Approve selected")
    keep(screenshot("countersign-bulk-inbox-en", full_page=False))


def test_no_checkbox_where_the_form_needs_more(page: Page, api, db):
    start(api(APPLICANT), db, "BM-LT-001")
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    complete(api("liuyang"), "leader_approval", APPROVE)
    act_as(page, SECURITY_OFFICE)
    page.goto("/inbox")
    expect(page.locator("tr[data-bpmn=hand_out]")).to_have_count(1)
    expect(page.locator("tr[data-bpmn=hand_out] .bulk-pick")).to_have_count(0)
    expect(page.locator("#bulk-approve")).to_have_count(0)


def test_case_page_of_a_countersign_with_an_added_approver(page: Page, screenshot, api, db):
    db.add(RoleAssignment(user_id=user_id(db, "wujun"), role="security_committee", section_id=None))
    db.commit()
    officer = api(OFFICER)
    instance_id = start_manifest(officer, [register_asset(officer, db, "BM-HD-003")]).get_json()["instance"]["id"]
    complete(api(LEADER), "leader_sign", APPROVE)
    complete(api(COMMITTEE), "committee_approval", {"decision": "approve", "comment": "同意，须消磁后销毁"},
             task=next(t for t in api(COMMITTEE).get("/api/v1/tasks?scope=mine").get_json()["tasks"]))

    act_as(page, SECURITY_OFFICE)
    page.goto(f"/cases/{instance_id}")
    timeline = page.locator("#timeline")
    expect(timeline.locator("li[data-task=committee_approval]")).to_have_count(2)
    expect(timeline).to_contain_text("周敏")
    expect(timeline).to_contain_text("吴军")
    form = page.locator(".add-approver-form").first
    form.locator("select[name=user_id]").select_option(label="钱宇")
    form.locator("select[name=position]").select_option("before")
    form.locator("input[name=reason]").fill("请保管人确认载体清点")
    form.locator("button").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#added-approver-list")).to_contain_text("钱宇")
    expect(timeline.locator(".added-approval-note")).to_contain_text("请保管人确认载体清点")
    keep(screenshot("countersign-case-page-zh"))
