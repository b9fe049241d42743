"""In-app notifications (and their e-mail copies): who is told what, once."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import HumanTask, Notification, ProcessInstance, RoleAssignment, User, utcnow
from services.messages import message, register

register({
    "notify_task_due": ("任务“{task}”（{case}）已到办理期限，请尽快办理。", "Task “{task}” ({case}) is due: please complete it."),
    "notify_task_escalated": ("任务“{task}”（{case}）已逾期未办，现提请您督办。", "Task “{task}” ({case}) is overdue and escalated to you."),
    "notify_carry_out_overdue": ("案件 {case} 的涉密设备（{assets}）已过归还日期仍未归还（MED.3）。", "The classified items of {case} ({assets}) are past their return date (MED.3)."),
    "notify_password_due": ("涉密计算机 {asset} 的口令已超过 {days} 天未更换，请更换后确认（CNET.4）。", "The password of classified computer {asset} is older than {days} days: change it and confirm (CNET.4)."),
    "notify_password_escalated": ("涉密计算机 {asset}（使用人 {holder}）口令逾期未更换（CNET.4）。", "Classified computer {asset} (held by {holder}) still has an expired password (CNET.4)."),
    "notify_destruction_waiting": ("待销毁载体 {item} 已登记 {days} 天仍未造册销毁（DES.2）。", "Carrier {item} has waited {days} days in the destruction register (DES.2)."),
    "notify_quarterly_report": ("{period} 保密工作季度报告已生成，请审核后报送市保密局（PUB.8）。", "The quarterly report {period} is ready to check and send to the municipal bureau (PUB.8)."),
})


def notify(session: Session, user_ids, code: str, dedup_key: str, instance_id: int | None = None,
           task_id: int | None = None, **params) -> int:
    """Tell each user once per `dedup_key`; returns how many were new. The caller commits."""
    user_ids = sorted(set(u for u in user_ids if u))
    if not user_ids:
        return 0
    already = set(session.scalars(select(Notification.user_id).where(
        Notification.user_id.in_(user_ids), Notification.dedup_key == dedup_key)))
    fresh = [u for u in user_ids if u not in already]
    body = json.dumps(params, ensure_ascii=False, default=str)
    session.add_all(Notification(user_id=u, code=code, params=body, instance_id=instance_id, task_id=task_id,
                                 dedup_key=dedup_key, created_at=utcnow()) for u in fresh)
    return len(fresh)


def holders_of(session: Session, role: str, section_id: int | None = None) -> list[int]:
    """Active users holding `role` office-wide, or for `section_id`."""
    stmt = select(RoleAssignment.user_id).join(User, User.id == RoleAssignment.user_id).where(
        RoleAssignment.role == role, User.active.is_(True))
    if section_id is not None:
        stmt = stmt.where((RoleAssignment.section_id.is_(None)) | (RoleAssignment.section_id == section_id))
    return list(session.scalars(stmt))


def role_candidates(session: Session, task: HumanTask) -> list[int]:
    """The holders of the task's role for its section, the applicant excepted."""
    applicant = session.scalar(select(ProcessInstance.applicant_id).where(ProcessInstance.id == task.instance_id))
    return [u for u in holders_of(session, task.role, task.section_id) if u != applicant]


def task_candidates(session: Session, task: HumanTask) -> list[int]:
    """Whom a reminder of this task goes to: its assignee, else the holders of its role."""
    return [task.assignee_id] if task.assignee_id else role_candidates(session, task)


def text(n: Notification, locale: str) -> str:
    return message(n.code, locale, **json.loads(n.params or "{}"))


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def latest(session: Session, user_id: int, limit: int = 50, offset: int = 0) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.user_id == user_id)
                                .order_by(Notification.id.desc()).limit(limit).offset(offset)))


def mark_read(session: Session, user_id: int, ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Mark some (or all) of the user's notifications read; another user's ids are ignored."""
    stmt = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids))
    return session.execute(stmt.values(read_at=now or utcnow())).rowcount
