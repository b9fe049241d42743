"""Issue 5 in Chromium: the system administrator opens a running case on the console, previews its move to
the newer version (the added step listed), moves it, and the case view shows the new version; a version
that removes the step the case waits in is refused on the preview with its reason."""
from playwright.sync_api import Page, expect

from tests.browser.test_carry_out_browser import sign_in
from tests.test_case_migration import (PRECHECK_FORM, publish, started_case, with_precheck,
                                       without_section_head)

def test_admin_previews_and_moves_a_case_to_the_new_version(page: Page, api, db, screenshot):
    case_id = started_case(api, db)
    publish(db, with_precheck(), {"security_precheck": PRECHECK_FORM})
    sign_in(page, "admin")
    page.goto(f"/admin/cases/{case_id}")
    page.click("#migration-link")
    expect(page.locator("#migration-possible")).to_be_visible()
    expect(page.locator("tr[data-added=security_precheck]")).to_contain_text("保密办预审")
    expect(page.locator("#waits-in-after")).to_contain_text("科室负责人审核")
    screenshot("migration-preview")
    page.click("#migrate-form button")
    expect(page.locator(".alert-success")).to_contain_text("2")
    expect(page.get_by_text("版本 2").or_(page.get_by_text("version 2")).first).to_be_visible()
    screenshot("migrated-case")


def test_a_refused_move_names_its_reason(page: Page, api, db, screenshot):
    case_id = started_case(api, db)
    publish(db, without_section_head())
    sign_in(page, "admin")
    page.goto(f"/admin/cases/{case_id}/migration")
    expect(page.locator("#migration-refused")).to_contain_text("科室负责人审核")
    expect(page.locator("#migrate-form")).to_have_count(0)
    screenshot("migration-refused")
