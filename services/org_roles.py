"""Role assignments per section or office-wide with start and end dates, and a section head's deputy
acting while the head is marked absent. Each change is audited; refusing to leave open tasks waiting on a
role nobody holds names the tasks. The caller commits."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import HumanTask, ProcessInstance, RoleAssignment, Section, User
from models.org import ALL_TERMS, office_today
from services import assignment, audit, org_handover
from services.errors import DomainError, Forbidden, NotFound
from services.messages import register
from services.roles import APPLICANT_LANE, ROLES, THREE_ADMINISTRATORS

register({
    "org_roles_security_admin_only": (
        "只有安全保密管理员可以分配、调整或收回角色（三员分立）。",
        "Only the security administrator assigns, changes or removes roles (separation of the three administrators)."),
    "org_no_self_grant": ("任何人都不能给自己分配角色（三员分立）。",
                          "Nobody can give a role to themselves (separation of the three administrators)."),
    "org_three_administrators": (
        "{name}已担任“{held}”，不能再担任“{role}”：系统管理员、安全保密管理员和安全审计员须由三个不同的人担任（三员分立）。",
        "{name} is already {held} and cannot also be {role}: the system administrator, the security administrator "
        "and the security auditor are three different people (separation of the three administrators)."),
})


def audit_change(session, actor: User | None, action: str, **details) -> None:
    """An organisation change in the audit log, by `actor` (None: the system)."""
    audit.record(session, action, actor.id if actor else None, **details)


def get_user(session: Session, user_id: int | None) -> User:
    """The user, or NotFound."""
    user = session.get(User, user_id) if user_id else None
    if user is None:
        raise NotFound("not_found")
    return user


def get_section(session: Session, section_id: int) -> Section:
    """The section, or NotFound."""
    found = session.get(Section, section_id)
    if found is None:
        raise NotFound("not_found")
    return found


# Role assignments ------------------------------------------------------------------------------------

def roles_in_force(session: Session, user_id: int) -> list[RoleAssignment]:
    return list(session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == user_id)))


def assign_role(session: Session, actor: User | None, user_id: int, role: str, section_id: int | None,
                start_date: date | None = None, end_date: date | None = None) -> RoleAssignment:
    """Give a role for a section or office-wide, from and until the given days; the same role and scope
    given again changes its dates. Only the security administrator (or the system itself: actor None)."""
    check_security_admin(session, actor)
    user = get_user(session, user_id)
    if not user.active:
        raise DomainError("org_user_inactive", field="user_id", name=user.display_name)
    if role not in ROLES:
        raise DomainError("org_role_unknown", field="role", role=role)
    if ROLES[role].section_scoped and section_id is None:
        raise DomainError("org_role_needs_section", field="section_id", role=ROLES[role].name_zh)
    if section_id is not None:
        get_section(session, section_id)
    if start_date and end_date and end_date < start_date:
        raise DomainError("org_dates_reversed", field="end_date")
    return grant(session, actor, user, role, section_id, start_date, end_date)


def check_security_admin(session: Session, actor: User | None) -> None:
    """Role assignments are the security administrator's work (三员分立); None is the system (CLI, import
    of the demo office)."""
    if actor is not None and not assignment.holds_role(session, actor.id, "security_admin", None):
        raise Forbidden("org_roles_security_admin_only")


def check_separation(session: Session, actor: User | None, user: User, role: str) -> None:
    """Nobody gives a role to themselves; nobody holds two of the three administrators' roles."""
    if actor is not None and actor.id == user.id:
        raise Forbidden("org_no_self_grant", field="user_id")
    if role not in THREE_ADMINISTRATORS:
        return
    held = session.scalar(select(RoleAssignment.role).where(
        RoleAssignment.user_id == user.id, RoleAssignment.role.in_(THREE_ADMINISTRATORS), RoleAssignment.role != role)
        .execution_options(**{ALL_TERMS: True}).limit(1))
    if held is not None:
        raise DomainError("org_three_administrators", field="role", name=user.display_name,
                          held=ROLES[held].name_zh, role=ROLES[role].name_zh)


def grant(session, actor, user: User, role: str, section_id, start_date, end_date) -> RoleAssignment:
    """Give or re-date a role; every path that gives a role comes here, so the separation holds for all."""
    check_separation(session, actor, user, role)
    row = session.scalar(select(RoleAssignment).where(
        RoleAssignment.user_id == user.id, RoleAssignment.role == role,
        RoleAssignment.section_id.is_(None) if section_id is None else RoleAssignment.section_id == section_id)
        .execution_options(**{ALL_TERMS: True}))
    if row is None:
        row = RoleAssignment(user_id=user.id, role=role, section_id=section_id, start_date=start_date,
                             end_date=end_date)
        session.add(row)
        session.flush()
        audit_change(session, actor, "role_assigned", user=user.username, role=role, section_id=section_id,
               start=start_date, end=end_date)
    elif (row.start_date, row.end_date, row.acting_for_id) != (start_date, end_date, None):
        if end_date is not None and end_date < office_today():
            refuse_last_holder(session, user, role, section_id)
        audit_change(session, actor, "role_dates_changed", user=user.username, role=role, section_id=section_id,
               before=[row.start_date, row.end_date], after=[start_date, end_date])
        row.start_date, row.end_date, row.acting_for_id = start_date, end_date, None
        session.flush()
        org_handover.release_lapsed_claims(session, actor.id if actor else None, [user.id])
    assignment.forget_roles(session, user.id)
    return row


def update_role(session: Session, actor: User | None, assignment_id: int, start_date: date | None,
                end_date: date | None) -> RoleAssignment:
    check_security_admin(session, actor)
    row = _assignment(session, assignment_id)
    if start_date and end_date and end_date < start_date:
        raise DomainError("org_dates_reversed", field="end_date")
    return grant(session, actor, row.user, row.role, row.section_id, start_date, end_date)


def remove_role(session: Session, actor: User | None, assignment_id: int) -> None:
    """Take a role away; refused while it is the last holder's and open tasks wait on it."""
    check_security_admin(session, actor)
    drop(session, actor, _assignment(session, assignment_id))


def drop(session: Session, actor: User | None, row: RoleAssignment, reason: str = "role_removed") -> None:
    """Take a role away as part of an organisation change (a new section head): the caller is entitled."""
    user = row.user
    if row.in_force_on(office_today()):
        refuse_last_holder(session, user, row.role, row.section_id)
    session.delete(row)
    session.flush()
    assignment.forget_roles(session, user.id)
    audit_change(session, actor, "role_removed", user=user.username, role=row.role, section_id=row.section_id)
    org_handover.release_lapsed_claims(session, actor.id if actor else None, [user.id], reason)


def _assignment(session: Session, assignment_id: int) -> RoleAssignment:
    row = session.scalar(select(RoleAssignment).where(RoleAssignment.id == assignment_id)
                         .execution_options(**{ALL_TERMS: True}))
    if row is None:
        raise NotFound("not_found")
    return row


def waiting_tasks(session: Session, role: str, section_id: int | None) -> list[HumanTask]:
    """Open group tasks of running cases that wait on `role` (for one section, or any when office-wide)."""
    stmt = select(HumanTask).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id).where(
        HumanTask.status == "open", HumanTask.role == role, HumanTask.role != APPLICANT_LANE,
        HumanTask.kind != "personal", ProcessInstance.status.in_(("running", "suspended", "error")))
    if section_id is not None:
        stmt = stmt.where(HumanTask.section_id == section_id)
    return list(session.scalars(stmt.order_by(HumanTask.id)))


def refuse_last_holder(session: Session, user: User, role: str, section_id: int | None) -> None:
    """Refuse to leave tasks waiting on a role nobody holds; the message names the tasks."""
    tasks = waiting_tasks(session, role, section_id)
    if not tasks:
        return
    others = select(RoleAssignment.id).join(User, User.id == RoleAssignment.user_id).where(
        RoleAssignment.role == role, RoleAssignment.user_id != user.id, User.active.is_(True))
    if section_id is None:
        others = others.where(RoleAssignment.section_id.is_(None))
    else:
        others = others.where(or_(RoleAssignment.section_id.is_(None), RoleAssignment.section_id == section_id))
    if session.scalar(others.limit(1)) is not None:
        return
    names = "、".join(f"{t.instance.business_key} {t.name}" for t in tasks[:10])
    raise DomainError("org_last_role_holder", name=user.display_name, role=ROLES[role].name_zh
                      if role in ROLES else role, tasks=names + ("…" if len(tasks) > 10 else ""))


def yesterday() -> date:
    return office_today() - timedelta(days=1)


def is_absent(user: User, today: date) -> bool:
    return user.absent and (user.absent_until is None or today <= user.absent_until)


def sync_acting_head(session: Session, actor: User | None, target: Section) -> None:
    """While the head is marked absent the deputy holds section_head for the section (acting for the
    head), so the section head's tasks, reminders and candidates reach the deputy; otherwise nobody acts."""
    today = office_today()
    head = target.head
    wanted = None
    if head is not None and target.deputy_id and is_absent(head, today):
        wanted = (target.deputy_id, head.id, head.absent_until)
    acting = list(session.scalars(select(RoleAssignment).where(
        RoleAssignment.section_id == target.id, RoleAssignment.role == "section_head",
        RoleAssignment.acting_for_id.is_not(None)).execution_options(**{ALL_TERMS: True})))
    for row in acting:
        if wanted and (row.user_id, row.acting_for_id, row.end_date) == wanted:
            wanted = None
            continue
        session.delete(row)
        session.flush()
        assignment.forget_roles(session, row.user_id)
        audit_change(session, actor, "acting_head_ended", section=target.code, deputy=row.user_id, head=row.acting_for_id)
        org_handover.release_lapsed_claims(session, actor.id if actor else None, [row.user_id], "head_returned")
    if wanted:
        deputy_id, head_id, until = wanted
        if session.scalar(select(RoleAssignment.id).where(
                RoleAssignment.user_id == deputy_id, RoleAssignment.role == "section_head",
                RoleAssignment.section_id == target.id).execution_options(**{ALL_TERMS: True})) is None:
            session.add(RoleAssignment(user_id=deputy_id, role="section_head", section_id=target.id,
                                       acting_for_id=head_id, end_date=until))
            session.flush()
            assignment.forget_roles(session, deputy_id)
            audit_change(session, actor, "acting_head_started", section=target.code, deputy=deputy_id, head=head_id,
                   until=until)


def set_absence(session: Session, actor: User | None, user_id: int, absent: bool, until: date | None = None) -> User:
    """Mark a person absent (until a day, or until marked back) or present; their deputies follow."""
    user = get_user(session, user_id)
    user.absent, user.absent_until = absent, (until if absent else None)
    audit_change(session, actor, "absence_marked" if absent else "absence_ended", user=user.username, until=until)
    session.flush()
    for post in list(session.scalars(select(Section).where(Section.head_id == user.id))):
        sync_acting_head(session, actor, post)
        if absent:
            # What the head had claimed waits for the deputy rather than for the head's return.
            for task in session.scalars(select(HumanTask).where(
                    HumanTask.status == "open", HumanTask.assignee_id == user.id,
                    HumanTask.role == "section_head", HumanTask.section_id == post.id)):
                task.assignee_id, task.claimed_at = None, None
                audit.record(session, "task_returned_to_group", actor.id if actor else None, task.instance_id,
                             task.id, task=task.bpmn_id, role=task.role, before=user.id, reason="head_absent")
    return user
