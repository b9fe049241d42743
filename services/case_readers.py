"""Readers copied in on a case (抄送): who may copy whom in, and the list of cases copied to someone.

A reader sees the case read-only: services.assignment.can_view_case asks `is_reader`, while check_can_act
never does, so being copied in lets nobody claim or complete a task. The caller commits."""
from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, joinedload

from models import CaseReader, HumanTask, ProcessInstance, User, utcnow
from services import assignment, audit, notifications
from services.errors import DomainError, Forbidden, NotFound
from services.messages import register

register({
    "cc_not_allowed": ("只有申请人、正在办理本案的审批人或保密办可以抄送本案。",
                       "Only the applicant, an approver acting on the case or the security office may copy people in."),
    "cc_nobody": ("请至少选择一位抄送人。", "Choose at least one person to copy in."),
    "cc_user_unknown": ("用户 {names} 不存在或已停用。", "No active user {names}."),
    "cc_self": ("不能抄送给自己。", "You cannot copy yourself in."),
    "cc_remove_not_allowed": ("只有抄送人、申请人或保密办可以取消抄送。",
                              "Only who copied them in, the applicant or the security office may remove a reader."),
    "notify_case_cc": ("{actor} 将案件 {case} 抄送给您（只读）。", "{actor} copied you in on case {case} (read-only)."),
})

# Set while asking whether someone sees a case for a reason other than being copied in.
_IGNORING_READERS = "case_readers_ignored"
MAX_READERS_AT_ONCE = 50


def is_reader(session: Session, user_id: int, instance_id: int) -> bool:
    """Whether the user was copied in on the case (services.assignment.can_view_case asks this)."""
    if session.info.get(_IGNORING_READERS):
        return False
    return bool(session.scalar(select(exists().where(CaseReader.instance_id == instance_id,
                                                     CaseReader.user_id == user_id))))


def sees_beyond_copy(session: Session, user: User, instance: ProcessInstance) -> bool:
    """Whether the user sees the case as applicant, participant, candidate or overseer, not only as a reader."""
    session.info[_IGNORING_READERS] = True
    try:
        return assignment.can_view_case(session, user, instance)
    finally:
        session.info.pop(_IGNORING_READERS, None)


def readers_of(session: Session, instance_id: int) -> list[CaseReader]:
    """The case's readers, in the order they were copied in."""
    return list(session.scalars(select(CaseReader).where(CaseReader.instance_id == instance_id)
                                .options(joinedload(CaseReader.user), joinedload(CaseReader.added_by))
                                .order_by(CaseReader.id)))


def acts_on_case(session: Session, user: User, instance: ProcessInstance) -> bool:
    """Whether the user may claim or complete one of the case's open tasks now."""
    tasks = list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)))
    for task in tasks:
        if task.status != "open":
            continue
        try:
            assignment.check_can_act(session, task, user, tasks)
        except DomainError:
            continue
        return True
    return False


def may_copy_in(session: Session, user: User, instance: ProcessInstance) -> bool:
    """The applicant, an approver acting on the case, or the security office (MED.1: it oversees every case)."""
    return (user.id == instance.applicant_id
            or assignment.holds_role(session, user.id, "security_office", instance.section_id)
            or acts_on_case(session, user, instance))


def add_readers(session: Session, instance: ProcessInstance, actor: User, usernames: list[str],
                note: str = "") -> list[CaseReader]:
    """Copy people in on the case and notify them; those already copied in are left as they are.
    Returns the new readers. An unknown or inactive name refuses the whole request (nothing half-done)."""
    if not may_copy_in(session, actor, instance):
        raise Forbidden("cc_not_allowed")
    wanted = sorted({u.strip() for u in usernames if u and u.strip()})
    if not wanted:
        raise DomainError("cc_nobody", field="users")
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(wanted),
                                                                       User.active.is_(True)))}
    unknown = [name for name in wanted if name not in users]
    if unknown:
        raise DomainError("cc_user_unknown", field="users", names="、".join(unknown))
    if actor.username in users:
        raise DomainError("cc_self", field="users")
    already = set(session.scalars(select(CaseReader.user_id).where(
        CaseReader.instance_id == instance.id, CaseReader.user_id.in_([u.id for u in users.values()]))))
    now = utcnow()
    added = [CaseReader(instance_id=instance.id, user_id=u.id, added_by_id=actor.id, added_at=now, note=note)
             for u in users.values() if u.id not in already]
    if not added:
        return []
    session.add_all(added)
    session.flush()
    for reader in added:
        notifications.notify(session, [reader.user_id], "notify_case_cc", f"case_cc:{reader.id}",
                             instance_id=instance.id, actor=actor.display_name, case=instance.business_key)
    audit.record(session, "case_readers_added", actor.id, instance.id,
                 readers=[users[name].username for name in wanted if users[name].id not in already], note=note)
    return added


def remove_reader(session: Session, instance: ProcessInstance, actor: User, username: str) -> None:
    """Take a reader off the case: whoever copied them in, the applicant or the security office may."""
    reader = session.scalar(select(CaseReader).join(User, User.id == CaseReader.user_id).where(
        CaseReader.instance_id == instance.id, User.username == username))
    if reader is None:
        raise NotFound("not_found")
    if not may_remove(session, actor, instance, reader):
        raise Forbidden("cc_remove_not_allowed")
    session.delete(reader)
    audit.record(session, "case_reader_removed", actor.id, instance.id, reader=username)


def may_remove(session: Session, actor: User, instance: ProcessInstance, reader: CaseReader) -> bool:
    """Whoever copied the reader in, the applicant, or the security office."""
    return (actor.id in (reader.added_by_id, instance.applicant_id)
            or assignment.holds_role(session, actor.id, "security_office", instance.section_id))


def copied_to(session: Session, user_id: int, limit: int = 50, offset: int = 0) -> list[CaseReader]:
    """The cases copied to this user, newest first, each with its case."""
    return list(session.scalars(
        select(CaseReader).where(CaseReader.user_id == user_id)
        .options(joinedload(CaseReader.added_by),
                 joinedload(CaseReader.instance).joinedload(ProcessInstance.definition),
                 joinedload(CaseReader.instance).joinedload(ProcessInstance.applicant))
        .order_by(CaseReader.added_at.desc(), CaseReader.id.desc()).limit(limit).offset(offset)))


def copied_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(CaseReader).where(CaseReader.user_id == user_id)) or 0
