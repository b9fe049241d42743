"""The system administrator keeps the organisation through /api/v1/org: sections, users, roles with
dates, deputies, password resets, and the refusals that keep open tasks from waiting on nobody."""
import html
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from models import AuditEvent, HumanTask, RoleAssignment, Section, User
from models.org import office_today
from tests.carry_out_helpers import start as start_carry_out

ADMIN = "admin"
SECURITY_ADMIN = "secadmin"


def uid(db, username: str) -> int:
    return db.scalar(select(User.id).where(User.username == username))


def sid(db, code: str) -> int:
    return db.scalar(select(Section.id).where(Section.code == code))


def audited(db, action: str) -> list[dict]:
    db.expire_all()
    return [json.loads(e.details) for e in db.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                                      .order_by(AuditEvent.id))]


def group_task_ids(client, bpmn_id: str | None = None) -> list[int]:
    tasks = client.get("/api/v1/tasks?scope=group").get_json()["tasks"]
    return [t["id"] for t in tasks if bpmn_id is None or t["bpmn_id"] == bpmn_id]


def role_id(db, username: str, role: str) -> int:
    return db.scalar(select(RoleAssignment.id).where(RoleAssignment.user_id == uid(db, username),
                                                     RoleAssignment.role == role)
                     .execution_options(all_role_terms=True))


def test_only_the_system_administrator_may_manage_the_organisation(api):
    assert api("lihua").get("/api/v1/org/users").status_code == 403
    assert api("chenjing").post("/api/v1/org/sections", json={"code": "x", "name_zh": "某科"}).status_code == 403
    assert api().get("/api/v1/org/users").status_code == 401
    assert api(ADMIN).get("/api/v1/org/users").status_code == 200


def test_sections_are_created_renamed_and_given_a_head_and_deputy(api, db):
    admin = api(ADMIN)
    created = admin.post("/api/v1/org/sections", json={"code": "finance", "name_zh": "财务科", "name_en": "Finance"})
    assert created.status_code == 201
    section_id = created.get_json()["section"]["id"]
    again = admin.post("/api/v1/org/sections", json={"code": "finance", "name_zh": "又一个"})
    assert again.status_code == 422 and again.get_json()["code"] == "org_section_code_taken"

    body = {"name_zh": "财务审计科", "head_id": uid(db, "zhangwei"), "deputy_id": uid(db, "qianyu")}
    updated = admin.post(f"/api/v1/org/sections/{section_id}", json=body)
    assert updated.status_code == 200, updated.get_json()
    assert updated.get_json()["section"]["head_id"] == uid(db, "zhangwei")
    # The head holds section_head for exactly this section.
    assert db.scalar(select(RoleAssignment.section_id).where(
        RoleAssignment.user_id == uid(db, "zhangwei"), RoleAssignment.role == "section_head")) == section_id
    same = admin.post(f"/api/v1/org/sections/{section_id}", json={"deputy_id": uid(db, "zhangwei")})
    assert same.get_json()["code"] == "org_deputy_is_head"
    changes = audited(db, "section_updated")[-1]["changes"]
    assert changes["name_zh"] == ["财务科", "财务审计科"]


def test_a_new_user_must_replace_the_one_time_password_at_first_sign_in(api, app, db):
    admin = api(ADMIN)
    created = admin.post("/api/v1/org/users", json={"username": "newbie", "display_name": "新人",
                                                    "section_id": sid(db, "general")})
    assert created.status_code == 201, created.get_json()
    password = created.get_json()["temporary_password"]
    client = app.test_client()
    signed = client.post("/api/v1/session", json={"username": "newbie", "password": password})
    assert signed.status_code == 200
    token = signed.get_json()["csrf_token"]
    blocked = client.get("/api/v1/tasks")
    assert blocked.status_code == 403 and blocked.get_json()["code"] == "org_password_change_required"
    weak = client.post("/api/v1/account/password", json={"current_password": password, "new_password": "short"},
                       headers={"X-CSRFToken": token})
    assert weak.status_code == 422 and "new_password" in weak.get_json()["fields"]  # CNET.4's rules
    changed = client.post("/api/v1/account/password",
                          json={"current_password": password, "new_password": "Neu-Passwort-2026"},
                          headers={"X-CSRFToken": token})
    assert changed.status_code == 200
    assert client.get("/api/v1/tasks").status_code == 200
    # The employee role of their section came with the account.
    roles = admin.get(f"/api/v1/org/users/{uid(db, 'newbie')}").get_json()["roles"]
    assert [(r["role"], r["section_id"]) for r in roles] == [("employee", sid(db, "general"))]


def test_password_reset_forces_a_change_at_the_next_sign_in(api, app, db):
    reset = api(ADMIN).post(f"/api/v1/org/users/{uid(db, 'zhangwei')}/password-reset")
    password = reset.get_json()["temporary_password"]
    client = app.test_client()
    assert client.post("/api/v1/session", json={"username": "zhangwei", "password": "Baomi@2026"}).status_code == 401
    assert client.post("/api/v1/session", json={"username": "zhangwei", "password": password}).status_code == 200
    assert client.get("/api/v1/me").get_json()["code"] == "org_password_change_required"
    assert audited(db, "password_reset")[-1]["user"] == "zhangwei"


def test_an_assignment_counts_only_between_its_start_and_end_dates(api, db):
    """A future start or a past end: the person does not get the role's group tasks, nor may claim them."""
    start_carry_out(api("zhangwei"), db)
    admin, today = api(ADMIN), office_today()
    secadmin = api(SECURITY_ADMIN)  # roles are the security administrator's (三员分立)
    head_task = group_task_ids(api("lihua"), "section_head_review")
    assert head_task
    body = {"role": "section_head", "section_id": sid(db, "general"),
            "start_date": (today + timedelta(days=2)).isoformat()}
    assert secadmin.post(f"/api/v1/org/users/{uid(db, 'qianyu')}/roles", json=body).status_code == 201
    qianyu = api("qianyu")
    assert group_task_ids(qianyu, "section_head_review") == []
    assert qianyu.post(f"/api/v1/tasks/{head_task[0]}/claim").status_code == 404  # not even the case is visible

    # From today on the same assignment is in force: the task reaches the new holder.
    dates = {"start_date": today.isoformat(), "end_date": None}
    assert secadmin.post(f"/api/v1/org/roles/{role_id(db, 'qianyu', 'section_head')}", json=dates).status_code == 200
    assert group_task_ids(api("qianyu"), "section_head_review") == head_task

    # Ended yesterday: gone again, and the page shows it as ended.
    dates = {"start_date": None, "end_date": (today - timedelta(days=1)).isoformat()}
    assert secadmin.post(f"/api/v1/org/roles/{role_id(db, 'qianyu', 'section_head')}", json=dates).status_code == 200
    assert group_task_ids(api("qianyu"), "section_head_review") == []
    roles = admin.get(f"/api/v1/org/users/{uid(db, 'qianyu')}").get_json()["roles"]
    assert {r["role"]: r["state"] for r in roles}["section_head"] == "ended"


def test_group_tasks_follow_a_role_change_and_a_claimed_task_returns_to_the_group(api, db):
    start_carry_out(api("zhangwei"), db)
    lihua = api("lihua")
    task_id = group_task_ids(lihua, "section_head_review")[0]
    assert lihua.post(f"/api/v1/tasks/{task_id}/claim").status_code == 200
    secadmin = api(SECURITY_ADMIN)  # roles are the security administrator's (三员分立)
    # The new holder first, so that the task never waits on nobody.
    body = {"role": "section_head", "section_id": sid(db, "general")}
    assert secadmin.post(f"/api/v1/org/users/{uid(db, 'qianyu')}/roles", json=body).status_code == 201
    assert secadmin.delete(f"/api/v1/org/roles/{role_id(db, 'lihua', 'section_head')}").status_code == 204

    db.expire_all()
    assert db.get(HumanTask, task_id).assignee_id is None
    assert group_task_ids(api("qianyu"), "section_head_review") == [task_id]
    assert group_task_ids(api("lihua"), "section_head_review") == []
    assert api("lihua").post(f"/api/v1/tasks/{task_id}/claim").status_code == 404  # no longer sees the case
    assert audited(db, "task_returned_to_group")[-1]["reason"] == "role_removed"


def test_removing_the_last_holder_of_an_office_wide_role_that_tasks_wait_on_is_refused(api, db):
    started = start_carry_out(api("zhangwei"), db).get_json()
    lihua = api("lihua")
    task_id = group_task_ids(lihua, "section_head_review")[0]
    assert lihua.post(f"/api/v1/tasks/{task_id}/complete", json={"decision": "approve", "comment": "同意"}
                      ).status_code == 200
    refused = api(SECURITY_ADMIN).delete(f"/api/v1/org/roles/{role_id(db, 'liuyang', 'leader')}")
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["code"] == "org_last_role_holder"
    assert started["instance"]["business_key"] in body["error"]  # the waiting task is named
    assert role_id(db, "liuyang", "leader") is not None
    # With a second leader the first may go.
    secadmin = api(SECURITY_ADMIN)  # roles are the security administrator's (三员分立)
    assert secadmin.post(f"/api/v1/org/users/{uid(db, 'zhoumin')}/roles", json={"role": "leader"}).status_code == 201
    assert secadmin.delete(f"/api/v1/org/roles/{role_id(db, 'liuyang', 'leader')}").status_code == 204


def test_deactivated_user_cannot_sign_in_and_their_claimed_task_returns_to_the_group(api, app, db):
    start_carry_out(api("zhangwei"), db)
    admin = api(ADMIN)
    secadmin = api(SECURITY_ADMIN)  # roles are the security administrator's (三员分立)
    assert secadmin.post(f"/api/v1/org/users/{uid(db, 'qianyu')}/roles",
                         json={"role": "section_head", "section_id": sid(db, "general")}).status_code == 201
    lihua = api("lihua")
    task_id = group_task_ids(lihua, "section_head_review")[0]
    lihua.post(f"/api/v1/tasks/{task_id}/claim")
    done = admin.post(f"/api/v1/org/users/{uid(db, 'lihua')}/deactivate", json={})
    assert done.status_code == 200 and done.get_json()["user"]["active"] is False
    db.expire_all()
    assert db.get(HumanTask, task_id).assignee_id is None
    assert group_task_ids(api("qianyu"), "section_head_review") == [task_id]
    signed = app.test_client().post("/api/v1/session", json={"username": "lihua", "password": "Baomi@2026"})
    assert signed.status_code == 401


def test_deactivating_the_only_holder_of_a_role_tasks_wait_on_is_refused(api, db):
    start_carry_out(api("zhangwei"), db)
    refused = api(ADMIN).post(f"/api/v1/org/users/{uid(db, 'lihua')}/deactivate", json={})
    assert refused.status_code == 422 and refused.get_json()["code"] == "org_last_role_holder"
    db.expire_all()
    assert db.get(User, uid(db, "lihua")).active is True


def test_the_administrator_cannot_deactivate_themselves(api, db):
    refused = api(ADMIN).post(f"/api/v1/org/users/{uid(db, ADMIN)}/deactivate", json={})
    assert refused.status_code == 422 and refused.get_json()["code"] == "org_not_yourself"


def test_a_user_who_appears_in_a_case_is_never_deleted(api, db):
    start_carry_out(api("zhangwei"), db)
    admin = api(ADMIN)
    refused = admin.delete(f"/api/v1/org/users/{uid(db, 'zhangwei')}")
    assert refused.status_code == 422 and refused.get_json()["code"] == "org_user_in_case"
    created = admin.post("/api/v1/org/users", json={"username": "mistake", "display_name": "误建"}).get_json()
    assert admin.delete(f"/api/v1/org/users/{created['user']['id']}").status_code == 204
    assert uid(db, "mistake") is None
    assert audited(db, "user_deleted")[-1]["user"] == "mistake"


def test_the_deputy_receives_section_head_tasks_while_the_head_is_absent(api, db):
    start_carry_out(api("zhangwei"), db)
    admin = api(ADMIN)
    general = sid(db, "general")
    admin.post(f"/api/v1/org/sections/{general}", json={"head_id": uid(db, "lihua"), "deputy_id": uid(db, "qianyu")})
    lihua = api("lihua")
    task_id = group_task_ids(lihua, "section_head_review")[0]
    lihua.post(f"/api/v1/tasks/{task_id}/claim")
    assert group_task_ids(api("qianyu"), "section_head_review") == []  # the head is here

    until = (office_today() + timedelta(days=5)).isoformat()
    marked = admin.post(f"/api/v1/org/users/{uid(db, 'lihua')}/absence", json={"absent": True, "until": until})
    assert marked.status_code == 200
    qianyu = api("qianyu")
    assert group_task_ids(qianyu, "section_head_review") == [task_id]  # the head's claim went back for the deputy
    assert qianyu.post(f"/api/v1/tasks/{task_id}/claim").status_code == 200
    assert audited(db, "acting_head_started")[-1]["until"] == until

    assert admin.post(f"/api/v1/org/users/{uid(db, 'lihua')}/absence", json={"absent": False}).status_code == 200
    db.expire_all()
    assert db.get(HumanTask, task_id).assignee_id is None  # the deputy no longer acts: back to the group
    assert group_task_ids(api("qianyu"), "section_head_review") == []
    assert group_task_ids(api("lihua"), "section_head_review") == [task_id]


def test_a_users_page_shows_roles_open_tasks_and_cases(api, db):
    started = start_carry_out(api("zhangwei"), db).get_json()
    view = api(ADMIN).get(f"/api/v1/org/users/{uid(db, 'lihua')}").get_json()
    assert {r["role"] for r in view["roles"]} == {"employee", "section_head"}
    assert [t["business_key"] for t in view["open_tasks"]] == [started["instance"]["business_key"]]
    applicant = api(ADMIN).get(f"/api/v1/org/users/{uid(db, 'zhangwei')}").get_json()
    assert [c["business_key"] for c in applicant["cases"]] == [started["instance"]["business_key"]]
    assert applicant["deletable"] is False


@pytest.mark.parametrize("body, code", [
    ({"role": "custodian"}, "org_role_needs_section"),
    ({"role": "leader", "start_date": "2026-05-02", "end_date": "2026-05-01"}, "org_dates_reversed"),
])
def test_role_assignment_refusals(api, db, body, code):
    response = api(SECURITY_ADMIN).post(f"/api/v1/org/users/{uid(db, 'zhangwei')}/roles", json=body)
    assert response.status_code == 422 and response.get_json()["code"] == code


def test_every_change_is_in_the_audit_log(api, db):
    admin = api(ADMIN)
    secadmin = api(SECURITY_ADMIN)  # roles are the security administrator's (三员分立)
    user = admin.post("/api/v1/org/users", json={"username": "audited", "display_name": "审计"}).get_json()["user"]
    admin.post(f"/api/v1/org/users/{user['id']}", json={"display_name": "审计员"})
    secadmin.post(f"/api/v1/org/users/{user['id']}/roles", json={"role": "maintainer"})
    admin.post(f"/api/v1/org/users/{user['id']}/deactivate", json={})
    def actions(username):
        return [e.action for e in db.scalars(select(AuditEvent).where(AuditEvent.actor_id == uid(db, username))
                                             .order_by(AuditEvent.id))]
    assert actions(ADMIN) == ["user_created", "user_updated", "user_deactivated"]
    assert actions(SECURITY_ADMIN) == ["role_assigned"]


def test_dates_are_honoured_by_reminders_candidates_and_form_choices(api, db):
    """Other role checks (notification recipients, people offered by a form field) skip assignments
    that have not started or have ended."""
    from types import SimpleNamespace

    from services import form_checks, notifications

    today = office_today()
    secadmin = api(SECURITY_ADMIN)  # roles are the security administrator's (三员分立)
    secadmin.post(f"/api/v1/org/users/{uid(db, 'zhangwei')}/roles",
                  json={"role": "leader", "start_date": (today + timedelta(days=1)).isoformat()})
    secadmin.post(f"/api/v1/org/users/{uid(db, 'zhoumin')}/roles",
                  json={"role": "leader", "end_date": (today - timedelta(days=1)).isoformat()})
    secadmin.post(f"/api/v1/org/users/{uid(db, 'sunli')}/roles", json={"role": "leader", "end_date": today.isoformat()})
    db.expire_all()
    expected = {uid(db, "liuyang"), uid(db, "sunli")}  # the demo leader, and one whose last day is today
    assert set(notifications.holders_of(db, "leader")) == expected
    field = SimpleNamespace(type="user", role="leader")
    assert {i for i, _name in form_checks.choices(db, field, "zh_CN")} == expected


# --- the pages ------------------------------------------------------------------------------------

def test_pages_are_for_the_administrator_only(as_user):
    assert as_user("lihua").get("/org/users").status_code == 403
    admin = as_user(ADMIN)
    for path in ("/org/users", "/org/sections", "/org/import"):
        assert admin.get(path).status_code == 200, path


def test_create_a_user_on_the_page_then_give_a_dated_role(as_user, db):
    admin = as_user(ADMIN)
    created = admin.post("/org/users", data={"csrf_token": admin.csrf, "username": "pageuser",
                                             "display_name": "页面用户", "section_id": sid(db, "secretariat")},
                         follow_redirects=True)
    html = created.get_data(as_text=True)
    assert created.status_code == 200 and "页面用户" in html and 'id="user-roles"' in html
    user_id = uid(db, "pageuser")
    end = (office_today() + timedelta(days=30)).isoformat()
    secadmin = as_user(SECURITY_ADMIN)  # roles are the security administrator's (三员分立)
    added = secadmin.post(f"/org/users/{user_id}/roles", data={"csrf_token": secadmin.csrf, "role": "maintainer",
                                                                "section_id": "", "end_date": end},
                          follow_redirects=True)
    html = added.get_data(as_text=True)
    assert 'data-role="maintainer" data-state="in_force"' in html and end in html
    refused = secadmin.post(f"/org/users/{user_id}/roles", data={"csrf_token": secadmin.csrf, "role": "custodian",
                                                                  "section_id": ""}, follow_redirects=True)
    assert "科室角色" in refused.get_data(as_text=True)  # the refusal is shown, in Chinese


def test_sections_page_names_head_and_deputy_and_shows_the_acting_head(as_user, db):
    admin = as_user(ADMIN)
    general = sid(db, "general")
    saved = admin.post(f"/org/sections/{general}", data={"csrf_token": admin.csrf, "name_zh": "综合科",
                                                          "name_en": "General Affairs", "head_id": uid(db, "lihua"),
                                                          "deputy_id": uid(db, "qianyu")}, follow_redirects=True)
    assert saved.status_code == 200
    admin.post(f"/org/users/{uid(db, 'lihua')}/absence", data={"csrf_token": admin.csrf, "absent": "1"})
    html = admin.get("/org/sections").get_data(as_text=True)
    assert "head-absent" in html
    page = admin.get(f"/org/users/{uid(db, 'qianyu')}").get_data(as_text=True)
    assert "代理" in page or "acting" in page.lower()


def test_a_reset_password_sends_the_person_to_the_change_page_first(as_user, app, db):
    admin = as_user(ADMIN)
    page = admin.post(f"/org/users/{uid(db, 'zhangwei')}/password-reset", data={"csrf_token": admin.csrf},
                      follow_redirects=True).get_data(as_text=True)
    found = re.search(r"(?:password|密码)[:：]\s*([^\s（(<]+)", page)
    assert found, page
    one_time = html.unescape(found.group(1))  # the page escapes & and the like
    client = app.test_client()
    from tests.conftest import csrf_from
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "zhangwei", "password": one_time, "csrf_token": token})
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/account/password")
    form = client.get("/account/password").get_data(as_text=True)
    assert client.get("/api/v1/tasks").get_json()["code"] == "org_password_change_required"
    changed = client.post("/account/password", data={"csrf_token": csrf_from(form), "current_password":
                                                      one_time, "new_password": "Zhang-Wei-2026",
                                                      "repeat_password": "Zhang-Wei-2026"})
    assert changed.status_code == 302
    assert client.get("/").status_code == 200


def test_a_claim_whose_role_lapsed_by_date_returns_to_the_group(api, db):
    """When an end date passes with no administrator action, the daily sweep gives the task back."""
    from services import org_handover

    start_carry_out(api("zhangwei"), db)
    api(SECURITY_ADMIN).post(f"/api/v1/org/users/{uid(db, 'qianyu')}/roles",
                             json={"role": "section_head", "section_id": sid(db, "general")})
    qianyu = api("qianyu")
    task_id = group_task_ids(qianyu, "section_head_review")[0]
    assert qianyu.post(f"/api/v1/tasks/{task_id}/claim").status_code == 200
    assert org_handover.release_lapsed_claims(db, None) == []  # still in force: nothing to do
    row = db.get(RoleAssignment, role_id(db, "qianyu", "section_head"))
    row.end_date = office_today() - timedelta(days=1)  # as if the last day had passed
    db.commit()
    released = org_handover.release_lapsed_claims(db, None)
    db.commit()
    assert [t.id for t in released] == [task_id]
    assert group_task_ids(api("lihua"), "section_head_review") == [task_id]
