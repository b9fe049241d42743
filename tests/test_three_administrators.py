"""三员分立: the system administrator (users, sections, the console), the security administrator (roles,
security settings, unlocking) and the security auditor (the audit log) cannot do each other's work, cannot
give themselves a role, and no one person holds two of the three."""
import pytest
from sqlalchemy import select

from models import AuditEvent, RoleAssignment, Section, User
from models.security import SignInThrottle
from services import org_roles
from services.errors import DomainError

ADMIN, SECURITY_ADMIN, AUDITOR = "admin", "secadmin", "auditor"


def uid(db, username: str) -> int:
    return db.scalar(select(User.id).where(User.username == username))


def role_id(db, username: str, role: str) -> int:
    return db.scalar(select(RoleAssignment.id).where(RoleAssignment.user_id == uid(db, username),
                                                     RoleAssignment.role == role))


def general(db) -> int:
    return db.scalar(select(Section.id).where(Section.code == "general"))


# --- the system administrator ----------------------------------------------------------------------

def test_the_system_administrator_cannot_assign_roles_or_touch_security_settings_or_the_audit_log(api, db):
    admin = api(ADMIN)
    assert admin.post(f"/api/v1/org/users/{uid(db, 'zhangwei')}/roles", json={"role": "leader"}).status_code == 403
    assert admin.delete(f"/api/v1/org/roles/{role_id(db, 'liuyang', 'leader')}").status_code == 403
    assert admin.post(f"/api/v1/org/roles/{role_id(db, 'liuyang', 'leader')}", json={}).status_code == 403
    assert admin.get("/api/v1/security/settings").status_code == 403
    assert admin.post("/api/v1/security/settings", json={"password_max_age_days": 0}).status_code == 403
    assert admin.get("/api/v1/security/locks").status_code == 403
    assert admin.get("/api/v1/audit").status_code == 403
    assert admin.get("/api/v1/audit/verify").status_code == 403
    assert role_id(db, "zhangwei", "leader") is None


def test_the_system_administrator_pages_refuse_roles_security_and_audit(as_user, db):
    admin = as_user(ADMIN)
    for path in ("/admin/audit", "/admin/audit.csv", "/admin/audit/verify", "/admin/security"):
        assert admin.get(path).status_code == 403, path
    posted = admin.post(f"/org/users/{uid(db, 'zhangwei')}/roles", data={"csrf_token": admin.csrf, "role": "leader"})
    assert posted.status_code == 403
    page = admin.get(f"/org/users/{uid(db, 'zhangwei')}").get_data(as_text=True)
    assert 'id="add-role"' not in page and 'id="edit-user"' in page  # the page offers only the admin's work


def test_a_role_row_in_the_system_administrators_import_is_refused_in_the_service(db):
    with pytest.raises(DomainError) as refused:
        org_roles.assign_role(db, db.get(User, uid(db, ADMIN)), uid(db, "zhangwei"), "leader", None)
    assert refused.value.code == "org_roles_security_admin_only"


def test_the_system_administrator_cannot_name_themselves_head_or_deputy(api, db):
    admin = api(ADMIN)
    for field in ("head_id", "deputy_id"):
        answer = admin.post(f"/api/v1/org/sections/{general(db)}", json={field: uid(db, ADMIN)})
        assert answer.status_code in (403, 422) and answer.get_json()["code"] == "org_no_self_grant", field
    assert role_id(db, ADMIN, "section_head") is None


# --- the security administrator --------------------------------------------------------------------

def test_the_security_administrator_assigns_roles_but_manages_no_users_sections_or_cases(api, db):
    secadmin = api(SECURITY_ADMIN)
    assert secadmin.post(f"/api/v1/org/users/{uid(db, 'zhangwei')}/roles",
                         json={"role": "maintainer"}).status_code == 201
    assert secadmin.get(f"/api/v1/org/users/{uid(db, 'zhangwei')}").status_code == 200  # finds the person
    refused = [
        secadmin.post("/api/v1/org/users", json={"username": "x1", "display_name": "X"}),
        secadmin.post(f"/api/v1/org/users/{uid(db, 'zhangwei')}", json={"display_name": "Y"}),
        secadmin.post(f"/api/v1/org/users/{uid(db, 'zhangwei')}/password-reset"),
        secadmin.post(f"/api/v1/org/users/{uid(db, 'zhangwei')}/deactivate", json={}),
        secadmin.delete(f"/api/v1/org/users/{uid(db, 'zhangwei')}"),
        secadmin.post("/api/v1/org/sections", json={"code": "x", "name_zh": "X", "name_en": "X"}),
        secadmin.get("/api/v1/admin/cases"),
        secadmin.get("/api/v1/audit"),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert db.scalar(select(User).where(User.username == "x1")) is None


def test_nobody_grants_a_role_to_themselves(api, db):
    answer = api(SECURITY_ADMIN).post(f"/api/v1/org/users/{uid(db, SECURITY_ADMIN)}/roles",
                                      json={"role": "security_auditor"})
    assert answer.status_code == 403 and answer.get_json()["code"] == "org_no_self_grant"
    answer = api(SECURITY_ADMIN).post(f"/api/v1/org/users/{uid(db, SECURITY_ADMIN)}/roles", json={"role": "leader"})
    assert answer.status_code == 403 and answer.get_json()["code"] == "org_no_self_grant"
    dates = api(SECURITY_ADMIN).post(f"/api/v1/org/roles/{role_id(db, SECURITY_ADMIN, 'security_admin')}",
                                     json={"start_date": None, "end_date": None})
    assert dates.status_code == 403


@pytest.mark.parametrize("holder, role", [
    (ADMIN, "security_admin"), (ADMIN, "security_auditor"), (AUDITOR, "admin"), (AUDITOR, "security_admin"),
])
def test_one_person_never_holds_two_of_the_three(api, db, holder, role):
    answer = api(SECURITY_ADMIN).post(f"/api/v1/org/users/{uid(db, holder)}/roles", json={"role": role})
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["code"] == "org_three_administrators" and "三员分立" in body["error"]
    assert role_id(db, holder, role) is None


def test_the_security_administrator_changes_settings_and_unlocks_an_account(api, db):
    for _ in range(5):
        api().post("/api/v1/session", json={"username": "wangfang", "password": "wrong"})
    secadmin = api(SECURITY_ADMIN)
    locks = secadmin.get("/api/v1/security/locks").get_json()
    assert [a["username"] for a in locks["accounts"] if a["blocked"]] == ["wangfang"]
    assert secadmin.delete("/api/v1/security/locks/accounts/wangfang").status_code == 204
    assert db.get(SignInThrottle, "wangfang") is None
    assert api("wangfang").get("/api/v1/me").status_code == 200  # signs in again at once
    saved = secadmin.post("/api/v1/security/settings", json={"password_max_age_days": 30})
    assert saved.status_code == 200 and saved.get_json()["settings"]["password_max_age_days"] == 30
    bad = secadmin.post("/api/v1/security/settings", json={"sign_in_lockout_after": 0})
    assert bad.status_code == 422 and "sign_in_lockout_after" in bad.get_json()["fields"]
    actions = [e.action for e in db.scalars(select(AuditEvent).where(AuditEvent.actor_id == uid(db, SECURITY_ADMIN)))]
    assert actions == ["account_unlocked", "security_settings_changed"]


# --- the security auditor --------------------------------------------------------------------------

def test_the_auditor_reads_and_verifies_the_log_including_the_other_two(api, as_user, db):
    api(SECURITY_ADMIN).post(f"/api/v1/org/users/{uid(db, 'zhangwei')}/roles", json={"role": "maintainer"})
    api(ADMIN).post(f"/api/v1/org/users/{uid(db, 'zhangwei')}", json={"display_name": "张伟伟"})
    auditor = api(AUDITOR)
    events = auditor.get("/api/v1/audit").get_json()["events"]
    assert {("secadmin", "role_assigned"), ("admin", "user_updated")} <= {(e["actor"], e["action"]) for e in events}
    verified = auditor.get("/api/v1/audit/verify").get_json()
    assert verified["intact"] is True and verified["rows"] >= 2 and len(verified["head"]["hash"]) == 64
    page = as_user(AUDITOR)
    assert 'id="audit-intact"' in page.get("/admin/audit/verify").get_data(as_text=True)
    assert page.get("/admin/audit.csv").status_code == 200
    # The auditor's own reading is in the log too, for the others to see.
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "audit_verified")) is not None


def test_the_auditor_does_nothing_else(api, db):
    auditor = api(AUDITOR)
    refused = [
        auditor.get("/api/v1/org/users"),
        auditor.post(f"/api/v1/org/users/{uid(db, 'zhangwei')}/roles", json={"role": "maintainer"}),
        auditor.post("/api/v1/org/users", json={"username": "x2", "display_name": "X"}),
        auditor.get("/api/v1/security/settings"),
        auditor.delete("/api/v1/security/locks/accounts/wangfang"),
        auditor.get("/api/v1/admin/cases"),
        auditor.get("/api/v1/compliance"),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)



@pytest.mark.parametrize("guarded", [SECURITY_ADMIN, AUDITOR])
def test_the_system_administrator_cannot_take_over_the_other_two_administrators_accounts(api, db, guarded):
    """A password reset of the auditor would let the system administrator sign in as the auditor."""
    admin = api(ADMIN)
    before = db.scalar(select(User.password_hash).where(User.username == guarded))
    reset = admin.post(f"/api/v1/org/users/{uid(db, guarded)}/password-reset", json={})
    assert reset.status_code == 403 and reset.get_json()["code"] == "org_guarded_administrator"
    assert admin.post(f"/api/v1/org/users/{uid(db, guarded)}/deactivate", json={}).status_code == 403
    db.expire_all()
    user = db.scalar(select(User).where(User.username == guarded))
    assert user.active and user.password_hash == before and not user.must_change_password
    # Once the security administrator has removed the role, the account is an ordinary one again.
    held = "security_admin" if guarded == SECURITY_ADMIN else "security_auditor"
    if guarded == AUDITOR:
        assert api(SECURITY_ADMIN).delete(f"/api/v1/org/roles/{role_id(db, guarded, held)}").status_code == 204
        assert admin.post(f"/api/v1/org/users/{uid(db, guarded)}/password-reset", json={}).status_code == 200
