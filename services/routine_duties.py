"""Recurring duties of the regulations that are not procedures: the monthly antivirus update of networked
computers (CIS.7), the regular backup of important data (UNET.6), the periodic re-check of each published
item (PUB.7(2)). Each occurrence is a row; its role's holders are reminded before it is due, the security
office is told when it is overdue, and a holder confirms it was done."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import ProcessInstance, RoutineDuty, User
from services import audit, notifications
from services.assignment import holds_role
from services.enforcement import enforces
from services.errors import Conflict, Forbidden, NotFound
from services.messages import register

OFFICE_TZ = ZoneInfo("Asia/Shanghai")
# The security office hears of an unconfirmed duty this long after its due time.
ESCALATE_AFTER = timedelta(days=3)
# A monthly duty is due this many days into its month.
MONTHLY_DUE_DAY = 10
# PUB.7(2) asks for a periodic re-check without a period; a quarter matches the quarterly report of PUB.8(4).
PUBLICATION_RECHECK_DAYS = int(os.environ.get("BAOMI_PUBLICATION_RECHECK_DAYS", "90"))


@dataclass(frozen=True)
class Duty:
    kind: str
    article: str
    role: str
    name_zh: str
    name_en: str
    monthly: bool = False
    # Reminders start this many days before the due time: a monthly duty from the first of its month.
    remind_days: int = 7

    def name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") else self.name_zh


DUTIES = {d.kind: d for d in [
    Duty("antivirus_update", "CIS.7", "maintainer", "接入网络计算机的杀毒软件升级", "Antivirus update of networked computers",
         monthly=True, remind_days=MONTHLY_DUE_DAY),
    Duty("data_backup", "UNET.6", "maintainer", "重要数据备份及副本复制", "Backup and copy of important data",
         monthly=True, remind_days=MONTHLY_DUE_DAY),
    # PUB.7(2): the section that provided the information re-checks it.
    Duty("publication_recheck", "PUB.7", "section_head", "已发布信息定期保密复查", "Periodic re-check of published information"),
]}

register({
    "notify_duty_due": ("例行工作“{duty}”{title}应于 {due} 前完成，完成后请在“例行工作”中确认（{article}）。",
                        "Routine duty “{duty}”{title} is due by {due}: confirm it under Routine duties when done ({article})."),
    "notify_duty_overdue": ("例行工作“{duty}”{title}已逾期未确认（应于 {due} 前完成，{article}）。",
                            "Routine duty “{duty}”{title} is overdue and unconfirmed (due {due}, {article})."),
    "duty_not_yours": ("只有该项工作的责任角色或保密办可以确认。", "Only the duty's role or the security office can confirm it."),
    "duty_already_confirmed": ("该项工作已由他人确认，页面已刷新。", "Someone else has already confirmed this duty."),
})


def _month_of(now: datetime) -> tuple[str, datetime]:
    """The office-local month of `now` and the due time of a monthly duty in it."""
    local = now.astimezone(OFFICE_TZ)
    due = datetime(local.year, local.month, MONTHLY_DUE_DAY, 17, 0, tzinfo=OFFICE_TZ)
    return f"{local.year:04d}-{local.month:02d}", due


def _insert_once(session: Session, duty: RoutineDuty) -> bool:
    """Add the occurrence unless it exists; the unique key settles a race between two schedulers."""
    exists = session.scalar(select(RoutineDuty.id).where(
        RoutineDuty.kind == duty.kind, RoutineDuty.subject == duty.subject, RoutineDuty.period == duty.period))
    if exists:
        return False
    try:
        with session.begin_nested():
            session.add(duty)
    except IntegrityError:
        return False
    return True


@enforces("CIS.7", "UNET.6", what_zh="每月生成杀毒软件升级和重要数据备份的例行工作，提醒系统维护人员，逾期报保密办",
          what_en="Each month, the antivirus update and the backup of important data fall due for the maintainers; "
                  "overdue ones go to the security office")
def open_monthly_duties(session: Session, now: datetime) -> int:
    """Open this month's occurrence of each monthly duty; returns how many were new."""
    period, due = _month_of(now)
    return sum(_insert_once(session, RoutineDuty(kind=d.kind, subject="", period=period, due_at=due, created_at=now))
               for d in DUTIES.values() if d.monthly)


def schedule_publication_recheck(session: Session, instance: ProcessInstance, url: str, due_at: datetime,
                                 now: datetime) -> None:
    """Put the re-check of a published item on its section's list (PUB.7(2))."""
    _insert_once(session, RoutineDuty(
        kind="publication_recheck", subject=f"case:{instance.id}", period=due_at.astimezone(OFFICE_TZ).date().isoformat(),
        title=url[:300], instance_id=instance.id, section_id=instance.section_id, due_at=due_at, created_at=now))


@enforces("PUB.7", what_zh="已发布信息到复查日期时提醒提供信息的科室负责人复查，逾期报保密办",
          what_en="When a published item's re-check falls due its section head is reminded; overdue, the security "
                  "office is told")
def remind_duties(session: Session, now: datetime) -> int:
    """Remind the holders of each open duty coming due, and the security office of each overdue one."""
    count = 0
    office = None
    holders: dict[tuple[str, int | None], list[int]] = {}  # many duties share a role and section
    longest_lead = timedelta(days=max(d.remind_days for d in DUTIES.values()))
    open_duties = session.scalars(select(RoutineDuty).where(
        RoutineDuty.confirmed_at.is_(None), RoutineDuty.due_at <= now + longest_lead).order_by(RoutineDuty.due_at))
    for duty in open_duties:
        spec = DUTIES[duty.kind]
        if duty.due_at - timedelta(days=spec.remind_days) > now:
            continue
        params = {"duty": spec.name_zh, "title": f"（{duty.title}）" if duty.title else "",
                  "due": duty.due_at.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M"), "article": spec.article}
        key = (spec.role, duty.section_id)
        if key not in holders:
            holders[key] = notifications.holders_of(session, *key)
        count += notifications.notify(session, holders[key], "notify_duty_due", f"duty_due:{duty.id}",
                                      instance_id=duty.instance_id, **params)
        if duty.due_at + ESCALATE_AFTER <= now:
            office = office if office is not None else notifications.holders_of(session, "security_office")
            count += notifications.notify(session, office, "notify_duty_overdue", f"duty_overdue:{duty.id}",
                                          instance_id=duty.instance_id, **params)
    return count


def may_confirm(session: Session, duty: RoutineDuty, user: User) -> bool:
    return (holds_role(session, user.id, DUTIES[duty.kind].role, duty.section_id)
            or holds_role(session, user.id, "security_office", None))


def visible_duties(session: Session, user: User, include_done: bool = False, limit: int = 200) -> list[RoutineDuty]:
    """The duties a user answers for (every one for the security office), open ones first by due time."""
    stmt = select(RoutineDuty).order_by(RoutineDuty.confirmed_at.is_not(None), RoutineDuty.due_at.desc()).limit(limit)
    if not include_done:
        stmt = stmt.where(RoutineDuty.confirmed_at.is_(None))
    if not holds_role(session, user.id, "security_office", None):
        own_kinds = [d.kind for d in DUTIES.values() if holds_role(session, user.id, d.role, user.section_id)]
        if not own_kinds:
            return []
        stmt = stmt.where(RoutineDuty.kind.in_(own_kinds),
                          or_(RoutineDuty.section_id.is_(None), RoutineDuty.section_id == user.section_id))
    return [d for d in session.scalars(stmt) if may_confirm(session, d, user)]


def confirm(session: Session, duty_id: int, user: User, note: str, now: datetime) -> RoutineDuty:
    """A holder confirms the duty was done; a published item's next re-check is scheduled at once."""
    duty = session.get(RoutineDuty, duty_id)
    if duty is None:
        raise NotFound("not_found")
    if not may_confirm(session, duty, user):
        raise Forbidden("duty_not_yours")
    # Conditional, so two people confirming at once give one success and one clear conflict.
    done = session.execute(update(RoutineDuty).where(RoutineDuty.id == duty.id, RoutineDuty.confirmed_at.is_(None))
                           .values(confirmed_at=now, confirmed_by_id=user.id, note=note)
                           .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict("duty_already_confirmed")
    session.refresh(duty)
    audit.record(session, "routine_duty_confirmed", user.id, duty.instance_id, duty=duty.kind, period=duty.period,
                 note=note)
    if duty.kind == "publication_recheck":
        next_day = (now.astimezone(OFFICE_TZ) + timedelta(days=PUBLICATION_RECHECK_DAYS)).date()
        next_due = datetime.combine(next_day, time(9, 0), OFFICE_TZ)
        _insert_once(session, RoutineDuty(
            kind=duty.kind, subject=duty.subject, period=next_day.isoformat(), title=duty.title,
            instance_id=duty.instance_id, section_id=duty.section_id, due_at=next_due, created_at=now))
    return duty
