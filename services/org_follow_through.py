"""When a P5 access change (CNET.5, UNET.7) completes, Baomi's own records follow the job change:
a stop ends the person's classified roles, a transfer moves them to the new section, and the named
successor takes over their open tasks and custodianships. Each change is in the audit log."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import RoleAssignment, User
from models.org import ALL_TERMS, office_today
from services import assignment, audit, org_admin, org_handover

# What a person keeps after leaving a classified post: being a member of staff.
UNCLASSIFIED_ROLES = ("employee",)


def follow_job_change(session: Session, actor: User | None, instance_id: int, data: dict) -> dict:
    """Apply a completed stop or transfer to the organisation; returns what changed, for the case data."""
    person = session.get(User, data["person"])
    successor = session.get(User, data["successor"]) if data.get("successor") else None
    actor_id = actor.id if actor else None
    done: dict = {"roles_ended": [], "tasks_taken_over": [], "custodianships_taken_over": []}
    if successor is not None and successor.active:
        tasks = org_handover.hand_over_tasks(session, actor_id, person, successor, exclude_instance_id=instance_id)
        kept = org_handover.hand_over_custodianships(session, actor_id, person, successor)
        done["tasks_taken_over"] = [t.id for t in tasks]
        done["custodianships_taken_over"] = [a.register_number for a in kept]
    if data["change"] == "stop":
        done["roles_ended"] = _end_classified_roles(session, actor_id, person, instance_id)
        org_admin.vacate_posts(session, actor, person)
    elif data["change"] == "transfer" and data.get("new_section_id"):
        org_admin.move_to_section(session, actor, person, data["new_section_id"])
        done["new_section_id"] = data["new_section_id"]
    session.flush()
    assignment.forget_roles(session, person.id)
    org_handover.release_lapsed_claims(session, actor_id, [person.id], "access_change")
    audit.record(session, "org_followed_access_change", actor_id, instance_id, person=person.username,
                 change=data["change"], **{k: v for k, v in done.items() if v})
    return done


def _end_classified_roles(session: Session, actor_id: int | None, person: User, instance_id: int) -> list[str]:
    """Classified roles end at once: the systems are closed, so their last day was yesterday. Ended, not
    deleted, so the user's page still shows what they held and until when."""
    last_day = office_today() - timedelta(days=1)
    ended = []
    rows = session.scalars(select(RoleAssignment).where(
        RoleAssignment.user_id == person.id, RoleAssignment.role.not_in(UNCLASSIFIED_ROLES))
        .execution_options(**{ALL_TERMS: True}))
    for row in list(rows):
        if row.end_date is not None and row.end_date <= last_day:
            continue
        row.end_date = last_day
        if row.start_date is not None and row.start_date > last_day:
            row.start_date = last_day  # never started: keep it as a closed, empty term
        audit.record(session, "role_ended", actor_id, instance_id, user=person.username, role=row.role,
                     section_id=row.section_id, end=last_day, reason="access_stop")
        ended.append(row.role)
    return ended
