"""Crash safety: a worker killed (SIGKILL) in the middle of a completion leaves the case before or after
the step, never between; a completion sent twice with the same request id is done once."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import AuditEvent, HumanTask, ProcessInstance
from models.security import CompletionRequest
from tests.carry_out_helpers import APPLICANT, SECTION_HEAD, open_task, start

ROOT = Path(__file__).resolve().parent.parent
APPROVE = {"decision": "approve", "comment": "同意"}

# A worker of its own: completes the task on the same database, then stops to be killed at `phase`.
_WORKER = textwrap.dedent("""
    import sys, time
    from sqlalchemy import event, select
    from sqlalchemy.orm import Session
    from app import create_app
    from models import User
    from services import cases

    url, task_id, marker, phase = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "crash-test", "BAOMI_SCHEDULER": "off"})

    def stop_here():
        open(marker, "w").write(phase)
        time.sleep(300)  # killed long before this ends

    if phase == "before_commit":
        # Registered after the audit chain's own hook: the step, its task rows and its audit rows are all
        # written to the database; only the COMMIT is missing.
        @event.listens_for(Session, "before_commit")
        def _hold(session):
            session.flush()
            stop_here()

    with app.extensions["db_sessions"]() as session:
        user = session.scalar(select(User).where(User.username == "lihua"))
        cases.complete_task(session, task_id, user, {"decision": "approve", "comment": "killed"}, "zh_CN",
                            request_id="crash-1")
        session.commit()
    if phase == "after_commit":
        stop_here()
""")


def _state(db, instance_id):
    db.expire_all()
    instance = db.get(ProcessInstance, instance_id)
    tasks = sorted((t.bpmn_id, t.status) for t in db.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)))
    audits = db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.instance_id == instance_id))
    return instance.version, tasks, audits


def _kill_worker_at(phase, database_url, task_id, tmp_path):
    marker = tmp_path / "stopped"
    worker = subprocess.Popen([sys.executable, "-c", _WORKER, database_url, str(task_id), str(marker), phase],
                              cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            if worker.poll() is not None:
                pytest.fail(f"the worker ended before its stop: {worker.stderr.read().decode()[-2000:]}")
            assert time.monotonic() < deadline, "the worker never reached its stop"
            time.sleep(0.1)
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(30) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.stdout.close()
        worker.stderr.close()


@pytest.fixture
def waiting_case(api, db):
    """A carry-out case waiting for the section head's review."""
    instance_id = start(api(APPLICANT), db).get_json()["instance"]["id"]
    return instance_id, open_task(api(SECTION_HEAD), "section_head_review")["id"]


def test_a_worker_killed_before_its_commit_leaves_the_case_before_the_step(app, api, db, database_url,
                                                                           waiting_case, tmp_path):
    instance_id, task_id = waiting_case
    before = _state(db, instance_id)
    _kill_worker_at("before_commit", database_url, task_id, tmp_path)
    assert _state(db, instance_id) == before  # not a row of the step survived
    assert db.scalar(select(CompletionRequest.request_id)) is None
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0
    # The step can be done again, even with the dead worker's request id: it never happened.
    head = api(SECTION_HEAD)
    done = head.post(f"/api/v1/tasks/{task_id}/complete", json=APPROVE, headers={"Idempotency-Key": "crash-1"})
    assert done.status_code == 200, done.get_json()
    version, tasks, _ = _state(db, instance_id)
    assert version == before[0] + 1
    assert ("section_head_review", "completed") in tasks and ("leader_approval", "open") in tasks


def test_a_worker_killed_after_its_commit_leaves_the_case_after_the_step(app, api, db, database_url,
                                                                         waiting_case, tmp_path):
    instance_id, task_id = waiting_case
    before = _state(db, instance_id)
    _kill_worker_at("after_commit", database_url, task_id, tmp_path)
    version, tasks, audits = _state(db, instance_id)
    assert version == before[0] + 1
    assert ("section_head_review", "completed") in tasks and ("leader_approval", "open") in tasks
    # The client never heard the answer and sends the completion again: it is answered, not done twice.
    again = api(SECTION_HEAD).post(f"/api/v1/tasks/{task_id}/complete", json=APPROVE,
                                   headers={"Idempotency-Key": "crash-1"})
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["task"]["status"] == "completed"
    assert _state(db, instance_id) == (version, tasks, audits)
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0


def test_completing_twice_with_one_request_id_does_it_once(api, db, waiting_case):
    instance_id, task_id = waiting_case
    head = api(SECTION_HEAD)
    first = head.post(f"/api/v1/tasks/{task_id}/complete", json=APPROVE, headers={"Idempotency-Key": "req-42"})
    assert first.status_code == 200
    after_first = _state(db, instance_id)
    second = head.post(f"/api/v1/tasks/{task_id}/complete", json=APPROVE, headers={"Idempotency-Key": "req-42"})
    assert second.status_code == 200
    assert second.get_json()["task"] == first.get_json()["task"]
    assert _state(db, instance_id) == after_first
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.instance_id == instance_id, AuditEvent.action == "task_completed")) == 1


def test_without_a_request_id_a_repeat_is_refused_as_closed(api, db, waiting_case):
    _, task_id = waiting_case
    head = api(SECTION_HEAD)
    assert head.post(f"/api/v1/tasks/{task_id}/complete", json=APPROVE).status_code == 200
    assert head.post(f"/api/v1/tasks/{task_id}/complete", json=APPROVE).status_code == 409


def test_a_request_id_cannot_be_reused_for_another_task(api, db, waiting_case):
    _, task_id = waiting_case
    head = api(SECTION_HEAD)
    assert head.post(f"/api/v1/tasks/{task_id}/complete", json=APPROVE,
                     headers={"Idempotency-Key": "req-7"}).status_code == 200
    other = head.post(f"/api/v1/tasks/{task_id + 1}/complete", json=APPROVE, headers={"Idempotency-Key": "req-7"})
    assert other.status_code == 409 and other.get_json()["code"] == "request_id_reused"


def test_an_overlong_request_id_is_refused(api, waiting_case):
    _, task_id = waiting_case
    answer = api(SECTION_HEAD).post(f"/api/v1/tasks/{task_id}/complete", json=APPROVE,
                                    headers={"Idempotency-Key": "x" * 101})
    assert answer.status_code == 422 and answer.get_json()["code"] == "request_id_invalid"
