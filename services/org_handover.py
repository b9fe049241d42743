"""What follows a person's change of roles or status: claimed tasks go back to their group, and a
successor takes over open tasks and custodianships. Each move is one audit event; the caller commits."""
from __future__ import annotations

from sqlalchemy import and_, exists, not_, or_, select
from sqlalchemy.orm import Session

from models import Asset, HumanTask, ProcessInstance, RoleAssignment, User
from models.org import in_force
from services import assignment, audit
from services.roles import APPLICANT_LANE


def _group_task(task_cls=HumanTask):
    # Personal tasks (the applicant's own, a named successor's) have no group to return to.
    return and_(task_cls.role != APPLICANT_LANE, task_cls.kind != "personal")


def release_lapsed_claims(session: Session, actor_id: int | None, user_ids: list[int] | None = None,
                          reason: str = "role_lapsed") -> list[HumanTask]:
    """Return to the group every open group task claimed by someone who may no longer act on it: an
    inactive user, or one whose role for the task's section is removed, ended or not yet started.
    Reads role assignments in force today, so the scheduler can call it daily for dates that pass."""
    holds = exists().where(
        RoleAssignment.user_id == HumanTask.assignee_id, RoleAssignment.role == HumanTask.role,
        or_(RoleAssignment.section_id.is_(None), RoleAssignment.section_id == HumanTask.section_id), in_force())
    active = exists().where(User.id == HumanTask.assignee_id, User.active.is_(True))
    stmt = select(HumanTask).where(HumanTask.status == "open", HumanTask.assignee_id.is_not(None), _group_task(),
                                   or_(not_(holds), not_(active)))
    if user_ids is not None:
        stmt = stmt.where(HumanTask.assignee_id.in_(user_ids))
    released = list(session.scalars(stmt.order_by(HumanTask.id)))
    for task in released:
        before = task.assignee_id
        task.assignee_id, task.claimed_at = None, None
        audit.record(session, "task_returned_to_group", actor_id, task.instance_id, task.id, task=task.bpmn_id,
                     role=task.role, before=before, reason=reason)
    return released


def hand_over_tasks(session: Session, actor_id: int | None, person: User, successor: User,
                    exclude_instance_id: int | None = None) -> list[HumanTask]:
    """The successor takes over every open task waiting on the person: personal tasks, and claimed group
    tasks whose role the successor holds; a claimed group task the successor cannot act on returns to
    its group. `exclude_instance_id`: the case doing the handover keeps its own tasks."""
    stmt = select(HumanTask).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id).where(
        HumanTask.status == "open", HumanTask.assignee_id == person.id,
        ProcessInstance.status.in_(("running", "suspended", "error")))
    if exclude_instance_id is not None:
        stmt = stmt.where(HumanTask.instance_id != exclude_instance_id)
    moved = []
    assignment.forget_roles(session, successor.id)
    for task in session.scalars(stmt.order_by(HumanTask.id)):
        personal = task.role == APPLICANT_LANE or task.kind == "personal"
        if personal or assignment.holds_role(session, successor.id, task.role, task.section_id):
            task.assignee_id = successor.id
            audit.record(session, "task_taken_over", actor_id, task.instance_id, task.id, task=task.bpmn_id,
                         person=person.username, successor=successor.username)
            moved.append(task)
        else:
            task.assignee_id, task.claimed_at = None, None
            audit.record(session, "task_returned_to_group", actor_id, task.instance_id, task.id, task=task.bpmn_id,
                         role=task.role, before=person.id, reason="successor_lacks_role")
    return moved


def hand_over_custodianships(session: Session, actor_id: int | None, person: User, successor: User) -> list[Asset]:
    """The successor becomes custodian of every asset the person kept (MED.2), and takes the person's
    custodian role for those sections, so the section still has a keeper."""
    kept = list(session.scalars(select(Asset).where(Asset.custodian_id == person.id).order_by(Asset.register_number)))
    for asset in kept:
        asset.custodian_id = successor.id
        if asset.status == "in_storage" and asset.holder_id == person.id:
            asset.holder_id = successor.id  # a custodian holds what is in storage (MED.2)
        audit.record(session, "custodianship_taken_over", actor_id, asset=asset.register_number,
                     person=person.username, successor=successor.username)
    sections = set(session.scalars(select(RoleAssignment.section_id).where(
        RoleAssignment.user_id == person.id, RoleAssignment.role == "custodian",
        RoleAssignment.section_id.is_not(None))))
    for section_id in sorted(sections):
        already = session.scalar(select(RoleAssignment).where(
            RoleAssignment.user_id == successor.id, RoleAssignment.role == "custodian",
            RoleAssignment.section_id == section_id).execution_options(all_role_terms=True))
        if already is None:
            session.add(RoleAssignment(user_id=successor.id, role="custodian", section_id=section_id))
        else:
            already.start_date, already.end_date = None, None
        audit.record(session, "role_taken_over", actor_id, role="custodian", section_id=section_id,
                     person=person.username, successor=successor.username)
    session.flush()
    assignment.forget_roles(session, successor.id)
    return kept
