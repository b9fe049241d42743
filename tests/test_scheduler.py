"""Timers fire when due, found by an indexed column; a job runs in one process only (a database lease)."""
import threading
from datetime import timedelta

from sqlalchemy import func, select

from models import Asset, AuditEvent, HumanTask, ProcessInstance
from services import scheduler
from tests.carry_out_helpers import (APPLICANT, APPROVE, LEADER, SECTION_HEAD, SECURITY_OFFICE, asset_id,
                                     hand_out_body, open_task, start)


def _carried_out_case(api, db) -> int:
    instance_id = start(api(APPLICANT), db).get_json()["instance"]["id"]
    for user, bpmn_id, body in ((SECTION_HEAD, "section_head_review", APPROVE), (LEADER, "leader_approval", APPROVE),
                                (SECURITY_OFFICE, "hand_out", hand_out_body())):
        client = api(user)
        assert client.post(f"/api/v1/tasks/{open_task(client, bpmn_id)['id']}/complete", json=body).status_code == 200
    return instance_id


def test_case_waiting_for_return_has_its_due_time_indexed(api, db):
    instance_id = _carried_out_case(api, db)
    db.expire_all()
    instance = db.get(ProcessInstance, instance_id)
    return_task = db.scalar(select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == "open"))
    assert return_task.bpmn_id == "return_check_in"
    assert instance.next_due_at == return_task.due_at  # the return deadline, 18:00 office time


def test_overdue_carry_out_is_flagged_when_the_return_date_passes_MED_3(api, db, sessions, clock):
    instance_id = _carried_out_case(api, db)
    assert scheduler.fire_due_timers(sessions, holder="test") == 0  # not due yet
    clock["delta"] = timedelta(days=5)
    assert scheduler.fire_due_timers(sessions, holder="test") == 1
    db.expire_all()
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == instance_id)).all()
    assert "carry_out_overdue" in actions
    instance = db.get(ProcessInstance, instance_id)
    assert instance.status == "running" and instance.next_due_at is None  # still waiting for the return
    assert db.get(Asset, asset_id(db, "BM-LT-001")).status == "carried_out"
    assert scheduler.fire_due_timers(sessions, holder="test") == 0  # fired once, not again


def test_lease_is_held_by_one_process_until_it_expires(sessions, clock):
    with sessions() as session:
        assert scheduler.acquire_lease(session, "job", "host-a:1", 30)
        assert not scheduler.acquire_lease(session, "job", "host-b:2", 30)
        assert scheduler.acquire_lease(session, "job", "host-a:1", 30)  # renewal
        clock["delta"] = timedelta(seconds=31)
        assert scheduler.acquire_lease(session, "job", "host-b:2", 30)


def test_two_schedulers_fire_a_due_timer_exactly_once(api, db, sessions, clock):
    instance_id = _carried_out_case(api, db)
    clock["delta"] = timedelta(days=5)
    barrier = threading.Barrier(2, timeout=20)
    fired = []

    def run_scheduler(holder):
        barrier.wait()
        fired.append(scheduler.fire_due_timers(sessions, holder=holder))

    threads = [threading.Thread(target=run_scheduler, args=(f"host-{i}:1",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(fired) == [0, 1]
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.instance_id == instance_id, AuditEvent.action == "carry_out_overdue")) == 1
