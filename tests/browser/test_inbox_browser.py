"""In Chromium: a section head pages through a group list longer than one page; the tab says how many wait."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from services import inbox
from tests.browser.procedure_steps import act_as
from tests.carry_out_helpers import APPLICANT, SECTION_HEAD, start


def test_paging_through_the_group_list(page: Page, screenshot, api, db, monkeypatch):
    keys = [start(api(APPLICANT), db, number).get_json()["instance"]["business_key"]
            for number in ("BM-LT-001", "BM-HD-001", "BM-U-001")]
    monkeypatch.setattr(inbox, "PAGE_SIZE", 2)  # three tasks make two pages
    act_as(page, SECTION_HEAD)
    page.goto("/inbox")
    expect(page.locator("#group-total")).to_have_text("3")
    expect(page.locator("#group-tasks tbody tr")).to_have_count(2)
    expect(page.locator("#group-pager .pager-range")).to_have_text("第 1–2 项，共 3 项")
    screenshot("inbox-paged-first")

    page.click("#group-pager .pager-next")
    expect(page.locator("#group-tasks tbody tr")).to_have_count(1)
    expect(page.locator(f"#group-tasks tr[data-case='{keys[2]}']")).to_be_visible()
    expect(page.locator("#group-pager .pager-range")).to_have_text("第 3–3 项，共 3 项")
    screenshot("inbox-paged-second")

    page.click("#group-pager .pager-previous")
    expect(page.locator(f"#group-tasks tr[data-case='{keys[0]}']")).to_be_visible()
    page.click("#lang-switch")
    expect(page.locator("#group-pager .pager-range")).to_have_text("1–2 of 3")
    expect(page.locator("#group-pager .pager-next")).to_have_text("Next")
