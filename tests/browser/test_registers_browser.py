"""The registers in Chromium: the security office finds the carry-out log from the nav, filters it, opens the
print view as paper (print media: numbered lines, signature lines), and prints the destruction manifest the
escorts carry (MED.3, DES.2)."""
from playwright.sync_api import Page, expect

from tests import registers_helpers as h
from tests.browser.test_carry_out_browser import sign_in


def test_security_office_prints_the_carry_out_log_MED_3(page: Page, api, db, screenshot):
    h.carried_out(api, db, "BM-LT-001", "BM-U-001")
    h.checked_back_in(api)
    h.carried_out(api, db, "BM-HD-002", applicant="wangfang", head=h.OTHER_HEAD)

    sign_in(page, h.SECURITY_OFFICE)
    page.click("#nav-registers-menu summary")
    page.click("#nav-registers")
    page.click("[data-register=carry_out]")
    rows = page.locator("#ledger tbody tr.ledger-row")
    expect(rows).to_have_count(2)
    page.select_option("#status", "out")
    page.click("#apply-filters")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("BM-HD-002")
    page.select_option("#status", "")
    page.click("#apply-filters")
    expect(rows).to_have_count(2)
    screenshot("30-registers-carry-out")

    page.goto(page.locator("#print-view").get_attribute("href"))
    page.emulate_media(media="print")
    lines = page.locator("#print-ledger tbody tr")
    expect(lines).to_have_count(2)
    expect(lines.first.locator("td.number")).to_have_text("1")
    expect(page.locator("#print-now")).to_be_hidden()  # the toolbar stays off the paper
    expect(page.locator(".signature")).to_have_count(3)
    screenshot("31-registers-carry-out-print")


def test_destruction_manifest_prints_as_the_escorts_carry_it_DES_2(page: Page, api, db, screenshot):
    instance_id, _items = h.escorted_manifest(api, db, destroy=False)
    sign_in(page, h.OFFICER)
    page.goto("/registers/destruction")
    expect(page.locator("#ledger tbody tr.ledger-row")).to_have_count(1)
    page.goto(page.locator(".manifest-link").get_attribute("href"))
    page.emulate_media(media="print")
    expect(page.locator("#manifest-items tbody tr")).to_have_count(2)
    expect(page.locator("#manifest-signatures")).to_contain_text("刘洋")
    expect(page.locator(".signature.escort")).to_have_count(2)
    expect(page.locator("#manifest-site")).to_contain_text("市保密局指定销毁点")
    expect(page.locator("#site-confirmation")).to_be_visible()
    screenshot("32-destruction-manifest-print")
    assert f"/registers/destruction/{instance_id}/manifest" in page.url
