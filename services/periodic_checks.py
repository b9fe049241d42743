"""The periodic checks of DOMAIN.md that are not BPMN timers: password rotation (CNET.4), carriers
waiting in the destruction register (DES.2), the quarterly report to the municipal bureau (PUB.8)."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Asset, DestructionItem, GeneratedReport, ProcessInstance, User
from services import asset_register, audit, notifications
from services.enforcement import enforces
from services.errors import DomainError, Forbidden
from services.messages import register
from services.procedures import PROCEDURES

# CNET.4: secret-level computers at most 30 days, confidential-level at most 7; top secret as strict.
PASSWORD_MAX_AGE_DAYS = {"secret": 30, "confidential": 7, "top_secret": 7}
PASSWORD_KINDS = ("desktop", "laptop")
PASSWORD_GRACE = timedelta(days=2)
DESTRUCTION_WAIT = timedelta(days=30)

register({
    "password_not_a_computer": ("只有涉密计算机需要定期更换口令。", "Only classified computers have a password rotation."),
    "password_not_holder": ("只有该计算机的使用人可以确认更换口令。", "Only the computer's holder can confirm a password change."),
})


def password_due_at(asset: Asset) -> datetime | None:
    days = PASSWORD_MAX_AGE_DAYS.get(asset.classification)
    if days is None or asset.kind not in PASSWORD_KINDS:
        return None
    return (asset.password_changed_at or asset.created_at) + timedelta(days=days)


@enforces("CNET.4", what_zh="涉密计算机口令按期更换：秘密级≤30天、机密级≤7天，逾期提醒使用人，再报保密办",
          what_en="Classified computers change passwords: secret ≤30 days, confidential ≤7; remind, then the security office")
def check_password_rotation(session: Session, now: datetime) -> int:
    """Remind the holder of each computer whose password is due; tell the security office after the grace."""
    count = 0
    computers = session.scalars(select(Asset).where(
        Asset.kind.in_(PASSWORD_KINDS), Asset.classification.in_(tuple(PASSWORD_MAX_AGE_DAYS)),
        Asset.status.in_(("in_use", "carried_out", "in_storage"))))
    office = None
    for asset in computers:
        due = password_due_at(asset)
        if due is None or due > now:
            continue
        days = PASSWORD_MAX_AGE_DAYS[asset.classification]
        stamp = due.date().isoformat()
        count += notifications.notify(session, [asset.holder_id], "notify_password_due",
                                      f"password_due:{asset.id}:{stamp}", asset=asset.register_number, days=days)
        if due + PASSWORD_GRACE <= now:
            office = office if office is not None else notifications.holders_of(session, "security_office")
            holder = session.get(User, asset.holder_id) if asset.holder_id else None
            count += notifications.notify(session, office, "notify_password_escalated",
                                          f"password_escalated:{asset.id}:{stamp}", asset=asset.register_number,
                                          holder=holder.display_name if holder else "-")
    return count


def confirm_password_rotation(session: Session, asset_id: int, user: User, now: datetime) -> Asset:
    """The holder confirms having changed the computer's password today."""
    # Outside the user's reach it does not exist for them (404, no hint), as on the asset pages.
    asset = asset_register.visible_asset(session, asset_id, user)
    if asset.holder_id != user.id:
        raise Forbidden("password_not_holder")
    if password_due_at(asset) is None:
        raise DomainError("password_not_a_computer")
    asset.password_changed_at = now
    audit.record(session, "password_rotation_confirmed", user.id, asset=asset.register_number)
    return asset


def computers_of(session: Session, user: User) -> list[Asset]:
    """The classified computers a user holds, for the rotation page."""
    return list(session.scalars(select(Asset).where(
        Asset.holder_id == user.id, Asset.kind.in_(PASSWORD_KINDS),
        Asset.classification.in_(tuple(PASSWORD_MAX_AGE_DAYS))).order_by(Asset.register_number)))


@enforces("DES.2", what_zh="待销毁载体登记后长期未造册销毁时提醒销毁工作专人",
          what_en="Carriers waiting too long in the destruction register are brought to the destruction officer")
def check_destruction_waiting(session: Session, now: datetime, wait: timedelta = DESTRUCTION_WAIT) -> int:
    count = 0
    officers = None
    items = session.scalars(select(DestructionItem).where(
        DestructionItem.status == "registered", DestructionItem.registered_at <= now - wait)
        .order_by(DestructionItem.registered_at).limit(500))
    for item in items:
        officers = officers if officers is not None else notifications.holders_of(session, "destruction_officer")
        label = item.doc_number or item.title or f"#{item.id}"
        count += notifications.notify(session, officers, "notify_destruction_waiting",
                                      f"destruction_waiting:{item.id}", item=label,
                                      days=(now - item.registered_at).days)
    return count


def quarter_of(moment: datetime) -> tuple[str, datetime, datetime]:
    """The quarter before `moment`: its label and its [start, end) in UTC."""
    first_of_this = moment.replace(month=3 * ((moment.month - 1) // 3) + 1, day=1, hour=0, minute=0,
                                   second=0, microsecond=0)
    start = (first_of_this - timedelta(days=1)).replace(day=1)
    start = start.replace(month=3 * ((start.month - 1) // 3) + 1)
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}", start, first_of_this


@enforces("PUB.8", what_zh="每季度生成报送市保密局的保密工作报告",
          what_en="The quarterly report to the municipal secrecy bureau is generated")
def generate_quarterly_report(session: Session, now: datetime) -> GeneratedReport | None:
    """The report on the quarter just ended (cases per procedure and outcome); once per quarter."""
    period, start, end = quarter_of(now)
    if session.scalar(select(GeneratedReport.id).where(GeneratedReport.kind == "quarterly_bureau_report",
                                                       GeneratedReport.period == period)):
        return None
    rows = session.execute(
        select(ProcessInstance.process_id, ProcessInstance.status, func.count())
        .where(ProcessInstance.created_at >= start, ProcessInstance.created_at < end)
        .group_by(ProcessInstance.process_id, ProcessInstance.status)).all()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["报告期 period", period, f"{start:%Y-%m-%d}", f"{end - timedelta(days=1):%Y-%m-%d}"])
    writer.writerow(["流程 procedure", "状态 status", "件数 cases"])
    for process_id, status, count in sorted(rows):
        name = PROCEDURES[process_id].name_zh if process_id in PROCEDURES else process_id
        writer.writerow([name, status, count])
    report = GeneratedReport(kind="quarterly_bureau_report", period=period, content_type="text/csv",
                             content=out.getvalue(), created_at=now)
    session.add(report)
    session.flush()
    notifications.notify(session, notifications.holders_of(session, "security_office"), "notify_quarterly_report",
                         f"quarterly_report:{period}", period=period)
    audit.record(session, "quarterly_report_generated", None, period=period)
    return report
