"""The admin console: stuck and failing cases found by filters, each action with a reason in the audit log,
and nothing of it for anyone but the admin."""
import csv
import io
from datetime import timedelta

from sqlalchemy import select

from models import Asset, AuditEvent, HumanTask, ProcessInstance, User, utcnow
from services import scheduler
from tests.carry_out_helpers import APPLICANT, APPROVE, LEADER, SECTION_HEAD, SECURITY_OFFICE, asset_id, hand_out_body, open_task, start


def _case(api, db, *numbers):
    return start(api(APPLICANT), db, *numbers).get_json()["instance"]["id"]


def test_only_the_admin_uses_the_console(api, as_user):
    for username in (APPLICANT, SECURITY_OFFICE, LEADER):
        assert api(username).get("/api/v1/admin/cases").status_code == 403
        assert as_user(username).get("/admin").status_code == 403
    assert api("admin").get("/api/v1/admin/cases").status_code == 200
    for path in ("/admin", "/admin/statistics", "/admin/reports"):
        assert as_user("admin").get(path).status_code == 200, path
    # The audit log is the security auditor's (三员分立: tests/test_three_administrators.py).
    assert as_user("auditor").get("/admin/audit").status_code == 200


def test_stuck_overdue_and_filters(api, db):
    fresh = _case(api, db, "BM-LT-001")
    old = _case(api, db, "BM-U-001")
    instance = db.get(ProcessInstance, old)
    instance.updated_at = utcnow() - timedelta(days=10)
    task = db.scalar(select(HumanTask).where(HumanTask.instance_id == fresh))
    task.due_at = utcnow() - timedelta(hours=2)
    db.commit()
    admin = api("admin")
    stuck = admin.get("/api/v1/admin/cases?stuck=true").get_json()
    assert [c["id"] for c in stuck["cases"]] == [old] and stuck["cases"][0]["stuck"]
    assert [c["id"] for c in admin.get("/api/v1/admin/cases?overdue=true").get_json()["cases"]] == [fresh]
    assert admin.get("/api/v1/admin/cases?process_id=carry_out&status=running").get_json()["total"] == 2
    assert admin.get("/api/v1/admin/cases?status=completed").get_json()["total"] == 0
    assert admin.get("/api/v1/admin/cases?status=bogus").status_code == 422


def test_suspended_case_leaves_the_inbox_and_resumes(api, db):
    instance_id = _case(api, db)
    admin = api("admin")
    assert admin.post(f"/api/v1/admin/cases/{instance_id}/suspend", json={"reason": ""}).status_code == 422
    assert admin.post(f"/api/v1/admin/cases/{instance_id}/suspend", json={"reason": "核查申请材料"}).get_json()["status"] == "suspended"
    head = api(SECTION_HEAD)
    assert head.get("/api/v1/tasks?scope=group").get_json()["tasks"] == []
    task_id = db.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id))
    refused = head.post(f"/api/v1/tasks/{task_id}/complete", json=APPROVE)
    assert refused.status_code == 409 and refused.get_json()["code"] == "case_not_running"
    assert admin.post(f"/api/v1/admin/cases/{instance_id}/resume", json={"reason": "材料齐全"}).status_code == 200
    assert head.post(f"/api/v1/tasks/{task_id}/complete", json=APPROVE).status_code == 200
    reasons = [e.details for e in db.scalars(select(AuditEvent).where(AuditEvent.action.in_(("case_suspended", "case_resumed"))))]
    assert any("核查申请材料" in r for r in reasons) and any("材料齐全" in r for r in reasons)


def test_terminate_cancels_tasks_and_frees_the_assets(api, db):
    instance_id = _case(api, db, "BM-LT-001")
    assert api("admin").post(f"/api/v1/admin/cases/{instance_id}/terminate", json={"reason": "申请人调离"}).status_code == 200
    db.expire_all()
    assert db.get(ProcessInstance, instance_id).status == "terminated"
    assert db.scalars(select(HumanTask.status).where(HumanTask.instance_id == instance_id)).all() == ["cancelled"]
    assert db.get(Asset, asset_id(db, "BM-LT-001")).open_case_id is None
    again = api("admin").post(f"/api/v1/admin/cases/{instance_id}/terminate", json={"reason": "x"})
    assert again.status_code == 409


def test_reassign_goes_to_a_holder_of_the_role_only(api, db):
    from models import RoleAssignment
    qianyu = db.scalar(select(User).where(User.username == "qianyu"))
    db.add(RoleAssignment(user_id=qianyu.id, role="section_head", section_id=qianyu.section_id))
    db.commit()
    instance_id = _case(api, db)
    task_id = db.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id))
    admin = api("admin")
    applicant_id = db.scalar(select(User.id).where(User.username == APPLICANT))
    refused = admin.post(f"/api/v1/admin/tasks/{task_id}/reassign", json={"user_id": applicant_id, "reason": "x"})
    assert refused.status_code == 422 and refused.get_json()["code"] == "admin_not_a_candidate"
    done = admin.post(f"/api/v1/admin/tasks/{task_id}/reassign", json={"user_id": qianyu.id, "reason": "李华休假"})
    assert done.get_json()["assignee_id"] == qianyu.id
    assert [t["id"] for t in api("qianyu").get("/api/v1/tasks?scope=mine").get_json()["tasks"]] == [task_id]


def test_a_failing_timer_puts_the_case_in_error_and_retry_runs_it_again(api, db, sessions, clock, monkeypatch):
    instance_id = _case(api, db)
    for user, bpmn_id, body in ((SECTION_HEAD, "section_head_review", APPROVE), (LEADER, "leader_approval", APPROVE),
                                (SECURITY_OFFICE, "hand_out", hand_out_body())):
        client = api(user)
        client.post(f"/api/v1/tasks/{open_task(client, bpmn_id)['id']}/complete", json=body)
    from services import steps

    def broken(ctx, data):
        raise RuntimeError("notification service down")
    working = steps._STEPS[("carry_out", "flag_overdue_return")]
    monkeypatch.setitem(steps._STEPS, ("carry_out", "flag_overdue_return"), broken)
    clock["delta"] = timedelta(days=5)
    assert scheduler.fire_due_timers(sessions, holder="t") == 0
    admin = api("admin")
    [case] = admin.get("/api/v1/admin/cases?error=true").get_json()["cases"]
    assert case["id"] == instance_id and "notification service down" in case["error_details"]
    monkeypatch.setitem(steps._STEPS, ("carry_out", "flag_overdue_return"), working)
    assert admin.post(f"/api/v1/admin/cases/{instance_id}/retry", json={"reason": "服务已恢复"}).get_json()["status"] == "running"
    assert scheduler.fire_due_timers(sessions, holder="t") == 1
    db.expire_all()
    assert "carry_out_overdue" in db.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == instance_id)).all()


def test_audit_log_filters_and_csv_export(api, as_user, db):
    instance_id = _case(api, db)
    key = db.get(ProcessInstance, instance_id).business_key
    client = as_user("auditor")  # the security auditor reads the audit log (三员分立)
    page = client.get(f"/admin/audit?case={key}&action=case_started").get_data(as_text=True)
    assert "case_started" in page and "task_created" not in page
    response = client.get(f"/admin/audit.csv?case={key}")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:4] == ["id", "at", "actor", "action"]
    assert {r[3] for r in rows[1:]} >= {"case_started", "task_created"}
    assert all(r[4] == key for r in rows[1:])
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "audit_exported")) is not None
    assert client.get("/admin/audit?since=not-a-date").status_code == 422


def test_statistics_show_counts_and_step_waits(api, as_user, db):
    instance_id = _case(api, db)
    head = api(SECTION_HEAD)
    head.post(f"/api/v1/tasks/{open_task(head, 'section_head_review')['id']}/complete", json=APPROVE)
    page = as_user("admin").get("/admin/statistics").get_data(as_text=True)
    assert 'data-process="carry_out"' in page and "section_head_review" in page
