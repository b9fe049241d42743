"""The approval sheet (审批单) the security office files: the case data under the forms' labels, the chain of
approvals with names, decisions, comments and times, the office's name; as a print page and as a PDF drawn
from the same document; every print and export in the audit log; only for who may see the case."""
import shutil
import subprocess

import pytest
from sqlalchemy import select

from models import AuditEvent
from tests.carry_out_helpers import (APPLICANT, LEADER, SECTION_HEAD, SECURITY_OFFICE, complete,
                                     hand_out_body, start)

OUTSIDER = "wangfang"


@pytest.fixture
def approved_case(api, db):
    """A carry-out approved by the section head and the leader, waiting for the security office's hand-out."""
    case_id = start(api(APPLICANT), db).get_json()["instance"]["id"]
    complete(api(SECTION_HEAD), "section_head_review", {"decision": "approve", "comment": "情况属实，同意"})
    complete(api(LEADER), "leader_approval", {"decision": "approve", "comment": "同意携带外出，注意保管"})
    return case_id


def test_print_page_shows_data_chain_and_office(as_user, db, approved_case):
    html = as_user(SECURITY_OFFICE).get(f"/cases/{approved_case}/sheet").get_data(as_text=True)
    assert "市人民政府办公室" in html
    assert "涉密笔记本和介质携带外出" in html and "审批单" in html
    for label, value in (("前往地点", "北京市国家会议中心"), ("外出事由", "参加全市保密工作会议"),
                         ("保密措施", "专人随身携带，全程不离身"), ("已确认知悉相关规定", "是")):
        assert f"<th>{label}</th><td>{value}</td>" in html
    assert "BM-LT-001" in html
    chain = html[html.index('id="sheet-chain"'):]
    for text in ("提交申请", "张伟", "科室负责人审核", "李华", "情况属实，同意", "分管领导审批", "刘洋",
                 "同意携带外出，注意保管", "同意", "待办理"):
        assert text in chain, text
    assert chain.index("李华") < chain.index("刘洋")
    assert 'id="print-now"' in html and "print.css" in html and "sheet.css" in html
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "approval_sheet_printed"))
    assert event.instance_id == approved_case and '"print"' in event.details


def test_sheet_in_english_uses_the_english_labels(as_user, approved_case):
    browser = as_user(SECURITY_OFFICE)
    with browser.session_transaction() as s:
        s["locale"] = "en"
    html = browser.get(f"/cases/{approved_case}/sheet").get_data(as_text=True)
    assert "Approval chain" in html and "<th>Destination</th>" in html and "Municipal Government Office" in html


def test_pdf_of_the_sheet(api, db, approved_case):
    response = api(SECURITY_OFFICE).get(f"/cases/{approved_case}/sheet.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.data.startswith(b"%PDF-") and b"STSong-Light" in response.data
    assert db.scalar(select(AuditEvent.action).where(AuditEvent.action == "approval_sheet_exported"))


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils' pdftotext")
def test_pdf_carries_the_same_names_and_comments(api, approved_case, tmp_path):
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(api(SECURITY_OFFICE).get(f"/cases/{approved_case}/sheet.pdf").data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    for expected in ("市人民政府办公室", "审批单", "北京市国家会议中心", "李华", "刘洋", "情况属实，同意",
                     "同意携带外出，注意保管", "BM-LT-001"):
        assert expected in text, expected


def test_the_sheet_follows_the_case_through_to_the_hand_out(api, as_user, db, approved_case):
    complete(api(SECURITY_OFFICE), "hand_out", hand_out_body())
    html = as_user(APPLICANT).get(f"/cases/{approved_case}/sheet").get_data(as_text=True)
    chain = html[html.index('id="sheet-chain"'):]
    assert "陈静" in chain


def test_only_who_may_see_the_case_gets_the_sheet(api, as_user, db, approved_case):
    assert as_user(OUTSIDER).get(f"/cases/{approved_case}/sheet").status_code == 404
    assert api(OUTSIDER).get(f"/cases/{approved_case}/sheet.pdf").status_code == 404
    api(APPLICANT).post(f"/api/v1/instances/{approved_case}/readers", json={"users": [OUTSIDER]})
    assert as_user(OUTSIDER).get(f"/cases/{approved_case}/sheet").status_code == 200
    assert api(OUTSIDER).get(f"/cases/{approved_case}/sheet.pdf").status_code == 200
    printed = db.scalars(select(AuditEvent.actor_id).where(AuditEvent.action.in_(
        ("approval_sheet_printed", "approval_sheet_exported")))).all()
    assert len(printed) == 2  # the refused requests left no trace of a print


def test_case_page_links_to_the_sheet(as_user, approved_case):
    html = as_user(APPLICANT).get(f"/cases/{approved_case}").get_data(as_text=True)
    assert f'href="/cases/{approved_case}/sheet"' in html and f'href="/cases/{approved_case}/sheet.pdf"' in html


@pytest.mark.parametrize("procedure", ["destruction", "access_change", "external_repair"])
def test_sheets_of_other_procedures_print_their_people_and_references(api, as_user, db, procedure):
    """Procedures whose data holds people, designated sites and units, per-item steps and work steps."""
    from tests import registers_helpers, repair_scrapping_helpers

    case_id = {"destruction": lambda: registers_helpers.escorted_manifest(api, db)[0],
               "access_change": lambda: registers_helpers.access_changed(api, db),
               "external_repair": lambda: repair_scrapping_helpers.repaired_on_site(api, db)}[procedure]()
    html = as_user(SECURITY_OFFICE).get(f"/cases/{case_id}/sheet").get_data(as_text=True)
    chain = html[html.index('id="sheet-chain"'):]
    assert chain.count('data-status="completed"') >= 2
    assert "None" not in html and "[" not in html[html.index('id="sheet-data"'):html.index('id="sheet-chain"')]
    pdf = api(SECURITY_OFFICE).get(f"/cases/{case_id}/sheet.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
