"""The destruction register in the browser's terms: the list, registering a carrier by form, refusals that
keep what was typed, and who may see it."""
from sqlalchemy import func, select

from models import DestructionItem
from tests.conftest import csrf_from

OFFICER = "fengxue"
URL = "/destruction-register"


def _count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(DestructionItem))


def test_officer_registers_a_document_by_form_DES_2(as_user, db):
    client = as_user(OFFICER)
    html = client.get(URL).get_data(as_text=True)
    assert "销毁登记簿" in html and 'id="register-form"' in html and 'id="nav-destruction"' in html
    form = {"csrf_token": csrf_from(html), "item_type": "document", "category": "1", "classification": "secret",
            "doc_number": "综发〔2025〕12号", "title": "2025年度保密检查方案", "copies": "2", "pages": "8"}
    page = client.post(URL, data=form, follow_redirects=True).get_data(as_text=True)
    assert "已登记" in page and "2025年度保密检查方案" in page
    item = db.scalar(select(DestructionItem))
    assert (item.doc_number, item.copies, item.pages, item.category, item.status) == (
        "综发〔2025〕12号", 2, 8, "1", "registered")


def test_refused_form_keeps_what_was_typed_and_says_why_in_chinese_DES_2(as_user, db):
    client = as_user(OFFICER)
    token = csrf_from(client.get(URL).get_data(as_text=True))
    typed = {"csrf_token": token, "item_type": "document", "category": "1", "classification": "secret",
             "title": "未填文号的文件", "pages": "3"}
    response = client.post(URL, data=typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "涉密文件须登记文号" in html and 'value="未填文号的文件"' in html
    bad_number = client.post(URL, data={**typed, "doc_number": "X-1", "copies": "zero"})
    assert bad_number.status_code == 422 and "is-invalid" in bad_number.get_data(as_text=True)
    assert _count(db) == 0


def test_donation_is_refused_naming_the_article_DES_4(as_user, db):
    client = as_user(OFFICER)
    token = csrf_from(client.get(URL).get_data(as_text=True))
    response = client.post(URL, data={"csrf_token": token, "item_type": "printed_reject", "classification": "secret",
                                      "doc_number": "A-1", "pages": "2", "disposal_method": "donation"})
    # The page offers no disposal method; one posted anyway is not taken from the form at all.
    assert response.status_code == 302 and _count(db) == 1
    assert db.scalar(select(DestructionItem.category)) == "7"  # printed rejects: DES.3 (7)


def test_employee_neither_sees_nor_registers(as_user, db):
    client = as_user("zhangwei")
    assert client.get(URL).status_code == 403
    assert 'id="nav-destruction"' not in client.get("/inbox").get_data(as_text=True)
    token = csrf_from(client.get("/inbox").get_data(as_text=True))
    refused = client.post(URL, data={"csrf_token": token, "item_type": "document", "category": "1",
                                     "classification": "secret", "doc_number": "1", "title": "t", "pages": "1"})
    assert refused.status_code == 403 and _count(db) == 0


def test_overseer_reads_but_registers_nothing(as_user):
    html = as_user("liuyang").get(URL).get_data(as_text=True)  # the leader in charge
    assert 'id="destruction-items"' in html and 'id="register-form"' not in html


def test_list_filters_by_status_and_pages_in_english(as_user, db):
    client = as_user(OFFICER)
    token = csrf_from(client.get(URL).get_data(as_text=True))
    for n in range(3):
        client.post(URL, data={"csrf_token": token, "item_type": "printed_reject", "classification": "secret",
                               "doc_number": f"B-{n}", "pages": "1"})
    assert _count(db) == 3
    html = client.get(URL + "?status=destroyed").get_data(as_text=True)
    assert "B-0" not in html
    assert "B-2" in client.get(URL + "?status=registered").get_data(as_text=True)
    client.post("/language", data={"csrf_token": token, "locale": "en"})
    english = client.get(URL).get_data(as_text=True)
    assert "Destruction register" in english and "Printed rejects of classified output" in english
