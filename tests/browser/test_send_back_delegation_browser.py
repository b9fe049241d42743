"""Send back and delegation clicked through in Chromium: the leader sends a carry-out back to its applicant
with a reason, the applicant finds it in the inbox and resubmits; the section head names a delegate, who
sees and completes the head's task, shown in the timeline as done for the head."""
from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from models import User

from tests.browser.test_carry_out_browser import open_task, sign_in, sign_out, submit_task
from tests.carry_out_helpers import APPLICANT, APPROVE, LEADER, SECTION_HEAD, complete, start

SHOTS = Path("/tmp/shots/flow_actions")
DELEGATE = "zhaolei"


def keep(path: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def test_leader_sends_back_and_the_applicant_resubmits(page: Page, screenshot, api, db):
    started = start(api(APPLICANT), db).get_json()["instance"]
    complete(api(SECTION_HEAD), "section_head_review", APPROVE)
    case_url = f"/cases/{started['id']}"

    sign_in(page, LEADER)
    # From the task page, where the leader works: its actions are the case page's.
    from tests.carry_out_helpers import open_task as task_of
    page.goto(f"/tasks/{task_of(api(LEADER), 'leader_approval')['id']}")
    expect(page.locator("#task-form")).to_be_visible()
    actions = page.locator("#case-actions")
    expect(actions).to_be_visible()
    form = actions.locator(".send-back-form")
    form.locator("select[name=target]").select_option("start")
    form.locator("input[name=reason]").fill("归还日期请提前一天，并补充保密措施。")
    keep(screenshot("flow-01-send-back-form"))
    form.locator("button").click()
    expect(page).to_have_url(re.compile(case_url + "$"))
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#timeline li[data-task=leader_approval]")).to_have_attribute("data-status", "sent_back")
    expect(page.locator("#timeline li[data-task=start]")).to_have_attribute("data-status", "open")
    keep(screenshot("flow-02-case-sent-back"))
    sign_out(page)

    sign_in(page, APPLICANT)
    page.goto("/inbox")
    row = page.locator(f"#mine-tasks tr[data-bpmn=start][data-case='{started['business_key']}']")
    expect(row).to_be_visible()
    row.locator(".open").click()
    expect(page).to_have_url(re.compile(r"/tasks/\d+/resubmit$"))
    expect(page.locator("#sent-back-reason")).to_contain_text("归还日期请提前一天")
    expect(page.locator("#asset-BM-LT-001")).to_be_checked()
    expect(page.locator("#f-destination")).to_have_value("北京市国家会议中心")
    page.fill("#f-security_measures", "专人随身携带，加密存储，全程不离身")
    page.fill("#f-return_date", (date.today() + timedelta(days=2)).isoformat())
    keep(screenshot("flow-03-resubmit"))
    page.click("#resubmit")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"{case_url}$"))
    expect(page.locator("#timeline li[data-task=start]")).to_have_attribute("data-status", "completed")
    expect(page.locator("#timeline li[data-task=section_head_review][data-status=open]")).to_have_count(1)


def test_delegate_sees_and_completes_the_delegators_task(page: Page, screenshot, api, db):
    started = start(api(APPLICANT), db).get_json()["instance"]

    sign_in(page, SECTION_HEAD)
    page.click("#nav-delegation")
    page.select_option("#delegate_id", str(db.scalar(select(User.id).where(User.username == DELEGATE))))
    page.fill("#starts_on", date.today().isoformat())
    page.fill("#ends_on", (date.today() + timedelta(days=5)).isoformat())
    page.fill("#reason", "外出参加培训")
    page.click("#save-delegation")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#my-delegations tbody tr")).to_have_count(1)
    keep(screenshot("flow-04-delegation"))
    sign_out(page)

    sign_in(page, DELEGATE)
    open_task(page, "section_head_review", started["business_key"])
    page.check("#f-decision-approve")
    page.fill("#f-comment", "代为审核，同意。")
    submit_task(page)
    page.goto(f"/cases/{started['id']}")
    done = page.locator("#timeline li[data-task=section_head_review]")
    expect(done).to_have_attribute("data-status", "completed")
    expect(done.locator(".for-user")).to_contain_text("李华")
    keep(screenshot("flow-05-done-for-delegator"))
