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


# The user and their roles in force in one round trip: what nearly every request asks first (the user loader,
# web/extensions.py).
_USER_WITH_ROLES = select(User, RoleAssignment.role, RoleAssignment.section_id).outerjoin(
    RoleAssignment, and_(RoleAssignment.user_id == User.id, in_force(bindparam("today")))
).where(User.id == bindparam("user_id")).execution_options(**{ALL_TERMS: True})


def user_with_roles(session: Session, user_id: int) -> User | None:
    """The user, their roles read with them and kept for the transaction (so a request's role checks and its
    sign-in cost one query, not two); None if there is no such user."""
    rows = session.execute(_USER_WITH_ROLES, {"user_id": user_id, "today": office_today()}).all()
    if not rows:
        return None
    session.info[_roles_key(user_id)] = [(role, section) for _user, role, section in rows if role is not None]
    return rows[0][0]


def _assignments(session: Session, user_id: int) -> list[tuple[str, int | None]]:
    """The user's (role, section) pairs, read once per transaction (one request, one job)."""
    key = _roles_key(user_id)
    if key not in session.info:
        session.info[key] = session.execute(_ROLES_OF_USER, {"user_id": user_id, "today": office_today()}).all()
    return session.info[key]


def forget_roles(session: Session, user_id: int) -> None:
    """Drop the memo after the user's roles changed inside this transaction (organisation management)."""
    session.info.pop(_roles_key(user_id), None)


def _roles_key(user_id: int) -> tuple:
    """Where a transaction keeps the user's roles (session.info; every "role_assignments" key goes at its end)."""
    return ("role_assignments", user_id)


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


def delegators_of(session: Session, user_id: int) -> list[int]:
    """Whom the user stands in for today (standing delegation, services/delegation.py), read once per
    transaction."""
    key = ("role_assignments", "delegators", user_id)  # dropped with the role memo at transaction end
    if key not in session.info:
        today = office_today()
        session.info[key] = sorted(set(session.scalars(select(Delegation.delegator_id).where(
            Delegation.delegate_id == user_id, Delegation.revoked_at.is_(None),
            Delegation.starts_on <= today, Delegation.ends_on >= today))))
    return session.info[key]


def check_can_act(session: Session, task: HumanTask, user: User, case_tasks: list[HumanTask] | None = None) -> int | None:
    """Refuse, with the reason, a user who may not claim or complete this task (`case_tasks`: every task
    row of the case, when the caller has them already). A delegate may act where the delegator may, if
    separation of duties allows the delegate too: then the delegator's id is returned ("X for Y")."""
    try:
        _check_person(session, task, user.id, case_tasks)
        return None
    except (Conflict, Forbidden) as own_refusal:
        refusal = own_refusal
        for delegator_id in delegators_of(session, user.id):
            try:
                _check_person(session, task, delegator_id, case_tasks)
            except (Conflict, Forbidden):
                continue
            try:
                _check_separation(session, task, user.id, case_tasks)
            except Forbidden as separated:  # the delegator could: say why the delegate may not
                refusal = separated
                continue
            return delegator_id
        raise refusal


# Tasks of one named person: personal tasks, and an approver's added by hand (加签, services/added_approvers.py).
PERSONAL_KINDS = ("personal", "added_approval")


def _check_separation(session: Session, task: HumanTask, user_id: int, case_tasks) -> None:
    """The duties a delegate keeps separate in their own person, whomever they stand in for."""
    if task.role == APPLICANT_LANE or task.kind in PERSONAL_KINDS:
        return
    if user_id == task.instance.applicant_id:
        raise Forbidden("own_case")
    if user_id == task.excluded_user_id:
        raise Forbidden("subject_of_case")
    if task.kind == "approval" and _filled_another_approval(session, task, user_id, case_tasks):
        raise Forbidden("second_approval")


def _check_person(session: Session, task: HumanTask, user_id: int, case_tasks) -> None:
    user = SimpleNamespace(id=user_id)
    instance = task.instance
    if instance.status != "running":
        # A suspended case, or one in error, waits for the admin; nobody acts on it meanwhile.
        raise Conflict("case_not_running")
    if task.role == APPLICANT_LANE or task.kind in PERSONAL_KINDS:
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
        _not_a_second_approval(user_id),
    )


# One alias for every filter: a fresh aliased() per call cost more Python time than the inbox's own queries
# took in the database (bench/inbox_scale.py), each new alias adapting every column of the table anew.
_OTHER_TASK = aliased(HumanTask, name="other_task")


def _not_a_second_approval(user_id: int):
    """SQL condition: the task is no approval, or the user approved no other step of its case (the rule of
    `_filled_another_approval`)."""
    other = _OTHER_TASK
    return or_(HumanTask.kind != "approval",
               ~exists().where(other.instance_id == HumanTask.instance_id, other.completed_by_id == user_id,
                               other.kind == "approval", other.bpmn_id != HumanTask.bpmn_id))


def inbox_group_filter(session: Session, user_id: int):
    """group_task_filter, widened by the group tasks of those the user stands in for (delegation) that
    the user's own separation of duties allows; the plain filter when the user stands in for nobody."""
    own = group_task_filter(session, user_id)
    delegators = delegators_of(session, user_id)
    if not delegators:
        return own
    separate = and_(
        ProcessInstance.applicant_id != user_id,
        or_(HumanTask.excluded_user_id.is_(None), HumanTask.excluded_user_id != user_id),
        _not_a_second_approval(user_id))
    return or_(own, *[and_(group_task_filter(session, d), separate) for d in delegators])


# Office-wide roles that oversee every case (the security office registers and inspects, MED.1).
OVERSIGHT_ROLES = ("security_office", "security_committee", "leader", "admin")


def can_view_case(session: Session, user: User, instance: ProcessInstance, delegated: bool = True) -> bool:
    """The applicant, whoever took part, a candidate of an open task, the office-wide overseers, and the
    readers copied in (services.case_readers)."""
    if user.id == instance.applicant_id:
        return True
    if any(role in OVERSIGHT_ROLES and section is None for role, section in _assignments(session, user.id)):
        return True
    took_part = select(exists().where(
        HumanTask.instance_id == instance.id,
        or_(HumanTask.completed_by_id == user.id, HumanTask.assignee_id == user.id)))
    if session.scalar(took_part) or case_readers.is_reader(session, user.id, instance.id):
        return True
    open_roles = session.execute(select(HumanTask.role, HumanTask.section_id).where(
        HumanTask.instance_id == instance.id, HumanTask.status == "open")).all()
    if any(holds_role(session, user.id, role, section) for role, section in open_roles):
        return True
    # A delegate sees what the delegators see (one step only: delegations do not chain).
    return delegated and any(can_view_case(session, SimpleNamespace(id=d), instance, delegated=False)
                             for d in delegators_of(session, user.id))
