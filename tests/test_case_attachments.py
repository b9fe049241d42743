"""Files attached to a case: allowed types by extension AND content, the size limit (413, nothing stored),
bytes kept in the database, and a download only for who may see the case, always as an attachment."""
import io
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from models import AuditEvent, CaseAttachment
from tests.carry_out_helpers import APPLICANT, SECTION_HEAD, SECURITY_OFFICE, start

OUTSIDER = "wangfang"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20


def office_zip(*parts: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        for part in parts:
            z.writestr(part, "<x/>")
    return out.getvalue()


def xlsx() -> bytes:
    out = io.BytesIO()
    book = Workbook()
    book.active["A1"] = "涉密载体清单"
    book.save(out)
    return out.getvalue()


@pytest.fixture
def case_id(api, db):
    return start(api(APPLICANT), db).get_json()["instance"]["id"]


def upload(client, case_id, name, content):
    return client.client.post(f"/api/v1/instances/{case_id}/attachments", headers={"X-CSRFToken": client.token},
                              data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def stored(db) -> list[CaseAttachment]:
    db.expire_all()
    return db.scalars(select(CaseAttachment)).all()


@pytest.mark.parametrize("name, content", [
    ("出差审批.pdf", PDF), ("scan.png", PNG), ("photo.JPG", JPG), ("photo.jpeg", JPG),
    ("说明.docx", office_zip("word/document.xml")), ("清单.xlsx", None), ("备注.txt", "中文说明".encode("utf-8")),
    ("gbk.txt", "中文说明".encode("gb18030")),
])
def test_allowed_types_are_stored_and_downloaded_as_they_were(api, db, case_id, name, content):
    content = content if content is not None else xlsx()
    applicant = api(APPLICANT)
    response = upload(applicant, case_id, name, content)
    assert response.status_code == 201, response.get_json()
    meta = response.get_json()["attachment"]
    assert meta["filename"] == name and meta["size"] == len(content)
    got = applicant.get(meta["download"])
    assert got.status_code == 200 and got.data == content
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in got.headers["Cache-Control"]


@pytest.mark.parametrize("name, content, code", [
    ("tool.exe", b"MZ\x90\x00", "attachment_type_not_allowed"),
    ("page.html", b"<html>", "attachment_type_not_allowed"),
    ("noextension", b"hello", "attachment_type_not_allowed"),
    ("fake.pdf", PNG, "attachment_content_mismatch"),
    ("fake.png", b"<script>alert(1)</script>", "attachment_content_mismatch"),
    ("binary.txt", b"MZ\x90\x00\x03\x00", "attachment_content_mismatch"),
    ("sheet.docx", None, "attachment_content_mismatch"),  # an xlsx named .docx
    ("broken.xlsx", b"PK\x03\x04garbage", "attachment_content_mismatch"),
    ("empty.txt", b"", "attachment_empty"),
])
def test_wrong_types_are_refused_with_400_and_nothing_is_stored(api, db, case_id, name, content, code):
    response = upload(api(APPLICANT), case_id, name, content if content is not None else xlsx())
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["code"] == code and response.get_json()["fields"]["file"]
    assert stored(db) == []


def test_no_file_at_all_is_refused(api, db, case_id):
    client = api(APPLICANT)
    response = client.client.post(f"/api/v1/instances/{case_id}/attachments", headers={"X-CSRFToken": client.token},
                                  data={}, content_type="multipart/form-data")
    assert response.status_code == 400 and response.get_json()["code"] == "attachment_missing"


def test_size_limit_is_configurable_and_refused_with_413(api, app, db, case_id, monkeypatch):
    monkeypatch.setitem(app.config, "BAOMI_ATTACHMENT_MAX_BYTES", 1000)
    client = api(APPLICANT)
    just_over = upload(client, case_id, "a.txt", b"x" * 1001)  # within the form's allowance: the service refuses
    assert just_over.status_code == 413 and just_over.get_json()["code"] == "attachment_too_large"
    far_over = upload(client, case_id, "b.txt", b"x" * 200_000)  # over the body limit: refused before the view
    assert far_over.status_code == 413 and far_over.get_json()["code"] == "attachment_too_large"
    assert upload(client, case_id, "c.txt", b"x" * 1000).status_code == 201
    assert [a.filename for a in stored(db)] == ["c.txt"]


def test_default_limit_is_10_mb_though_other_requests_stay_under_2_mb(api, app, db, case_id):
    assert app.config["BAOMI_ATTACHMENT_MAX_BYTES"] == 10 * 1024 * 1024
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024
    client = api(APPLICANT)
    assert upload(client, case_id, "big.txt", b"a" * (3 * 1024 * 1024)).status_code == 201
    over = upload(client, case_id, "huge.txt", b"a" * (10 * 1024 * 1024 + 1))
    assert over.status_code == 413 and over.get_json()["code"] == "attachment_too_large"
    other = client.post(f"/api/v1/instances/{case_id}/comments", json={"body": "x" * (3 * 1024 * 1024)})
    assert other.status_code == 413
    assert [a.size for a in stored(db)] == [3 * 1024 * 1024]


def test_download_is_checked_by_who_may_see_the_case(api, db, case_id):
    meta = upload(api(APPLICANT), case_id, "说明.pdf", PDF).get_json()["attachment"]
    outsider = api(OUTSIDER)
    assert outsider.get(meta["download"]).status_code == 404
    assert outsider.get(f"/api/v1/instances/{case_id}/attachments").status_code == 404
    assert api(SECTION_HEAD).get(meta["download"]).data == PDF  # the approver of the case
    assert api(SECURITY_OFFICE).get(meta["download"]).status_code == 200
    # Another case's id with this attachment's id finds nothing.
    other_case = start(api("wangfang"), db, "BM-HD-002").get_json()["instance"]["id"]
    assert outsider.get(f"/api/v1/instances/{other_case}/attachments/{meta['id']}").status_code == 404
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == case_id)).all()
    assert actions.count("attachment_added") == 1 and actions.count("attachment_downloaded") == 2


def test_upload_from_the_case_page(as_user, db, case_id):
    browser = as_user(APPLICANT)
    done = browser.post(f"/cases/{case_id}/attachments", content_type="multipart/form-data",
                        data={"file": (io.BytesIO(PDF), "申请附件.pdf"), "csrf_token": browser.csrf})
    assert done.status_code == 303
    page = browser.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "申请附件.pdf" in page and 'class="attachment-link' in page
    bad = browser.post(f"/cases/{case_id}/attachments", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(b"MZ"), "virus.exe"), "csrf_token": browser.csrf},
                       follow_redirects=True)
    html = bad.get_data(as_text=True)
    assert "不允许的文件类型" in html
    assert [a.filename for a in stored(db)] == ["申请附件.pdf"]


def test_oversized_upload_from_the_page_says_so_in_the_users_language(as_user, app, db, case_id, monkeypatch):
    monkeypatch.setitem(app.config, "BAOMI_ATTACHMENT_MAX_BYTES", 1024 * 1024)
    browser = as_user(APPLICANT)
    refused = browser.post(f"/cases/{case_id}/attachments", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"x" * (2 * 1024 * 1024)), "big.txt"),
                                 "csrf_token": browser.csrf}, follow_redirects=True)
    assert refused.status_code == 200 and "文件过大：最大 1 MB。" in refused.get_data(as_text=True)
    assert stored(db) == []
