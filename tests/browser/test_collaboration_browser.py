"""Working together on a case in Chromium: the applicant copies a colleague in and attaches a file, the
section head comments with an @mention, the reader finds the case under 'Copied to me', reads it without any
way to act, and the security office prints the approval sheet. Screenshots go to /tmp/shots/collaboration/
(and tests/screenshots/)."""
from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.test_carry_out_browser import sign_in, sign_out
from tests.carry_out_helpers import APPLICANT, APPROVE, LEADER, SECTION_HEAD, SECURITY_OFFICE, complete, start

READER = "wangfang"  # 王芳, Secretariat
SHOTS = Path("/tmp/shots/collaboration")


def shot(screenshot, name: str) -> None:
    path = screenshot(name)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def test_copy_in_comment_attach_and_print(page: Page, api, db, screenshot, tmp_path):
    case_id = start(api(APPLICANT), db).get_json()["instance"]["id"]
    complete(api(SECTION_HEAD), "section_head_review", {"decision": "approve", "comment": "情况属实，同意"})

    # 张伟 copies 王芳 in and attaches the meeting notice; a wrong file type is refused on the page.
    sign_in(page, APPLICANT)
    page.goto(f"/cases/{case_id}")
    page.select_option("#cc-users", [READER])
    page.fill("#cc-note", "会议期间由王芳协助保管")
    page.click("#cc-submit")
    expect(page.locator("#reader-list li[data-reader=wangfang]")).to_be_visible()
    notice = tmp_path / "会议通知.pdf"
    notice.write_bytes(b"%PDF-1.4\n%%EOF\n")
    page.set_input_files("#upload-file", str(notice))
    page.click("#upload-submit")
    expect(page.locator("#attachment-list .attachment-link")).to_have_text("会议通知.pdf")
    wrong = tmp_path / "tool.exe"
    wrong.write_bytes(b"MZ\x90\x00")
    page.set_input_files("#upload-file", str(wrong))
    page.click("#upload-submit")
    expect(page.locator(".alert-danger")).to_contain_text("不允许的文件类型")
    expect(page.locator("#attachment-list li")).to_have_count(1)

    # A mention of someone who may not see the case is refused by name; the text comes back.
    page.expected_console_errors.append(r"status of 422")
    page.fill("#comment-body", "@zhaolei 请您也看一下")
    page.click("#comment-submit")
    expect(page.locator("#comment-error")).to_contain_text("赵磊")
    expect(page.locator("#comment-body")).to_have_value("@zhaolei 请您也看一下")
    page.fill("#comment-body", "@wangfang 会议通知已上传，请查收。")
    page.click("#comment-submit")
    expect(page.locator("#comment-list .comment")).to_have_count(1)
    expect(page.locator("#comment-list .mention")).to_have_text("@wangfang")
    page.locator("#collaboration").scroll_into_view_if_needed()
    shot(screenshot, "40-case-collaboration-panel")
    sign_out(page)

    # 王芳 is told, finds the case under 'Copied to me', and reads it without any way to act.
    sign_in(page, READER)
    expect(page.locator("#unread-count")).to_have_text("2")
    page.goto("/inbox")
    page.click("#cc-link")
    expect(page.locator("#cc-cases tbody tr")).to_have_count(1)
    shot(screenshot, "41-copied-to-me")
    page.click("#cc-cases tbody tr a")
    expect(page.locator("#reader-notice")).to_be_visible()
    expect(page.locator("#cc-form")).to_have_count(0)
    expect(page.locator("#upload-form")).to_have_count(0)
    expect(page.locator("#comment-form")).to_be_visible()  # readers may comment
    with page.expect_download() as got:
        page.click("#attachment-list .attachment-link")
    assert got.value.suggested_filename == "会议通知.pdf"
    shot(screenshot, "42-case-as-reader")
    sign_out(page)

    # The leader approves; 陈静 prints the approval sheet.
    complete(api(LEADER), "leader_approval", APPROVE)
    sign_in(page, SECURITY_OFFICE)
    page.goto(f"/cases/{case_id}")
    page.goto(page.locator("#sheet-link").get_attribute("href"))
    page.emulate_media(media="print")
    expect(page.locator("#print-now")).to_be_hidden()
    expect(page.locator("#sheet-title")).to_contain_text("审批单")
    rows = page.locator("#sheet-chain tbody tr")
    expect(rows).to_have_count(4)  # submitted, section head, leader, hand-out waiting
    expect(rows.nth(1).locator(".person")).to_have_text("李华")
    expect(rows.nth(1).locator(".comment")).to_have_text("情况属实，同意")
    expect(rows.nth(2).locator(".person")).to_have_text("刘洋")
    expect(page.locator("#sheet-attachments")).to_contain_text("会议通知.pdf")
    shot(screenshot, "43-approval-sheet-print")
