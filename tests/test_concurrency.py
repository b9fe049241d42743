"""Two approvers at the same moment: one success, one clear conflict, nothing lost or done twice."""
import threading

from sqlalchemy import func, select

from models import AuditEvent, HumanTask, ProcessInstance, User
from services import cases, engine
from services.errors import Conflict
from tests.carry_out_helpers import APPLICANT, SECTION_HEAD, start


def _user(db, username):
    return db.scalar(select(User).where(User.username == username))


def _race(sessions, monkeypatch, action):
    """Run `action(session, user)` in two threads on two connections, both past their reads before
    either writes; returns what each thread ended with."""
    barrier = threading.Barrier(2, timeout=20)
    real_complete = engine.Case.complete

    def complete_after_both_have_read(self, task_id, data):
        barrier.wait()
        return real_complete(self, task_id, data)

    monkeypatch.setattr(engine.Case, "complete", complete_after_both_have_read)
    results = [None, None]

    def run(i, username):
        with sessions() as session:
            user = session.scalar(select(User).where(User.username == username))
            try:
                action(session, user)
                session.commit()
                results[i] = "ok"
            except Conflict as err:
                session.rollback()
                results[i] = err.code
            except Exception as err:  # anything else is a failure of the test
                session.rollback()
                results[i] = repr(err)

    return run, results


def test_two_completions_of_one_task_give_one_success_and_one_conflict(api, db, sessions, monkeypatch):
    # A second section head of the same section, so that both may complete the task.
    from models import RoleAssignment
    qianyu = _user(db, "qianyu")
    db.add(RoleAssignment(user_id=qianyu.id, role="section_head", section_id=qianyu.section_id))
    db.commit()
    instance_id = start(api(APPLICANT), db).get_json()["instance"]["id"]
    task_id = db.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id))
    version_before = db.get(ProcessInstance, instance_id).version

    def complete(session, user):
        cases.complete_task(session, task_id, user, {"decision": "approve", "comment": user.username}, "zh_CN")

    run, results = _race(sessions, monkeypatch, complete)
    threads = [threading.Thread(target=run, args=(0, SECTION_HEAD)), threading.Thread(target=run, args=(1, "qianyu"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert sorted(results) == ["case_changed", "ok"], results
    db.expire_all()
    instance = db.get(ProcessInstance, instance_id)
    assert instance.version == version_before + 1  # exactly one step was written
    completed = db.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                   HumanTask.status == "completed")).all()
    assert len(completed) == 1
    open_tasks = db.scalars(select(HumanTask.bpmn_id).where(HumanTask.instance_id == instance_id,
                                                            HumanTask.status == "open")).all()
    assert open_tasks == ["leader_approval"]  # one next task, not two
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.instance_id == instance_id, AuditEvent.action == "task_completed")) == 1


def test_conflict_over_http_is_409_with_a_message(api, db):
    applicant = api(APPLICANT)
    instance_id = start(applicant, db).get_json()["instance"]["id"]
    task_id = db.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id))
    head = api(SECTION_HEAD)
    assert head.post(f"/api/v1/tasks/{task_id}/complete", json={"decision": "approve"}).status_code == 200
    again = head.post(f"/api/v1/tasks/{task_id}/complete", json={"decision": "approve"})
    assert again.status_code == 409
    assert again.get_json()["code"] == "task_closed" and again.get_json()["error"]


def test_two_claims_one_wins(api, db, sessions):
    from models import RoleAssignment
    qianyu = _user(db, "qianyu")
    db.add(RoleAssignment(user_id=qianyu.id, role="section_head", section_id=qianyu.section_id))
    db.commit()
    instance_id = start(api(APPLICANT), db).get_json()["instance"]["id"]
    task_id = db.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id))
    results = []
    barrier = threading.Barrier(2, timeout=20)

    def claim(username):
        with sessions() as session:
            user = session.scalar(select(User).where(User.username == username))
            barrier.wait()
            try:
                cases.claim(session, task_id, user)
                session.commit()
                results.append("ok")
            except Conflict as err:
                session.rollback()
                results.append(err.code)

    threads = [threading.Thread(target=claim, args=(u,)) for u in (SECTION_HEAD, "qianyu")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == ["claimed_by_other", "ok"]
    lihua_inbox = api(SECTION_HEAD).get("/api/v1/tasks?scope=group").get_json()["tasks"]
    qianyu_inbox = api("qianyu").get("/api/v1/tasks?scope=group").get_json()["tasks"]
    assert lihua_inbox == [] and qianyu_inbox == []  # a claimed task leaves every group inbox
