"""The carry-out procedure clicked through in Chromium, in Chinese, by the four people who take part:
the applicant asks, the section head and the leader approve, the security office hands the laptop out
and checks it back in. Screenshots of every main page go to tests/screenshots/."""
from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import Page, expect

from services.demo_office import DEMO_PASSWORD
from tests.carry_out_helpers import APPLICANT, LEADER, SECTION_HEAD, SECURITY_OFFICE, start

ASSET = "BM-LT-001"
STEPS = ["section_head_review", "leader_approval", "hand_out", "return_check_in"]


def sign_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#logout")).to_be_visible()


def sign_out(page: Page) -> None:
    page.click("#logout")
    expect(page.locator("#username")).to_be_visible()


def fill_application(page: Page, out_day: date, return_day: date) -> None:
    page.check(f"#asset-{ASSET}")
    page.fill("#f-destination", "北京市国家会议中心")
    page.fill("#f-purpose", "参加全市保密工作会议")
    page.fill("#f-out_date", out_day.isoformat())
    page.fill("#f-return_date", return_day.isoformat())
    page.fill("#f-security_measures", "专人随身携带，全程不离身")
    page.check("#f-acknowledge_rules")


def open_task(page: Page, bpmn_id: str, case_key: str):
    """From the inbox, take the case's task with this BPMN id (claiming it if it waits for a group)."""
    page.goto("/inbox")
    row = f"tr[data-bpmn={bpmn_id}][data-case='{case_key}']"
    group_row = page.locator(f"#group-tasks {row}")
    if group_row.count():
        group_row.locator(".claim").click()
    mine_row = page.locator(f"#mine-tasks {row}")
    expect(mine_row).to_be_visible()
    mine_row.locator(".open").click()
    expect(page.locator("#task-form")).to_be_visible()


def submit_task(page: Page) -> None:
    page.click("#complete")
    expect(page.locator(".alert-success")).to_be_visible()


def show_case(page: Page, case_url: str) -> None:
    page.goto(case_url)
    expect(page.locator("#diagram[data-rendered=true]")).to_be_attached()


def test_carry_out_from_application_to_return(page: Page, screenshot):
    out_day = date.today() + timedelta(days=1)
    return_day = out_day + timedelta(days=3)

    # 张伟 applies to carry the section's secret laptop to a meeting.
    page.goto("/login")
    expect(page.locator("#username")).to_be_visible()
    screenshot("01-login")
    sign_in(page, APPLICANT)
    page.click("#start-carry_out")
    expect(page.locator("#start-form")).to_be_visible()
    fill_application(page, out_day, return_day)
    screenshot("02-start-form")
    page.click("#submit")
    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    case_url = page.url
    expect(page.locator("#case-status")).to_have_attribute("data-status", "running")
    case_key = page.locator("h1").inner_text().strip()
    expect(page.locator("#case-assets tr[data-asset='BM-LT-001']")).to_be_visible()
    expect(page.locator("#timeline li[data-task=section_head_review]")).to_have_attribute("data-status", "open")
    sign_out(page)

    # 李华, the section head, finds it in the group inbox, claims it and approves.
    sign_in(page, SECTION_HEAD)
    page.goto("/inbox")
    waiting = page.locator(f"#group-tasks tr[data-bpmn=section_head_review][data-case='{case_key}']")
    expect(waiting).to_be_visible()
    screenshot("03-inbox-with-task", full_page=False)
    waiting.locator(".claim").click()
    expect(page.locator(f"#mine-tasks tr[data-bpmn=section_head_review][data-case='{case_key}']")).to_be_visible()
    open_task(page, "section_head_review", case_key)
    page.check("#f-decision-approve")
    page.fill("#f-comment", "同意携带，注意全程保管。")
    screenshot("04-task-form")
    submit_task(page)
    show_case(page, case_url)
    expect(page.locator("#diagram .highlight-current")).to_have_count(1)
    expect(page.locator("#timeline li[data-task=section_head_review] .comment")).to_contain_text("同意携带")
    screenshot("05-case-in-progress")
    sign_out(page)

    # 刘洋, the leader in charge, approves.
    sign_in(page, LEADER)
    open_task(page, "leader_approval", case_key)
    page.check("#f-decision-approve")
    page.fill("#f-comment", "同意。")
    submit_task(page)
    sign_out(page)

    # 陈静 of the security office hands the laptop out; the case shows it as carried out.
    sign_in(page, SECURITY_OFFICE)
    open_task(page, "hand_out", case_key)
    page.fill("#f-handed_out_on", date.today().isoformat())
    page.check("#f-checked_before_handout")
    submit_task(page)
    page.goto(case_url)
    expect(page.locator("#case-assets tr[data-asset='BM-LT-001'] .asset-status")).to_have_text("携带外出")

    # ... and, once it is back, checks it in.
    open_task(page, "return_check_in", case_key)
    page.fill("#f-returned_on", date.today().isoformat())
    page.select_option("#f-condition", "intact")
    submit_task(page)
    sign_out(page)

    # 张伟 sees the case closed, every step in the timeline, and the diagram drawn.
    sign_in(page, APPLICANT)
    show_case(page, case_url)
    expect(page.locator("#case-status")).to_have_attribute("data-status", "completed")
    expect(page.locator("#case-status")).to_have_text("已办结")
    for step in STEPS:
        expect(page.locator(f"#timeline li[data-task={step}]")).to_have_attribute("data-status", "completed")
    expect(page.locator("#timeline li.pending")).to_have_count(0)
    expect(page.locator("#diagram .highlight-current")).to_have_count(0)
    expect(page.locator("#case-assets tr[data-asset='BM-LT-001'] .asset-status")).not_to_have_text("携带外出")
    screenshot("06-case-completed")


def test_return_before_out_date_is_refused_and_nothing_typed_is_lost(page: Page, screenshot):
    out_day = date.today() + timedelta(days=3)
    return_day = date.today() + timedelta(days=1)
    sign_in(page, APPLICANT)
    page.goto("/start/carry_out")
    fill_application(page, out_day, return_day)
    page.expected_console_errors.append(r"/start/carry_out: .*status of 422")  # the form comes back with its errors
    page.click("#submit")

    expect(page.locator("#form-error")).to_be_visible()
    return_field = page.locator("[data-field=return_date]")
    expect(return_field.locator("#f-return_date")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(return_field.locator(".invalid-feedback")).to_have_text("日期不能早于外出日期。")
    expect(page.locator(f"#asset-{ASSET}")).to_be_checked()
    expect(page.locator("#f-destination")).to_have_value("北京市国家会议中心")
    expect(page.locator("#f-purpose")).to_have_value("参加全市保密工作会议")
    expect(page.locator("#f-out_date")).to_have_value(out_day.isoformat())
    expect(page.locator("#f-return_date")).to_have_value(return_day.isoformat())
    expect(page.locator("#f-security_measures")).to_have_value("专人随身携带，全程不离身")
    expect(page.locator("#f-acknowledge_rules")).to_be_checked()
    screenshot("07-start-form-error")


def test_language_switch_turns_the_inbox_into_english(page: Page, screenshot, api, db):
    assert start(api(APPLICANT), db, ASSET).status_code == 201
    sign_in(page, SECTION_HEAD)
    page.goto("/inbox")
    expect(page.locator("#group-tasks tr[data-bpmn=section_head_review]")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.click("#lang-switch")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/inbox$"))
    expect(page.locator("h1")).to_have_text("Inbox")
    expect(page.locator("#logout")).to_have_text("Sign out")
    expect(page.locator("#lang-switch")).to_have_text("中文")
    expect(page.locator("#group-tasks tr[data-bpmn=section_head_review]")).to_contain_text("Section head review")
    screenshot("08-inbox-english", full_page=False)
