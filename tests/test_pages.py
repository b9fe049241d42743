"""The server-rendered pages as a user meets them: sign in, portal, start form, inbox, task, case."""
import re

from sqlalchemy import select

from models import HumanTask, ProcessInstance
from tests.carry_out_helpers import APPLICANT, SECTION_HEAD, application, start


def test_login_page_is_chinese_by_default_and_refuses_bad_credentials(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="zh-CN"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": "zhangwei", "password": "nope", "csrf_token": token})
    assert response.status_code == 401 and "用户名或密码错误" in response.get_data(as_text=True)


def test_interface_strings_are_translated_at_run_time(as_user, app):
    """The catalogue must be found for the zh_CN locale (Babel reads it as zh_Hans_CN)."""
    assert "登录" in app.test_client().get("/login").get_data(as_text=True)
    page = as_user(APPLICANT).get("/").get_data(as_text=True)
    assert "退出" in page and "发起申请" in page and "Sign out" not in page


def test_form_post_without_csrf_token_is_refused(app):
    response = app.test_client().post("/login", data={"username": "zhangwei", "password": "x"})
    assert response.status_code == 400


def test_pages_require_sign_in(app):
    response = app.test_client().get("/inbox")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_open_redirect_after_login_is_ignored(app):
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login?next=//evil.example/x", data={"username": "zhangwei", "password": "Baomi@2026",
                                                               "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_start_form_error_keeps_what_was_typed(as_user, db):
    client = as_user(APPLICANT)
    body = application(db, return_date="2020-01-01")
    body["csrf_token"] = client.csrf
    body["acknowledge_rules"] = "on"
    response = client.post("/start/carry_out", data=body)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "日期不能早于外出日期" in page
    assert "北京市国家会议中心" in page and "专人随身携带，全程不离身" in page
    assert db.scalar(select(ProcessInstance.id)) is None


def test_start_complete_and_see_the_case_through_pages(as_user, api, db):
    client = as_user(APPLICANT)
    body = application(db)
    body.update(csrf_token=client.csrf, acknowledge_rules="on")
    response = client.post("/start/carry_out", data=body)
    assert response.status_code == 302
    case_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "BM-LT-001" in case_page and 'id="diagram"' in case_page
    head = as_user(SECTION_HEAD)
    inbox = head.get("/inbox").get_data(as_text=True)
    task_id = db.scalar(select(HumanTask.id).where(HumanTask.bpmn_id == "section_head_review"))
    assert f'data-task="{task_id}"' in inbox
    done = head.post(f"/tasks/{task_id}", data={"decision": "approve", "comment": "同意", "csrf_token": head.csrf})
    assert done.status_code == 302
    assert 'data-bpmn="leader_approval"' not in head.get("/inbox").get_data(as_text=True)


def test_task_form_error_is_shown_on_the_page(as_user, api, db):
    start(api(APPLICANT), db)
    head = as_user(SECTION_HEAD)
    task_id = db.scalar(select(HumanTask.id).where(HumanTask.bpmn_id == "section_head_review"))
    response = head.post(f"/tasks/{task_id}", data={"comment": "没有选择", "csrf_token": head.csrf})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "此项为必填项" in page and "没有选择" in page


def test_someone_elses_case_is_not_found(as_user, api, db):
    instance_id = start(api(APPLICANT), db).get_json()["instance"]["id"]
    assert as_user("wangfang").get(f"/cases/{instance_id}").status_code == 404
