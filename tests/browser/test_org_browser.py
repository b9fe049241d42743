"""Organisation management in Chromium: the system administrator creates a person and the security
administrator gives them a dated role (三员分立), a section head is marked absent so the deputy acts, and a
file is imported after looking at its dry run."""
from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select

from models import Section, User
from models.org import office_today
from tests.browser.test_carry_out_browser import sign_in
from tests.test_org_import import ROWS, csv_bytes


def test_admin_creates_a_person_and_gives_a_dated_role(page: Page, db, screenshot):
    sign_in(page, "admin")
    page.click("#nav-org")
    expect(page.locator("#org-users tbody tr[data-user=lihua]")).to_be_visible()
    screenshot("60-org-users")

    page.fill("#username", "zhaoyun")
    page.fill("#display_name", "赵云")
    page.select_option("#section_id", label="信息科")
    page.click("#create-user")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#user-roles tr[data-role=employee]")).to_be_visible()
    expect(page.locator("#assign-role")).to_have_count(0)  # roles are the security administrator's work
    person = page.url

    page.click("#logout")
    sign_in(page, "secadmin")
    page.goto(person)
    page.select_option("#role", value="maintainer")
    page.fill("#end_date", (office_today() + timedelta(days=90)).isoformat())
    page.click("#assign-role")
    expect(page.locator("#user-roles tr[data-role=maintainer][data-state=in_force]")).to_be_visible()
    screenshot("61-org-user-page")
    user = db.scalar(select(User).where(User.username == "zhaoyun"))
    assert user.must_change_password and user.section.code == "information"


def test_absent_head_and_acting_deputy_on_the_sections_page(page: Page, db, screenshot):
    general = db.scalar(select(Section).where(Section.code == "general"))
    sign_in(page, "admin")
    page.goto("/org/sections")
    row = page.locator("form[data-section=general]")
    row.locator("select[name=head_id]").select_option(label="李华")
    row.locator("select[name=deputy_id]").select_option(label="钱宇")
    row.locator("button").click()
    expect(page.locator(".alert-success")).to_be_visible()

    lihua = db.scalar(select(User.id).where(User.username == "lihua"))
    page.goto(f"/org/users/{lihua}")
    page.click("#mark-absent")
    expect(page.locator("#mark-present")).to_be_visible()
    page.goto("/org/sections")
    expect(page.locator("form[data-section=general] .head-absent")).to_be_visible()
    screenshot("62-org-sections-acting-head")
    db.expire_all()
    assert db.get(Section, general.id).deputy.username == "qianyu"


def test_import_dry_run_then_apply(page: Page, tmp_path, db, screenshot):
    upload = tmp_path / "office.csv"
    upload.write_bytes(csv_bytes(ROWS))
    sign_in(page, "admin")
    page.goto("/org/import")
    page.set_input_files("#file", str(upload))
    page.click("#dry-run")
    # Four bad rows, and the two role rows: roles are the security administrator's to import.
    expect(page.locator("#import-refused tbody tr")).to_have_count(6)
    expect(page.locator("#import-changes")).to_contain_text("fin.clerk")
    screenshot("63-org-import-dry-run")
    assert db.scalar(select(Section).where(Section.code == "finance")) is None

    page.click("#apply-import")
    expect(page.locator("#import-passwords")).to_contain_text("fin.head")
    screenshot("64-org-import-applied")
    db.expire_all()
    assert db.scalar(select(Section).where(Section.code == "finance")) is not None
