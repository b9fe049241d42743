"""When a P5 access change completes, Baomi's own records follow (CNET.5, UNET.7): a stop ends the
classified roles, a transfer moves the person's section, and the successor takes over open tasks and
custodianships; each move is in the audit log."""
import json
from datetime import timedelta

from sqlalchemy import select

from models import Asset, AuditEvent, HumanTask, RoleAssignment, Section, User
from models.org import office_today
from tests.carry_out_helpers import start as start_carry_out
from tests.test_access_change_api import (FILING, HANDOVER, LEADER, RESET, SECURITY_OFFICE, APPROVE,
                                          close_every_system, complete, open_tasks, system_id, today)

PERSON = "qianyu"  # 钱宇, General Affairs, the section's custodian
SUCCESSOR = "fengxue"  # 冯雪, General Affairs
SECTION_HEAD = "lihua"


SECURITY_ADMIN = "secadmin"


def uid(db, username: str) -> int:
    return db.scalar(select(User.id).where(User.username == username))


def sid(db, code: str) -> int:
    return db.scalar(select(Section.id).where(Section.code == code))


def roles_of(db, username: str, all_terms: bool = False) -> dict[tuple[str, int | None], RoleAssignment]:
    db.expire_all()
    stmt = select(RoleAssignment).where(RoleAssignment.user_id == uid(db, username))
    return {(r.role, r.section_id): r for r in db.scalars(stmt.execution_options(all_role_terms=all_terms))}


def events(db, action: str) -> list[dict]:
    return [json.loads(d) for d in db.scalars(select(AuditEvent.details).where(AuditEvent.action == action)
                                              .order_by(AuditEvent.id))]


def run_access_change(api, db, change: str, successor: str = SUCCESSOR, **extra) -> int:
    body = {"person": uid(db, PERSON), "change": change, "systems": [system_id(db, "SYS-OA")],
            "effective_date": (office_today() + timedelta(days=1)).isoformat(), "reason": "岗位调整",
            "successor": uid(db, successor), **extra}
    started = api(SECTION_HEAD).post("/api/v1/processes/access_change/instances", json=body)
    assert started.status_code == 201, started.get_json()
    complete(api(SECURITY_OFFICE), "file_with_security_office", FILING)
    complete(api(LEADER), "leader_approval", APPROVE)
    close_every_system(api)
    office = api(SECURITY_OFFICE)
    complete(office, "handover_to_successor", HANDOVER)
    complete(api(successor), "successor_reset", RESET)
    done = complete(office, "return_classified_carriers", {"returned_on": today(), "all_returned": True})
    assert done["instance"]["status"] == "completed"
    return started.get_json()["instance"]["id"]


def claimed_section_head_task(api, db, claimer: str) -> int:
    """A carry-out of 张伟 whose section-head review `claimer` has claimed."""
    start_carry_out(api("zhangwei"), db)
    client = api(claimer)
    task = [t for t in client.get("/api/v1/tasks?scope=group").get_json()["tasks"]
            if t["bpmn_id"] == "section_head_review"][0]
    assert client.post(f"/api/v1/tasks/{task['id']}/claim").status_code == 200
    return task["id"]


def test_stop_ends_the_classified_roles_and_the_successor_takes_over_UNET_7(api, db):
    secadmin = api(SECURITY_ADMIN)  # roles are the security administrator's (三员分立)
    general = sid(db, "general")
    for who in (PERSON, SUCCESSOR):
        assert secadmin.post(f"/api/v1/org/users/{uid(db, who)}/roles",
                             json={"role": "section_head", "section_id": general}).status_code == 201
    task_id = claimed_section_head_task(api, db, PERSON)
    kept_before = set(db.scalars(select(Asset.register_number).where(Asset.custodian_id == uid(db, PERSON))))
    assert kept_before

    instance_id = run_access_change(api, db, "stop")

    in_force = roles_of(db, PERSON)
    assert set(in_force) == {("employee", general)}  # still staff, no longer classified
    ended = roles_of(db, PERSON, all_terms=True)
    assert ended[("custodian", general)].end_date == office_today() - timedelta(days=1)
    assert db.get(User, uid(db, PERSON)).active is True

    db.expire_all()
    task = db.get(HumanTask, task_id)
    assert task.assignee_id == uid(db, SUCCESSOR)  # the successor holds section_head: it is theirs now
    assert set(db.scalars(select(Asset.register_number).where(Asset.custodian_id == uid(db, SUCCESSOR)))) == kept_before
    assert ("custodian", general) in roles_of(db, SUCCESSOR)  # the section keeps a keeper (MED.2)
    storage = db.scalar(select(Asset).where(Asset.register_number == "BM-HD-003"))
    assert storage.status == "in_storage" and storage.holder_id == uid(db, SUCCESSOR)

    assert events(db, "task_taken_over")[-1] == {"task": "section_head_review", "person": PERSON,
                                                 "successor": SUCCESSOR}
    assert {e["asset"] for e in events(db, "custodianship_taken_over")} == kept_before
    assert {e["role"] for e in events(db, "role_ended")} == {"custodian", "section_head"}
    summary = db.scalars(select(AuditEvent).where(AuditEvent.action == "org_followed_access_change")).one()
    assert summary.instance_id == instance_id and json.loads(summary.details)["change"] == "stop"


def test_a_claimed_task_the_successor_cannot_do_returns_to_the_group(api, db):
    secadmin = api(SECURITY_ADMIN)  # roles are the security administrator's (三员分立)
    secadmin.post(f"/api/v1/org/users/{uid(db, PERSON)}/roles",
                  json={"role": "section_head", "section_id": sid(db, "general")})
    task_id = claimed_section_head_task(api, db, PERSON)
    run_access_change(api, db, "stop")
    db.expire_all()
    assert db.get(HumanTask, task_id).assignee_id is None  # 冯雪 is no section head: back to the group
    lihua_group = [t["id"] for t in api("lihua").get("/api/v1/tasks?scope=group").get_json()["tasks"]]
    assert task_id in lihua_group


def test_transfer_moves_the_person_to_the_new_section(api, db):
    run_access_change(api, db, "transfer", new_section="秘书科")
    db.expire_all()
    person = db.get(User, uid(db, PERSON))
    secretariat = sid(db, "secretariat")
    assert person.section_id == secretariat
    in_force = roles_of(db, PERSON)
    assert ("employee", secretariat) in in_force
    assert all(section != sid(db, "general") for _role, section in in_force)  # the old section's roles ended
    moved = events(db, "user_transferred")[-1]
    assert (moved["before"], moved["after"]) == (sid(db, "general"), secretariat)


def test_a_start_changes_no_role(api, db):
    before = roles_of(db, PERSON)
    started = api(SECTION_HEAD).post("/api/v1/processes/access_change/instances", json={
        "person": uid(db, PERSON), "change": "start", "systems": [system_id(db, "SYS-OA")],
        "effective_date": (office_today() + timedelta(days=1)).isoformat(), "reason": "新上岗"})
    assert started.status_code == 201
    complete(api(SECURITY_OFFICE), "file_with_security_office", FILING)
    complete(api(LEADER), "leader_approval", APPROVE)
    close_every_system(api)
    assert set(roles_of(db, PERSON)) == set(before)
    assert events(db, "org_followed_access_change") == []
