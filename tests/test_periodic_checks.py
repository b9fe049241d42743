"""Deadlines and the periodic checks with a moved clock: due, reminded once, escalated once."""
import email
import email.policy
import socket
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from models import Asset, DestructionItem, GeneratedReport, HumanTask, Notification, User, utcnow
from services import deadlines, mailer, notifications, periodic_checks, scheduler
from tests.carry_out_helpers import APPLICANT, SECTION_HEAD, SECURITY_OFFICE, asset_id, start


def _user_id(db, username):
    return db.scalar(select(User.id).where(User.username == username))


def _codes_of(db, username):
    db.expire_all()
    return sorted(db.scalars(select(Notification.code).where(Notification.user_id == _user_id(db, username))))


def test_due_task_is_reminded_once_then_escalated_to_the_security_office(api, db):
    start(api(APPLICANT), db)
    task = db.scalar(select(HumanTask).where(HumanTask.bpmn_id == "section_head_review"))
    assert task.escalate_at == task.due_at + timedelta(days=1)
    assert deadlines.remind_due_tasks(db, task.due_at - timedelta(minutes=1)) == 0
    assert deadlines.remind_due_tasks(db, task.due_at + timedelta(minutes=1)) == 1
    assert deadlines.remind_due_tasks(db, task.due_at + timedelta(minutes=2)) == 0  # once
    assert deadlines.escalate_overdue_tasks(db, task.escalate_at + timedelta(minutes=1)) >= 1
    db.commit()
    assert _codes_of(db, SECTION_HEAD) == ["notify_task_due"]
    assert _codes_of(db, SECURITY_OFFICE) == ["notify_task_escalated"]
    assert _codes_of(db, APPLICANT) == []  # the applicant is never asked to approve


def test_overdue_badge_shows_in_the_inbox(api, as_user, db):
    start(api(APPLICANT), db)
    task = db.scalar(select(HumanTask).where(HumanTask.bpmn_id == "section_head_review"))
    task.due_at = utcnow() - timedelta(hours=1)
    db.commit()
    assert "overdue" in as_user(SECTION_HEAD).get("/inbox").get_data(as_text=True)


def test_password_rotation_reminds_the_holder_then_the_security_office_CNET_4(db):
    laptop = db.get(Asset, asset_id(db, "BM-LT-001"))  # secret level: 30 days
    confidential = db.get(Asset, asset_id(db, "BM-LT-002"))  # confidential level: 7 days
    base = utcnow()
    for asset in (laptop, confidential):
        asset.password_changed_at = base
    db.commit()
    assert periodic_checks.check_password_rotation(db, base + timedelta(days=6)) == 0
    periodic_checks.check_password_rotation(db, base + timedelta(days=8))
    db.commit()
    assert _codes_of(db, "lihua") == ["notify_password_due"]  # the confidential laptop's holder
    assert _codes_of(db, APPLICANT) == []
    periodic_checks.check_password_rotation(db, base + timedelta(days=31))
    db.commit()
    assert _codes_of(db, APPLICANT) == ["notify_password_due"]
    assert "notify_password_escalated" in _codes_of(db, SECURITY_OFFICE)  # the confidential one, 2 days past


def test_only_the_holder_confirms_a_rotation_and_it_resets_the_clock_CNET_4(api, db):
    laptop_id = asset_id(db, "BM-LT-001")
    other = api("lihua").post(f"/api/v1/assets/{laptop_id}/password-rotation")
    assert other.status_code == 403
    mine = api(APPLICANT).post(f"/api/v1/assets/{laptop_id}/password-rotation")
    assert mine.status_code == 200
    db.expire_all()
    due = periodic_checks.password_due_at(db.get(Asset, laptop_id))
    assert timedelta(days=29) < due - utcnow() <= timedelta(days=30)


def test_carriers_waiting_too_long_are_brought_to_the_destruction_officer_DES_2(db):
    db.add(DestructionItem(category="1", item_type="document", doc_number="BM-2026-017", title="旧文件",
                           classification="secret", registered_at=utcnow() - timedelta(days=31)))
    db.add(DestructionItem(category="1", item_type="document", doc_number="BM-2026-018", title="新文件",
                           classification="secret", registered_at=utcnow() - timedelta(days=2)))
    db.commit()
    assert periodic_checks.check_destruction_waiting(db, utcnow()) == 1
    db.commit()
    notes = db.scalars(select(Notification).where(Notification.user_id == _user_id(db, "fengxue"))).all()
    assert [notifications.text(n, "zh_CN") for n in notes] == ["待销毁载体 BM-2026-017 已登记 31 天仍未造册销毁（DES.2）。"]


def test_quarterly_report_is_generated_once_per_quarter_PUB_8(api, db):
    start(api(APPLICANT), db)
    next_quarter = periodic_checks.quarter_of(utcnow() + timedelta(days=92))
    report = periodic_checks.generate_quarterly_report(db, next_quarter[2])
    db.commit()
    assert report is not None and "涉密笔记本和介质携带外出,running,1" in report.content
    assert periodic_checks.generate_quarterly_report(db, next_quarter[2]) is None
    assert db.scalar(select(GeneratedReport.period)) == next_quarter[0]
    assert "notify_quarterly_report" in _codes_of(db, SECURITY_OFFICE)


def test_checks_run_once_under_the_lease(sessions):
    calls = []
    assert scheduler.run_check(sessions, "probe", lambda s, now: calls.append(now), holder="a:1")
    assert not scheduler.run_check(sessions, "probe", lambda s, now: calls.append(now), holder="b:2")
    assert len(calls) == 1


def test_notification_centre_lists_and_marks_read(api, db):
    ids = [_user_id(db, APPLICANT), _user_id(db, "lihua")]
    notifications.notify(db, ids, "notify_password_due", "probe:1", asset="BM-LT-001", days=30)
    db.commit()
    client = api(APPLICANT)
    body = client.get("/api/v1/notifications").get_json()
    assert body["unread"] == 1 and body["notifications"][0]["text"].startswith("涉密计算机 BM-LT-001")
    other_id = db.scalar(select(Notification.id).where(Notification.user_id == _user_id(db, "lihua")))
    assert client.post("/api/v1/notifications/read", json={"ids": [other_id]}).get_json()["marked"] == 0
    assert client.post("/api/v1/notifications/read", json={}).get_json() == {"marked": 1, "unread": 0}
    assert api("lihua").get("/api/v1/notifications").get_json()["unread"] == 1


@pytest.fixture
def smtp_sink():
    """A local SMTP server that keeps what it receives."""
    from aiosmtpd.controller import Controller

    class Keep:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def test_notifications_are_mailed_once_when_smtp_is_configured(db, sessions, smtp_sink):
    handler, port = smtp_sink
    user = db.get(User, _user_id(db, APPLICANT))
    user.email = "zhangwei@office.example"
    notifications.notify(db, [user.id, _user_id(db, "lihua")], "notify_password_due", "probe:2",
                         asset="BM-LT-001", days=30)
    db.commit()
    settings = mailer.SmtpSettings("127.0.0.1", port)
    assert mailer.send_pending(sessions, settings) == 1  # lihua has no address
    assert mailer.send_pending(sessions, settings) == 0
    deadline = time.time() + 5
    while not handler.messages and time.time() < deadline:
        time.sleep(0.05)
    [envelope] = handler.messages
    assert envelope.rcpt_tos == ["zhangwei@office.example"]
    mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert "涉密计算机 BM-LT-001 的口令已超过 30 天未更换" in mail.get_content()
    assert mail["Subject"].startswith("[保密 Baomi] 涉密计算机")
