"""Who may act on a task: lanes are roles, scoped to the applicant's section; duties stay separate."""
from types import SimpleNamespace

from sqlalchemy import and_, bindparam, event, exists, false, or_, select
from sqlalchemy.orm import Session, aliased

from models import Delegation, HumanTask, ProcessInstance, RoleAssignment, User
from models.org import ALL_TERMS, in_force, office_today
from services import case_readers  # readers copied in see a case; a module import, as it imports us
from services.errors import Conflict, Forbidden
from services.roles import APPLICANT_LANE


# Built once, with the in-force condition spelled out (so the ORM listener need not add it again): every
# request asks this, and building the statement cost four times running it (issue 8).
_ROLES_OF_USER = select(RoleAssignment.role, RoleAssignment.section_id).where(
    RoleAssignment.user_id == bindparam("user_id"), in_force(bindparam("today"))
).execution_options(**{ALL_TERMS: True})


def _assignments(session: Session, user_id: int) -> list[tuple[str, int | None]]:
    """The user's (role, section) pairs, read once per transaction (one request, one job)."""
    key = ("role_assignments", user_id)
    if key not in session.info:
        session.info[key] = session.execute(_ROLES_OF_USER, {"user_id": user_id, "today": office_today()}).all()
    return session.info[key]


def forget_roles(session: Session, user_id: int) -> None:
    """Drop the memo after the user's roles changed inside this transaction (organisation management)."""
    session.info.pop(("role_assignments", user_id), None)


@event.listens_for(Session, "after_transaction_end")
def _forget_assignments(session, transaction):
    # Roles may change between transactions; never carry the memo over.
    if transaction.parent is None:
        for key in [k for k in session.info if isinstance(k, tuple) and k[0] == "role_assignments"]:
            del session.info[key]


def holds_role(session: Session, user_id: int, role: str, section_id: int | None) -> bool:
    """Whether the user holds `role` office-wide or for `section_id`."""
    return any(r == role and (s is None or s == section_id) for r, s in _assignments(session, user_id))


def roles_of(session: Session, user_id: int) -> set[str]:
    return {role for role, _section in _assignments(session, user_id)}


def _filled_another_approval(session: Session, task: HumanTask, user_id: int,
                             case_tasks: list[HumanTask] | None) -> bool:
    # The same step again (after a send-back) is the same duty; another approval step is not.
    if case_tasks is not None:
        return any(t.completed_by_id == user_id and t.kind == "approval" and t.bpmn_id != task.bpmn_id
                   for t in case_tasks)
    return session.scalar(select(exists().where(
        HumanTask.instance_id == task.instance_id, HumanTask.completed_by_id == user_id,
        HumanTask.kind == "approval", HumanTask.bpmn_id != task.bpmn_id))) or False


def check_can_act(session: Session, task: HumanTask, user: User, case_tasks: list[HumanTask] | None = None) -> None:
    """Refuse, with the reason, a user who may not claim or complete this task (`case_tasks`: every task
    row of the case, when the caller has them already)."""
    instance = task.instance
    if instance.status != "running":
        # A suspended case, or one in error, waits for the admin; nobody acts on it meanwhile.
        raise Conflict("case_not_running")
    if task.role == APPLICANT_LANE or task.kind == "personal":
        # Personal tasks (the applicant's own, a named successor's) belong to one person only.
        if user.id != task.assignee_id:
            raise Forbidden("not_a_candidate")
        return
    if user.id == instance.applicant_id:
        raise Forbidden("own_case")
    if user.id == task.excluded_user_id:
        raise Forbidden("subject_of_case")
    if not holds_role(session, user.id, task.role, task.section_id):
        raise Forbidden("not_a_candidate")
    if task.assignee_id is not None and task.assignee_id != user.id:
        raise Conflict("claimed_by_other", name=task.assignee.display_name)
    if task.kind == "approval" and _filled_another_approval(session, task, user.id, case_tasks):
        raise Forbidden("second_approval")


def group_task_filter(session: Session, user_id: int):
    """SQL condition: open, unclaimed tasks this user may take (the same rules as check_can_act).

    The user's roles are read first and spelled out as (role, section) pairs, so the database walks the
    (status, role, section) index of exactly those tasks instead of testing every open task's role."""
    other = aliased(HumanTask)
    held = sorted(set(_assignments(session, user_id)), key=lambda a: (a[0], a[1] or 0))
    office_wide = [role for role, section in held if section is None]
    per_section = [and_(HumanTask.role == role, HumanTask.section_id == section)
                   for role, section in held if section is not None and role not in office_wide]
    mine = or_(HumanTask.role.in_(office_wide) if office_wide else false(), *per_section)
    return and_(
        HumanTask.status == "open",
        HumanTask.assignee_id.is_(None),
        mine,
        ProcessInstance.status == "running",
        HumanTask.role != APPLICANT_LANE,
        HumanTask.kind != "personal",
        ProcessInstance.applicant_id != user_id,
        or_(HumanTask.excluded_user_id.is_(None), HumanTask.excluded_user_id != user_id),
        or_(HumanTask.kind != "approval",
            ~exists().where(other.instance_id == HumanTask.instance_id, other.completed_by_id == user_id,
                            other.kind == "approval", other.bpmn_id != HumanTask.bpmn_id)),
    )


# Office-wide roles that oversee every case (the security office registers and inspects, MED.1).
OVERSIGHT_ROLES = ("security_office", "security_committee", "leader", "admin")


def can_view_case(session: Session, user: User, instance: ProcessInstance) -> bool:
    """The applicant, whoever took part, a candidate of an open task, and the office-wide overseers."""
    if user.id == instance.applicant_id:
        return True
    if any(role in OVERSIGHT_ROLES and section is None for role, section in _assignments(session, user.id)):
        return True
    took_part = select(exists().where(
        HumanTask.instance_id == instance.id,
        or_(HumanTask.completed_by_id == user.id, HumanTask.assignee_id == user.id)))
    if session.scalar(took_part):
        return True
    open_roles = session.execute(select(HumanTask.role, HumanTask.section_id).where(
        HumanTask.instance_id == instance.id, HumanTask.status == "open")).all()
    return any(holds_role(session, user.id, role, section) for role, section in open_roles)
