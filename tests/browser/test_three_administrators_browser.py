"""三员分立 in Chromium: the security administrator shortens the password expiry and lifts a lockout; the
auditor finds both actions in the audit log and verifies the chain; neither sees the other's pages."""
from playwright.sync_api import Page, expect

from tests.browser.test_carry_out_browser import sign_in, sign_out


def test_security_administrator_and_auditor_each_do_their_own_work(page: Page, screenshot):
    # Wrong passwords answer 401 and the other administrator's pages 403: meant here.
    page.expected_console_errors += [r"status of 401", r"status of 403"]
    # Three wrong passwords give zhangwei a record on the lockout table.
    for _attempt in range(3):
        page.goto("/login")
        page.fill("#username", "zhangwei")
        page.fill("#password", "wrong-password")
        page.click("button[type=submit]")
    sign_in(page, "secadmin")
    page.click("#nav-admin")
    expect(page.locator("#security-settings")).to_be_visible()
    expect(page.locator("#nav-org")).to_be_visible()  # people, to give them roles
    page.fill("#password_max_age_days", "30")
    page.click("#save-settings")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#password_max_age_days")).to_have_value("30")
    row = page.locator("#locks tr[data-lock=zhangwei]")
    expect(row).to_be_visible()
    screenshot("70-security-admin-settings")
    row.locator("button").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#locks tr[data-lock=zhangwei]")).to_have_count(0)
    assert page.goto("/admin/audit").status == 403  # the auditor's page
    sign_out(page)

    sign_in(page, "auditor")
    page.click("#nav-admin")
    log = page.locator("#audit-log")
    expect(log).to_contain_text("security_settings_changed")
    expect(log).to_contain_text("secadmin")
    page.click("#admin-tabs >> text=校验审计日志")
    expect(page.locator("#audit-intact")).to_be_visible()
    screenshot("71-auditor-verify")
    assert page.goto("/admin/security").status == 403  # the security administrator's page
    expect(page.locator("#nav-org")).to_have_count(0)
