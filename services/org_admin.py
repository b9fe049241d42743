"""The system administrator keeps the organisation: sections with head and deputy, users, and role
assignments per section or office-wide with start and end dates. Every change is one audit event in the
same transaction; refusals name what stands in the way. The caller commits (one request, one job)."""
from __future__ import annotations

import secrets
import string

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import Session

from models import (Asset, AuditEvent, HumanTask, Notification, ProcessInstance, RoleAssignment, Section, User)
from models.org import ALL_TERMS
from services import assignment, org_handover, org_roles
from services.auth import hash_password
from services.errors import DomainError, Forbidden
from services.roles import ROLES
from services.messages import register

register({
    "org_section_code_taken": ("科室代码“{section_code}”已被使用。", "The section code “{section_code}” is taken."),
    "org_username_taken": ("用户名“{username}”已被使用。", "The username “{username}” is taken."),
    "org_role_unknown": ("没有“{role}”这个角色。", "There is no role “{role}”."),
    "org_role_needs_section": ("“{role}”是科室角色，必须指定科室。", "“{role}” is a section role: choose the section."),
    "org_dates_reversed": ("结束日期不能早于开始日期。", "The end date cannot be before the start date."),
    "org_last_role_holder": ("{name}是“{role}”角色唯一的在任人员，以下未办结任务正等待该角色：{tasks}。请先为该角色指定其他人员。",
                             "{name} is the only holder of the role “{role}” that these open tasks wait on: {tasks}. "
                             "Assign the role to someone else first."),
    "org_user_in_case": ("{name}已出现在案件或登记簿中，不能删除，只能停用。",
                         "{name} appears in a case or the register and cannot be deleted; deactivate instead."),
    "org_user_inactive": ("{name}已停用。", "{name} is deactivated."),
    "org_successor_invalid": ("接管人必须是另一位在职人员。", "The successor must be another active person."),
    "org_not_yourself": ("不能停用自己的账户。", "You cannot deactivate your own account."),
    "org_deputy_is_head": ("副职不能与科室负责人为同一人。", "The deputy cannot be the section head."),
    "org_password_change_required": ("管理员已重置您的密码，请先设置新密码。",
                                     "Your password was reset by the administrator: choose a new one first."),
})

SPECIALS = "!@#$%^&*-_=+?"
register({"org_system_admin_only": ("只有系统管理员可以管理用户和科室（三员分立）。",
                                    "Only the system administrator manages users and sections (separation of the "
                                    "three administrators).")})


def check_system_admin(session: Session, actor: User | None) -> None:
    """Users and sections are the system administrator's work (三员分立); None is the system itself."""
    if actor is not None and not assignment.holds_role(session, actor.id, "admin", None):
        raise Forbidden("org_system_admin_only")


register({"org_guarded_administrator": (
    "{name}是{role}：系统管理员不能重置其密码、停用或删除该账户；须先由安全保密管理员撤销其角色（三员分立）。",
    "{name} is the {role_en}: the system administrator cannot reset their password, deactivate or delete them; "
    "the security administrator must first remove that role (separation of the three administrators).")})


def check_account_keeper(session: Session, actor: User | None, user: User) -> None:
    """The system administrator keeps accounts, but not those of the other two administrators: resetting
    the auditor's password would let one person read the audit of their own actions as the auditor."""
    check_system_admin(session, actor)
    if actor is None:
        return
    for role in ("security_admin", "security_auditor"):
        if assignment.holds_role(session, user.id, role, None):
            raise Forbidden("org_guarded_administrator", name=user.display_name, role=ROLES[role].name_zh,
                            role_en=ROLES[role].name_en)


# Sections -------------------------------------------------------------------------------------------

def create_section(session: Session, actor: User | None, code: str, name_zh: str, name_en: str) -> Section:
    check_system_admin(session, actor)
    code = code.strip()
    if session.scalar(select(Section.id).where(Section.code == code)):
        raise DomainError("org_section_code_taken", field="code", section_code=code)
    created = Section(code=code, name_zh=name_zh.strip(), name_en=name_en.strip() or name_zh.strip())
    session.add(created)
    session.flush()
    org_roles.audit_change(session, actor, "section_created", section=code, name=created.name_zh)
    return created


def update_section(session: Session, actor: User | None, section_id: int, **changes) -> Section:
    """Rename a section, or name its head and deputy (None clears). The head holds section_head for it."""
    check_system_admin(session, actor)
    target = org_roles.get_section(session, section_id)
    before = {"name_zh": target.name_zh, "name_en": target.name_en, "head_id": target.head_id,
              "deputy_id": target.deputy_id}
    for key in ("name_zh", "name_en"):
        if changes.get(key):
            setattr(target, key, changes[key].strip())
    head_id = changes.get("head_id", target.head_id)
    deputy_id = changes.get("deputy_id", target.deputy_id)
    if head_id is not None and head_id == deputy_id:
        raise DomainError("org_deputy_is_head", field="deputy_id")
    if actor is not None and deputy_id == actor.id != target.deputy_id:
        # A deputy acts as section head: naming oneself would be a role given to oneself (三员分立).
        raise DomainError("org_no_self_grant", field="deputy_id")
    for key, value in (("head_id", head_id), ("deputy_id", deputy_id)):
        if value is not None and not org_roles.get_user(session, value).active:
            raise DomainError("org_user_inactive", field=key, name=org_roles.get_user(session, value).display_name)
    if head_id != target.head_id:
        old_head = target.head_id
        target.head_id = head_id
        if head_id is not None:
            org_roles.grant(session, actor, org_roles.get_user(session, head_id), "section_head", target.id, None, None)
        if old_head is not None:
            _drop_head_role(session, actor, old_head, target)
    target.deputy_id = deputy_id
    after = {"name_zh": target.name_zh, "name_en": target.name_en, "head_id": target.head_id,
             "deputy_id": target.deputy_id}
    changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changed:
        org_roles.audit_change(session, actor, "section_updated", section=target.code, changes=changed)
    org_roles.sync_acting_head(session, actor, target)
    return target


def _drop_head_role(session, actor, user_id: int, target: Section) -> None:
    row = session.scalar(select(RoleAssignment).where(
        RoleAssignment.user_id == user_id, RoleAssignment.role == "section_head",
        RoleAssignment.section_id == target.id, RoleAssignment.acting_for_id.is_(None)).execution_options(**{ALL_TERMS: True}))
    if row is not None:
        org_roles.drop(session, actor, row)


# Users ----------------------------------------------------------------------------------------------

def temporary_password() -> str:
    """A one-time password that meets CNET.4 (letters, digits, special characters, 12 long)."""
    alphabet = string.ascii_letters + string.digits
    core = [secrets.choice(alphabet) for _ in range(9)]
    return "".join(core) + secrets.choice(string.digits) + secrets.choice(SPECIALS) + secrets.choice("abcdefghjk")


def create_user(session: Session, actor: User | None, username: str, display_name: str,
                section_id: int | None = None, email: str | None = None, locale: str = "zh_CN") -> tuple[User, str]:
    """A new active user with the employee role of their section and a one-time password (returned once)
    that must be changed at the first sign-in."""
    check_system_admin(session, actor)
    username = username.strip()
    if session.scalar(select(User.id).where(User.username == username)):
        raise DomainError("org_username_taken", field="username", username=username)
    if section_id is not None:
        org_roles.get_section(session, section_id)
    password = temporary_password()
    user = User(username=username, display_name=display_name.strip(), password_hash=hash_password(password),
                locale=locale, email=email or None, section_id=section_id, active=True)
    user.must_change_password = True  # after the hash: setting a password clears the flag (models.org)
    session.add(user)
    session.flush()
    org_roles.audit_change(session, actor, "user_created", user=username, section_id=section_id)
    if section_id is not None:
        org_roles.grant(session, actor, user, "employee", section_id, None, None)
    return user, password


def update_user(session: Session, actor: User | None, user_id: int, **changes) -> User:
    """Change name, e-mail, language or section; a new section moves the employee role with the person."""
    check_system_admin(session, actor)
    user = org_roles.get_user(session, user_id)
    before = {k: getattr(user, k) for k in ("display_name", "email", "locale", "section_id")}
    for key in ("display_name", "email", "locale"):
        if key in changes and changes[key] is not None:
            setattr(user, key, changes[key].strip() or None if key == "email" else changes[key].strip())
    if "section_id" in changes and changes["section_id"] != user.section_id:
        move_to_section(session, actor, user, changes["section_id"])
    changed = {k: [before[k], getattr(user, k)] for k in before if before[k] != getattr(user, k)}
    if changed:
        org_roles.audit_change(session, actor, "user_updated", user=user.username, changes=changed)
    return user


def move_to_section(session: Session, actor: User | None, user: User, section_id: int | None) -> None:
    """Transfer: the employee role follows; roles scoped to the old section end (the new section's head
    gives them anew); a head or deputy post of the old section is vacated."""
    old = user.section_id
    if section_id is not None:
        org_roles.get_section(session, section_id)
    user.section_id = section_id
    if old is not None:
        scoped = session.scalars(select(RoleAssignment).where(
            RoleAssignment.user_id == user.id, RoleAssignment.section_id == old).execution_options(**{ALL_TERMS: True}))
        for row in list(scoped):
            session.delete(row)
            org_roles.audit_change(session, actor, "role_removed", user=user.username, role=row.role, section_id=old,
                   reason="transfer")
        vacate_posts(session, actor, user, only_section=old)
    session.flush()
    assignment.forget_roles(session, user.id)
    if section_id is not None:
        org_roles.grant(session, actor, user, "employee", section_id, None, None)
    org_roles.audit_change(session, actor, "user_transferred", user=user.username, before=old, after=section_id)
    org_handover.release_lapsed_claims(session, actor.id if actor else None, [user.id], "transfer")


def vacate_posts(session: Session, actor: User | None, user: User, only_section: int | None = None) -> None:
    """The person is no longer head or deputy (of one section, or of any)."""
    stmt = select(Section).where(or_(Section.head_id == user.id, Section.deputy_id == user.id))
    if only_section is not None:
        stmt = stmt.where(Section.id == only_section)
    for post in list(session.scalars(stmt)):
        if post.head_id == user.id:
            post.head_id = None
            org_roles.audit_change(session, actor, "section_updated", section=post.code, changes={"head_id": [user.id, None]})
        if post.deputy_id == user.id:
            post.deputy_id = None
            org_roles.audit_change(session, actor, "section_updated", section=post.code, changes={"deputy_id": [user.id, None]})
        org_roles.sync_acting_head(session, actor, post)


def deactivate_user(session: Session, actor: User | None, user_id: int, successor_id: int | None = None) -> User:
    """Deactivate (never delete) a person: they cannot sign in, their claimed group tasks return to the
    group, and a named successor takes over their open tasks and custodianships."""
    user = org_roles.get_user(session, user_id)
    check_account_keeper(session, actor, user)
    if actor is not None and actor.id == user.id:
        raise DomainError("org_not_yourself")  # the office would be left without the one who can undo it
    successor = None
    if successor_id is not None:
        successor = session.get(User, successor_id)
        if successor is None or not successor.active or successor.id == user.id:
            raise DomainError("org_successor_invalid", field="successor_id")
    for row in org_roles.roles_in_force(session, user.id):
        org_roles.refuse_last_holder(session, user, row.role, row.section_id)
    user.active = False
    org_roles.audit_change(session, actor, "user_deactivated", user=user.username,
           successor=successor.username if successor else None)
    if successor is not None:
        org_handover.hand_over_tasks(session, actor.id if actor else None, user, successor)
        org_handover.hand_over_custodianships(session, actor.id if actor else None, user, successor)
    vacate_posts(session, actor, user)
    session.flush()
    org_handover.release_lapsed_claims(session, actor.id if actor else None, [user.id], "user_deactivated")
    return user


def reactivate_user(session: Session, actor: User | None, user_id: int) -> User:
    check_system_admin(session, actor)
    user = org_roles.get_user(session, user_id)
    if not user.active:
        user.active = True
        org_roles.audit_change(session, actor, "user_reactivated", user=user.username)
    return user


def appears_in_cases(session: Session, user_id: int) -> bool:
    """Whether deleting the user would erase a trace: cases, tasks, audit events, the asset register."""
    checks = [
        exists().where(ProcessInstance.applicant_id == user_id),
        exists().where(or_(HumanTask.assignee_id == user_id, HumanTask.completed_by_id == user_id,
                           HumanTask.excluded_user_id == user_id)),
        exists().where(AuditEvent.actor_id == user_id),
        exists().where(or_(Asset.custodian_id == user_id, Asset.holder_id == user_id)),
    ]
    return any(session.scalar(select(check)) for check in checks)


def delete_user(session: Session, actor: User | None, user_id: int) -> None:
    """Delete a user created by mistake; anyone who appears in a case is refused (deactivate them)."""
    user = org_roles.get_user(session, user_id)
    check_account_keeper(session, actor, user)
    if appears_in_cases(session, user.id):
        raise DomainError("org_user_in_case", name=user.display_name)
    vacate_posts(session, actor, user)
    session.execute(delete(RoleAssignment).where(or_(RoleAssignment.user_id == user.id,
                                                     RoleAssignment.acting_for_id == user.id)))
    session.execute(delete(Notification).where(Notification.user_id == user.id))
    org_roles.audit_change(session, actor, "user_deleted", user=user.username, display_name=user.display_name)
    session.delete(user)
    session.flush()


def reset_password(session: Session, actor: User | None, user_id: int) -> str:
    """A new one-time password (shown to the administrator once); the next sign-in must change it."""
    user = org_roles.get_user(session, user_id)
    check_account_keeper(session, actor, user)
    password = temporary_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True  # after the hash: setting a password clears the flag (models.org)
    org_roles.audit_change(session, actor, "password_reset", user=user.username)
    return password


def overview(session: Session, user_id: int) -> dict:
    """A user's page: every role assignment (past, present, future), open tasks and cases."""
    from services import inbox  # the inbox's queries, so the page lists exactly what the user sees

    user = org_roles.get_user(session, user_id)
    roles = list(session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == user.id)
                                 .order_by(RoleAssignment.role, RoleAssignment.id).execution_options(**{ALL_TERMS: True})))
    took_part = select(HumanTask.instance_id).where(or_(HumanTask.assignee_id == user.id,
                                                        HumanTask.completed_by_id == user.id))
    cases = list(session.scalars(select(ProcessInstance).where(or_(
        ProcessInstance.applicant_id == user.id, ProcessInstance.id.in_(took_part)))
        .order_by(ProcessInstance.id.desc()).limit(100)))
    return {"user": user, "roles": roles, "my_tasks": inbox.my_tasks(session, user.id),
            "group_tasks": inbox.group_tasks(session, user.id), "cases": cases,
            "posts": list(session.scalars(select(Section).where(or_(Section.head_id == user.id,
                                                                    Section.deputy_id == user.id)))),
            "deletable": not appears_in_cases(session, user.id)}


def term_state(row: RoleAssignment, today) -> str:
    """scheduled, in_force or ended: how the page labels an assignment."""
    if row.start_date and row.start_date > today:
        return "scheduled"
    if row.end_date and row.end_date < today:
        return "ended"
    return "in_force"
