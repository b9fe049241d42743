"""Steps shared by the browser stories of the procedures: signing in as a demo user, taking a task from the
inbox, sending a form and looking at the case. The same moves as in test_carry_out_browser.py, plus the
per-item tasks that share one case and one BPMN id and differ only by their subject."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from services.demo_office import DEMO_PASSWORD

OFFICE_TZ = ZoneInfo("Asia/Shanghai")


def office_today() -> str:
    """Today in the office's time zone, as a date field wants it (the app refuses dates after it)."""
    return datetime.now(OFFICE_TZ).date().isoformat()


def sign_in(page: Page, username: str) -> None:
    """Sign in as this demo user through the login page, dropping whoever was signed in before."""
    page.context.clear_cookies()
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#logout")).to_be_visible()


def act_as(page: Page, username: str) -> None:
    """Switch the browser to this person, as if each sat at their own browser and stayed signed in: the
    first time through the login page, later with the session cookies they had when they left off."""
    people = page.__dict__.setdefault("people", {})
    current = page.__dict__.get("person")
    if current == username:
        return
    if current is not None:
        people[current] = page.context.cookies()
    page.context.clear_cookies()
    _until_signed_out(page)
    if username in people:
        page.context.add_cookies(people[username])  # the next page they open shows whether it still holds
    else:
        sign_in(page, username)
    page.person = username


def _until_signed_out(page: Page) -> None:
    """Chromium sometimes still sends the cleared cookies with the next request (seen under load in CI: the
    next sign-in then posted another person's session and got 400): wait until a page shows nobody."""
    for _attempt in range(20):
        page.goto("/login")
        if page.locator("#logout").count() == 0:
            return
        page.wait_for_timeout(100)
    raise AssertionError("the browser kept the previous person's session after clearing its cookies")


def sign_out(page: Page) -> None:
    page.click("#logout")
    expect(page.locator("#username")).to_be_visible()


def _take(page: Page, row_selector: str) -> None:
    page.goto("/inbox")
    group_row = page.locator(f"#group-tasks {row_selector}")
    if group_row.count():
        group_row.locator(".claim").click()
    mine_row = page.locator(f"#mine-tasks {row_selector}")
    expect(mine_row).to_have_count(1)
    mine_row.locator(".open").click()
    expect(page.locator("#task-form")).to_be_visible()


def open_task(page: Page, bpmn_id: str, case_key: str) -> None:
    """From the inbox, take the case's task with this BPMN id (claiming it if it waits for a group)."""
    _take(page, f"tr[data-bpmn={bpmn_id}][data-case='{case_key}']")


def open_task_about(page: Page, bpmn_id: str, case_key: str, subject: str) -> None:
    """The one of the case's tasks with this BPMN id whose subject (e.g. the manifest item) names `subject`."""
    _take(page, f"tr[data-bpmn={bpmn_id}][data-case='{case_key}']:has(.task-subject:text-is('{subject}'))")


def submit_task(page: Page) -> None:
    page.click("#complete")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/inbox$"))


def decide(page: Page, decision: str, comment: str) -> None:
    page.check(f"#f-decision-{decision}")
    page.fill("#f-comment", comment)


def show_case(page: Page, case_url: str) -> None:
    page.goto(case_url)
    expect(page.locator("#diagram[data-rendered=true]")).to_be_attached()


def timeline_step(page: Page, bpmn_id: str):
    return page.locator(f"#timeline li[data-task={bpmn_id}]")
